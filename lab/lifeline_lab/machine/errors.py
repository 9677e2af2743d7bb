"""Win32 errors the simulated machine raises; tools turn them into each tool's own message and exit code.

Messages are FormatMessage's text for the code (Microsoft Learn, "System Error Codes").
"""

from __future__ import annotations


class WindowsError_(Exception):
    code = 0
    message = ""

    def __init__(self, path: str = "", detail: str = "") -> None:
        super().__init__(detail or self.message)
        self.path = path


class FileNotFound(WindowsError_):
    code = 2
    message = "The system cannot find the file specified."


class PathNotFound(WindowsError_):
    code = 3
    message = "The system cannot find the path specified."


class AccessDenied(WindowsError_):
    code = 5
    message = "Access is denied."


class SharingViolation(WindowsError_):
    code = 32
    message = "The process cannot access the file because it is being used by another process."


class AlreadyExists(WindowsError_):
    code = 183
    message = "Cannot create a file when that file already exists."


class DirectoryNotEmpty(WindowsError_):
    code = 145
    message = "The directory is not empty."


class InvalidName(WindowsError_):
    code = 123
    message = "The filename, directory name, or volume label syntax is incorrect."


class NotSameDevice(WindowsError_):
    code = 17
    message = "The system cannot move the file to a different disk drive."


class VolumeLocked(WindowsError_):
    # FVE_E_LOCKED_VOLUME (0x80310000), BitLocker's error for any access to a locked volume.
    code = 0x80310000
    message = "This drive is locked by BitLocker Drive Encryption. You must unlock this drive from Control Panel."
