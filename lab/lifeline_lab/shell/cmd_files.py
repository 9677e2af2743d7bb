"""cmd.exe's file built-ins: DEL/ERASE, COPY, MOVE, REN/RENAME, MKDIR/MD, RMDIR/RD, TYPE.

Sources: Microsoft Learn ("del", "copy", "move", "mkdir", "rmdir", "rename", "type"); real transcripts in
windows-tools.md §6 (`        1 file(s) moved.`, `        1 file(s) copied.`, `Could Not Find <path>`,
`A subdirectory or file <typed> already exists.`, `Deleted file - <path>` for DEL /S,
`<folder>\\*, Are you sure (Y/N)? `, `Overwrite <path>? (Yes/No/All): `); ERRORLEVEL rules from
windows-tools.md §0.1 and Wine's cmd conformance tests run on Windows (programs/cmd/tests/test_builtins.cmd:
RD leaves ERRORLEVEL alone on success and sets the Win32 error on failure: 2, 3, 145, 267; DEL/ERASE always
clear it unless no name is given). Errors go to stderr, as `del x 2>nul` and `md x 2>nul` rely on.
NOT FOUND IN SOURCES and chosen as the closest documented behaviour: what a prompt does at end of input
(answers No), the layout of per-file DEL errors (the path, then the Win32 message, as `del` prints on a
console), the names COPY and MOVE list for a wildcard source (full paths), `1 dir(s) moved.` for a folder.
NOT simulated: COPY's `a+b` concatenation and /A, /P (prompt per file), REN with wildcards, TYPE of several files.
"""

from __future__ import annotations

import ntpath

from ..machine import errors
from ..machine.filesystem import Drives, Node
from ..machine.paths import BadPath
from .cmd_cd import DRIVE_CHANGE, cd, change_drive
from .cmd_dir import dir_, has_attributes
from .cmd_paths import (
    DIRECTORY_NAME_INVALID,
    SYNTAX_ERROR,
    FileShell,
    Target,
    ask,
    error_code,
    error_text,
    folder_at,
    full_path,
    machine_of,
    matching,
    no_machine,
    normalise,
    ntfs_order,
    overwrite_allowed_by_default,
    split_words,
    target,
    walk_folders,
)
from .context import ProcessContext
from .wildcards import has_wildcards

SHARING_VIOLATION = errors.SharingViolation.message


def _fail(ctx: ProcessContext, exc: Exception, code: int = 1) -> int:
    ctx.write_stderr(error_text(exc) + "\r\n")
    return code


# --- DEL / ERASE ------------------------------------------------------------------------------------------


async def del_(shell: FileShell, args: str, ctx: ProcessContext) -> int | None:
    """DEL [/P] [/F] [/S] [/Q] [/A[[:]attributes]] names: ERRORLEVEL 0 even when no file matched ("Could Not
    Find"); 1 without a name, or when a name's folder cannot be reached (Wine's tests on Windows:
    `erase i\\dont\\exist\\at\\all.txt` fails with 1, `erase *.idontexistatall` succeeds)."""
    machine = machine_of(ctx)
    if machine is None:
        return no_machine(ctx, "del")
    force = recurse = quiet = False
    attributes: str | None = None
    names: list[str] = []
    for word in split_words(args):
        if not word.is_switch:
            names.append(word.text)
            continue
        switch = word.text[1:].lower()
        if switch == "f":
            force = True
        elif switch == "s":
            recurse = True
        elif switch == "q":
            quiet = True
        elif switch == "p":
            ctx.write_stderr("The lab does not implement DEL /P (a prompt for every file).\r\n")
            return 1
        elif switch[:1] == "a" and all(c in "hsrail-" for c in switch[1:].lstrip(":")):
            attributes = switch[1:].lstrip(":")
        else:
            ctx.write_stderr(SYNTAX_ERROR)
            return 1
    if not names:
        ctx.write_stderr(SYNTAX_ERROR)
        return 1
    code = 0
    for typed in names:
        if not await _delete_name(shell, ctx, machine.drives, typed, force, recurse, quiet, attributes):
            code = 1
    return code


