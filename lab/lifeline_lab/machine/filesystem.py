"""NTFS volumes in memory: folders and files with contents, sizes and timestamps.

A `Volume` is the disk's content; `Drives` is one boot's view of it (drive letters change between
normal boot and WinRE: the OS volume is C: in Windows, often D: in WinRE where X: is the RAM disk).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from . import errors
from .bitlocker import BitLocker
from .paths import BadPath, join, split_drive
from .servicing import Servicing


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Node:
    """A file or folder. Names keep their case; lookups ignore it (NTFS in the Win32 namespace)."""

    name: str
    is_dir: bool
    data: bytes = b""
    created: dt.datetime = field(default_factory=now)
    modified: dt.datetime = field(default_factory=now)
    attributes: set[str] = field(default_factory=set)  # "Hidden", "System", "ReadOnly"
    children: dict[str, Node] = field(default_factory=dict)
    in_use_by: str | None = None  # a running process holding it open (a live registry hive, a loaded driver)

    @property
    def size(self) -> int:
        return len(self.data)

    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest().upper()

    def child(self, name: str) -> Node | None:
        return self.children.get(name.lower())

    def add(self, node: Node) -> Node:
        self.children[node.name.lower()] = node
        return node

    def walk(self, path: str) -> Iterator[tuple[str, Node]]:
        """Every descendant as (path, node), folders before their contents, names sorted."""
        for key in sorted(self.children):
            node = self.children[key]
            node_path = f"{path}\\{node.name}"
            yield node_path, node
            if node.is_dir:
                yield from node.walk(node_path)

    def copy(self) -> Node:
        clone = Node(self.name, self.is_dir, self.data, self.created, self.modified, set(self.attributes))
        clone.children = {key: child.copy() for key, child in self.children.items()}
        return clone


@dataclass
class Volume:
    """A partition's file system. `bitlocker` is None for an unprotected volume."""

    label: str
    size_bytes: int
    serial: int
    filesystem: str = "NTFS"
    bitlocker: BitLocker | None = None
    root: Node = field(default_factory=lambda: Node("", True))
    role: str = "data"  # "os", "esp", "recovery", "ramdisk": what it is, for manage-bde and ground truth
    device: str = ""  # \\Device\\HarddiskVolumeN: how the boot store names it, whatever its letter
    servicing: Servicing | None = None  # the Windows image's packages, on a volume holding Windows

    @property
    def locked(self) -> bool:
        return self.bitlocker is not None and self.bitlocker.locked

    def used_bytes(self) -> int:
        return sum(node.size for _, node in self.root.walk(""))

    def free_bytes(self) -> int:
        return max(self.size_bytes - self.used_bytes(), 0)


