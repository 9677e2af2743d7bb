"""bcdedit /create, /copy, /default, /timeout and /displayorder: entries and the boot manager's choices.

Syntax [S:MS-bcdedit] [S:P-bcdedit-whitepaper]: `/copy {id} /d <description>` (a new GUID; a copied loader that
is on the boot menu is added last to it: Microsoft Learn "Adding Boot Entries"); `/create [{id}] /d <description>
/application <type> | /device` (a well-known {id} takes none of /application, /inherit, /device);
`/default {id}`; `/timeout <seconds>`; `/displayorder {id} [...] [/addfirst | /addlast | /remove]` (/addfirst and
/addlast take a single identifier). Wrong arguments give "The <command> command specified is not valid." by the
pattern in messages.py. The lab creates osloader and resume applications, device options, and the well-known
{bootmgr}, {memdiag} and {ramdiskoptions}; other object types fail loudly.
"""

from __future__ import annotations

import copy

from ....machine.bcd import BOOTMGR, BcdEntry, new_guid
from . import cmdline, identifiers
from .elements import BOOTMGR as BOOTMGR_ELEMENTS
from .elements import BadValue, parse_integer
from .messages import (
    ALREADY_EXISTS,
    CREATE_FAILED,
    SUCCESS,
    BcdeditError,
    command_not_valid,
    data_not_valid,
    lab_refusal,
)
from .session import Session

WELL_KNOWN_KINDS = {"{bootmgr}": "bootmgr", "{memdiag}": "memdiag", "{ramdiskoptions}": "device"}
APPLICATION_KINDS = {"osloader": "osloader", "resume": "resume"}


def copy_entry(session: Session, args: list[str]) -> tuple[str, bool]:
    parsed = cmdline.split("copy", args, {"d": True})
    if len(parsed.positional) != 1 or "d" not in parsed.switches:
        raise command_not_valid("copy")
    source = session.entry(parsed.positional[0])
    guid = new_guid()
    elements = copy.deepcopy(source.elements)
    elements["description"] = str(parsed.switches["d"])
    session.store.entries[guid] = BcdEntry(guid, source.kind, elements)
    bootmgr = session.store.entries.get(BOOTMGR)
    order = bootmgr.elements.get("displayorder") if bootmgr else None
    if bootmgr is not None and isinstance(order, list) and source.identifier in [str(g).lower() for g in order]:
        bootmgr.elements["displayorder"] = [*order, guid]
    return f"The entry was successfully copied to {guid}.\r\n", True


def create_entry(session: Session, args: list[str]) -> tuple[str, bool]:
    parsed = cmdline.split("create", args, {"d": True, "application": True, "inherit": False, "device": False})
    if len(parsed.positional) > 1:
        raise command_not_valid("create")
    switches = parsed.switches
    kinds = [name for name in ("application", "inherit", "device") if name in switches]
    named = parsed.positional[0].lower() if parsed.positional else None
    if named is not None and named in identifiers.WELL_KNOWN:
        if kinds:
            raise command_not_valid("create")
        if named not in WELL_KNOWN_KINDS:
            raise lab_refusal(f"/create {named}")
        kind = WELL_KNOWN_KINDS[named]
        guid = identifiers.WELL_KNOWN[named]
    else:
        if len(kinds) != 1 or "d" not in switches:
            raise command_not_valid("create")
        if "inherit" in switches:
            raise lab_refusal("/create /inherit")
        if "device" in switches:
            kind = "device"
        else:
            application = str(switches["application"]).lower()
            if application not in APPLICATION_KINDS:
                raise lab_refusal(f"/create /application {application}")
            kind = APPLICATION_KINDS[application]
        guid = new_guid()
        if named is not None:
            given = session.guid(named)
            if given is None or named in identifiers.VIRTUAL:
                raise command_not_valid("create")
            guid = given
    if guid in session.store.entries:
        raise BcdeditError([CREATE_FAILED, ALREADY_EXISTS])
    elements: dict[str, str | list[str]] = {}
    if "d" in switches:
        elements["description"] = str(switches["d"])
    session.store.entries[guid] = BcdEntry(guid, kind, elements)
    return f"The entry {session.show(guid)} was successfully created.\r\n", True


def delete_entry(session: Session, args: list[str]) -> tuple[str, bool]:
    """bcdedit /delete <id> [/f] [/cleanup | /nocleanup] (Microsoft Learn, "bcdedit /delete"): deletes the entry;
    /cleanup, the default, also removes it from the boot manager's display order; a well-known identifier needs /f.
    Success prints "The operation completed successfully."; an identifier the store lacks gives the reference error.
    What bcdedit prints for a well-known identifier without /f is NOT FOUND IN SOURCES: the lab refuses it."""
    parsed = cmdline.split("delete", args, {"f": False, "cleanup": False, "nocleanup": False})
    if len(parsed.positional) != 1 or {"cleanup", "nocleanup"} <= parsed.switches.keys():
        raise command_not_valid("delete")
    named = parsed.positional[0].lower()
    if named in identifiers.WELL_KNOWN and "f" not in parsed.switches:
        raise lab_refusal(f"/delete {named} without /f")
    entry = session.entry(parsed.positional[0])
    del session.store.entries[entry.identifier]
    if "nocleanup" not in parsed.switches:
        for other in session.store.entries.values():
            for name in ("displayorder", "toolsdisplayorder", "bootsequence"):
                order = other.elements.get(name)
                if isinstance(order, list) and entry.identifier in [str(g).lower() for g in order]:
                    other.elements[name] = [g for g in order if str(g).lower() != entry.identifier]
    return SUCCESS + "\r\n", True


def set_default(session: Session, args: list[str]) -> tuple[str, bool]:
    parsed = cmdline.split("default", args, {})
    if len(parsed.positional) != 1:
        raise command_not_valid("default")
    entry = session.entry(parsed.positional[0])
    session.boot_manager().elements["default"] = entry.identifier
    return SUCCESS + "\r\n", True


def set_timeout(session: Session, args: list[str]) -> tuple[str, bool]:
    parsed = cmdline.split("timeout", args, {})
    if len(parsed.positional) != 1:
        raise command_not_valid("timeout")
    try:
        seconds = parse_integer(BOOTMGR_ELEMENTS["timeout"], parsed.positional[0])
    except BadValue as exc:
        raise data_not_valid(exc.word) from None
    session.boot_manager().elements["timeout"] = seconds
    return SUCCESS + "\r\n", True


def set_display_order(session: Session, args: list[str]) -> tuple[str, bool]:
    parsed = cmdline.split("displayorder", args, {"addfirst": False, "addlast": False, "remove": False})
    modes = [name for name in ("addfirst", "addlast", "remove") if name in parsed.switches]
    if not parsed.positional or len(modes) > 1 or (modes[:1] in (["addfirst"], ["addlast"])
                                                    and len(parsed.positional) != 1):  # fmt: skip
        raise command_not_valid("displayorder")
    bootmgr = session.boot_manager()
    guids = list(dict.fromkeys(session.entry(text).identifier for text in parsed.positional))
    stored = bootmgr.elements.get("displayorder", [])
    current = [str(value).lower() for value in ([stored] if isinstance(stored, str) else stored)]
    if not modes:
        order = guids
    elif modes[0] == "addfirst":
        order = guids + [guid for guid in current if guid not in guids]
    elif modes[0] == "addlast":
        order = [guid for guid in current if guid not in guids] + guids
    else:
        order = [guid for guid in current if guid not in guids]
    if order:
        bootmgr.elements["displayorder"] = order
    else:
        bootmgr.elements.pop("displayorder", None)
    return SUCCESS + "\r\n", True
