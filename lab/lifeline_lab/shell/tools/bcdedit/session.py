"""What one bcdedit command works with: the machine, the opened store, /v, and entry lookup."""

from __future__ import annotations

from dataclasses import dataclass

from ....machine.bcd import BOOTMGR, BcdEntry, BcdStore
from ....machine.filesystem import Drives
from ....machine.machine import Machine
from . import identifiers
from .messages import reference_failed
from .store_access import OpenStore


@dataclass
class Session:
    machine: Machine
    opened: OpenStore
    verbose: bool = False

    @property
    def store(self) -> BcdStore:
        return self.opened.store

    @property
    def drives(self) -> Drives:
        return self.machine.drives

    @property
    def current(self) -> str | None:
        """{current}: the loader this environment started from (the WinRE loader in WinRE)."""
        return self.machine.current_entry_id()

    def guid(self, text: str) -> str | None:
        """The GUID an identifier argument names, or None when it is not an identifier."""
        if not identifiers.is_identifier(text):
            return None
        return identifiers.to_guid(text, self.store, self.current)

    def entry(self, text: str) -> BcdEntry:
        """The entry an identifier argument names; "reference the specified entry" error when there is none
        (a forum transcript shows it for `/set [default] osdevice boot` [S:T-bcd-ref])."""
        guid = self.guid(text)
        entry = self.store.entries.get(guid) if guid else None
        if entry is None:
            raise reference_failed()
        return entry

    def boot_manager(self) -> BcdEntry:
        entry = self.store.entries.get(BOOTMGR)
        if entry is None:
            raise reference_failed()
        return entry

    def show(self, guid: str) -> str:
        return identifiers.display(guid, self.store, self.current, self.verbose)
