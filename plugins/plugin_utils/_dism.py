# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""dism.exe: the calls Lifeline makes and reading what dism prints (DISM global options and operating system package
servicing, Microsoft Learn).

Calls: ``dism {/Image:<path> | /Online} /English`` with /Get-Packages, /Remove-Package or /Cleanup-Image
/RevertPendingActions; and the image management calls ``/Mount-Image``, ``/Unmount-Image {/Commit | /Discard}`` and
``/Get-MountedImageInfo`` ("DISM Image Management Command-Line Options"). The paths and package identity are checked
first (ValueError naming them), and a builder returns the call (``NativeCall``) for a script to place
(``_powershell.py``).

Output: every run prints a banner: a blank line, ``Deployment Image Servicing and Management tool``,
``Version: 10.0.x``, and for /Image and /Online operations ``Image Version: 10.0.x``.
``/Get-Packages`` then prints ``Packages listing:`` and one block per package, four ``Label : value``
lines, and ends with ``The operation completed successfully.``. An error is ``Error: 87`` or
``Error: 0x800f0906``, a blank line, the message, and usually ``The DISM log file can be found at ...``.

``/Get-MountedImageInfo`` prints ``Mounted images:`` and one block per mounted image, ``Mount Dir : ...``, ``Image
File : ...``, ``Image Index : 1``, ``Mounted Read/Write : Yes`` (or ``No``), ``Status : Ok`` (Microsoft Learn lists
the fields, "whether the image is valid, read/write permissions, mount location, mounted file path, and mounted image
index"; the en-US labels are from a published DISM 10.0.22621 capture, samples/dism_get_mounted_image_info.txt).
``/Mount-Image`` and ``/Unmount-Image`` print ``Mounting image`` or ``Unmounting image``, a progress bar and ``The
operation completed successfully.``: read them with ``parse_dism_error``.

Lifeline runs dism with /English, which makes the labels English; ``Install Time`` still follows
the host's date format, and only the en-US ``M/D/YYYY h:mm AM`` is read.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from ansible_collections.lifeline.recovery.plugins.plugin_utils._inputs import flag, integer, shown, windows_path
from ansible_collections.lifeline.recovery.plugins.plugin_utils._parsers import ParseError, split_lines
from ansible_collections.lifeline.recovery.plugins.plugin_utils._powershell import NativeCall

__all__ = [
    "DismError",
    "MountedImage",
    "Package",
    "dism_get_mounted_image_info",
    "dism_get_packages",
    "dism_mount_image",
    "dism_remove_package",
    "dism_revert_pending",
    "dism_unmount_image",
    "parse_dism_error",
    "parse_dism_mounted_images",
    "parse_dism_packages",
]

# DISM package identity: Name~PublicKeyToken~Architecture~Language~Version.
_PACKAGE_NAME = re.compile(r"[A-Za-z0-9_.~-]{1,255}", re.ASCII)


def _image(image: object) -> list[str]:
    """DISM's image switch: ``/Online`` for None, else ``/Image:<path>`` (then ``/English`` output)."""
    target = "/Online" if image is None else "/Image:" + windows_path(image, "Windows image")
    return [target, "/English"]


# --- the calls --------------------------------------------------------------------------------------------------------


def dism_get_packages(image: str | None = None) -> NativeCall:
    """``dism {/Image:<path> | /Online} /English /Get-Packages``."""
    return NativeCall("dism.exe", *_image(image), "/Get-Packages")


def dism_remove_package(image: str | None, package_name: str) -> NativeCall:
    """``dism {/Image:<path> | /Online} /English /Remove-Package /PackageName:<name> /NoRestart``.

    Exit 3010 means a restart is needed to finish.
    """
    if not isinstance(package_name, str) or not _PACKAGE_NAME.fullmatch(package_name):
        raise ValueError(f"package name {shown(package_name)} is not a DISM package identity (letters, digits, _.~-)")
    return NativeCall("dism.exe", *_image(image), "/Remove-Package", "/PackageName:" + package_name, "/NoRestart")


def dism_revert_pending(image: str | None) -> NativeCall:
    """``dism {/Image:<path> | /Online} /English /Cleanup-Image /RevertPendingActions``.

    0x800F082F means there was nothing to revert.
    """
    return NativeCall("dism.exe", *_image(image), "/Cleanup-Image", "/RevertPendingActions")


def dism_mount_image(image_file: str, mount_dir: str, index: int = 1, read_only: bool = False) -> NativeCall:
    """``dism /English /Mount-Image /ImageFile:<wim> /Index:<n> /MountDir:<dir> [/ReadOnly]``.

    "The mount directory must be created, but empty"; the Windows RE image is always index 1 ("Customize Windows
    RE"). The mount directory must not contain ``[`` or ``]`` (it is also a -LiteralPath elsewhere, and a plain
    folder name is enough).
    """
    image_file = windows_path(image_file, "image file")
    mount_dir = windows_path(mount_dir, "mount directory", wildcards=False)
    index = integer(index, "image index", 1, 999)
    read = ["/ReadOnly"] if flag(read_only, "read_only") else []
    return NativeCall(
        "dism.exe", "/English", "/Mount-Image", "/ImageFile:" + image_file, f"/Index:{index}", "/MountDir:" + mount_dir,
        *read,
    )  # fmt: skip


def dism_unmount_image(mount_dir: str, commit: bool) -> NativeCall:
    """``dism /English /Unmount-Image /MountDir:<dir> {/Commit | /Discard}``: save the changes into the image file,
    or throw them away (the image file is left as it was)."""
    mount_dir = windows_path(mount_dir, "mount directory", wildcards=False)
    how = "/Commit" if flag(commit, "commit") else "/Discard"
    return NativeCall("dism.exe", "/English", "/Unmount-Image", "/MountDir:" + mount_dir, how)


def dism_get_mounted_image_info() -> NativeCall:
    """``dism /English /Get-MountedImageInfo``: every image mounted on this Windows."""
    return NativeCall("dism.exe", "/English", "/Get-MountedImageInfo")


# --- reading dism -----------------------------------------------------------------------------------------------------

_PACKAGES_TOOL = "dism /Get-Packages"
_TOOL = "dism"
_BANNER = "Deployment Image Servicing and Management tool"
_VERSION = re.compile(r"Version: [0-9]+(?:\.[0-9]+){1,3}")
_IMAGE_VERSION = re.compile(r"Image Version: [0-9]+(?:\.[0-9]+){1,3}")
_LISTING = "Packages listing:"
_SUCCESS = "The operation completed successfully."
_PACKAGE_FIELDS = ("Package Identity", "State", "Release Type", "Install Time")
_FIELD = re.compile(r"(?P<label>[A-Za-z][A-Za-z ]*?) :(?: (?P<value>.*))?")
_IDENTITY = re.compile(r"[A-Za-z0-9_.~-]+", re.ASCII)
_INSTALL_TIME = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4}) ([0-9]{1,2}):([0-9]{2}) (AM|PM)")
_ERROR = re.compile(r"Error: (?P<code>0x[0-9A-Fa-f]{1,8}|[0-9]{1,10})")
_LOG = re.compile(r"The DISM log file can be found at (?P<path>.+)")
_LOCALIZED_HINT = "Lifeline reads English dism output only (/English)"


