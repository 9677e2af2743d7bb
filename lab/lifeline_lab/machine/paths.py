"""Windows paths as the file system sees them: drive letter, backslashes, case-insensitive names."""

from __future__ import annotations

import ntpath


class BadPath(ValueError):
    """Not a path this machine can resolve (no drive, bad characters)."""


INVALID_NAME_CHARACTERS = set('<>:"|?*') | {chr(code) for code in range(32)}


def split_drive(path: str) -> tuple[str, list[str]]:
    """('C:', ['Windows', 'System32']) for C:\\Windows\\System32; '.' and '..' are resolved."""
    path = path.replace("/", "\\")
    drive, rest = ntpath.splitdrive(path)
    if len(drive) != 2 or not drive[0].isalpha():
        raise BadPath(f"not an absolute path with a drive letter: {path}")
    parts: list[str] = []
    for part in rest.split("\\"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        # Windows strips trailing dots and spaces from a path component (Win32 path normalisation).
        part = part.rstrip(". ")
        if not part or INVALID_NAME_CHARACTERS & set(part):
            raise BadPath(f"the filename, directory name, or volume label syntax is incorrect: {path}")
        parts.append(part)
    return drive.upper(), parts


def join(drive: str, parts: list[str]) -> str:
    return drive + "\\" + "\\".join(parts)


def absolute(path: str, current_directory: str) -> str:
    """Resolve `path` against a current directory as cmd.exe and PowerShell do for file system paths."""
    path = path.replace("/", "\\")
    if len(path) >= 2 and path[1] == ":":
        if len(path) == 2 or path[2] != "\\":
            # "D:foo" is relative to D:'s current directory; the lab keeps one per process: the root.
            return path[:2] + "\\" + path[2:]
        return path
    if path.startswith("\\"):
        return current_directory[:2] + path
    return current_directory.rstrip("\\") + "\\" + path
