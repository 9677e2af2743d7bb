"""reg delete: a key with its subkeys, one value (/v, /ve for the default) or all of a key's values (/va).

MS Learn "reg delete"; a missing key or value exits 1 with the "unable to find" error (Wine's tests on
Windows, §1.2). Without /f reg asks first (§1.4, real transcripts):
`Permanently delete the registry key HKEY_CURRENT_USER\\System\\CurrentControlSet\\Capcom (Yes/No)? `, then
after Yes a blank line and the success message. The value prompts (`Delete the registry value <name>
(Yes/No)? `, `Delete all values under the registry key <key> (Yes/No)? `) come from reg's own source
(Windows 2000 reg.exe, "(Y/N)" there, "(Yes/No)" in current Windows as for the key prompt).
"""

from __future__ import annotations

from ....machine import errors
from ...context import ProcessContext
from .common import (
    ACCESS_DENIED,
    DEFAULT_NAME,
    NOT_FOUND,
    SUCCESS,
    RegFailure,
    confirm,
    flush,
    has_mount,
    invalid_key,
    invalid_syntax,
    open_key,
    parse_key,
    parse_switches,
    registry_of,
    system_error,
    write_lines,
)

OPERATION = "DELETE"
WITH_ARGUMENT = frozenset({"v"})
FLAGS = frozenset({"ve", "va", "f", "reg:32", "reg:64"})


async def run(args: list[str], ctx: ProcessContext) -> int:
    if not args or args[0].startswith(("/", "-")):
        raise invalid_syntax(OPERATION)
    key_name = parse_key(args[0], OPERATION)
    if not key_name.parts:
        raise invalid_key(OPERATION)
    switches = parse_switches(args[1:], OPERATION, WITH_ARGUMENT, FLAGS)
    if len({"v", "ve", "va"} & switches.keys()) > 1:
        raise invalid_syntax(OPERATION)  # /v x /ve, /ve /va, /v x /va exit 1 (§1.1)
    registry = registry_of(ctx)
    key = open_key(registry, key_name)
    if key is None:
        raise RegFailure(NOT_FOUND)
    force = "f" in switches
    if "va" in switches:
        prompt = f"Delete all values under the registry key {key_name.display} (Yes/No)? "
    elif "v" in switches or "ve" in switches:
        name = switches.get("v") or ""
        if key.get(name) is None:
            raise RegFailure(NOT_FOUND)
        prompt = f"Delete the registry value {name or DEFAULT_NAME} (Yes/No)? "
    else:
        if len(key_name.parts) == 1 or not has_mount(registry, key_name):
            raise RegFailure(ACCESS_DENIED)  # a hive's own root key cannot be deleted
        prompt = f"Permanently delete the registry key {key_name.display} (Yes/No)? "
    if not force:
        if not await confirm(ctx, prompt):
            # What reg prints when not confirmed is NOT FOUND IN SOURCES: nothing changes, exit 1.
            return 1
        ctx.write_stdout("\r\n")  # the blank line before the success message in the transcripts
    try:
        if "va" in switches:
            for value in list(key.values.values()):
                key.delete_value(value.name)
        elif "v" in switches or "ve" in switches:
            key.delete_value(switches.get("v") or "")
        else:
            registry.delete_key(key_name.display)
    except errors.WindowsError_ as exc:
        raise system_error(exc) from None
    flush(registry)
    write_lines(ctx.write_stdout, SUCCESS)
    return 0
