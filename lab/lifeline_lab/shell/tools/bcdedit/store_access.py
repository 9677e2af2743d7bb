"""Which store a bcdedit command works on: the system store, or a store file named with /store.

Without /store bcdedit opens the system store (the EFI system partition's \\EFI\\Microsoft\\Boot\\BCD), also in
WinRE (windows-tools.md §2.5: the lab lets bcdedit in WinRE reach the disk's store). /store <file> opens a store
file on any drive of this environment and writes it back when a command changes it [S:MS-bcdedit]. A store that
cannot be opened gives "The boot configuration data store could not be opened." and the Win32 message
[S:P-winhelponline] [S:T-bcd-ref].
"""

from __future__ import annotations

from dataclasses import dataclass

from ....machine import errors
from ....machine.bcd import BcdError, BcdStore
from ....machine.machine import Machine
from ....machine.paths import absolute
from .messages import FILE_NOT_FOUND, SET_FAILED, STORE_OPEN_FAILED, BcdeditError


@dataclass
class OpenStore:
    store: BcdStore
    path: str | None  # None: the system store


def open_store(machine: Machine, store_path: str | None, working_directory: str) -> OpenStore:
    if store_path is None:
        store = machine.system_store()
        if store is None:
            raise BcdeditError([STORE_OPEN_FAILED, FILE_NOT_FOUND])
        return OpenStore(store, None)
    path = absolute(store_path, working_directory)
    try:
        data = machine.drives.read(path)
        return OpenStore(BcdStore.from_bytes(data), path)
    except errors.WindowsError_ as exc:
        raise BcdeditError([STORE_OPEN_FAILED, exc.message]) from None
    except BcdError as exc:
        raise BcdeditError([exc.summary, exc.message]) from None


def save_store(machine: Machine, opened: OpenStore) -> None:
    """Write the changed store back where it came from."""
    if opened.path is None:
        machine.save_system_store(opened.store)
        return
    try:
        machine.drives.write(opened.path, opened.store.to_bytes())
    except errors.WindowsError_ as exc:
        raise BcdeditError([SET_FAILED, exc.message]) from None
