"""What cmd.exe's file built-ins share: their argument words, the current directory of each drive, paths with
wildcards resolved against them, and the text of each Win32 error.

Sources: "cmd /?" and "cd /?" (Microsoft Learn, "cd"): cmd keeps one current directory per drive, `D:` and
`cd /d` switch drives, `cd D:\\x` on another drive only sets that drive's directory; built-in arguments are
separated by spaces, tabs, commas, semicolons and equal signs, double quotes group them. Error texts are
FormatMessage's for the Win32 code (machine/errors.py).
"""

from __future__ import annotations

import ntpath
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from ..machine import errors
from ..machine.filesystem import Drives, Node, Volume
from ..machine.paths import BadPath, absolute, join, split_drive
from .cmd_syntax import DELIMITERS, INCORRECT_SYNTAX
from .context import ProcessContext, env_get
from .wildcards import has_wildcards, matches

SYNTAX_ERROR = INCORRECT_SYNTAX + "\r\n"
DIRECTORY_NAME_INVALID = "The directory name is invalid."  # ERROR_DIRECTORY (267)
DRIVE_NOT_FOUND = "The system cannot find the drive specified."  # ERROR_INVALID_DRIVE (15)


class FileShell(Protocol):
    """The cmd.exe process a built-in runs in: its ERRORLEVEL and its own context (current directory)."""

    errorlevel: int
    ctx: ProcessContext


@dataclass(frozen=True)
class Word:
    """One argument of a built-in: quotes removed; `quoted` when any part of it was in quotes."""

    text: str
    quoted: bool

    @property
    def is_switch(self) -> bool:
        return not self.quoted and self.text.startswith("/")


def split_words(args: str) -> list[Word]:
    """Split a built-in's argument text; `/a/b` stuck together gives two switches."""
    words: list[Word] = []
    current: list[str] = []
    quoted = in_quotes = False
    for char in args + " ":
        if char == '"':
            in_quotes = not in_quotes
            quoted = True
        elif not in_quotes and char in DELIMITERS:
            if current or quoted:
                words.append(Word("".join(current), quoted))
            current, quoted = [], False
        else:
            current.append(char)
    out: list[Word] = []
    for word in words:
        if word.is_switch and "/" in word.text[1:]:
            out.extend(Word("/" + part, False) for part in word.text[1:].split("/") if part)
        else:
            out.append(word)
    return out


def machine_of(ctx: ProcessContext):  # -> Machine | None (machine.Machine imports nothing from the shell)
    return ctx.machine


def no_machine(ctx: ProcessContext, command: str) -> int:
    """A process without a simulated machine behind it has no file system: say so instead of pretending."""
    ctx.write_stderr(f"The lab has no machine behind this process: {command.upper()} needs its file system.\r\n")
    return 1


# --- current directories ---------------------------------------------------------------------------------

_DRIVE_DIRECTORIES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def drive_directories(shell: FileShell) -> dict[str, str]:
    """The current directory cmd.exe remembers for each drive other than the current one."""
    return _DRIVE_DIRECTORIES.setdefault(shell, {})


def current_directory_of(shell: FileShell, drive: str) -> str:
    drive = drive.upper()
    cwd = shell.ctx.working_directory
    if cwd[:2].upper() == drive:
        return cwd
    return drive_directories(shell).get(drive, drive + "\\")


def set_current_directory(shell: FileShell, ctx: ProcessContext, path: str) -> None:
    """Make `path` the process's current directory (and remember the drive it leaves)."""
    old = shell.ctx.working_directory
    if old[:2].upper() != path[:2].upper():
        drive_directories(shell)[old[:2].upper()] = old
    shell.ctx.working_directory = path
    ctx.working_directory = path


def full_path(shell: FileShell, ctx: ProcessContext, typed: str) -> str:
    """An absolute path for what was typed, against the drive's current directory (GetFullPathName-like)."""
    path = typed.replace("/", "\\")
    if len(path) >= 2 and path[1] == ":" and (len(path) == 2 or path[2] != "\\"):
        base = current_directory_of(shell, path[:2])
        return base.rstrip("\\") + "\\" + path[2:]
    return absolute(path, ctx.working_directory)