async def _delete_name(shell, ctx, drives: Drives, typed: str, force, recurse, quiet, attributes) -> bool:
    """Delete what one name matches; False when the name's folder could not be reached."""
    try:
        path = normalise(full_path(shell, ctx, typed))
        wanted = target(drives, path, typed)
        volume = drives.volume(path[:2])
    except (errors.WindowsError_, BadPath) as exc:
        _fail(ctx, exc)
        return False
    everything = wanted.named_directory or wanted.pattern in ("*", "*.*")
    if everything and not quiet:
        shown = wanted.path.rstrip("\\") + "\\*" if wanted.named_directory else wanted.path
        if not (await ask(ctx, f"{shown}, Are you sure (Y/N)? ")).lower().startswith("y"):
            return True
    # DEL leaves hidden and system files alone unless /A names them (Microsoft Learn, "del": /a).
    wanted_attributes = "-d" + (attributes if attributes else "") if attributes is not None else None
    folders = (
        walk_folders(wanted.folder, wanted.folder_node, volume) if recurse else [(wanted.folder, wanted.folder_node)]
    )
    found = False
    for folder_path, folder in list(folders):
        for node in ntfs_order(volume, matching(folder, wanted.pattern)):
            if node.is_dir or not has_attributes(node, wanted_attributes):
                continue
            found = True
            file_path = folder_path.rstrip("\\") + "\\" + node.name
            try:
                if "ReadOnly" in node.attributes and not force:
                    raise errors.AccessDenied(file_path)
                if node.in_use_by:
                    raise errors.SharingViolation(file_path)
                node.attributes.discard("ReadOnly")
                drives.delete(file_path)
            except errors.WindowsError_ as exc:
                ctx.write_stderr(f"{file_path}\r\n{error_text(exc)}\r\n")
                continue
            if recurse:
                ctx.write_stdout(f"Deleted file - {file_path}\r\n")
    if not found:
        ctx.write_stderr(f"Could Not Find {wanted.path}\r\n")
    return True


# --- COPY and MOVE ------------------------------------------------------------------------------------------


def _sources(drives: Drives, wanted: Target) -> list[tuple[str, Node]]:
    """The files a COPY or MOVE source names (a folder means the files in it; MOVE may also move the folder)."""
    folder = wanted.folder.rstrip("\\") + "\\"
    return [
        (folder + node.name, node)
        for node in ntfs_order(drives.volume(wanted.folder[:2]), matching(wanted.folder_node, wanted.pattern))
        if not node.is_dir and has_attributes(node, None)
    ]


def _overwrite_policy(ctx: ProcessContext, flags: dict[str, bool]) -> dict[str, bool]:
    """COPY's and MOVE's answer to "Overwrite?" so far: /Y or COPYCMD=/Y answer All up front, /-Y always asks.
    A dict because answering All at a prompt holds for the rest of the command."""
    return {"all": (overwrite_allowed_by_default(ctx) or flags.get("y", False)) and not flags.get("-y", False)}


def _files_done(ctx: ProcessContext, count: int, verb: str, failed: bool) -> int:
    """COPY's and MOVE's closing line ("        2 file(s) copied.") and their ERRORLEVEL."""
    ctx.write_stdout(f"{count:>9} file(s) {verb}.\r\n")
    return 1 if failed else 0


async def _may_overwrite(ctx: ProcessContext, destination: str, policy: dict[str, bool]) -> bool:
    if policy["all"]:
        return True
    answer = (await ask(ctx, f"Overwrite {destination}? (Yes/No/All): ")).lower()
    if answer in ("a", "all"):
        policy["all"] = True
        return True
    return answer in ("y", "yes")


def _switches(words, allowed: dict[str, str]) -> tuple[dict[str, bool], list[str]] | None:
    flags: dict[str, bool] = {}
    names: list[str] = []
    for word in words:
        if not word.is_switch:
            names.append(word.text)
            continue
        key = allowed.get(word.text[1:].lower())
        if key is None:
            return None
        flags[key] = True
    return flags, names


def _check_new_destination(drives: Drives, typed: str, destination: str) -> None:
    """A destination that does not exist yet names a new file: its folder must exist, and a name typed with a
    trailing backslash is a folder that is missing (ERROR_PATH_NOT_FOUND)."""
    if typed.rstrip().endswith(("\\", "/")):
        raise errors.PathNotFound(destination)
    folder_at(drives, ntpath.dirname(destination))


