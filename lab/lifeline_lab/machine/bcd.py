"""Boot Configuration Data: the store that Windows Boot Manager reads at every boot.

Entries are objects named by GUID with elements (device, path, safeboot, recoveryenabled, ...).
Well-known identifiers and element names from Microsoft Learn ("BCDEdit /enum", "BCD Boot Options
Reference", "Identifiers"). The store is a registry hive file (\\EFI\\Microsoft\\Boot\\BCD on the EFI
system partition); the lab keeps objects under Objects\\{guid} with one string value per element.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from .registry import Key, NotAHive, hive_from_bytes, hive_to_bytes

BOOTMGR = "{9dea862c-5cdd-4e70-acc1-f32b344d4795}"
MEMDIAG = "{b2721d73-1db4-4c62-bf78-c548a880142d}"
WELL_KNOWN = {"{bootmgr}": BOOTMGR, "{memdiag}": MEMDIAG}
TITLES = {
    "bootmgr": "Windows Boot Manager",
    "osloader": "Windows Boot Loader",
    "memdiag": "Windows Memory Tester",
    "resume": "Resume from Hibernate",
    "device": "Device options",
}


class BcdError(Exception):
    """bcdedit's errors: `message` is the second line it prints (the Win32 error text)."""

    def __init__(self, summary: str, message: str) -> None:
        super().__init__(f"{summary} {message}")
        self.summary = summary
        self.message = message


def new_guid() -> str:
    return "{" + str(uuid.uuid4()) + "}"


@dataclass
class BcdEntry:
    identifier: str  # lower-case GUID in braces
    kind: str  # bootmgr, osloader, memdiag, resume, device
    elements: dict[str, str | list[str]] = field(default_factory=dict)  # insertion order = display order

    @property
    def title(self) -> str:
        return TITLES.get(self.kind, "Application")


class BcdStore:
    def __init__(self, entries: list[BcdEntry] | None = None) -> None:
        self.entries: dict[str, BcdEntry] = {e.identifier: e for e in entries or []}

    # --- identifiers --------------------------------------------------------------------------

    def default_id(self) -> str | None:
        bootmgr = self.entries.get(BOOTMGR)
        value = bootmgr.elements.get("default") if bootmgr else None
        return value if isinstance(value, str) else None

    def resolve(self, identifier: str, current: str | None = None) -> BcdEntry:
        """Find an entry by GUID or alias ({bootmgr}, {default}, {current}); raise BcdError if absent."""
        wanted = identifier.strip().lower()
        if wanted == "{default}":
            wanted = self.default_id() or ""
        elif wanted == "{current}":
            wanted = current or ""
        else:
            wanted = WELL_KNOWN.get(wanted, wanted)
        entry = self.entries.get(wanted)
        if entry is None:
            raise BcdError(
                "An error occurred while attempting to reference the specified entry.",
                "The system cannot find the file specified.",
            )
        return entry

    def alias_of(self, identifier: str, current: str | None) -> str:
        """How bcdedit /enum names an entry without /v: {bootmgr}, {current}, {default} or the GUID."""
        if identifier == BOOTMGR:
            return "{bootmgr}"
        if identifier == MEMDIAG:
            return "{memdiag}"
        if current and identifier == current:
            return "{current}"
        if identifier == self.default_id():
            return "{default}"
        return identifier

    # --- serialisation ------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        root = Key("BCD00000000")
        objects = root.path("Objects")
        for entry in self.entries.values():
            key = objects.path(entry.identifier)
            key.set("Type", "REG_SZ", entry.kind)
            elements = key.path("Elements")
            for name, value in entry.elements.items():
                if isinstance(value, list):
                    elements.set(name, "REG_MULTI_SZ", list(value))
                else:
                    elements.set(name, "REG_SZ", value)
        return hive_to_bytes(root)

    @classmethod
    def from_bytes(cls, data: bytes) -> BcdStore:
        try:
            root = hive_from_bytes(data)
        except NotAHive:
            raise BcdError(
                "The boot configuration data store could not be opened.",
                "The system cannot find the file specified.",
            ) from None
        objects = root.subkey("Objects")
        entries = []
        for key in objects.subkeys.values() if objects else []:
            kind_value = key.get("Type")
            elements_key = key.subkey("Elements")
            elements = {v.name: v.data for v in elements_key.values.values()} if elements_key else {}
            entries.append(BcdEntry(key.name.lower(), str(kind_value.data) if kind_value else "", elements))  # type: ignore[arg-type]
        return cls(entries)
