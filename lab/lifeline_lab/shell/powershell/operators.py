"""PowerShell operators (about_Comparison_Operators, about_Arithmetic_Operators, about_Split, about_Join).

The left operand decides: the right one is converted to its type; an array on the left filters its elements;
string comparisons ignore case unless the operator starts with `c`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .datetimes import PSDateTime, parse_datetime
from .errors import PSError, not_implemented, runtime_error
from .fsobjects import EnumValue
from .position import Extent
from .values import PSHashtable, parse_number, to_bool, to_string, type_name

_ALL_COMPARISONS = {
    "eq", "ne", "gt", "ge", "lt", "le", "like", "notlike", "match", "notmatch",
    "contains", "notcontains", "in", "notin", "replace", "split", "join",
}  # fmt: skip


def split_operator(token: str) -> tuple[str, bool]:
    """("eq", case_sensitive) from "-ceq"; "-ieq" and "-eq" are case-insensitive."""
    name = token.lstrip("-").lower()
    if name[:1] in ("c", "i") and name[1:] in _ALL_COMPARISONS:
        return name[1:], name[0] == "c"
    return name, False


def conversion_error(value: Any, target: str, extent: Extent | None) -> PSError:
    """The InvalidCastFromStringToInteger family: `Cannot convert value "abc" to type "System.Int32".`"""
    return runtime_error(
        f'Cannot convert value "{to_string(value)}" to type "{target}". '
        'Error: "Input string was not in a correct format."',
        "InvalidCastFromStringToInteger",
        extent,
        category="InvalidArgument",
    )


def to_number(value: Any, extent: Extent | None) -> int | float:
    """Numeric conversion for arithmetic: $null is 0, booleans are 0/1, strings must parse."""
    if value is None:
        return 0
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        number = parse_number(value) if value.strip() else 0
        if number is None:
            raise conversion_error(value, "System.Int32", extent)
        return number
    raise runtime_error(
        f'Cannot convert the "{to_string(value)}" value of type "{type_name(value)}" to type "System.Int32".',
        "ConvertToFinalInvalidCastException",
        extent,
        category="InvalidArgument",
    )


def _as_datetime(value: Any) -> PSDateTime | None:
    if isinstance(value, PSDateTime):
        return value
    return parse_datetime(value) if isinstance(value, str) else None


def _equal(left: Any, right: Any, case_sensitive: bool) -> bool:
    if left is None or right is None:
        return left is None and right is None
    if isinstance(left, PSDateTime):
        other = _as_datetime(right)
        return other is not None and left.value == other.value
    if isinstance(left, EnumValue):
        if isinstance(right, EnumValue):
            return left.number == right.number
        if isinstance(right, int) and not isinstance(right, bool):
            return left.number == right
        return left.text.casefold() == to_string(right).strip().casefold()
    if isinstance(left, str):
        text = to_string(right)
        return left == text if case_sensitive else left.casefold() == text.casefold()
    if isinstance(left, bool):
        return left == to_bool(right)
    if isinstance(left, int | float):
        if isinstance(right, str):
            number = parse_number(right)
            return number is not None and left == number
        if isinstance(right, bool | int | float):
            return left == right
        return False
    return left is right or left == right


def _order(left: Any, right: Any, case_sensitive: bool, extent: Extent | None) -> int:
    """LanguagePrimitives.Compare: -1, 0 or 1."""
    if left is None or right is None:
        return (left is not None) - (right is not None)
    if isinstance(left, PSDateTime):
        other = _as_datetime(right)
        if other is None:
            raise runtime_error(
                f'Could not compare "{to_string(left)}" to "{to_string(right)}". Error: "Cannot convert value '
                f'"{to_string(right)}" to type "System.DateTime". Error: "String was not recognized as a valid '
                'DateTime.""',
                "ComparisonFailure",
                extent,
            )
        return (left.value > other.value) - (left.value < other.value)
    if isinstance(left, str):
        a, b = left, to_string(right)
        if not case_sensitive:
            a, b = a.casefold(), b.casefold()
        return (a > b) - (a < b)
    if isinstance(left, bool | int | float):
        converted = parse_number(right) if isinstance(right, str) else right
        if not isinstance(converted, bool | int | float):
            raise runtime_error(
                f'Could not compare "{to_string(left)}" to "{to_string(right)}". Error: "Cannot convert value '
                f'"{to_string(right)}" to type "{type_name(left)}". '
                'Error: "Input string was not in a correct format.""',
                "ComparisonFailure",
                extent,
            )
        return (left > converted) - (left < converted)
    raise runtime_error(f'Cannot compare "{to_string(left)}" because it is not IComparable.', "NotIcomparable", extent)


def wildcard_regex(pattern: str, case_sensitive: bool) -> re.Pattern[str]:
    """A -like / WildcardPattern pattern as a regex: * ? [set] and ` escapes."""
    out: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "`" and index + 1 < len(pattern):
            out.append(re.escape(pattern[index + 1]))
            index += 2
            continue
        if char == "*":
            out.append(".*")
        elif char == "?":
            out.append(".")
        elif char == "[" and "]" in pattern[index + 1 :]:
            end = pattern.index("]", index + 1)
            out.append("[" + pattern[index + 1 : end].replace("\\", "\\\\") + "]")
            index = end
        else:
            out.append(re.escape(char))
        index += 1
    flags = re.DOTALL | (0 if case_sensitive else re.IGNORECASE)
    return re.compile("".join(out) + r"\Z", flags)