def _destination(drives: Drives, destination: str, name: str) -> str:
    node = drives.find(destination)
    if node is not None and node.is_dir:
        return destination.rstrip("\\") + "\\" + name
    return destination


async def copy(shell: FileShell, args: str, ctx: ProcessContext) -> int | None:
    """COPY [/Y | /-Y] [/V] [/B] [/D] [/Z] [/N] source [destination]."""
    machine = machine_of(ctx)
    if machine is None:
        return no_machine(ctx, "copy")
    if "+" in args:
        ctx.write_stderr("The lab does not implement COPY's a+b concatenation.\r\n")
        return 1
    accepted = {"y": "y", "-y": "-y", "v": "", "b": "", "d": "", "z": "", "n": "", "l": ""}
    parsed = _switches(split_words(args), accepted)
    if parsed is None or not 1 <= len(parsed[1]) <= 2:
        ctx.write_stderr(SYNTAX_ERROR)
        return 1
    flags, names = parsed
    drives: Drives = machine.drives
    policy = _overwrite_policy(ctx, flags)
    try:
        source_path = normalise(full_path(shell, ctx, names[0]))
        wanted = target(drives, source_path, names[0])
        sources = _sources(drives, wanted)
        if not sources:
            raise errors.FileNotFound(source_path)
        destination = normalise(full_path(shell, ctx, names[1] if len(names) > 1 else "."))
        dest_node = drives.find(destination)
        if len(sources) > 1 and (dest_node is None or not dest_node.is_dir):
            ctx.write_stderr("The lab does not implement COPY of several files into one (concatenation).\r\n")
            return 1
        if dest_node is None:
            _check_new_destination(drives, names[1] if len(names) > 1 else ".", destination)
    except (errors.WindowsError_, BadPath) as exc:
        ctx.write_stderr(error_text(exc) + "\r\n")
        return _files_done(ctx, 0, "copied", failed=True)
    listed = wanted.named_directory or has_wildcards(wanted.pattern)
    copied, failed = 0, False
    for path, node in sources:
        target_path = _destination(drives, destination, node.name)
        if listed:
            ctx.write_stdout(path + "\r\n")
        if target_path.lower() == path.lower():
            ctx.write_stderr("The file cannot be copied onto itself.\r\n")
            failed = True
            continue
        if drives.find(target_path) is not None and not await _may_overwrite(ctx, target_path, policy):
            failed = True  # not overwritten: COPY fails (Wine's tests on Windows: `copy a b /-Y <NUL` gives 1)
            continue
        try:
            drives.copy(path, target_path)
        except (errors.WindowsError_, BadPath) as exc:
            failed = True
            ctx.write_stderr(error_text(exc) + "\r\n")
            continue
        copied += 1
    return _files_done(ctx, copied, "copied", failed)


async def move(shell: FileShell, args: str, ctx: ProcessContext) -> int | None:
    """MOVE [/Y | /-Y] source destination: files (wildcards allowed) or one folder."""
    machine = machine_of(ctx)
    if machine is None:
        return no_machine(ctx, "move")
    parsed = _switches(split_words(args), {"y": "y", "-y": "-y"})
    if parsed is None or len(parsed[1]) != 2:
        ctx.write_stderr(SYNTAX_ERROR)
        return 1
    flags, names = parsed
    drives: Drives = machine.drives
    policy = _overwrite_policy(ctx, flags)
    try:
        source_path = normalise(full_path(shell, ctx, names[0]))
        destination = normalise(full_path(shell, ctx, names[1]))
        source_node = None if has_wildcards(ntpath.basename(source_path)) else drives.find(source_path)
        if source_node is not None and source_node.is_dir:
            return _move_folder(ctx, drives, source_path, source_node, destination)
        wanted = target(drives, source_path, names[0])
        sources = _sources(drives, wanted)
        if not sources:
            raise errors.FileNotFound(source_path)
        dest_node = drives.find(destination)
        if dest_node is None:
            _check_new_destination(drives, names[1], destination)
            if len(sources) > 1:
                raise errors.AccessDenied(destination)  # several files onto one name: MoveFile refuses the second
    except (errors.WindowsError_, BadPath) as exc:
        return _fail(ctx, exc)
    listed = has_wildcards(wanted.pattern)
    moved, failed = 0, False
    for path, node in sources:
        target_path = _destination(drives, destination, node.name)
        if listed:
            ctx.write_stdout(path + "\r\n")
        existing = drives.find(target_path)
        try:
            if existing is not None and target_path.lower() != path.lower():
                if existing.is_dir:
                    raise errors.AccessDenied(target_path)
                if not await _may_overwrite(ctx, target_path, policy):
                    failed = True  # not overwritten: MOVE fails (`move c b /-Y <NUL` gives 1 on Windows)
                    continue
                if node.in_use_by:
                    raise errors.SharingViolation(path)
                drives.delete(target_path)
            drives.move(path, target_path)
        except (errors.WindowsError_, BadPath) as exc:
            failed = True
            ctx.write_stderr(error_text(exc) + "\r\n")
            continue
        moved += 1
    return _files_done(ctx, moved, "moved", failed)


