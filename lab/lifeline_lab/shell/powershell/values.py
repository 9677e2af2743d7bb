"""PowerShell values in Python, and the conversions the language applies everywhere (LanguagePrimitives).

Mapping: $null is None, [bool] bool, [int]/[long] int, [double] float, [string] str, object[] list,
[hashtable] PSHashtable (case-insensitive keys; insertion order kept, where .NET's order is hash-based),
script blocks ScriptBlock, Get-Variable's objects PSVariable.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from tree_sitter import Node

from .position import Source


class PSHashtable(MutableMapping[Any, Any]):
    """@{} : keys compare case-insensitively when they are strings, as System.Collections.Hashtable in PowerShell."""

    def __init__(self) -> None:
        self._items: dict[Any, tuple[Any, Any]] = {}

    @staticmethod
    def _fold(key: Any) -> Any:
        return key.casefold() if isinstance(key, str) else key

    def __getitem__(self, key: Any) -> Any:
        return self._items[self._fold(key)][1]

    def __setitem__(self, key: Any, value: Any) -> None:
        folded = self._fold(key)
        original = self._items[folded][0] if folded in self._items else key
        self._items[folded] = (original, value)

    def __delitem__(self, key: Any) -> None:
        del self._items[self._fold(key)]

    def __iter__(self) -> Iterator[Any]:
        return (original for original, _ in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return self._fold(key) in self._items

    def __repr__(self) -> str:
        return f"PSHashtable({dict(self.items())!r})"


@dataclass
class ScriptBlock:
    """A `{ ... }` literal: its body node and the source it came from."""

    node: Node
    source: Source
    text: str


@dataclass
class PSVariable:
    """What Get-Variable writes (without -ValueOnly)."""

    name: str
    value: Any = field(default=None)


TYPE_NAMES = {
    bool: "System.Boolean",
    int: "System.Int32",
    float: "System.Double",
    str: "System.String",
    list: "System.Object[]",
    PSHashtable: "System.Collections.Hashtable",
    ScriptBlock: "System.Management.Automation.ScriptBlock",
    PSVariable: "System.Management.Automation.PSVariable",
}


def type_name(value: Any) -> str:
    """The .NET type name PowerShell would report for a value."""
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**31) <= value < 2**31:
        return "System.Int64"
    return TYPE_NAMES.get(type(value), "System.Object")


def format_double(value: float) -> str:
    """Double.ToString() in .NET Framework: 15 significant digits, "E+nn" exponents."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    text = format(value, ".15G")
    return re.sub(r"E([+-])(\d)$", r"E\g<1>0\2", text)


def to_string(value: Any) -> str:
    """[string] conversion; an array joins its elements with a space ($OFS unset)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_double(value)
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return " ".join(to_string(item) for item in value)
    if isinstance(value, ScriptBlock):
        return value.text
    return TYPE_NAMES.get(type(value), "System.Object")


def to_bool(value: Any) -> bool:
    """LanguagePrimitives.IsTrue: empty string, 0, $null, empty array are false; one-element arrays unwrap."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        return value != ""
    if isinstance(value, list):
        if not value:
            return False
        return to_bool(value[0]) if len(value) == 1 else True
    return True


_NUMBER = re.compile(r"^\s*([+-]?)(0x[0-9a-f]+|\d+\.?\d*(?:e[+-]?\d+)?|\.\d+(?:e[+-]?\d+)?)\s*$", re.IGNORECASE)


def parse_number(text: str) -> int | float | None:
    """A string PowerShell accepts as a number ("42", " 0x1F ", "1.5", "1e3"), else None."""
    match = _NUMBER.match(text)
    if match is None:
        return None
    sign = -1 if match.group(1) == "-" else 1
    body = match.group(2).lower()
    if body.startswith("0x"):
        return sign * int(body, 16)
    if any(char in body for char in ".e"):
        return sign * float(body)
    return sign * int(body)


def collapse(items: list[Any]) -> Any:
    """Pipeline output as a value: nothing is $null, one object is itself, more are an array."""
    if not items:
        return None
    return items[0] if len(items) == 1 else items


def enumerate_value(value: Any) -> list[Any]:
    """What a value sends down a pipeline: an array's elements, or the value itself ($null sends nothing)."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]
