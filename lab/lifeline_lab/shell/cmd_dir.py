"""cmd.exe's DIR: the volume header, one line per entry, the summary lines; /B, /S, /A, /O, /T, /L, /-C.

Layout from real en-US output (windows-tools.md §6.1): ` Volume in drive C has no label.` or
` Volume in drive D is LABEL`, ` Volume Serial Number is XXXX-XXXX`, a blank line, ` Directory of <path>`, a
blank line; entries as `MM/dd/yyyy  hh:mm AM` + an 18-character field (`    <DIR>         ` or the size
right-aligned with thousands separators) + a space + the name; `%16d File(s) %14s bytes` and
`%16d Dir(s)  %14s bytes free`. `.` and `..` come first in a folder that is not a root and count as Dir(s).
DIR /S (real transcripts): a ` Directory of` block for each folder with matches, each ending with its File(s)
line and a blank line, then `     Total Files Listed:` with the totals. /B prints names, /S /B full paths.
Options from Microsoft Learn, "dir". "File Not Found" goes to stderr (`dir x 2>nul` silences it) and DIR sets
ERRORLEVEL 1 on failure, 0 on success (windows-tools.md §0.1).
NOT simulated: /W, /D, /Q, /X (wide, owner and short-name layouts; the lab has no 8.3 names), /P (paging),
the last-access time (/T:A shows the last-write time) and more than one path argument.
"""

from __future__ import annotations

import datetime as dt
import ntpath
from dataclasses import dataclass, field

from ..machine import errors
from ..machine.filesystem import Drives, Node, Volume
from ..machine.paths import BadPath
from .cmd_paths import (
    SYNTAX_ERROR,
    FileShell,
    error_text,
    full_path,
    machine_of,
    matching,
    no_machine,
    normalise,
    ntfs_order,
    split_words,
    target,
    walk_folders,
)
from .context import ProcessContext
from .wildcards import matches

FILE_NOT_FOUND = "File Not Found\r\n"
DIR_FIELD = "    <DIR>         "


@dataclass
class Options:
    bare: bool = False
    recurse: bool = False
    lowercase: bool = False
    separators: bool = True
    attributes: str | None = None  # None: all but hidden and system; "" (/A alone): everything
    order: str | None = None  # None: the file system's order
    time_field: str = "w"


@dataclass
class Totals:
    files: int = 0
    dirs: int = 0
    bytes: int = 0
    blocks: list[str] = field(default_factory=list)


def parse(args: str) -> tuple[Options, list[str]] | str:
    """Options and path arguments, or the text of a syntax error."""
    options = Options()
    paths: list[str] = []
    for word in split_words(args):
        if not word.is_switch:
            paths.append(word.text)
            continue
        switch = word.text[1:].lower()
        negate = switch.startswith("-")
        switch = switch.lstrip("-")
        if not switch:
            return SYNTAX_ERROR
        letter, value = switch[0], switch[1:].lstrip(":")
        if letter == "b" and not value:
            options.bare = not negate
        elif letter == "s" and not value:
            options.recurse = not negate
        elif letter == "l" and not value:
            options.lowercase = not negate
        elif letter == "c" and not value:
            options.separators = not negate
        elif letter == "a" and all(c in "dhsrali-" for c in value):
            options.attributes = None if negate else value
        elif letter == "o" and all(c in "negsd-" for c in value):
            options.order = None if negate else (value or "gn")
        elif letter == "t" and value in ("", "c", "a", "w"):
            options.time_field = value or "w"
        elif letter in ("p", "n", "4") and not value:
            pass  # paging, long-list and four-digit-year switches do not change the lab's output
        elif letter in ("w", "d", "q", "x") and not value:
            return f"The lab does not implement DIR /{letter.upper()}.\r\n"
        else:
            return SYNTAX_ERROR
    return options, paths


def has_attributes(node: Node, wanted: str | None) -> bool:
    """DIR /A: letters that must be set, `-x` that must be clear; without /A hidden and system files are left out."""
    if wanted is None:
        return not ({"Hidden", "System"} & node.attributes)
    flags = {
        "d": node.is_dir,
        "h": "Hidden" in node.attributes,
        "s": "System" in node.attributes,
        "r": "ReadOnly" in node.attributes,
        "a": not node.is_dir,  # Windows sets Archive on every file it writes
        "l": False,  # reparse points: the lab has none
        "i": False,  # not content indexed
    }
    negate = False
    for char in wanted:
        if char == "-":
            negate = True
            continue
        if flags[char] == negate:
            return False
        negate = False
    return True


def stamp(node: Node, options: Options) -> dt.datetime:
    return node.created if options.time_field == "c" else node.modified


def sort_entries(entries: list[tuple[str, Node]], order: str) -> list[tuple[str, Node]]:
    """DIR /O: keys applied in the order given, `-` reverses one (Microsoft Learn, "dir")."""
    keys: list[tuple[str, bool]] = []
    reverse = False
    for char in order:
        if char == "-":
            reverse = True
            continue
        keys.append((char, reverse))
        reverse = False
    for key, reverse in reversed(keys):
        if key == "n":
            entries.sort(key=lambda item: item[0].upper(), reverse=reverse)
        elif key == "e":
            entries.sort(key=lambda item: ntpath.splitext(item[0])[1].upper(), reverse=reverse)
        elif key == "g":
            entries.sort(key=lambda item: not item[1].is_dir, reverse=reverse)
        elif key == "s":
            entries.sort(key=lambda item: item[1].size if not item[1].is_dir else 0, reverse=reverse)
        elif key == "d":
            entries.sort(key=lambda item: item[1].modified, reverse=reverse)
    return entries


