"""DISM /Get-Packages, /Get-PackageInfo and /Remove-Package.

Output layouts from real captures (windows-tools.md §4.2): `Packages listing:`, then per package
`Package Identity : `, `State : `, `Release Type : `, `Install Time : ` (empty for a package still being
installed) and a blank line; `Package information:` and the Get-PackageInfo fields of a real Server 2019
capture, ending with `(No features found for this package)`; /Remove-Package prints
`Processing 1 of 1 - Removing package <identity>` and the finished progress bar.
Removal (Microsoft Learn, "DISM Operating System Package Servicing"; "Azure VM startup is stuck at Windows
update"): offline, the package is removed now and the files it replaced come back (a file it added is
deleted), and its operations leave \\Windows\\WinSxS\\pending.xml; online, it is marked Uninstall Pending for the
next boot, which needs a restart: DISM asks `Do you want to restart the computer now? (Y/N)`, or with /NoRestart
exits 3010 (ERROR_SUCCESS_REBOOT_REQUIRED), or with /Quiet restarts by itself ("DISM Global Options": /NoRestart
"will keep the application from prompting for a restart (or keep it from restarting automatically if the /Quiet
option is used)"); the exit code of a restart DISM starts is 1641 (ERROR_SUCCESS_REBOOT_INITIATED).
Foundation and servicing-stack packages are permanent: removing one fails with 0x800f0825.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ....machine import errors
from ....machine.servicing import PENDING_XML, Package
from . import messages as m
from .image import Image
from .messages import DismError

XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\r\n'


def find_packages(image: Image, names: list[str]) -> list[Package]:
    packages = []
    for name in names:
        package = image.servicing.find(name)
        if package is None:
            raise DismError(m.CBS_E_INVALID_PACKAGE, m.PACKAGE_NOT_FOUND)
        packages.append(package)
    return packages


def shown_install_time(package: Package) -> str:
    return "" if package.state == "Install Pending" else m.install_time(package.install_time)


def field(name: str, value: str) -> str:
    # A real empty field prints as `Install Time :` (windows-tools.md §4.2 shows no trailing space)
    return f"{name} : {value}\r\n" if value else f"{name} :\r\n"


def get_packages(image: Image) -> str:
    blocks = [
        field("Package Identity", package.identity)
        + field("State", package.state)
        + field("Release Type", package.release_type)
        + field("Install Time", shown_install_time(package))
        + "\r\n"
        for package in image.servicing.packages
    ]
    return "Packages listing:\r\n\r\n" + "".join(blocks) + m.SUCCESS


def get_package_info(image: Image, name: str) -> str:
    package = find_packages(image, [name])[0]
    kb = re.search(r"KB(\d+)", package.identity, re.IGNORECASE)
    product = package.identity.split("~", 1)[0]
    lines = [
        ("Package Identity", package.identity),
        ("Applicable", "Yes"),
        ("Copyright", "Microsoft Corporation"),
        ("Company", "Microsoft Corporation"),
        ("Creation Time", ""),
        ("Description", f"Fix for KB{kb.group(1)}" if kb else ""),
        ("Install Client", "WindowsUpdateAgent"),
        ("Install Package Name", package.identity + ".mum"),
        ("Install Time", shown_install_time(package)),
        ("Last Update Time", ""),
        ("Name", "default"),
        ("Product Name", product),
        ("Product Version", ""),
        ("Release Type", package.release_type),
        ("Restart Required", "Possible"),
        ("Support Information", f"http://support.microsoft.com/?kbid={kb.group(1)}" if kb else ""),
        ("State", package.state),
        ("Completely offline capable", "No"),
        ("Self servicing package", "No"),
        ("Capability Identity", ""),
    ]
    return (
        "Package information:\r\n\r\n"
        + "".join(field(name, value) for name, value in lines)
        + "\r\nCustom Properties:\r\n\r\n(No custom properties found)\r\n\r\n"
        + f"Features listing for package : {package.identity}\r\n\r\n(No features found for this package)\r\n\r\n"
        + m.SUCCESS
    )


# --- changing the image -----------------------------------------------------------------------------------


def check_removable(packages: list[Package]) -> None:
    for package in packages:
        if package.permanent:
            raise DismError(m.CBS_E_CANNOT_UNINSTALL, m.CANNOT_UNINSTALL.format(package.identity.split("~", 1)[0]))


def restore_plan(image: Image, package: Package) -> list[tuple[str, bytes | None]]:
    """The files to put back (None: delete), validated: each folder must exist and nothing may be held open."""
    plan = []
    for relative, previous in package.replaced.items():
        path = image.path(relative)
        folder = image.drives.find(image.drives.parent(path))
        if previous is not None and (folder is None or not folder.is_dir):
            raise DismError(m.ERROR_FILE_NOT_FOUND, errors.PathNotFound.message)
        node = image.drives.find(path)
        if node is not None and (node.in_use_by or node.is_dir):
            raise DismError(errors.SharingViolation.code, errors.SharingViolation.message)
        plan.append((path, previous))
    return plan


def apply_restore(image: Image, plan: list[tuple[str, bytes | None]]) -> None:
    for path, previous in plan:
        if previous is None:
            if image.drives.find(path) is not None:
                image.drives.delete(path)
        else:
            image.drives.write(path, previous)


def read_pending(image: Image) -> tuple[bool, ET.Element | None]:
    """(whether pending.xml exists, its parsed document or None when it cannot be parsed)."""
    node = image.drives.find(image.path(PENDING_XML))
    if node is None:
        return False, None
    try:
        return True, ET.fromstring(node.data)
    except ET.ParseError:
        return True, None


def write_pending(image: Image, document: ET.Element) -> None:
    """Save pending.xml, or delete it when no transaction is left in it."""
    path = image.path(PENDING_XML)
    transactions = document.find("Transactions")
    if transactions is None or len(transactions) == 0:
        if image.drives.find(path) is not None:
            image.drives.delete(path)
        return
    image.drives.write(path, (XML_DECLARATION + ET.tostring(document, encoding="unicode") + "\r\n").encode())


def forget_pending_operations(image: Image, identities: set[str]) -> None:
    """Drop the pending operations of removed packages from pending.xml (deleted when it becomes empty)."""
    _, document = read_pending(image)
    if document is None:
        return  # none, or unreadable: left as it is
    transactions = document.find("Transactions")
    if transactions is None:
        return
    for element in list(transactions):
        if (element.get("package") or "").lower() in identities:
            transactions.remove(element)
    write_pending(image, document)


def remove_offline(image: Image, packages: list[Package]) -> None:
    plans = [restore_plan(image, package) for package in packages]  # validate everything first
    for package, plan in zip(packages, plans, strict=True):
        apply_restore(image, plan)
        image.servicing.packages.remove(package)
    forget_pending_operations(image, {package.identity.lower() for package in packages})


def mark_uninstall_pending(image: Image, packages: list[Package]) -> None:
    """Online: the packages go at the next boot; pending.xml records it (created if needed)."""
    exists, document = read_pending(image)
    for package in packages:
        package.state = "Uninstall Pending"
    if exists and document is None:
        return  # an unreadable pending.xml is left as it is
    if document is None:
        document = ET.Element("PendingTransaction", Version="3.1")
    transactions = document.find("Transactions")
    if transactions is None:
        transactions = ET.SubElement(document, "Transactions")
    for package in packages:
        ET.SubElement(transactions, "Uninstall", package=package.identity)
    write_pending(image, document)


def removal_progress(packages: list[Package]) -> str:
    total = len(packages)
    return "".join(
        f"Processing {index} of {total} - Removing package {package.identity}\r\n" + m.PROGRESS_DONE
        for index, package in enumerate(packages, start=1)
    )
