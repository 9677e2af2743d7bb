"""The registry: hives of keys and typed values, hive files on disk, and HKLM's mount points.

A hive lives in a file (e.g. C:\\Windows\\System32\\config\\SYSTEM). At boot Windows mounts SYSTEM and
SOFTWARE under HKLM; `reg load` mounts another hive file under HKLM or HKU and `reg unload` writes it
back (Microsoft Learn, "reg load", "reg unload"). The lab's hive files hold its own serialisation of
the key tree (not the binary regf format), behind the same four-byte "regf" signature.
HKLM\\SYSTEM\\CurrentControlSet is the control set that Select\\Current names.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass, field

from . import errors

REG_TYPES = (
    "REG_SZ",
    "REG_EXPAND_SZ",
    "REG_MULTI_SZ",
    "REG_DWORD",
    "REG_QWORD",
    "REG_BINARY",
    "REG_NONE",
)
HIVE_SIGNATURE = b"regf"
ROOT_ALIASES = {
    "HKLM": "HKEY_LOCAL_MACHINE",
    "HKEY_LOCAL_MACHINE": "HKEY_LOCAL_MACHINE",
    "HKU": "HKEY_USERS",
    "HKEY_USERS": "HKEY_USERS",
    "HKCU": "HKEY_CURRENT_USER",
    "HKEY_CURRENT_USER": "HKEY_CURRENT_USER",
    "HKCR": "HKEY_CLASSES_ROOT",
    "HKEY_CLASSES_ROOT": "HKEY_CLASSES_ROOT",
    "HKCC": "HKEY_CURRENT_CONFIG",
    "HKEY_CURRENT_CONFIG": "HKEY_CURRENT_CONFIG",
}


@dataclass
class Value:
    name: str  # "" is the key's default value
    type: str
    data: str | int | bytes | list[str]


@dataclass
class Key:
    name: str
    subkeys: dict[str, Key] = field(default_factory=dict)
    values: dict[str, Value] = field(default_factory=dict)
    last_write: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def subkey(self, name: str) -> Key | None:
        return self.subkeys.get(name.lower())

    def ensure(self, name: str) -> Key:
        found = self.subkey(name)
        if found is None:
            found = self.subkeys[name.lower()] = Key(name)
        return found

    def path(self, *names: str) -> Key:
        """Create (if needed) and return a descendant by its relative path."""
        key = self
        for name in names:
            for part in name.split("\\"):
                if part:
                    key = key.ensure(part)
        return key

    def get(self, name: str) -> Value | None:
        return self.values.get(name.lower())

    def set(self, name: str, type_: str, data: str | int | bytes | list[str]) -> None:
        if type_ not in REG_TYPES:
            raise ValueError(f"unknown registry type {type_}")
        self.values[name.lower()] = Value(name, type_, data)
        self.last_write = dt.datetime.now(dt.UTC)

    def delete_value(self, name: str) -> None:
        if name.lower() not in self.values:
            raise errors.FileNotFound(name)
        del self.values[name.lower()]
        self.last_write = dt.datetime.now(dt.UTC)

    def sorted_subkeys(self) -> list[Key]:
        return [self.subkeys[k] for k in sorted(self.subkeys)]

    def copy(self) -> Key:
        clone = Key(self.name, last_write=self.last_write)
        clone.values = {k: Value(v.name, v.type, v.data) for k, v in self.values.items()}
        clone.subkeys = {k: s.copy() for k, s in self.subkeys.items()}
        return clone


def _encode_value(value: Value) -> dict:
    data = value.data
    if isinstance(data, bytes):
        data = {"base64": base64.b64encode(data).decode()}
    return {"name": value.name, "type": value.type, "data": data}


def _decode_value(raw: dict) -> Value:
    data = raw["data"]
    if isinstance(data, dict):
        data = base64.b64decode(data["base64"])
    return Value(raw["name"], raw["type"], data)


def _encode_key(key: Key) -> dict:
    return {
        "name": key.name,
        "last_write": key.last_write.isoformat(),
        "values": [_encode_value(v) for v in key.values.values()],
        "subkeys": [_encode_key(s) for s in key.subkeys.values()],
    }


def _decode_key(raw: dict) -> Key:
    key = Key(raw["name"], last_write=dt.datetime.fromisoformat(raw["last_write"]))
    for value in raw["values"]:
        decoded = _decode_value(value)
        key.values[decoded.name.lower()] = decoded
    for sub in raw["subkeys"]:
        decoded_key = _decode_key(sub)
        key.subkeys[decoded_key.name.lower()] = decoded_key
    return key


def hive_to_bytes(root: Key) -> bytes:
    return HIVE_SIGNATURE + json.dumps(_encode_key(root), separators=(",", ":")).encode()


# ERROR_NOT_REGISTRY_FILE (1017), FormatMessage text.
NOT_A_HIVE_MESSAGE = (
    "The system has attempted to load or restore a file into the registry, but the specified file is not in a "
    "registry file format."
)


class NotAHive(Exception):
    pass


def hive_from_bytes(data: bytes) -> Key:
    if not data.startswith(HIVE_SIGNATURE):
        raise NotAHive("not a registry hive file")
    try:
        return _decode_key(json.loads(data[len(HIVE_SIGNATURE) :]))
    except (ValueError, KeyError, TypeError):
        raise NotAHive("the registry hive file is corrupt") from None


@dataclass
class Mount:
    """A hive mounted under a root key, and the file it came from (None: volatile, e.g. HARDWARE)."""

    root: Key
    file_path: str | None


class Registry:
    """One running environment's registry: HKLM and HKU mount points over hive files.

    `flush` writes mounted hives back to their files; tools call it after each change, so a later
    `reg unload`, a copy of the file, or the next boot sees the change (Windows lazily flushes; the
    lab flushes at once so ground truth is never behind).
    """

    def __init__(self, drives, control_set_link: bool = True) -> None:
        self.drives = drives  # filesystem.Drives
        self.mounts: dict[tuple[str, str], Mount] = {}
        self.control_set_link = control_set_link

    # --- mounting -----------------------------------------------------------------------------

    def load(self, root_name: str, subkey: str, file_path: str, in_use_by: str = "reg load") -> None:
        """Mount the hive file at root\\subkey (reg load). The file is held open while mounted."""
        root = ROOT_ALIASES.get(root_name.upper())
        if root not in ("HKEY_LOCAL_MACHINE", "HKEY_USERS") or not subkey or "\\" in subkey:
            raise errors.InvalidName(f"{root_name}\\{subkey}")
        if (root, subkey.lower()) in self.mounts:
            raise errors.AccessDenied(f"{root_name}\\{subkey}")
        node = self.drives.get(file_path)
        if node.is_dir:
            raise errors.AccessDenied(file_path)
        if node.in_use_by:
            raise errors.SharingViolation(file_path)
        try:
            tree = hive_from_bytes(node.data)
        except NotAHive:
            raise errors.WindowsError_(
                file_path,
                NOT_A_HIVE_MESSAGE,
            ) from None
        tree.name = subkey
        node.in_use_by = in_use_by
        self.mounts[(root, subkey.lower())] = Mount(tree, file_path)

    def unload(self, root_name: str, subkey: str) -> None:
        root = ROOT_ALIASES.get(root_name.upper())
        mount = self.mounts.get((root or "", subkey.lower()))
        if mount is None or mount.file_path is None:
            raise errors.InvalidName(f"{root_name}\\{subkey}", "The parameter is incorrect.")
        self._write_back(mount)
        self.drives.get(mount.file_path).in_use_by = None
        del self.mounts[(root, subkey.lower())]

    def mount_volatile(self, root: str, subkey: str, tree: Key) -> None:
        self.mounts[(root, subkey.lower())] = Mount(tree, None)

    def _write_back(self, mount: Mount) -> None:
        if mount.file_path is not None:
            node = self.drives.get(mount.file_path)
            node.data = hive_to_bytes(mount.root)
            node.modified = dt.datetime.now(dt.UTC)

    def flush(self) -> None:
        for mount in self.mounts.values():
            self._write_back(mount)

    def release_files(self) -> None:
        """At shutdown every hive is written back and its file closed."""
        for mount in self.mounts.values():
            self._write_back(mount)
            if mount.file_path is not None:
                node = self.drives.find(mount.file_path)
                if node is not None:
                    node.in_use_by = None
        self.mounts.clear()

    # --- keys ---------------------------------------------------------------------------------

    def split(self, path: str) -> tuple[str, list[str]]:
        """('HKEY_LOCAL_MACHINE', ['SYSTEM', 'Select']) for HKLM\\SYSTEM\\Select; raises on an unknown root."""
        head, _, rest = path.strip("\\").partition("\\")
        root = ROOT_ALIASES.get(head.upper())
        if root is None:
            raise errors.InvalidName(path)
        return root, [part for part in rest.split("\\") if part]

    def _resolve_parts(self, root: str, parts: list[str]) -> tuple[Mount | None, list[str]]:
        if not parts:
            return None, []
        mount = self.mounts.get((root, parts[0].lower()))
        if mount is None:
            return None, parts
        rest = parts[1:]
        if self.control_set_link and rest and rest[0].lower() == "currentcontrolset" and parts[0].lower() == "system":
            rest = [current_control_set_name(mount.root), *rest[1:]]
        return mount, rest

    def open(self, path: str) -> Key | None:
        """The key at `path`, or None. A root key alone gives a synthetic key listing its mounts."""
        root, parts = self.split(path)
        if not parts:
            synthetic = Key(root)
            for (mount_root, _), mount in self.mounts.items():
                if mount_root == root:
                    synthetic.subkeys[mount.root.name.lower()] = mount.root
            return synthetic
        mount, rest = self._resolve_parts(root, parts)
        if mount is None:
            return None
        key = mount.root
        for part in rest:
            key = key.subkey(part)
            if key is None:
                return None
        return key

    def create(self, path: str) -> Key:
        root, parts = self.split(path)
        mount, rest = self._resolve_parts(root, parts)
        if mount is None:
            # Only existing mount points can hold keys: HKLM\NewHive cannot be created (Access is denied).
            raise errors.AccessDenied(path)
        return mount.root.path(*rest)

    def delete_key(self, path: str) -> None:
        root, parts = self.split(path)
        mount, rest = self._resolve_parts(root, parts)
        if mount is None or not rest:
            raise errors.AccessDenied(path)
        parent = mount.root
        for part in rest[:-1]:
            parent = parent.subkey(part)
            if parent is None:
                raise errors.FileNotFound(path)
        if parent.subkey(rest[-1]) is None:
            raise errors.FileNotFound(path)
        del parent.subkeys[rest[-1].lower()]

    def display_path(self, path: str) -> str:
        """The full root name and the stored case of each existing component, as reg query prints it."""
        root, parts = self.split(path)
        shown = [root]
        mount, _ = self._resolve_parts(root, parts)
        key = mount.root if mount else None
        for index, part in enumerate(parts):
            if index == 0 and mount is not None:
                shown.append(mount.root.name)
                continue
            child = key.subkey(part) if key is not None else None
            if child is None and index == 1 and part.lower() == "currentcontrolset" and key is not None:
                shown.append(part)
                key = key.subkey(current_control_set_name(key))
                continue
            shown.append(child.name if child is not None else part)
            key = child
        return "\\".join(shown)


def current_control_set_name(system_root: Key) -> str:
    """ControlSet00N from SYSTEM\\Select\\Current (windows-recovery.md, "Offline registry")."""
    select = system_root.subkey("Select")
    current = select.get("Current") if select else None
    number = current.data if current is not None and isinstance(current.data, int) else 1
    return f"ControlSet{number:03d}"