def number(value: int, options: Options) -> str:
    return f"{value:,}" if options.separators else str(value)


def entry_line(name: str, node: Node, options: Options) -> str:
    when = stamp(node, options).strftime("%m/%d/%Y  %I:%M %p")
    size = DIR_FIELD if node.is_dir else f"{number(node.size, options):>18}"
    return f"{when}{size} {name.lower() if options.lowercase else name}\r\n"


def files_line(files: int, total: int, options: Options) -> str:
    return f"{files:>16} File(s) {number(total, options):>14} bytes\r\n"


def dirs_line(dirs: int, free: int, options: Options) -> str:
    return f"{dirs:>16} Dir(s)  {number(free, options):>14} bytes free\r\n"


def header(drives: Drives, path: str) -> str:
    volume = drives.volume(path[:2])
    drive = path[0].upper()
    label = f" Volume in drive {drive} is {volume.label}" if volume.label else f" Volume in drive {drive} has no label."
    serial = f"{(volume.serial >> 16) & 0xFFFF:04X}-{volume.serial & 0xFFFF:04X}"
    return f"{label}\r\n Volume Serial Number is {serial}\r\n\r\n"


def listed(folder: Node, parent: Node | None, pattern: str, options: Options, volume: Volume):
    """The (name, node) pairs DIR shows for one folder, in display order."""
    nodes = [node for node in matching(folder, pattern) if has_attributes(node, options.attributes)]
    entries = [(node.name, node) for node in ntfs_order(volume, nodes)]
    dots: list[tuple[str, Node]] = []
    if parent is not None and not options.bare:
        for name, node in ((".", folder), ("..", parent)):
            if matches(pattern, name) and has_attributes(node, options.attributes):
                dots.append((name, node))
    if options.order:
        return sort_entries(dots + entries, options.order)
    return dots + entries


def parent_of(drives: Drives, path: str) -> Node | None:
    """The parent folder of a non-root folder (what `..` shows), None for a root."""
    head, name = ntpath.split(path.rstrip("\\"))
    return drives.find(head) if name else None


async def dir_(shell: FileShell, args: str, ctx: ProcessContext) -> int | None:
    """DIR [path] [/A[:attrs]] [/B] [/L] [/O[:order]] [/S] [/T[:field]] [/-C]."""
    machine = machine_of(ctx)
    if machine is None:
        return no_machine(ctx, "dir")
    parsed = parse(args)
    if isinstance(parsed, str):
        ctx.write_stderr(parsed)
        return 1
    options, paths = parsed
    if len(paths) > 1:
        ctx.write_stderr("The lab does not implement DIR with more than one path argument.\r\n")
        return 1
    drives: Drives = machine.drives
    typed = paths[0] if paths else "."
    head = ""
    try:
        path = normalise(full_path(shell, ctx, typed))
        volume = drives.volume(path[:2])
        head = "" if options.bare else header(drives, path)
        wanted = target(drives, path, typed)
    except (errors.WindowsError_, BadPath) as exc:
        ctx.write_stdout(head)
        ctx.write_stderr(error_text(exc) + "\r\n")
        return 1
    if options.recurse:
        return _recursive(ctx, drives, volume, wanted.folder, wanted.folder_node, wanted.pattern, options, head)
    parent = parent_of(drives, wanted.folder)
    entries = listed(wanted.folder_node, parent, wanted.pattern, options, volume)
    if options.bare:
        if not entries:
            ctx.write_stderr(FILE_NOT_FOUND)
            return 1
        ctx.write_stdout("".join(f"{name.lower() if options.lowercase else name}\r\n" for name, _ in entries))
        return 0
    ctx.write_stdout(f"{head} Directory of {drives.canonical(wanted.folder)}\r\n\r\n")
    if not entries:
        ctx.write_stderr(FILE_NOT_FOUND)
        return 1
    files = [node for _, node in entries if not node.is_dir]
    text = "".join(entry_line(name, node, options) for name, node in entries)
    text += files_line(len(files), sum(node.size for node in files), options)
    text += dirs_line(len(entries) - len(files), volume.free_bytes(), options)
    ctx.write_stdout(text)
    return 0


def _recursive(
    ctx: ProcessContext,
    drives: Drives,
    volume: Volume,
    start: str,
    folder: Node,
    pattern: str,
    options: Options,
    head: str,
):
    """DIR /S and DIR /S /B: every folder under `start` with entries matching the pattern."""
    start = drives.canonical(start)
    totals = Totals()
    out: list[str] = [head]
    for folder_path, node in walk_folders(start, folder, volume):
        entries = listed(node, parent_of(drives, folder_path), pattern, options, volume)
        if not entries:
            continue
        files = [entry for _, entry in entries if not entry.is_dir]
        totals.files += len(files)
        totals.dirs += len(entries) - len(files)
        totals.bytes += sum(entry.size for entry in files)
        if options.bare:
            prefix = folder_path.rstrip("\\") + "\\"
            out.extend(f"{prefix}{name.lower() if options.lowercase else name}\r\n" for name, _ in entries)
            continue
        out.append(f" Directory of {folder_path}\r\n\r\n")
        out.extend(entry_line(name, entry, options) for name, entry in entries)
        out.append(files_line(len(files), sum(entry.size for entry in files), options) + "\r\n")
    if totals.files == 0 and totals.dirs == 0:
        ctx.write_stdout(head)
        ctx.write_stderr(FILE_NOT_FOUND)
        return 1
    if not options.bare:
        out.append("     Total Files Listed:\r\n")
        out.append(files_line(totals.files, totals.bytes, options))
        out.append(dirs_line(totals.dirs, volume.free_bytes(), options))
    ctx.write_stdout("".join(out))
    return 0
