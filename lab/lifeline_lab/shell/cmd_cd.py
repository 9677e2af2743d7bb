"""cmd.exe's CD/CHDIR and drive changes (`D:`): the process's current directory for the rest of the line.

"cd /?" (Microsoft Learn, "cd"): `CD` alone prints the current directory, `CD D:` prints D:'s, `CD /D path`
also changes the drive, `CD path` on another drive only changes that drive's directory. With command
extensions spaces do not end the path (`cd C:\\Program Files`) and "the current directory string is converted
to use the same case as the on disk names". ERRORLEVEL (Wine's cmd tests run on Windows,
programs/cmd/tests/test_builtins.cmd): CD sets 0 on success and 1 on failure; a successful drive change leaves
ERRORLEVEL alone, a failed one sets 1. Failure texts are the Win32 messages (ERROR_PATH_NOT_FOUND,
ERROR_DIRECTORY "The directory name is invalid.", ERROR_INVALID_DRIVE, FVE_E_LOCKED_VOLUME).
"""

from __future__ import annotations

from ..machine import errors
from ..machine.filesystem import Drives
from ..machine.paths import BadPath
from .cmd_paths import (
    DIRECTORY_NAME_INVALID,
    DRIVE_NOT_FOUND,
    FileShell,
    current_directory_of,
    drive_directories,
    error_text,
    full_path,
    machine_of,
    no_machine,
    normalise,
    set_current_directory,
)
from .cmd_syntax import DELIMITERS
from .context import ProcessContext

DRIVE_CHANGE = "<drive>"  # CMD_BUILTINS key for `D:`; never a prefix of a command (the parser cuts `<` out)


def is_drive_change(text: str) -> bool:
    """`D:` alone (or followed only by blanks) switches the current drive; `1:` is a drive that does not exist."""
    word = text.strip(DELIMITERS)
    return len(word) == 2 and word[1] == ":" and word[0] not in ':"'


def _usable_drive(drives: Drives, drive: str) -> str | None:
    """None when the drive can be entered, else the message (no such drive, or BitLocker-locked)."""
    if drive.upper() not in drives.letters:
        return DRIVE_NOT_FOUND
    try:
        drives.volume(drive)
    except errors.VolumeLocked as exc:
        return exc.message
    return None


async def change_drive(shell: FileShell, args: str, ctx: ProcessContext) -> int | None:
    machine = machine_of(ctx)
    if machine is None:
        return no_machine(ctx, args.strip(DELIMITERS))
    drive = args.strip(DELIMITERS)[:2].upper()
    problem = _usable_drive(machine.drives, drive)
    if problem:
        ctx.write_stderr(problem + "\r\n")
        return 1
    remembered = current_directory_of(shell, drive)
    node = machine.drives.find(remembered)
    set_current_directory(shell, ctx, remembered if node is not None and node.is_dir else drive + "\\")
    return None


async def cd(shell: FileShell, args: str, ctx: ProcessContext) -> int | None:
    """CD [/D] [drive:][path] | CD [..] | CD drive:"""
    text = args.strip(DELIMITERS)
    switch_drive = text[:2].lower() == "/d" and (len(text) == 2 or text[2] in DELIMITERS)
    if switch_drive:
        text = text[2:].strip(DELIMITERS)
    text = text.replace('"', "").rstrip(" \t")
    if not text:
        ctx.write_stdout(shell.ctx.working_directory + "\r\n")
        return 0
    machine = machine_of(ctx)
    if machine is None:
        return no_machine(ctx, "cd")
    drives: Drives = machine.drives
    if len(text) == 2 and text[1] == ":":
        problem = _usable_drive(drives, text)
        if problem:
            ctx.write_stderr(problem + "\r\n")
            return 1
        ctx.write_stdout(current_directory_of(shell, text) + "\r\n")
        return 0
    try:
        path = normalise(full_path(shell, ctx, text))
        problem = _usable_drive(drives, path[:2])
        if problem:
            ctx.write_stderr(problem + "\r\n")
            return 1
        node = drives.find(path)
        if node is None:
            raise errors.PathNotFound(path)
        if not node.is_dir:
            ctx.write_stderr(DIRECTORY_NAME_INVALID + "\r\n")
            return 1
        path = drives.canonical(path)
    except (errors.WindowsError_, BadPath) as exc:
        ctx.write_stderr(error_text(exc) + "\r\n")
        return 1
    if path[:2].upper() == shell.ctx.working_directory[:2].upper() or switch_drive:
        set_current_directory(shell, ctx, path)
    else:
        drive_directories(shell)[path[:2].upper()] = path
    return 0
