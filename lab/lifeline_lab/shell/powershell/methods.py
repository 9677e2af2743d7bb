"""The few .NET instance methods the lab evaluates (System.String, Hashtable, ToString on anything).

.NET string methods are ordinal and case-sensitive unless told otherwise, unlike PowerShell's operators.
Any other method call stops the script with a "lab does not implement" error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .errors import not_implemented, runtime_error
from .position import Extent
from .values import MISSING, PSHashtable, PSObject, to_string


def _trim_chars(args: list[Any]) -> str | None:
    return "".join(to_string(arg) for arg in args) if args else None


_STRING_METHODS: dict[str, Callable[[str, list[Any]], Any]] = {
    "tolower": lambda s, a: s.lower(),
    "tolowerinvariant": lambda s, a: s.lower(),
    "toupper": lambda s, a: s.upper(),
    "toupperinvariant": lambda s, a: s.upper(),
    "trim": lambda s, a: s.strip(_trim_chars(a)),
    "trimstart": lambda s, a: s.lstrip(_trim_chars(a)),
    "trimend": lambda s, a: s.rstrip(_trim_chars(a)),
    "contains": lambda s, a: to_string(a[0]) in s,
    "startswith": lambda s, a: s.startswith(to_string(a[0])),
    "endswith": lambda s, a: s.endswith(to_string(a[0])),
    "replace": lambda s, a: s.replace(to_string(a[0]), to_string(a[1])),
    "indexof": lambda s, a: s.find(to_string(a[0])),
    "substring": lambda s, a: _substring(s, a),
    "split": lambda s, a: _split(s, a),
}
_ARITY = {"contains": 1, "startswith": 1, "endswith": 1, "replace": 2, "indexof": 1}


def _substring(text: str, args: list[Any]) -> str:
    start = int(args[0])
    length = int(args[1]) if len(args) > 1 else len(text) - start
    if start < 0 or length < 0 or start + length > len(text):
        raise IndexError("Index and length must refer to a location within the string.")
    return text[start : start + length]


def _split(text: str, args: list[Any]) -> list[str]:
    separators = "".join(to_string(arg) for arg in args) or " \t\n\r\v\f"
    pieces, current = [], []
    for char in text:
        if char in separators:
            pieces.append("".join(current))
            current = []
        else:
            current.append(char)
    pieces.append("".join(current))
    return pieces


def _exception(name: str, args: list[Any], message: str, extent: Extent | None) -> Exception:
    return runtime_error(
        f'Exception calling "{name}" with "{len(args)}" argument(s): "{message}"',
        "ArgumentOutOfRangeException",
        extent,
        category="NotSpecified",
        reason="MethodInvocationException",
    )


def call(target: Any, name: str, args: list[Any], extent: Extent | None) -> Any:
    """`target.name(args)` for the supported methods."""
    folded = name.casefold()
    if folded == "tostring" and not args:
        return to_string(target)
    if isinstance(target, str) and folded in _STRING_METHODS:
        if len(args) < _ARITY.get(folded, 0):
            raise runtime_error(
                f'Cannot find an overload for "{name}" and the argument count: "{len(args)}".',
                "MethodCountCouldNotFindBest",
                extent,
                reason="MethodException",
            )
        try:
            return _STRING_METHODS[folded](target, args)
        except (IndexError, ValueError, TypeError) as error:
            raise _exception(name, args, str(error), extent) from None
    if isinstance(target, PSHashtable):
        if folded in ("containskey", "contains") and len(args) == 1:
            return args[0] in target
        if folded == "remove" and len(args) == 1:
            target.pop(args[0], None)
            return None
        if folded == "add" and len(args) == 2:
            if args[0] in target:
                raise _exception(
                    name,
                    args,
                    f"Item has already been added. Key in dictionary: '{args[0]}'  Key being added: '{args[0]}'",
                    extent,
                )
            target[args[0]] = args[1]
            return None
    if isinstance(target, PSObject):
        try:
            result = target.call_method(name, args)
        except (ArithmeticError, ValueError, TypeError) as error:
            raise _exception(name, args, str(error), extent) from None
        if result is not MISSING:
            return result
    if target is None:
        raise runtime_error("You cannot call a method on a null-valued expression.", "InvokeMethodOnNull", extent)
    raise not_implemented(f"the .NET method {name}() on this value", extent)
