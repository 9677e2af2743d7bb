"""Select-Object (select), Sort-Object (sort) and Measure-Object (measure) (Microsoft.PowerShell.Utility, 5.1).

Select-Object: -First/-Last/-Skip/-Index pick input objects; -Property makes a PSCustomObject named
"Selected.<type>" with the named properties (wildcards, and calculated properties @{Name=...; Expression=...}); a
property the object lacks is added with $null; -ExpandProperty writes the property's value (an array's
elements one by one) and "Property "X" cannot be found." when it is missing.
Sort-Object: by property values or the objects, ascending unless -Descending; strings compare without case,
numbers and dates by value, $null first. (5.1's sort is not stable; the lab keeps input order for ties.)
Measure-Object: a GenericMeasureInfo with Count, Average, Sum, Maximum, Minimum, Property (a list when shown).
"""

from __future__ import annotations

from functools import cmp_to_key
from typing import TYPE_CHECKING, Any

from ..binding import CmdletInfo, ConversionFailure, Param, convert_int32
from ..datetimes import PSDateTime
from ..errors import not_implemented
from ..operators import to_number, wildcard_regex
from ..streams import ListSink
from ..values import MISSING, PSCustomObject, PSHashtable, PSObject, ScriptBlock, collapse, to_string, type_name

if TYPE_CHECKING:
    from ..commands import CmdletCall


def member(value: Any, name: str) -> Any:
    """A property of any pipeline object, or MISSING."""
    if isinstance(value, PSObject):
        return value.get_property(name)
    folded = name.casefold()
    if isinstance(value, str) and folded == "length":
        return len(value)
    if isinstance(value, list) and folded in ("length", "count"):
        return len(value)
    if isinstance(value, PSHashtable) and folded in ("count", "keys", "values"):
        return {"count": len(value), "keys": list(value.keys()), "values": list(value.values())}[folded]
    return MISSING


def member_names(value: Any) -> list[str]:
    if isinstance(value, PSObject):
        return value.property_names()
    if isinstance(value, str):
        return ["Length"]
    return []


async def _with_item(call: CmdletCall, block: ScriptBlock, item: Any) -> Any:
    """A calculated property's script block, run with $_ set to the object."""
    session = call.session
    previous = session.get("_")
    session.set("_", item)
    sink = ListSink()
    try:
        await call.interp.invoke_block(block, sink, new_scope=False, args=[])
    finally:
        session.set("_", previous)
    return collapse(sink.items)


def _calculated(call: CmdletCall, spec: PSHashtable) -> tuple[str, Any]:
    """@{Name/N/Label/L = ...; Expression/E = {...} or 'Property'}."""
    name = expression = None
    for key, value in spec.items():
        folded = to_string(key).casefold()
        if folded in ("name", "n", "label", "l"):
            name = to_string(value)
        elif folded in ("expression", "e"):
            expression = value
        else:
            raise not_implemented(f"the calculated property key '{key}'", call.extent)
    if expression is None:
        raise not_implemented("a calculated property without Expression", call.extent)
    if name is None:
        name = expression.text.strip() if isinstance(expression, ScriptBlock) else to_string(expression)
    return name, expression


async def _project(call: CmdletCall, item: Any, specs: list[Any]) -> PSCustomObject:
    type_names = ("Selected." + type_name(item), "System.Management.Automation.PSCustomObject", "System.Object")
    result = PSCustomObject(type_names)
    for spec in specs:
        if isinstance(spec, PSHashtable):
            name, expression = _calculated(call, spec)
            if isinstance(expression, ScriptBlock):
                value = await _with_item(call, expression, item)
            else:
                value = member(item, to_string(expression))
            result.add_note(name, None if value is MISSING else value)
            continue
        text = to_string(spec)
        if any(char in text for char in "*?["):
            pattern = wildcard_regex(text, False)
            for name in member_names(item):
                if pattern.match(name) and not result.has_property(name):
                    result.add_note(name, member(item, name))
            continue
        value = member(item, text)
        if isinstance(item, PSObject) and item.has_property(text):
            text = item.property_name(text)
        result.add_note(text, None if value is MISSING else value)
    return result