def normalise(path: str) -> str:
    """Resolve `.` and `..` and check the characters; a last component with wildcards is kept as typed.
    A drive that is not a letter (`@:`) is a drive that does not exist: ERROR_PATH_NOT_FOUND (Wine's tests on
    Windows: `rmdir @:\\cba\\abc` fails with 3)."""
    if len(path) >= 2 and path[1] == ":" and not path[0].isalpha():
        raise errors.PathNotFound(path)
    parent, name = ntpath.split(path)
    if has_wildcards(name):
        drive, parts = split_drive(parent)
        if any(char in name for char in '<>:"|/\\') or name.strip(". ") == "":
            raise BadPath(path)
        return join(drive, parts).rstrip("\\") + "\\" + name
    drive, parts = split_drive(path)
    return join(drive, parts)


# --- errors -----------------------------------------------------------------------------------------------


def error_text(exc: Exception) -> str:
    """The one-line message cmd.exe prints for a failed file operation."""
    if isinstance(exc, BadPath):
        return errors.InvalidName.message
    if isinstance(exc, errors.WindowsError_):
        return exc.message
    raise exc


def error_code(exc: Exception) -> int:
    if isinstance(exc, BadPath):
        return errors.InvalidName.code
    return getattr(exc, "code", 1)


# --- listing ------------------------------------------------------------------------------------------------


@dataclass
class Target:
    """What a file argument names: a folder and the pattern of names in it (a name without wildcards is a
    pattern that matches itself)."""

    typed: str
    path: str  # the full path as cmd prints it in messages (wildcards kept)
    folder: str
    pattern: str
    folder_node: Node
    named_directory: bool  # the argument named an existing directory: its contents are meant


def target(drives: Drives, path: str, typed: str) -> Target:
    """Split a normalised path into folder + pattern the way DIR and DEL read their argument."""
    parent, name = ntpath.split(path)
    if not name:  # a root like C:\
        node = drives.get(path)
        return Target(typed, path, path, "*", node, True)
    if not has_wildcards(name):
        node = drives.find(path)
        if node is not None and node.is_dir:
            return Target(typed, path, path, "*", node, True)
    return Target(typed, path, parent, name, folder_at(drives, parent), False)


def folder_at(drives: Drives, path: str) -> Node:
    """The folder at `path`; a missing or non-folder component is ERROR_PATH_NOT_FOUND (VolumeLocked passes)."""
    try:
        node = drives.get(path)
    except errors.FileNotFound:
        raise errors.PathNotFound(path) from None
    if not node.is_dir:
        raise errors.PathNotFound(path)
    return node


def matching(folder: Node, pattern: str) -> list[Node]:
    return [node for node in folder.children.values() if matches(pattern, node.name)]


def ntfs_order(volume: Volume, nodes: list[Node]) -> list[Node]:
    """FindFirstFile order: NTFS keeps a folder's names sorted by their upper-case form; FAT keeps creation order."""
    if volume.filesystem.upper() == "NTFS":
        return sorted(nodes, key=lambda node: node.name.upper())
    return list(nodes)


def walk_folders(path: str, folder: Node, volume: Volume) -> Iterator[tuple[str, Node]]:
    """The folder and every folder under it, depth first in listing order (DIR /S, DEL /S)."""
    yield path, folder
    for child in ntfs_order(volume, [node for node in folder.children.values() if node.is_dir]):
        yield from walk_folders(path.rstrip("\\") + "\\" + child.name, child, volume)


def overwrite_allowed_by_default(ctx: ProcessContext) -> bool:
    """COPY and MOVE prompt before overwriting unless COPYCMD holds /Y (Microsoft Learn, "copy", "move")."""
    setting = (env_get(ctx.environment, "COPYCMD") or "").replace(" ", "").lower()
    return "/y" in setting and "/-y" not in setting


async def ask(ctx: ProcessContext, prompt: str) -> str:
    """Print a prompt and read one answer line from standard input ('' at end of input)."""
    ctx.write_stdout(prompt)
    line = await ctx.stdin.readline()
    ctx.write_stdout("\r\n")
    return line.decode("utf-8", errors="replace").strip()
