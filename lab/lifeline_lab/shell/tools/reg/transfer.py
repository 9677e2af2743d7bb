"""reg export and reg import: a key and its subtree to a .reg file, and a .reg file into the registry.

MS Learn "reg export" / "reg import"; format in regfile.py. Relative file names resolve against the process's
current directory. Sources for the behaviour (windows-tools.md §1.1, §1.6 and the issues cited):
- export: `/y` must come after the file name; a missing key exits 1; an existing file is overwritten only
  with /y (non-interactive: exit 1; the text of reg's overwrite prompt is NOT FOUND IN SOURCES, so the lab
  says it does not implement it); the .reg extension is not required.
- import: reg writes its success message to STDERR (MicrosoftDocs/windowsserverdocs#2060, confirmed on
  Windows 10 1809, 1903, 20H2); a file it cannot open gives `ERROR: Error opening the file. There may be a
  disk or file system error.`, a failed import `ERROR: Error accessing the registry.` (messages matched by the
  `regedit` npm wrapper of reg.exe). The lab checks the whole script before changing anything.
"""

from __future__ import annotations

from ....machine import errors
from ....machine.paths import absolute
from ....machine.registry import Registry
from ...context import ProcessContext
from . import regfile
from .common import (
    NOT_FOUND,
    SUCCESS,
    KeyName,
    RegFailure,
    flush,
    has_mount,
    invalid_syntax,
    lab_limit,
    open_key,
    parse_key,
    parse_switches,
    registry_of,
    system_error,
    write_lines,
)

VIEW_FLAGS = frozenset({"reg:32", "reg:64"})
OPEN_FAILED = "ERROR: Error opening the file. There may be a disk or file system error."
IMPORT_FAILED = "ERROR: Error accessing the registry."


async def export(args: list[str], ctx: ProcessContext) -> int:
    if len(args) < 2 or args[0].startswith(("/", "-")) or args[1].startswith(("/", "-")):
        raise invalid_syntax("EXPORT")
    key_name = parse_key(args[0], "EXPORT")
    switches = parse_switches(args[2:], "EXPORT", frozenset(), VIEW_FLAGS | {"y"})
    registry = registry_of(ctx)
    key = open_key(registry, key_name)
    if key is None:
        raise RegFailure(NOT_FOUND)
    path = absolute(args[1], ctx.working_directory)
    drives = registry.drives
    try:
        if drives.find(path) is not None and "y" not in switches:
            raise lab_limit("reg export's interactive overwrite prompt: add /y to overwrite")
        drives.write(path, regfile.render(key, key_name.display))
    except errors.WindowsError_ as exc:
        raise system_error(exc) from None
    write_lines(ctx.write_stdout, SUCCESS)
    return 0


async def import_(args: list[str], ctx: ProcessContext) -> int:
    if not args or args[0].startswith(("/", "-")):
        raise invalid_syntax("IMPORT")
    parse_switches(args[1:], "IMPORT", frozenset(), VIEW_FLAGS)
    registry = registry_of(ctx)
    try:
        raw = registry.drives.read(absolute(args[0], ctx.working_directory))
    except errors.WindowsError_:
        raise RegFailure(OPEN_FAILED) from None
    try:
        script = regfile.parse(raw)
    except regfile.NotARegistryScript:
        # What reg prints for a file without a registry header is NOT FOUND IN SOURCES (it exits 1, Wine's tests
        # on Windows); the lab uses reg import's observed failure message.
        raise RegFailure(IMPORT_FAILED) from None
    if script is not None:
        if script.unsupported_types:
            raise lab_limit(f"registry value type hex({script.unsupported_types[0]:x})")
        targets = [(section, _section_key(section.path)) for section in script.sections]
        if any(_unwritable(registry, section, target) for section, target in targets):
            raise RegFailure(IMPORT_FAILED)
        for section, target in targets:
            _apply(registry, section, target)  # type: ignore[arg-type]
        flush(registry)
    write_lines(ctx.write_stderr, SUCCESS)
    return 0


def _section_key(text: str) -> KeyName | None:
    try:
        key_name = parse_key(text, "IMPORT")
    except RegFailure:
        return None
    return key_name if key_name.parts else None


def _unwritable(registry: Registry, section: regfile.Section, key_name: KeyName | None) -> bool:
    """A key outside every mounted hive cannot be written, nor a hive's own root deleted."""
    if key_name is None or not has_mount(registry, key_name):
        return True
    return section.delete and len(key_name.parts) == 1


def _apply(registry: Registry, section: regfile.Section, key_name: KeyName) -> None:
    if section.delete:
        try:
            registry.delete_key(key_name.display)
        except errors.FileNotFound:
            pass  # deleting a key that is not there is not an error for regedit
        return
    key = registry.create(key_name.display)
    for name, value in section.values:
        if value is None:
            if key.get(name) is not None:
                key.delete_value(name)
        else:
            key.set(name, value.type, value.data)
