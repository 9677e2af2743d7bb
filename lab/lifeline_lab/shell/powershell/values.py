"""PowerShell values in Python, and the conversions the language applies everywhere (LanguagePrimitives).

Mapping: $null is None, [bool] bool, [int]/[long] int, [double] float, [string] str, object[] list,
[hashtable] PSHashtable (case-insensitive keys; insertion order kept, where .NET's order is hash-based),
script blocks ScriptBlock, Get-Variable's objects PSVariable, and objects with properties (a PSCustomObject, or a
.NET object the lab models: FileInfo, DateTime, CIM instances ...) PSObject.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, MutableMapping
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


MISSING = object()  # what PSObject.get_property returns for a property the object does not have


class PSObject:
    """An object with named properties, looked up case-insensitively (PSObject's adapted and extended members).

    Subclasses register each property with a getter (and optionally a setter); `property_names()` is the order
    PowerShell lists them in (Select-Object *, Format-List *), `display_names()` the default display property set.
    """

    type_names: tuple[str, ...] = ("System.Object",)

    def __init__(self) -> None:
        self._properties: dict[str, tuple[str, Callable[[], Any], Callable[[Any], None] | None]] = {}

    def add_property(self, name: str, getter: Callable[[], Any], setter: Callable[[Any], None] | None = None) -> None:
        self._properties[name.casefold()] = (name, getter, setter)

    def property_names(self) -> list[str]:
        return [name for name, _, _ in self._properties.values()]

    def display_names(self) -> list[str]:
        return self.property_names()

    def has_property(self, name: str) -> bool:
        return name.casefold() in self._properties

    def property_name(self, name: str) -> str:
        """The property's own spelling of a name given in any case."""
        return self._properties[name.casefold()][0]

    def get_property(self, name: str) -> Any:
        entry = self._properties.get(name.casefold())
        return MISSING if entry is None else entry[1]()

    def set_property(self, name: str, value: Any) -> bool:
        """Assign a settable property; False when the object has no such settable property."""
        entry = self._properties.get(name.casefold())
        if entry is None or entry[2] is None:
            return False
        entry[2](value)
        return True

    def call_method(self, name: str, args: list[Any]) -> Any:
        """A .NET method of the object, or MISSING when the lab does not model it."""
        return MISSING

    def to_string(self) -> str:
        return self.type_names[0]


class PSCustomObject(PSObject):
    """[PSCustomObject]@{...}, Select-Object's output: note properties in the order they were added."""

    def __init__(self, type_names: tuple[str, ...] | None = None) -> None:
        super().__init__()
        self.type_names = type_names or ("System.Management.Automation.PSCustomObject", "System.Object")
        self._values: dict[str, Any] = {}

    def add_note(self, name: str, value: Any) -> None:
        key = name.casefold()
        if key not in self._values:
            self.add_property(name, lambda: self._values[key], lambda new: self._values.__setitem__(key, new))
        self._values[key] = value

    def to_string(self) -> str:
        """PSObject.ToString() of a property bag: `@{Name=a; Length=3}` (an empty one is "")."""
        if not self._properties:
            return ""
        pairs = "; ".join(f"{name}={to_string(self.get_property(name))}" for name in self.property_names())
        return "@{" + pairs + "}"


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
    if isinstance(value, PSObject):
        return value.type_names[0]
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
    if isinstance(value, PSObject):
        return value.to_string()
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
