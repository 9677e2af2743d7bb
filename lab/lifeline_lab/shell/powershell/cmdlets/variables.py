"""Get-Variable (alias gv) and Set-StrictMode (Microsoft.PowerShell.Utility / Core)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..binding import CmdletInfo, ConversionFailure, Param, convert_string_array
from ..errors import not_implemented
from ..operators import wildcard_regex
from ..session import UNSUPPORTED_AUTOMATIC
from ..values import PSVariable, to_string

if TYPE_CHECKING:
    from ..commands import CmdletCall

_BUILT_IN = {"true": True, "false": False, "null": None}


async def _get_variable(call: CmdletCall) -> None:
    for unsupported in ("Scope", "Include", "Exclude"):
        if unsupported in call.args:
            raise not_implemented(f"Get-Variable -{unsupported}", call.extent)
    session = call.session
    found: list[tuple[str, object]] = []
    names = call.args.get("Name", ["*"])
    for name in names:
        if any(char in name for char in "*?["):
            pattern = wildcard_regex(name, False)
            found.extend(item for item in session.variables() if pattern.match(item[0]))
            continue
        folded = name.casefold()
        if folded in _BUILT_IN:
            found.append((name, _BUILT_IN[folded]))
        elif folded == "?":
            found.append(("?", session.last_success))
        elif session.exists(name):
            found.append((name, session.get(name)))
        elif folded in UNSUPPORTED_AUTOMATIC:
            raise not_implemented(f"the automatic variable ${name}", call.extent)
        else:
            call.write_error(
                call.record(
                    f"Cannot find a variable with the name '{name}'.",
                    "ObjectNotFound",
                    "ItemNotFoundException",
                    "VariableNotFound",
                    target=name,
                )
            )
    for name, value in found:
        call.emit(value if call.args.get("ValueOnly") else PSVariable(name, value))


_STRICT_VERSIONS = {"latest": 3, "1": 1, "1.0": 1, "2": 2, "2.0": 2, "3": 3, "3.0": 3}


def _strict_version(value: object) -> int:
    text = to_string(value).strip().casefold()
    if text not in _STRICT_VERSIONS:
        raise ConversionFailure(f"The version {to_string(value)} is not valid; use 1.0, 2.0, 3.0 or Latest.")
    return _STRICT_VERSIONS[text]


async def _set_strict_mode(call: CmdletCall) -> None:
    if call.args.get("Off"):
        call.session.strict_version = 0
    elif "Version" in call.args:
        call.session.strict_version = call.args["Version"]
    else:
        raise call.missing_mandatory_parameter("Version")


GET_VARIABLE = CmdletInfo(
    "Get-Variable",
    "GetVariableCommand",
    (
        Param("Name", "System.String[]", convert_string_array, position=0, pipeline=True),
        Param("ValueOnly", switch=True),
        Param("Scope", "System.String"),
        Param("Include", "System.String[]"),
        Param("Exclude", "System.String[]"),
    ),
    _get_variable,
    aliases=("gv",),
)
SET_STRICT_MODE = CmdletInfo(
    "Set-StrictMode",
    "SetStrictModeCommand",
    (
        Param("Version", "System.Version", _strict_version, position=0, aliases=("v",)),
        Param("Off", switch=True),
    ),
    _set_strict_mode,
)