def dotnet_regex(pattern: str, case_sensitive: bool, extent: Extent | None) -> re.Pattern[str]:
    """A .NET regular expression in Python syntax (named groups differ); invalid ones fail like PowerShell."""
    converted = re.sub(r"\(\?<(?![=!])", "(?P<", pattern)
    try:
        return re.compile(converted, 0 if case_sensitive else re.IGNORECASE)
    except re.error as error:
        raise runtime_error(
            f"The regular expression pattern {pattern} is not valid: {error}.",
            "InvalidRegularExpression",
            extent,
            category="InvalidOperation",
            target=pattern,
        ) from None


def _scalar(
    op: str,
    left: Any,
    right: Any,
    case_sensitive: bool,
    extent: Extent | None,
    set_matches: Callable[[PSHashtable], None] | None,
) -> bool:
    if op == "eq":
        return _equal(left, right, case_sensitive)
    if op == "ne":
        return not _equal(left, right, case_sensitive)
    if op in ("gt", "ge", "lt", "le"):
        order = _order(left, right, case_sensitive, extent)
        return {"gt": order > 0, "ge": order >= 0, "lt": order < 0, "le": order <= 0}[op]
    if op in ("like", "notlike"):
        hit = wildcard_regex(to_string(right), case_sensitive).match(to_string(left)) is not None
        return hit == (op == "like")
    found = dotnet_regex(to_string(right), case_sensitive, extent).search(to_string(left))
    if found is not None and set_matches is not None and op == "match":
        groups = PSHashtable()
        groups[0] = found.group(0)
        for number, value in enumerate(found.groups(), start=1):
            if value is not None:
                groups[number] = value
        for name, value in found.groupdict().items():
            if value is not None:
                groups[name] = value
        set_matches(groups)
    return (found is not None) == (op == "match")


def compare(
    token: str, left: Any, right: Any, extent: Extent | None, set_matches: Callable[[PSHashtable], None] | None = None
) -> Any:
    """Evaluate `left <token> right` for a comparison-family operator token such as "-eq" or "-notmatch"."""
    op, case_sensitive = split_operator(token)
    if op in ("contains", "notcontains", "in", "notin"):
        collection, item = (left, right) if op in ("contains", "notcontains") else (right, left)
        items = collection if isinstance(collection, list) else [collection]
        hit = any(_equal(element, item, case_sensitive) for element in items)
        return hit == (op in ("contains", "in"))
    if op == "replace":
        return replace(left, right, case_sensitive, extent)
    if op == "split":
        return split(left, right, case_sensitive, extent)
    if op == "join":
        return join(left, right)
    if op not in _ALL_COMPARISONS:
        raise runtime_error(f"The lab does not implement the operator '{token}'.", "LabNotImplemented", extent)
    if isinstance(left, list):
        return [item for item in left if _scalar(op, item, right, case_sensitive, extent, None)]
    return _scalar(op, left, right, case_sensitive, extent, set_matches)


def _dotnet_replacement(replacement: str) -> Callable[[re.Match[str]], str]:
    """.NET substitutions: $0 $1 ${name} $$."""

    def expand(match: re.Match[str]) -> str:
        def one(token: re.Match[str]) -> str:
            text = token.group(0)
            if text == "$$":
                return "$"
            name = token.group(1) or token.group(2)
            try:
                value = match.group(int(name) if name.isdigit() else name)
            except IndexError:
                return text
            return value or ""

        return re.sub(r"\$\$|\$(\d+)|\$\{(\w+)\}", one, replacement)

    return expand


def replace(left: Any, right: Any, case_sensitive: bool, extent: Extent | None) -> Any:
    """`-replace pattern[, replacement]` on a string or each element of an array."""
    pattern, replacement = [*right, "", ""][:2] if isinstance(right, list) else (right, "")
    regex = dotnet_regex(to_string(pattern), case_sensitive, extent)
    substitute = _dotnet_replacement(to_string(replacement))
    if isinstance(left, list):
        return [regex.sub(substitute, to_string(item)) for item in left]
    return regex.sub(substitute, to_string(left))