@dataclass(frozen=True)
class Package:
    """One servicing package of ``dism /Get-Packages``: ``identity`` as /Remove-Package /PackageName
    takes it, ``state`` (``Installed``, ``Install Pending``, ``Uninstall Pending``, ``Staged``,
    ``Superseded``...), ``release_type`` (``Security Update``, ``Update``...), and ``install_time``:
    local time of the image, no time zone, None while the package is pending (``Install Time :``)."""

    identity: str
    state: str
    release_type: str
    install_time: datetime.datetime | None


@dataclass(frozen=True)
class DismError:
    """An error dism reported: ``code`` is the number after ``Error:`` (87, 740, or an HRESULT such as
    0x800F0906; dism exits with it), ``message`` its text, ``log_path`` where dism wrote its log."""

    code: int
    message: str
    log_path: str | None = None

    @property
    def code_text(self) -> str:
        """The code as dism prints it: ``87`` or ``0x800f0906``."""
        return f"0x{self.code:08x}" if self.code > 0xFFFF else str(self.code)

    def __str__(self) -> str:
        return f"Error: {self.code_text}: {self.message}"


def parse_dism_packages(text: str) -> list[Package]:
    """The packages in ``dism {/Image:<path> | /Online} /English /Get-Packages`` output, in order.

    Raises ParseError when dism reported an error (the message includes it), and for output that is
    localized, cut off before ``The operation completed successfully.``, or has an unexpected line.
    """
    lines = split_lines(text)
    error = _find_error(lines)
    if error is not None:
        raise ParseError(_PACKAGES_TOOL, f"dism reported {error}")
    numbered = [(number, line) for number, line in enumerate(lines, start=1) if line.strip()]
    position = _expect_banner(numbered, _PACKAGES_TOOL)
    if position >= len(numbered) or numbered[position][1] != _LISTING:
        number, line = numbered[position] if position < len(numbered) else (None, None)
        raise ParseError(_PACKAGES_TOOL, f"expected '{_LISTING}'; {_LOCALIZED_HINT}", number, line)
    position += 1
    packages = []
    while position < len(numbered) and numbered[position][1] != _SUCCESS:
        block = numbered[position : position + len(_PACKAGE_FIELDS)]
        packages.append(_package(block))
        position += len(_PACKAGE_FIELDS)
    if position >= len(numbered):
        raise ParseError(_PACKAGES_TOOL, f"no '{_SUCCESS}' line (cut off?)")
    if position + 1 < len(numbered):
        number, line = numbered[position + 1]
        raise ParseError(_PACKAGES_TOOL, f"text after '{_SUCCESS}'", number, line)
    return packages