def _pick(call: CmdletCall, items: list[Any]) -> list[Any]:
    args = call.args
    if "Index" in args:
        return [items[i] for i in args["Index"] if -len(items) <= i < len(items)]
    skip = args.get("Skip", 0)
    if "Last" in args and "First" not in args:
        # "If the command uses the Last parameter, it counts from the end of the collection." (Select-Object -Skip)
        kept = items[: len(items) - skip] if skip else items
        return kept[len(kept) - args["Last"] :] if args["Last"] > 0 else []
    items = items[skip:]
    if "First" in args:
        head = items[: args["First"]]
        tail = items[len(items) - args["Last"] :] if args.get("Last", 0) > 0 else []
        return head + tail
    return items


async def _select_object(call: CmdletCall) -> None:
    args = call.args
    items = [args["InputObject"]] if "InputObject" in args else list(call.input)
    if "ExcludeProperty" in args:
        raise not_implemented("Select-Object -ExcludeProperty", call.extent)
    items = _pick(call, items)
    specs = args.get("Property")
    expand = args.get("ExpandProperty")
    if expand is not None and specs:
        raise not_implemented("Select-Object -ExpandProperty together with -Property", call.extent)
    seen: list[str] = []
    for item in items:
        if expand is not None:
            value = member(item, expand)
            if value is MISSING:
                call.write_error(
                    call.record(
                        f'Property "{expand}" cannot be found.',
                        "InvalidArgument",
                        "PSArgumentException",
                        "ExpandPropertyNotFound",
                        target=to_string(item),
                        target_type="PSObject",
                    )
                )
                continue
            outputs = value if isinstance(value, list) else [value]
        elif specs:
            outputs = [await _project(call, item, specs if isinstance(specs, list) else [specs])]
        else:
            outputs = [item]
        for output in outputs:
            if args.get("Unique"):
                key = to_string(output)
                if key in seen:
                    continue
                seen.append(key)
            call.emit(output)


# -- Sort-Object ------------------------------------------------------------------------------------------
def compare(left: Any, right: Any, case_sensitive: bool = False) -> int:
    """The order Sort-Object uses: $null first, numbers and dates by value, everything else as text."""
    if left is None or right is None:
        return (left is not None) - (right is not None)
    if isinstance(left, bool | int | float) and isinstance(right, bool | int | float):
        return (left > right) - (left < right)
    if isinstance(left, PSDateTime) and isinstance(right, PSDateTime):
        return (left.value > right.value) - (left.value < right.value)
    a, b = to_string(left), to_string(right)
    if not case_sensitive:
        a, b = a.casefold(), b.casefold()
    return (a > b) - (a < b)


async def _sort_key(call: CmdletCall, item: Any, spec: Any) -> Any:
    if isinstance(spec, ScriptBlock):
        return await _with_item(call, spec, item)
    if isinstance(spec, PSHashtable):
        _, expression = (
            _calculated(call, spec)
            if any(to_string(k).casefold() in ("expression", "e") for k in spec)
            else (None, None)
        )
        if expression is None:
            raise not_implemented("Sort-Object with this hashtable", call.extent)
        return await _sort_key(call, item, expression)
    value = member(item, to_string(spec))
    return None if value is MISSING else value


async def _sort_object(call: CmdletCall) -> None:
    args = call.args
    items = list(call.input) if "InputObject" not in args else [args["InputObject"]]
    specs = args.get("Property")
    specs = specs if isinstance(specs, list) else ([specs] if specs is not None else [])
    keyed = []
    for index, item in enumerate(items):
        keys = [await _sort_key(call, item, spec) for spec in specs] if specs else [item]
        keyed.append((keys, index, item))
    descending = bool(args.get("Descending"))
    case_sensitive = bool(args.get("CaseSensitive"))

    def cmp(a: tuple[list[Any], int, Any], b: tuple[list[Any], int, Any]) -> int:
        for left, right in zip(a[0], b[0], strict=True):
            order = compare(left, right, case_sensitive)
            if order:
                return -order if descending else order
        return a[1] - b[1]

    ordered = sorted(keyed, key=cmp_to_key(cmp))
    previous: list[Any] | None = None
    for keys, _, item in ordered:
        same = previous is not None and all(
            compare(a, b, case_sensitive) == 0 for a, b in zip(previous, keys, strict=True)
        )
        if args.get("Unique") and same:
            continue
        previous = keys
        call.emit(item)


