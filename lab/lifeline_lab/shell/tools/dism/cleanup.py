"""DISM /Cleanup-Image /RevertPendingActions: undo what the previous servicing left for the next boot.

Microsoft Learn ("DISM Operating System Package Servicing"): it "reverts all pending actions from the previous
servicing operations" and is "not supported on a running operating system or a Windows PE or Windows Recovery
Environment (Windows RE) image": it is for an offline image that did not boot (`/Image:D:\\` from WinRE).
windows-recovery.md: the pending operations live in \\Windows\\WinSxS\\pending.xml. So: Install Pending packages
are removed (the files they replaced come back), Uninstall Pending packages are Installed again, and
pending.xml is deleted. With nothing pending the command still completes successfully: its success text is NOT
FOUND IN SOURCES (windows-tools.md §4.2 expects `The operation completed successfully.`), and 0x800F082F "nothing
to revert" rests only on unofficial scripts (§4.3), so the lab does not produce it.
/Online has no such option: DISM's reaction is NOT FOUND IN SOURCES; the lab answers as DISM does for an
option that does not exist in the context (Error: 87, "The <option> option is unknown.").
"""

from __future__ import annotations

from ....machine.servicing import PENDING_XML
from . import messages as m
from .image import Image
from .messages import DismError
from .packages import apply_restore, restore_plan


def revert_pending_actions(image: Image, typed_option: str) -> str:
    if image.online:
        raise DismError(m.ERROR_INVALID_PARAMETER, m.UNKNOWN_OPTION.format(typed_option))
    installing = [p for p in image.servicing.packages if p.state == "Install Pending"]
    uninstalling = [p for p in image.servicing.packages if p.state == "Uninstall Pending"]
    plans = [restore_plan(image, package) for package in installing]  # validate before changing anything
    for package, plan in zip(installing, plans, strict=True):
        apply_restore(image, plan)
        image.servicing.packages.remove(package)
    for package in uninstalling:
        package.state = "Installed"
    pending = image.path(PENDING_XML)
    if image.drives.find(pending) is not None:
        image.drives.delete(pending)
    return m.SUCCESS
