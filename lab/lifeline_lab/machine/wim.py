"""The lab's image container for winre.wim: a file tree serialised deterministically behind a WIM-like header.

THIS IS THE LAB'S OWN CONTAINER, NOT MICROSOFT'S WIM FORMAT. It only borrows the first eight bytes a real WIM
starts with ("MSWIM\\0\\0\\0", the ImageSignature of the WIM header; Microsoft's WIM format is not documented on
Microsoft Learn for this purpose: NOT FOUND IN SOURCES beyond the magic) so that a tool sniffing the magic sees an
image. Layout after the magic: the lab tag b"LIFELAB1", the commit time (int64 microseconds since the Unix epoch,
little-endian), the entry count (uint32), then per entry, in sorted path order: kind (1 byte: 0 file, 1 folder),
path (uint16 length + UTF-8), created and modified (int64 microseconds), attributes (uint16 length + UTF-8,
comma-joined, sorted), data (uint64 length + bytes).

The commit time is part of the bytes, so every commit changes the file (real DISM rewrites the WIM on
/Unmount-Image /Commit): a byte-exact original can only come back from a saved copy.
"""

from __future__ import annotations

import datetime as dt
import struct

from .filesystem import Node

MAGIC = b"MSWIM\x00\x00\x00"
LAB_TAG = b"LIFELAB1"
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
FILE, FOLDER = 0, 1


class NotAnImage(Exception):
    """The bytes are not a lab image container."""


def _micro(stamp: dt.datetime) -> int:
    return (stamp - EPOCH) // dt.timedelta(microseconds=1)


def _stamp(micro: int) -> dt.datetime:
    return EPOCH + dt.timedelta(microseconds=micro)


def _text(value: str) -> bytes:
    raw = value.encode()
    return struct.pack("<H", len(raw)) + raw


def pack(root: Node, committed: dt.datetime) -> bytes:
    """The image of the tree under `root` (root itself is the image's root folder), stamped `committed`."""
    entries = list(root.walk(""))
    out = [MAGIC, LAB_TAG, struct.pack("<qI", _micro(committed), len(entries))]
    for path, node in entries:
        out.append(struct.pack("<B", FOLDER if node.is_dir else FILE))
        out.append(_text(path.lstrip("\\")))
        out.append(struct.pack("<qq", _micro(node.created), _micro(node.modified)))
        out.append(_text(",".join(sorted(node.attributes))))
        data = b"" if node.is_dir else node.data
        out.append(struct.pack("<Q", len(data)) + data)
    return b"".join(out)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def take(self, size: int) -> bytes:
        if self.at + size > len(self.data):
            raise NotAnImage("the image is truncated")
        chunk = self.data[self.at : self.at + size]
        self.at += size
        return chunk

    def unpack(self, fmt: str) -> tuple:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))

    def text(self) -> str:
        (size,) = self.unpack("<H")
        return self.take(size).decode()


def unpack(data: bytes) -> tuple[Node, dt.datetime]:
    """The tree an image holds (a fresh root folder) and its commit time; NotAnImage for anything else."""
    if data[: len(MAGIC)] != MAGIC or data[len(MAGIC) : len(MAGIC) + len(LAB_TAG)] != LAB_TAG:
        raise NotAnImage("not a lab image container")
    reader = _Reader(data)
    reader.take(len(MAGIC) + len(LAB_TAG))
    committed, count = reader.unpack("<qI")
    root = Node("", True)
    for _ in range(count):
        (kind,) = reader.unpack("<B")
        path = reader.text()
        created, modified = reader.unpack("<qq")
        attributes = {a for a in reader.text().split(",") if a}
        (size,) = reader.unpack("<Q")
        body = reader.take(size)
        *folders, name = path.split("\\")
        parent = root
        for folder in folders:
            found = parent.child(folder)
            if found is None or not found.is_dir:
                raise NotAnImage(f"entry {path} comes before its folder")
            parent = found
        parent.add(Node(name, kind == FOLDER, body, _stamp(created), _stamp(modified), attributes))
    if reader.at != len(data):
        raise NotAnImage("trailing bytes after the last entry")
    return root, _stamp(committed)