def _move_folder(ctx: ProcessContext, drives: Drives, source: str, node: Node, destination: str) -> int:
    target_path = _destination(drives, destination, node.name)
    try:
        if drives.find(target_path) is not None:
            raise errors.AccessDenied(target_path)
        folder_at(drives, ntpath.dirname(target_path))
        if drives.volume(source[:2]) is not drives.volume(target_path[:2]):
            raise errors.NotSameDevice(target_path)  # MoveFile cannot move a folder to another volume
        drives.move(source, target_path)
    except (errors.WindowsError_, BadPath) as exc:
        return _fail(ctx, exc)
    ctx.write_stdout("        1 dir(s) moved.\r\n")
    return 0


# --- REN / RENAME -------------------------------------------------------------------------------------------

DUPLICATE_NAME = "A duplicate file name exists, or the file cannot be found."  # ERROR_DUP_NAME (52)


async def ren(shell: FileShell, args: str, ctx: ProcessContext) -> int | None:
    """REN [drive:][path]name newname: the new name cannot have a drive or a path (Microsoft Learn, "rename")."""
    machine = machine_of(ctx)
    if machine is None:
        return no_machine(ctx, "ren")
    words = split_words(args)
    if len(words) != 2 or any(word.is_switch for word in words) or any(c in words[1].text for c in "\\:/"):
        ctx.write_stderr(SYNTAX_ERROR)
        return 1
    if has_wildcards(words[0].text) or has_wildcards(words[1].text):
        ctx.write_stderr("The lab does not implement REN with wildcards.\r\n")
        return 1
    drives: Drives = machine.drives
    try:
        source = normalise(full_path(shell, ctx, words[0].text))
        drives.get(source)
        renamed = normalise(ntpath.join(ntpath.dirname(source), words[1].text))
        if drives.find(renamed) is not None and renamed.lower() != source.lower():
            ctx.write_stderr(DUPLICATE_NAME + "\r\n")
            return 1
        if renamed.lower() == source.lower():
            _rename_case(drives, source, renamed)
        else:
            drives.move(source, renamed)
    except (errors.WindowsError_, BadPath) as exc:
        return _fail(ctx, exc)
    return 0


def _rename_case(drives: Drives, source: str, renamed: str) -> None:
    """REN a.txt A.TXT changes only the stored case of the name."""
    node = drives.get(source)
    if node.in_use_by:
        raise errors.SharingViolation(source)
    node.name = ntpath.basename(renamed)


# --- MKDIR / MD and RMDIR / RD ------------------------------------------------------------------------------


async def mkdir(shell: FileShell, args: str, ctx: ProcessContext) -> int | None:
    """MKDIR path...: creates intermediate folders (command extensions); ERRORLEVEL 1 when one fails."""
    machine = machine_of(ctx)
    if machine is None:
        return no_machine(ctx, "mkdir")
    words = split_words(args)
    if not words:
        ctx.write_stderr(SYNTAX_ERROR)
        return 1
    drives: Drives = machine.drives
    code = 0
    for word in words:
        try:
            path = normalise(full_path(shell, ctx, word.text))
            if drives.find(path) is not None:
                ctx.write_stderr(f"A subdirectory or file {word.text} already exists.\r\n")
                code = 1
                continue
            drives.mkdir(path, parents=True)
        except (errors.WindowsError_, BadPath) as exc:
            code = _fail(ctx, exc)
    return code