def _expect_banner(numbered: list[tuple[int, str]], tool: str) -> int:
    """The position after the banner lines (banner, Version, optional Image Version)."""
    if len(numbered) < 2 or numbered[0][1] != _BANNER or not _VERSION.fullmatch(numbered[1][1]):
        number, line = numbered[0] if numbered else (None, None)
        raise ParseError(
            tool, f"expected the dism banner ('{_BANNER}', 'Version: ...'); {_LOCALIZED_HINT}", number, line
        )
    position = 2
    if position < len(numbered) and _IMAGE_VERSION.fullmatch(numbered[position][1]):
        position += 1
    return position


def _package(block: list[tuple[int, str]]) -> Package:
    values = []
    for index, label in enumerate(_PACKAGE_FIELDS):
        if index >= len(block):
            raise ParseError(_PACKAGES_TOOL, f"a package is cut off before '{label}'", block[-1][0], block[-1][1])
        number, line = block[index]
        match = _FIELD.fullmatch(line)
        if not match or match.group("label") != label:
            raise ParseError(_PACKAGES_TOOL, f"expected '{label} : ...'; {_LOCALIZED_HINT}", number, line)
        values.append((number, line, (match.group("value") or "").strip()))
    (id_number, id_line, identity), state_field, type_field, (time_number, time_line, time) = values
    state, release_type = state_field[2], type_field[2]  # the value (number and line only locate errors)
    if not _IDENTITY.fullmatch(identity):
        raise ParseError(_PACKAGES_TOOL, "not a package identity (letters, digits, _.~-)", id_number, id_line)
    if not state or not release_type:
        raise ParseError(_PACKAGES_TOOL, "a package without a state or release type", id_number, id_line)
    return Package(identity, state, release_type, _install_time(time, time_number, time_line))


def _install_time(value: str, number: int, line: str) -> datetime.datetime | None:
    """``2/11/2015 11:33 PM`` (en-US short date and time) -> a naive datetime; empty -> None."""
    if not value:
        return None
    match = _INSTALL_TIME.fullmatch(value)
    if not match:
        raise ParseError(
            _PACKAGES_TOOL, "Install Time is not M/D/YYYY h:mm AM|PM (another locale's format?)", number, line
        )
    month, day, year, hour, minute = (int(part) for part in match.group(1, 2, 3, 4, 5))
    if not 1 <= hour <= 12:
        raise ParseError(_PACKAGES_TOOL, "Install Time has an hour outside 1-12", number, line)
    hour = hour % 12 + (12 if match.group(6) == "PM" else 0)
    try:
        return datetime.datetime(year, month, day, hour, minute)
    except ValueError:
        raise ParseError(_PACKAGES_TOOL, "Install Time is not a valid M/D/YYYY date", number, line) from None


def parse_dism_error(text: str) -> DismError | None:
    """The error in any dism output (``Error: <code>``, a blank line, the message), or None when the
    output ends in ``The operation completed successfully.``.

    Raises ParseError when it is neither (localized, such as ``Fehler: 87``, or cut off): output
    that is not understood is never taken for a success.
    """
    lines = split_lines(text)
    error = _find_error(lines)
    if error is not None:
        return error
    if _SUCCESS in (line.strip() for line in lines):
        return None
    problem = f"neither 'Error: <code>' nor '{_SUCCESS}'; {_LOCALIZED_HINT}"
    shown = [(number, line) for number, line in enumerate(lines, start=1) if line.strip()]
    if not shown:
        raise ParseError(_TOOL, f"{problem} (empty output)")
    raise ParseError(_TOOL, problem, *shown[-1])


