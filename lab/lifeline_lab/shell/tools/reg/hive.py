"""reg load and reg unload: mount a hive file under HKLM or HKU, and write it back and let it go.

MS Learn "reg load" / "reg unload": the key is HKLM\\<name> or HKU\\<name>; loading needs administrator
rights (every WinRM user of the lab is an administrator). The .hiv extension the docs ask for is not enforced:
Microsoft's own repairs load `...\\config\\SYSTEM` (windows-tools.md §1.1). Failures print `ERROR: <system
message>` and exit 1 (§1.4): a file held open (a live hive, or one loaded already) gives the sharing
violation, a key name in use gives access denied, unloading a key that is not a loaded hive gives "The
parameter is incorrect.", a BitLocker-locked volume gives BitLocker's own error. Success prints "The operation
completed successfully." (expected, NOT FOUND verbatim, §1.4).
"""

from __future__ import annotations

from ....machine import errors
from ....machine.paths import absolute
from ....machine.registry import Registry
from ...context import ProcessContext
from .common import (
    ACCESS_DENIED,
    SUCCESS,
    KeyName,
    RegFailure,
    invalid_key,
    invalid_syntax,
    parse_key,
    parse_switches,
    registry_of,
    system_error,
    write_lines,
)

LOADABLE_ROOTS = ("HKEY_LOCAL_MACHINE", "HKEY_USERS")
VIEW_FLAGS = frozenset({"reg:32", "reg:64"})
PARAMETER_INCORRECT = "ERROR: The parameter is incorrect."


def _hive_key(text: str, operation: str) -> KeyName:
    key_name = parse_key(text, operation)
    if key_name.root not in LOADABLE_ROOTS or len(key_name.parts) != 1:
        raise invalid_key(operation)  # only HKLM\<name> and HKU\<name> (MS Learn); exact text NOT FOUND
    return key_name


async def load(args: list[str], ctx: ProcessContext) -> int:
    if len(args) < 2 or args[0].startswith(("/", "-")) or args[1].startswith(("/", "-")):
        raise invalid_syntax("LOAD")
    key_name = _hive_key(args[0], "LOAD")
    parse_switches(args[2:], "LOAD", frozenset(), VIEW_FLAGS)
    registry = registry_of(ctx)
    path = absolute(args[1], ctx.working_directory)
    try:
        registry.load(key_name.root, key_name.parts[0], path)
    except errors.WindowsError_ as exc:
        raise system_error(exc) from None
    write_lines(ctx.write_stdout, SUCCESS)
    return 0


def _loaded_by_reg(registry: Registry, key_name: KeyName) -> bool:
    """Whether the key is a hive `reg load` mounted (the system's own hives are held by the System process)."""
    mount = registry.mounts.get((key_name.root, key_name.parts[0].lower()))
    if mount is None:
        raise RegFailure(PARAMETER_INCORRECT)
    node = registry.drives.find(mount.file_path) if mount.file_path else None
    return node is not None and node.in_use_by != "System"


async def unload(args: list[str], ctx: ProcessContext) -> int:
    if not args or args[0].startswith(("/", "-")):
        raise invalid_syntax("UNLOAD")
    key_name = parse_key(args[0], "UNLOAD")
    if key_name.root not in LOADABLE_ROOTS or not key_name.parts:
        raise invalid_key("UNLOAD")
    parse_switches(args[1:], "UNLOAD", frozenset(), VIEW_FLAGS)
    registry = registry_of(ctx)
    if len(key_name.parts) != 1:
        raise RegFailure(PARAMETER_INCORRECT)  # a key inside a hive is not a hive
    try:
        if not _loaded_by_reg(registry, key_name):
            raise RegFailure(ACCESS_DENIED)  # HKLM\SYSTEM and HKLM\SOFTWARE belong to the running system
        registry.unload(key_name.root, key_name.parts[0])
    except errors.WindowsError_ as exc:
        raise system_error(exc) from None
    write_lines(ctx.write_stdout, SUCCESS)
    return 0
