"""The .reg file format: written by `reg export`, read by `reg import`.

Writing follows Wine's conformance strings checked on real Windows (windows-tools.md §1.6): UTF-16LE with a
BOM, the header `Windows Registry Editor Version 5.00`, then for each key a blank line and `[<full path>]`
followed by its values, and a final blank line. Values keep their creation order, subkeys come in registry
order. REG_SZ is `"..."` with `\\` and `"` escaped, REG_DWORD `dword:%08x`, REG_BINARY `hex:`, every other
type `hex(<type number>):` (REG_EXPAND_SZ `hex(2):`, REG_MULTI_SZ `hex(7):`, REG_QWORD `hex(b):`, REG_NONE
`hex(0):`) as comma-separated bytes; a hex line wraps after reaching 77 characters with `,\\` and two spaces
(Wine's export.c, matching its Windows test strings).

Reading accepts what regedit writes (Wine's import tests on Windows): the header `Windows Registry Editor
Version 5.00` (or `REGEDIT4`, whose strings are ANSI), `[key]` and `[-key]` sections, `"name"=` or `@=` with a
string, `dword:`, `hex:`/`hex(n):` (continued over lines ending in `\\`), or `-` to delete the value; `;` and
`#` start comment lines. Lines it cannot parse are skipped, as regedit does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ....machine.registry import Key, Value
from .common import subkeys

HEADER_V5 = "Windows Registry Editor Version 5.00"
HEADER_V4 = "REGEDIT4"
MAX_HEX_CHARS = 77
TYPE_NUMBERS = {
    "REG_NONE": 0,
    "REG_SZ": 1,
    "REG_EXPAND_SZ": 2,
    "REG_BINARY": 3,
    "REG_DWORD": 4,
    "REG_MULTI_SZ": 7,
    "REG_QWORD": 11,
}
TYPE_NAMES = {number: name for name, number in TYPE_NUMBERS.items()}


# --- writing ------------------------------------------------------------------------------------


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def value_bytes(value: Value) -> bytes:
    """The value's data as the registry stores it (strings are UTF-16LE with their terminators)."""
    data = value.data
    if value.type in ("REG_SZ", "REG_EXPAND_SZ"):
        return (str(data) + "\0").encode("utf-16-le")
    if value.type == "REG_MULTI_SZ":
        items = data if isinstance(data, list) else [str(data)]
        return "".join(item + "\0" for item in items).encode("utf-16-le") + b"\0\0"
    if value.type == "REG_DWORD":
        return int(data).to_bytes(4, "little")
    if value.type == "REG_QWORD":
        return int(data).to_bytes(8, "little")
    return data if isinstance(data, bytes) else str(data).encode("utf-16-le")


def _hex_lines(prefix_length: int, type_label: str, data: bytes) -> str:
    text = type_label
    line_length = prefix_length + len(type_label)
    for index, byte in enumerate(data):
        text += f"{byte:02x}"
        if index == len(data) - 1:
            break
        text += ","
        line_length += 3
        if line_length >= MAX_HEX_CHARS:
            text += "\\\r\n  "
            line_length = 2
    return text


def value_entry(value: Value) -> str:
    name = f'"{_escape(value.name)}"=' if value.name else "@="
    if value.type == "REG_SZ":
        return name + f'"{_escape(str(value.data))}"'
    if value.type == "REG_DWORD":
        return name + f"dword:{int(value.data):08x}"
    number = TYPE_NUMBERS[value.type]
    label = "hex:" if value.type == "REG_BINARY" else f"hex({number:x}):"
    return name + _hex_lines(len(name), label, value_bytes(value))


def render(key: Key, path: str) -> bytes:
    """The whole export of `key` (shown as `path`) and its subtree, encoded as reg export writes it."""
    parts = ["\ufeff" + HEADER_V5 + "\r\n"]

    def walk(node: Key, node_path: str) -> None:
        parts.append(f"\r\n[{node_path}]\r\n")
        parts.extend(value_entry(value) + "\r\n" for value in node.values.values())
        for sub in subkeys(node):
            walk(sub, f"{node_path}\\{sub.name}")

    walk(key, path)
    parts.append("\r\n")
    return "".join(parts).encode("utf-16-le")


# --- reading ------------------------------------------------------------------------------------


class NotARegistryScript(ValueError):
    """The file does not start with a header reg import accepts."""


@dataclass
class Section:
    path: str  # as written inside the brackets
    delete: bool
    values: list[tuple[str, Value | None]] = field(default_factory=list)  # (name, None) deletes the value


@dataclass
class Script:
    sections: list[Section]
    unsupported_types: list[int] = field(default_factory=list)