async def rmdir(shell: FileShell, args: str, ctx: ProcessContext) -> int | None:
    """RMDIR [/S] [/Q] path...: ERRORLEVEL unchanged on success, the Win32 error code on failure."""
    machine = machine_of(ctx)
    if machine is None:
        return no_machine(ctx, "rmdir")
    recurse = quiet = False
    names: list[str] = []
    for word in split_words(args):
        if not word.is_switch:
            names.append(word.text)
        elif word.text.lower() == "/s":
            recurse = True
        elif word.text.lower() == "/q":
            quiet = True
        else:
            ctx.write_stderr(SYNTAX_ERROR)
            return 1
    if not names:
        ctx.write_stderr(SYNTAX_ERROR)
        return 1
    drives: Drives = machine.drives
    code: int | None = None
    for typed in names:
        try:
            path = normalise(full_path(shell, ctx, typed))
            node = drives.get(path)
            if not node.is_dir:
                ctx.write_stderr(DIRECTORY_NAME_INVALID + "\r\n")
                code = 267
                continue
            cwd = shell.ctx.working_directory.lower().rstrip("\\") + "\\"
            if cwd.startswith(path.lower().rstrip("\\") + "\\"):
                raise errors.SharingViolation(path)  # the process's current directory is held open
            if recurse and not quiet and not (await ask(ctx, f"{typed}, Are you sure (Y/N)? ")).lower().startswith("y"):
                continue
            _check_removable(node, path, recurse)
            drives.delete(path, recurse=recurse)
        except (errors.WindowsError_, BadPath) as exc:
            code = _fail(ctx, exc, error_code(exc))
    return code


def _check_removable(node: Node, path: str, recurse: bool) -> None:
    """Validate before deleting, so that a failing RD /S removes nothing."""
    if node.children and not recurse:
        raise errors.DirectoryNotEmpty(path)
    for _, child in node.walk(""):
        if child.in_use_by:
            raise errors.SharingViolation(path)
        if "ReadOnly" in child.attributes:
            raise errors.AccessDenied(path)


# --- TYPE ---------------------------------------------------------------------------------------------------


def decode_for_console(data: bytes) -> str:
    """TYPE writes a file's bytes; a UTF-16 file (byte order mark) is converted to text first."""
    if data.startswith(b"\xff\xfe"):
        return data[2:].decode("utf-16-le", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp437")  # every byte maps to one character and back in the console code page


async def type_(shell: FileShell, args: str, ctx: ProcessContext) -> int | None:
    """TYPE [drive:][path]filename: the file's content; ERRORLEVEL 0 on success, 1 on failure."""
    words = split_words(args)
    if not words:
        ctx.write_stderr(SYNTAX_ERROR)
        return 1
    files = [word.text for word in words if word.text.lower().rstrip(":") != "nul"]
    if not files:
        return 0
    machine = machine_of(ctx)
    if machine is None:
        ctx.write_stderr(errors.FileNotFound.message + "\r\n")  # a process without a machine has no files
        return 1
    if len(files) > 1 or has_wildcards(files[0]):
        ctx.write_stderr("The lab does not implement TYPE of several files.\r\n")
        return 1
    try:
        node = machine.drives.get(normalise(full_path(shell, ctx, files[0])))
        if node.is_dir:
            raise errors.AccessDenied(files[0])
        if node.in_use_by:
            raise errors.SharingViolation(files[0])
    except (errors.WindowsError_, BadPath) as exc:
        return _fail(ctx, exc)
    ctx.write_stdout(decode_for_console(node.data))
    return 0


# The file built-ins by name, merged into cmd_builtins.CMD_BUILTINS.
FILE_BUILTINS = {
    "cd": cd,
    "chdir": cd,
    "copy": copy,
    "del": del_,
    "dir": dir_,
    DRIVE_CHANGE: change_drive,
    "erase": del_,
    "md": mkdir,
    "mkdir": mkdir,
    "move": move,
    "rd": rmdir,
    "ren": ren,
    "rename": ren,
    "rmdir": rmdir,
    "type": type_,
}