def _find_error(lines: list[str]) -> DismError | None:
    for index, line in enumerate(lines):
        match = _ERROR.fullmatch(line.strip())
        if match:
            return _error(lines, index, match)
    return None


def _error(lines: list[str], index: int, match: re.Match[str]) -> DismError:
    """The error on ``lines[index]``: its message is the next run of non-blank lines."""
    code_text = match.group("code")
    code = int(code_text, 16) if code_text.lower().startswith("0x") else int(code_text)
    rest = [line.strip() for line in lines[index + 1 :]]
    message_lines: list[str] = []
    for text in rest:
        if _LOG.fullmatch(text) or (not text and message_lines):
            break
        if text:
            message_lines.append(text)
    if not message_lines:
        raise ParseError(_TOOL, f"'Error: {code_text}' without a message (cut off?)", index + 1, lines[index])
    log_path = next((log.group("path") for log in map(_LOG.fullmatch, rest) if log), None)
    return DismError(code=code, message=" ".join(message_lines), log_path=log_path)


_MOUNTED_TOOL = "dism /Get-MountedImageInfo"
_MOUNTED_LISTING = "Mounted images:"
_NO_MOUNTED = "No mounted images found."
_MOUNT_FIELDS = ("Mount Dir", "Image File", "Image Index", "Mounted Read/Write", "Status")
_MOUNT_FIELD = re.compile(r"(?P<label>[A-Za-z][A-Za-z /]*?) : (?P<value>.*)")


@dataclass(frozen=True)
class MountedImage:
    """One block of ``dism /Get-MountedImageInfo``: where it is mounted, from which image file and index, whether
    read/write, and its status (``Ok``, or ``Needs Remount``, ``Invalid``: DismMountStatus, Microsoft Learn)."""

    mount_dir: str
    image_file: str
    index: int
    read_write: bool
    status: str


def parse_dism_mounted_images(text: str) -> list[MountedImage]:
    """The mounted images in ``dism /English /Get-MountedImageInfo`` output (``[]`` when none).

    Raises ParseError when dism reported an error, and for output that is localized, cut off before ``The operation
    completed successfully.``, or has a block that is not the five labels in order.
    """
    lines = split_lines(text)
    error = _find_error(lines)
    if error is not None:
        raise ParseError(_MOUNTED_TOOL, f"dism reported {error}")
    numbered = [(number, line.strip()) for number, line in enumerate(lines, start=1) if line.strip()]
    position = _expect_banner(numbered, _MOUNTED_TOOL)
    if position >= len(numbered) or numbered[position][1] != _MOUNTED_LISTING:
        number, line = numbered[position] if position < len(numbered) else (None, None)
        raise ParseError(_MOUNTED_TOOL, f"expected '{_MOUNTED_LISTING}'; {_LOCALIZED_HINT}", number, line)
    position += 1
    if position < len(numbered) and numbered[position][1] == _NO_MOUNTED:
        position += 1  # the wording dism uses for an empty list: NOT FOUND IN SOURCES, accepted when it is there
    images = []
    while position < len(numbered) and numbered[position][1] != _SUCCESS:
        images.append(_mounted(numbered[position : position + len(_MOUNT_FIELDS)]))
        position += len(_MOUNT_FIELDS)
    if position >= len(numbered):
        raise ParseError(_MOUNTED_TOOL, f"no '{_SUCCESS}' line (cut off?)")
    return images


def _mounted(block: list[tuple[int, str]]) -> MountedImage:
    values = []
    for index, label in enumerate(_MOUNT_FIELDS):
        if index >= len(block):
            raise ParseError(_MOUNTED_TOOL, f"a mounted image is cut off before '{label}'", *block[-1])
        number, line = block[index]
        match = _MOUNT_FIELD.fullmatch(line)
        if not match or match.group("label") != label:
            raise ParseError(_MOUNTED_TOOL, f"expected '{label} : ...'; {_LOCALIZED_HINT}", number, line)
        values.append(match.group("value").strip())
    mount_dir, image_file, index, read_write, status = values
    if not index.isdigit() or read_write not in ("Yes", "No"):
        raise ParseError(_MOUNTED_TOOL, "Image Index is not a number or Mounted Read/Write not Yes/No", *block[2])
    return MountedImage(mount_dir, image_file, int(index), read_write == "Yes", status)