def split(left: Any, right: Any, case_sensitive: bool, extent: Extent | None) -> list[str]:
    """Binary -split: regex split of each string, with an optional maximum number of pieces."""
    # An array on the right is (pattern, maximum); an empty one is a $null pattern, which converts to "".
    values = right if isinstance(right, list) else [right]
    pattern = values[0] if values else None
    limit = values[1] if len(values) > 1 else 0
    regex = dotnet_regex(to_string(pattern), case_sensitive, extent)
    count = int(to_number(limit, extent))
    pieces: list[str] = []
    for item in left if isinstance(left, list) else [left]:
        pieces.extend(regex.split(to_string(item), maxsplit=max(count - 1, 0)))
    return pieces


def unary_split(value: Any) -> list[str]:
    """Unary -split: on runs of whitespace, empty pieces dropped."""
    pieces: list[str] = []
    for item in value if isinstance(value, list) else [value]:
        pieces.extend(to_string(item).split())
    return pieces


def join(left: Any, right: Any) -> str:
    """Binary -join (unary -join is join(value, ""))."""
    items = left if isinstance(left, list) else [left]
    return to_string(right).join(to_string(item) for item in items)


def arithmetic(op: str, left: Any, right: Any, extent: Extent | None) -> Any:
    """+ - * / % with PowerShell's left-operand rules."""
    if isinstance(left, PSDateTime) or (isinstance(right, PSDateTime) and not isinstance(left, str | list)):
        raise not_implemented("arithmetic with System.DateTime values (TimeSpan)", extent)
    if op == "+":
        if left is None:
            return right
        if isinstance(left, list):
            return left + (right if isinstance(right, list) else [right])
        if isinstance(left, str):
            return left + to_string(right)
        if isinstance(left, PSHashtable):
            return _merge(left, right, extent)
    if op == "*" and isinstance(left, str | list):
        count = int(to_number(right, extent))
        return left * max(count, 0)
    a, b = to_number(left, extent), to_number(right, extent)
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if b == 0:
        raise runtime_error("Attempted to divide by zero.", "RuntimeException", extent, category="NotSpecified")
    if op == "/":
        if isinstance(a, int) and isinstance(b, int) and a % b == 0:
            return a // b
        return a / b
    remainder = abs(a) % abs(b)  # .NET remainder takes the sign of the dividend
    return remainder if a >= 0 else -remainder


def _merge(left: PSHashtable, right: Any, extent: Extent | None) -> PSHashtable:
    if not isinstance(right, PSHashtable):
        raise runtime_error(
            "A hash table can only be added to another hash table.", "AddHashTableToNonHashTable", extent
        )
    merged = PSHashtable()
    merged.update(left)
    for key, value in right.items():
        if key in merged:
            raise runtime_error(
                f"Item has already been added. Key in dictionary: '{key}'  Key being added: '{key}'",
                "System.ArgumentException",
                extent,
                category="NotSpecified",
            )
        merged[key] = value
    return merged


def make_range(start: Any, end: Any, extent: Extent | None, limit: int) -> list[int]:
    """`a..b`, inclusive, counting down when a > b."""
    first, last = int(to_number(start, extent)), int(to_number(end, extent))
    if abs(last - first) >= limit:
        raise runtime_error(
            f"The lab limits ranges to {limit} items.", "LabNotImplemented", extent, category="NotImplemented"
        )
    step = 1 if last >= first else -1
    return list(range(first, last + step, step))


def format_operator(template: Any, arguments: Any, extent: Extent | None) -> str:
    """`"{0,-5}|{1}" -f a, b`: composite formatting with index and alignment (no format strings yet)."""
    args = arguments if isinstance(arguments, list) else [arguments]
    text = to_string(template)

    def one(match: re.Match[str]) -> str:
        if match.group(0) in ("{{", "}}"):
            return match.group(0)[0]
        index, align, spec = int(match.group(1)), match.group(2), match.group(3)
        if spec:
            raise runtime_error(
                f"The lab does not implement the format string '{spec}'.",
                "LabNotImplemented",
                extent,
                category="NotImplemented",
            )
        if index >= len(args):
            raise runtime_error(
                "Error formatting a string: Index (zero based) must be greater than or equal to zero and less than "
                "the size of the argument list..",
                "FormatError",
                extent,
                target=text,
            )
        value = to_string(args[index])
        if align:
            width = int(align)
            value = value.rjust(width) if width > 0 else value.ljust(-width)
        return value

    return re.sub(r"\{\{|\}\}|\{(\d+)\s*(?:,\s*(-?\d+))?\s*(?::([^}]*))?\}", one, text)
