"""Boot entry identifiers: GUIDs, well-known names, and the virtual {current} and {default}.

Well-known names and their GUIDs: Microsoft Learn "Boot options identifiers" [S:MS-bootids] ({bootmgr},
{globalsettings}), [S:T-bcd-v] ({bootloadersettings}, {memdiag}); the others as bcd.dll defines them
(winsiderss/phnt ntbcd.h). Display rules (windows-tools.md §2.2): without /v a well-known entry shows its name,
the running OS's loader shows as {current}, the boot manager's default as {default}, {current} winning when both
apply; /v shows every identifier as its GUID.
"""

from __future__ import annotations

import re

from ....machine.bcd import BcdStore

WELL_KNOWN: dict[str, str] = {
    "{bootmgr}": "{9dea862c-5cdd-4e70-acc1-f32b344d4795}",
    "{fwbootmgr}": "{a5a30fa2-3d06-4e9f-b5f4-a01df9d1fcba}",
    "{memdiag}": "{b2721d73-1db4-4c62-bf78-c548a880142d}",
    "{ntldr}": "{466f5a88-0af2-4f76-9038-095b170dc21c}",
    "{globalsettings}": "{7ea2e1ac-2e61-4728-aaa3-896d9d0a9f0e}",
    "{bootloadersettings}": "{6efb52bf-1766-41db-a6b3-0ee5eff72bd7}",
    "{resumeloadersettings}": "{1afa9c49-16ab-4a5c-4a90-212802da9460}",
    "{dbgsettings}": "{4636856e-540f-4170-a130-a84776f4c654}",
    "{emssettings}": "{0ce4991b-e6b3-4b16-b23c-5e0d9250e5d9}",
    "{badmemory}": "{5189b25c-5558-4bf2-bca4-289b11bd29e2}",
    "{hypervisorsettings}": "{7ff607e0-4395-11db-b0de-0800200c9a66}",
    "{ramdiskoptions}": "{ae5534e0-a924-466c-b836-758539a3ee3a}",
}
# Second names for the same objects (ntbcd.h): accepted on input, never displayed.
ALIASES = {"{legacy}": "{ntldr}", "{eventsettings}": "{dbgsettings}"}
NAME_OF_GUID = {guid: name for name, guid in WELL_KNOWN.items()}
VIRTUAL = ("{current}", "{default}")

_GUID = re.compile(r"^\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}$")


def is_identifier(text: str) -> bool:
    """Whether `text` has the form of an identifier: a GUID in braces or a known name."""
    wanted = text.strip().lower()
    return bool(_GUID.match(wanted)) or wanted in WELL_KNOWN or wanted in ALIASES or wanted in VIRTUAL


def to_guid(text: str, store: BcdStore, current: str | None) -> str | None:
    """The GUID an identifier names ({current} and {default} resolved), or None when it names nothing."""
    wanted = text.strip().lower()
    wanted = ALIASES.get(wanted, wanted)
    if wanted == "{current}":
        return current
    if wanted == "{default}":
        return store.default_id()
    if wanted in WELL_KNOWN:
        return WELL_KNOWN[wanted]
    return wanted if _GUID.match(wanted) else None


def display(guid: str, store: BcdStore, current: str | None, verbose: bool) -> str:
    """How /enum names an identifier: the GUID with /v, else its well-known or virtual name."""
    guid = guid.lower()
    guid = WELL_KNOWN.get(ALIASES.get(guid, guid), guid)  # stored values may hold names ({globalsettings})
    if verbose:
        return guid
    if guid in NAME_OF_GUID:
        return NAME_OF_GUID[guid]
    if current and guid == current:
        return "{current}"
    if guid == store.default_id():
        return "{default}"
    return guid
