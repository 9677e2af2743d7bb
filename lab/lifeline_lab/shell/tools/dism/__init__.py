"""dism.exe: package servicing of the running Windows (/Online) or of an offline image (/Image:D:\\).

Implemented: /Get-Packages, /Get-PackageInfo /PackageName:, /Remove-Package /PackageName: (repeatable),
/Cleanup-Image /RevertPendingActions, with /English, /Quiet, /NoRestart, /LogPath, /LogLevel, /ScratchDir,
/WinDir, /SysDriveDir, /Format:List accepted; and the imaging commands /Mount-Image, /Unmount-Image
/Commit|/Discard and /Get-MountedImageInfo on .wim files (mounts.py). Everything else DISM documents (features,
drivers, capabilities, .cab files, other image management, /Format:Table, the help text) fails with a lab note on
stderr and exit code 1. The lab writes no dism.log; the log line names the default path
(%WINDIR%\\Logs\\DISM\\dism.log, or /LogPath).
Modules: options (command line), image (which image), packages, cleanup, mounts (imaging), messages (texts, exit
codes).
"""

from __future__ import annotations

from ...context import ProcessContext, env_get
from . import messages as m
from . import mounts
from .cleanup import revert_pending_actions
from .image import open_image
from .messages import DismError, LabNotImplemented
from .options import Command, parse
from .packages import (
    check_removable,
    find_packages,
    get_package_info,
    get_packages,
    mark_uninstall_pending,
    removal_progress,
    remove_offline,
)


def _log_path(ctx: ProcessContext, command: Command | None) -> str:
    if command is not None and command.log_path:
        return command.log_path
    return (env_get(ctx.environment, "windir") or "C:\\Windows") + "\\Logs\\DISM\\dism.log"


async def run(argv: list[str], ctx: ProcessContext) -> int:
    """Run dism.exe with argv (argv[0] is the program)."""
    machine = ctx.machine
    if machine is None:
        ctx.write_stderr("The lab has no machine behind this process: DISM needs its Windows image.\r\n")
        return 1
    quiet = any(arg.lower() == "/quiet" for arg in argv[1:])
    out = (lambda text: None) if quiet else ctx.write_stdout
    if mounts.requested(argv[1:]):
        return _imaging(ctx, machine, argv[1:], out)
    command: Command | None = None
    try:
        command = parse(argv[1:])
        out(m.BANNER.format(version=m.DISM_VERSION))
        image = open_image(machine, command.image, ctx.working_directory)
        out(m.IMAGE_VERSION.format(version=image.version))
        return await _serve(ctx, machine, command, image, out)
    except LabNotImplemented as note:
        ctx.write_stderr(f"{note}\r\n")
        return 1
    except DismError as error:
        if command is None:
            out(m.BANNER.format(version=m.DISM_VERSION))
        ctx.write_stdout(error.text(_log_path(ctx, command)))
        return error.code


def _imaging(ctx: ProcessContext, machine, args: list[str], out) -> int:
    out(m.BANNER.format(version=m.DISM_VERSION))
    try:
        out(mounts.run_imaging(machine, args, ctx.working_directory))
        return 0
    except LabNotImplemented as note:
        ctx.write_stderr(f"{note}\r\n")
        return 1
    except DismError as error:
        log = mounts.log_path_option(args) or _log_path(ctx, None)
        ctx.write_stdout(error.text(log))
        return error.code


async def _serve(ctx: ProcessContext, machine, command: Command, image, out) -> int:
    servicing = command.servicing.name if command.servicing else ""
    if servicing == "get-packages":
        out(get_packages(image))
        return 0
    if servicing == "get-packageinfo":
        out(get_package_info(image, command.package_names[0]))
        return 0
    if servicing == "cleanup-image" and command.cleanup_action is not None:
        out(revert_pending_actions(image, command.cleanup_action.typed))
        return 0
    packages = find_packages(image, command.package_names)
    check_removable(packages)
    if not image.online:
        remove_offline(image, packages)
        out(removal_progress(packages) + m.SUCCESS)
        return 0
    mark_uninstall_pending(image, packages)
    out(removal_progress(packages) + m.SUCCESS)
    if command.no_restart:
        return m.ERROR_SUCCESS_REBOOT_REQUIRED
    if not command.quiet:
        ctx.write_stdout(m.RESTART_PROMPT)
        answer = (await ctx.stdin.readline()).decode("utf-8", errors="replace").strip().lower()
        if not answer.startswith("y"):
            return m.ERROR_SUCCESS_REBOOT_REQUIRED
    machine.restart(0)
    return m.ERROR_SUCCESS_REBOOT_INITIATED