def decode(raw: bytes) -> tuple[str, bool]:
    """The text of a .reg file, and whether it is a version 5 (Unicode) script."""
    if raw.startswith(b"\xff\xfe"):
        return raw[2:].decode("utf-16-le", errors="replace"), True
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace"), False


def _logical_lines(text: str) -> list[str]:
    """Physical lines, stripped, joined where a line ends in a backslash (a comment line never continues)."""
    lines: list[str] = []
    pending = ""
    for physical in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = pending + physical.strip(" \t")
        pending = ""
        if line.endswith("\\") and not line.startswith((";", "#")):
            pending = line[:-1]
            continue
        lines.append(line)
    if pending:
        lines.append(pending)
    return lines


_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda match: match.group(1), text)


def _parse_hex(text: str) -> bytes | None:
    text = text.replace(" ", "").replace("\t", "")
    if text == "":
        return b""
    items = text.split(",")
    if items[-1] == "":
        items.pop()
    if not all(re.fullmatch(r"[0-9a-fA-F]{1,2}", item) for item in items):
        return None
    return bytes(int(item, 16) for item in items)


def _from_bytes(type_number: int, data: bytes, unicode: bool) -> tuple[str, object] | None:
    """(lab type, data) for hex(n) data; None for a type the lab's registry cannot hold."""
    name = TYPE_NAMES.get(type_number)
    if name is None:
        return None
    if name in ("REG_SZ", "REG_EXPAND_SZ", "REG_MULTI_SZ"):
        text = data.decode("utf-16-le", errors="replace") if unicode else data.decode("cp1252", errors="replace")
        if name == "REG_MULTI_SZ":
            items = text.split("\0")
            while items and items[-1] == "":
                items.pop()
            return name, items
        return name, text.split("\0", 1)[0]
    if name == "REG_DWORD":
        return name, int.from_bytes(data[:4].ljust(4, b"\0"), "little")
    if name == "REG_QWORD":
        return name, int.from_bytes(data[:8].ljust(8, b"\0"), "little")
    return name, data


def _parse_value(line: str, unicode: bool, script: Script) -> tuple[str, Value | None] | None:
    if line.startswith("@"):
        name, rest = "", line[1:]
    else:
        match = _STRING.match(line)
        if match is None:
            return None
        name, rest = _unescape(match.group(1)), line[match.end() :]
    rest = rest.lstrip()
    if not rest.startswith("="):
        return None
    rest = rest[1:].strip()
    if rest == "-":
        return name, None
    match = _STRING.fullmatch(rest)
    if match:
        return name, Value(name, "REG_SZ", _unescape(match.group(1)))
    match = re.fullmatch(r"dword:([0-9a-fA-F]{1,8})", rest)
    if match:
        return name, Value(name, "REG_DWORD", int(match.group(1), 16))
    match = re.fullmatch(r"hex(?:\(([0-9a-fA-F]{1,8})\))?:(.*)", rest)
    if match is None:
        return None
    data = _parse_hex(match.group(2))
    if data is None:
        return None
    type_number = int(match.group(1), 16) if match.group(1) else 3
    converted = _from_bytes(type_number, data, unicode)
    if converted is None:
        script.unsupported_types.append(type_number)
        return None
    type_, value_data = converted
    return name, Value(name, type_, value_data)  # type: ignore[arg-type]


def parse(raw: bytes) -> Script | None:
    """The script's sections; None for a REGEDIT header of another version (accepted, nothing imported).
    Raises NotARegistryScript when the first line is not a header reg import accepts."""
    text, unicode = decode(raw)
    lines = _logical_lines(text)
    header = lines[0].strip(" \t") if lines else ""
    if header == HEADER_V5:
        unicode = True
    elif header == HEADER_V4:
        unicode = False
    elif header.startswith("REGEDIT"):
        return None  # Wine's tests on Windows: REGEDIT3, REGEDIT5, "REGEDIT 4" succeed and import nothing
    else:
        raise NotARegistryScript(header)
    script = Script([])
    current: Section | None = None
    for line in lines[1:]:
        stripped = line.strip()
        if not stripped or stripped.startswith((";", "#")):
            continue
        if stripped.startswith("[") and stripped.endswith("]"):
            inner = stripped[1:-1]
            delete = inner.startswith("-")
            current = Section(inner[1:] if delete else inner, delete)
            script.sections.append(current)
            continue
        if current is None or current.delete:
            continue
        parsed = _parse_value(stripped, unicode, script)
        if parsed is not None:
            current.values.append(parsed)
    return script