# -- Measure-Object ---------------------------------------------------------------------------------------
class MeasureInfo(PSObject):
    """Microsoft.PowerShell.Commands.GenericMeasureInfo."""

    type_names = ("Microsoft.PowerShell.Commands.GenericMeasureInfo", "Microsoft.PowerShell.Commands.MeasureInfo",
                  "System.Object")  # fmt: skip
    formattable = True

    def __init__(self, values: dict[str, Any]) -> None:
        super().__init__()
        for name in ("Count", "Average", "Sum", "Maximum", "Minimum", "Property"):
            self.add_property(name, lambda name=name: values.get(name))


async def _measure_object(call: CmdletCall) -> None:
    args = call.args
    for unsupported in ("Line", "Word", "Character"):
        if args.get(unsupported):
            raise not_implemented(f"Measure-Object -{unsupported}", call.extent)
    items = list(call.input) if "InputObject" not in args else [args["InputObject"]]
    properties = args.get("Property") or [None]
    for name in properties:
        values: list[Any] = []
        for item in items:
            if name is None:
                values.append(item)
                continue
            value = member(item, name)
            if value is not MISSING:
                values.append(value)
        if name is not None and items and not values:
            call.write_error(
                call.record(
                    f'The property "{name}" cannot be found in the input for any objects.',
                    "InvalidArgument",
                    "PSArgumentException",
                    "GenericMeasurePropertyNotFound",
                    target=name,
                )
            )
            continue
        result: dict[str, Any] = {"Count": len(values), "Property": name}
        wanted = [stat for stat in ("Sum", "Average", "Maximum", "Minimum") if args.get(stat)]
        if wanted:
            numbers = [float(to_number(value, call.extent)) for value in values if value is not None]
            if "Sum" in wanted or "Average" in wanted:
                result["Sum"] = sum(numbers) if "Sum" in wanted else None
                result["Average"] = sum(numbers) / len(numbers) if numbers and "Average" in wanted else None
            if "Maximum" in wanted:
                result["Maximum"] = max(numbers) if numbers else None
            if "Minimum" in wanted:
                result["Minimum"] = min(numbers) if numbers else None
        call.emit(MeasureInfo(result))


def _count(value: Any) -> int:
    number = convert_int32(value)
    if number < 0:
        raise ConversionFailure(f"The {number} argument is less than the minimum allowed range of 0.")
    return number


def _objects(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _indexes(value: Any) -> list[int]:
    return [convert_int32(item) for item in _objects(value)]


_SWITCH = "System.Management.Automation.SwitchParameter"
SELECT_OBJECT = CmdletInfo(
    "Select-Object",
    "SelectObjectCommand",
    (
        Param("Property", "System.Object[]", _objects, position=0),
        Param("ExcludeProperty", "System.String[]"),
        Param("ExpandProperty", "System.String", to_string),
        Param("Unique", _SWITCH, switch=True),
        Param("First", "System.Int32", _count),
        Param("Last", "System.Int32", _count),
        Param("Skip", "System.Int32", _count),
        Param("Index", "System.Int32[]", _indexes),
        Param("InputObject", "System.Management.Automation.PSObject", pipeline=True),
    ),
    _select_object,
    aliases=("select",),
)
SORT_OBJECT = CmdletInfo(
    "Sort-Object",
    "SortObjectCommand",
    (
        Param("Property", "System.Object[]", _objects, position=0),
        Param("Descending", _SWITCH, switch=True),
        Param("Unique", _SWITCH, switch=True),
        Param("CaseSensitive", _SWITCH, switch=True),
        Param("InputObject", "System.Management.Automation.PSObject", pipeline=True),
    ),
    _sort_object,
    aliases=("sort",),
)
MEASURE_OBJECT = CmdletInfo(
    "Measure-Object",
    "MeasureObjectCommand",
    (
        Param("Property", "System.String[]", lambda v: [to_string(i) for i in _objects(v)], position=0),
        Param("Sum", _SWITCH, switch=True),
        Param("Average", _SWITCH, switch=True),
        Param("Maximum", _SWITCH, switch=True),
        Param("Minimum", _SWITCH, switch=True),
        Param("Line", _SWITCH, switch=True),
        Param("Word", _SWITCH, switch=True),
        Param("Character", _SWITCH, switch=True),
        Param("InputObject", "System.Management.Automation.PSObject", pipeline=True),
    ),
    _measure_object,
    aliases=("measure",),
)
