"""A machine's ground truth as JSON-ready data: what `lifeline-lab show` prints and tests compare against.

It reads the disks directly (no drive letters, no BitLocker lock): the lab's omniscient view.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from . import wim
from .bcd import BcdError, BcdStore
from .registry import Key, NotAHive, current_control_set_name, hive_from_bytes

if TYPE_CHECKING:
    from .machine import Machine


def _raw_find(machine: Machine, path: str):
    node = machine.os_volume.root
    for part in path.split("\\"):
        node = node.child(part) if node is not None and node.is_dir else None
    return node


def _value(value) -> object:
    if isinstance(value.data, bytes):
        return value.data.hex()
    return value.data


def _key_values(key: Key | None) -> dict:
    return {v.name: _value(v) for v in key.values.values()} if key else {}


def snapshot(machine: Machine) -> dict:
    bitlocker = machine.os_volume.bitlocker
    return {
        "name": machine.computer_name,
        "power": machine.power,
        "environment": machine.environment,
        "hostname": machine.hostname,
        "winrm_reachable": machine.winrm_reachable(),
        "boot_time": machine.boot_time.isoformat(),
        "boots": machine.boots,
        "failed_boots_in_a_row": machine.failed_boots,
        "crashes": [crash.to_dict() for crash in machine.crashes],
        "recovery_image": {"os_letter": machine.recovery_image.os_letter},
        "winre_image": _winre_image(machine),
        "winpeshl_log": list(machine.winpeshl_log),
        "bitlocker": None
        if bitlocker is None
        else {
            "protection_on": bitlocker.protection_on,
            "locked": bitlocker.locked,
            "protector_id": bitlocker.protector_id,
            "unlock_failures": bitlocker.unlock_failures,
        },
        "files": _files(machine),
        "registry": _registry(machine),
        "bcd": _bcd(machine),
        "packages": [
            {
                "identity": p.identity,
                "state": p.state,
                "release_type": p.release_type,
                "install_time": p.install_time.isoformat(),
            }
            for p in (machine.os_volume.servicing.packages if machine.os_volume.servicing else [])
        ],
    }


def _winre_image(machine: Machine) -> dict | None:
    """Where the WinRE loader's winre.wim is, its SHA-256 and its winpeshl.ini (None when it cannot be read)."""
    location = machine.winre_image_location()
    image = machine.winre_image()
    if location is None or image is None:
        return None
    volume, path = location
    try:
        root, committed = wim.unpack(image)
    except wim.NotAnImage:
        return {"volume": volume.role, "path": path, "sha256": hashlib.sha256(image).hexdigest().upper()}
    ini = root
    for part in ("Windows", "System32", "winpeshl.ini"):
        ini = ini.child(part) if ini is not None else None
    return {
        "volume": volume.role,
        "path": path,
        "sha256": hashlib.sha256(image).hexdigest().upper(),
        "committed": committed.isoformat(),
        "winpeshl_ini": ini.data.decode("utf-8", errors="replace") if ini is not None else None,
    }


def _files(machine: Machine) -> dict:
    """Every file on the OS volume outside the stock Windows tree we never change, with size, hash, time."""
    files = {}
    for path, node in machine.os_volume.root.walk("C:"):
        if node.is_dir:
            continue
        files[path] = {"size": node.size, "sha256": node.sha256(), "modified": node.modified.isoformat()}
    return files


def _registry(machine: Machine) -> dict:
    node = _raw_find(machine, r"Windows\System32\config\SYSTEM")
    try:
        system = hive_from_bytes(node.data) if node else None
    except NotAHive:
        return {"error": "SYSTEM hive unreadable"}
    if system is None:
        return {"error": "SYSTEM hive missing"}
    current = current_control_set_name(system)
    control_set = system.subkey(current)
    services = control_set.subkey("Services") if control_set else None
    safeboot = (
        control_set.subkey("Control").subkey("SafeBoot") if control_set and control_set.subkey("Control") else None
    )
    return {
        "select": _key_values(system.subkey("Select")),
        "current_control_set": current,
        "services": {s.name: _key_values(s) for s in services.sorted_subkeys()} if services else {},
        "safeboot": {
            section: sorted(k.name for k in safeboot.subkey(section).sorted_subkeys())
            for section in ("Minimal", "Network")
            if safeboot and safeboot.subkey(section)
        },
    }


def _bcd(machine: Machine) -> dict:
    node = machine.esp.root
    for part in [r"EFI", r"Microsoft", r"Boot", r"BCD"]:
        node = node.child(part) if node else None
    if node is None:
        return {"error": "BCD store missing"}
    try:
        store = BcdStore.from_bytes(node.data)
    except BcdError:
        return {"error": "BCD store unreadable"}
    return {
        "default": store.default_id(),
        "os_entry": machine.os_entry_id,
        "entries": {e.identifier: {"kind": e.kind, **e.elements} for e in store.entries.values()},
    }