class Drives:
    """Drive letters of one running environment, and file operations on paths like C:\\Windows."""

    def __init__(self, letters: dict[str, Volume]) -> None:
        self.letters = {letter.upper(): volume for letter, volume in letters.items()}

    def letter_of(self, volume: Volume) -> str | None:
        return next((letter for letter, candidate in self.letters.items() if candidate is volume), None)

    def volume(self, drive: str) -> Volume:
        volume = self.letters.get(drive.upper())
        if volume is None:
            raise errors.PathNotFound(drive, f"The system cannot find the drive specified: {drive}")
        if volume.locked:
            raise errors.VolumeLocked(drive)
        return volume

    def _split(self, path: str) -> tuple[Volume, str, list[str]]:
        try:
            drive, parts = split_drive(path)
        except BadPath as exc:
            raise errors.InvalidName(path, str(exc)) from None
        return self.volume(drive), drive, parts

    def find(self, path: str) -> Node | None:
        """The node at `path`, or None when it or a parent folder does not exist."""
        volume, _, parts = self._split(path)
        node = volume.root
        for part in parts:
            if not node.is_dir:
                return None
            found = node.child(part)
            if found is None:
                return None
            node = found
        return node

    def get(self, path: str) -> Node:
        node = self.find(path)
        if node is None:
            parent = self.find(self.parent(path))
            raise (errors.FileNotFound if parent is not None and parent.is_dir else errors.PathNotFound)(path)
        return node

    def exists(self, path: str) -> bool:
        try:
            return self.find(path) is not None
        except errors.WindowsError_:
            return False

    @staticmethod
    def parent(path: str) -> str:
        drive, parts = split_drive(path)
        return join(drive, parts[:-1])

    @staticmethod
    def name(path: str) -> str:
        _, parts = split_drive(path)
        return parts[-1] if parts else ""

    def canonical(self, path: str) -> str:
        """The path with each existing component's stored case (what dir and Get-Item print)."""
        volume, drive, parts = self._split(path)
        node, shown = volume.root, []
        for part in parts:
            found = node.child(part) if node.is_dir else None
            if found is None:
                shown.append(part)
                node = Node(part, False)
                continue
            shown.append(found.name)
            node = found
        return join(drive, shown)

    def _folder(self, path: str) -> Node:
        node = self.find(path)
        if node is None or not node.is_dir:
            raise errors.PathNotFound(path)
        return node

    def read(self, path: str) -> bytes:
        node = self.get(path)
        if node.is_dir:
            raise errors.AccessDenied(path)
        return node.data

    def write(self, path: str, data: bytes, modified: dt.datetime | None = None) -> Node:
        """Create or overwrite a file (the parent folder must exist)."""
        folder = self._folder(self.parent(path))
        name = self.name(path)
        node = folder.child(name)
        if node is not None:
            if node.is_dir:
                raise errors.AccessDenied(path)
            if node.in_use_by:
                raise errors.SharingViolation(path)
            if "ReadOnly" in node.attributes:
                raise errors.AccessDenied(path)
            node.data = data
            node.modified = modified or now()
            return node
        stamp = modified or now()
        return folder.add(Node(name, False, data, created=stamp, modified=stamp))

    def mkdir(self, path: str, parents: bool = False) -> Node:
        volume, _, parts = self._split(path)
        node = volume.root
        for index, part in enumerate(parts):
            found = node.child(part)
            if found is None:
                if not parents and index != len(parts) - 1:
                    raise errors.PathNotFound(path)
                found = node.add(Node(part, True))
            elif not found.is_dir or (index == len(parts) - 1 and not parents):
                raise errors.AlreadyExists(path)
            node = found
        return node

    def delete(self, path: str, recurse: bool = False) -> None:
        node = self.get(path)
        folder = self._folder(self.parent(path))
        if node is folder or not self.name(path):
            raise errors.AccessDenied(path)
        if node.is_dir and node.children and not recurse:
            raise errors.DirectoryNotEmpty(path)
        busy = [n for _, n in node.walk("")] + [node]
        if any(n.in_use_by for n in busy):
            raise errors.SharingViolation(path)
        if "ReadOnly" in node.attributes:
            raise errors.AccessDenied(path)
        del folder.children[node.name.lower()]

    def move(self, source: str, destination: str) -> Node:
        """Rename or move within one volume (MoveFile); moving across volumes is a copy plus delete."""
        node = self.get(source)
        if node.in_use_by or any(n.in_use_by for _, n in node.walk("")):
            raise errors.SharingViolation(source)
        target = self.find(destination)
        if target is not None and target.is_dir:
            destination = destination.rstrip("\\") + "\\" + node.name
            target = self.find(destination)
        if target is not None:
            raise errors.AlreadyExists(destination)
        source_volume, _, _ = self._split(source)
        target_volume, _, _ = self._split(destination)
        folder = self._folder(self.parent(destination))
        if source_volume is not target_volume:
            moved = node.copy()
            moved.name = self.name(destination)
            folder.add(moved)
            self.delete(source, recurse=True)
            return moved
        del self._folder(self.parent(source)).children[node.name.lower()]
        node.name = self.name(destination)
        return folder.add(node)

    def copy(self, source: str, destination: str, overwrite: bool = True) -> Node:
        node = self.get(source)
        target = self.find(destination)
        if target is not None and target.is_dir:
            destination = destination.rstrip("\\") + "\\" + node.name
            target = self.find(destination)
        if target is not None and not overwrite:
            raise errors.AlreadyExists(destination)
        if node.is_dir:
            clone = node.copy()
            clone.name = self.name(destination)
            return self._folder(self.parent(destination)).add(clone)
        # CopyFile keeps the last-write time and sets a new creation time.
        copied = self.write(destination, node.data, modified=node.modified)
        copied.created = now()
        return copied

    def listdir(self, path: str) -> list[Node]:
        folder = self.get(path)
        if not folder.is_dir:
            raise errors.PathNotFound(path)
        return [folder.children[key] for key in sorted(folder.children)]
