"""Join-Path and Split-Path (Microsoft.PowerShell.Management, 5.1): string operations on provider paths.

Join-Path puts one backslash between -Path and -ChildPath and checks that the path's drive exists ("Cannot find
drive", as for every provider path); -Resolve is not implemented. Split-Path gives the parent (the default), the
leaf, the qualifier ("C:") or the path without it, or whether the path is absolute.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..binding import CmdletInfo, Param, convert_string_array
from ..errors import not_implemented
from ..values import to_string
from . import provider as fs

if TYPE_CHECKING:
    from ..commands import CmdletCall

_QUALIFIED = re.compile(r"^([A-Za-z][\w.-]*):")
_OTHER_DRIVES = ("hklm", "hkcu", "env", "variable", "function", "alias", "cert", "wsman")


def _drive_exists(call: CmdletCall, path: str) -> str | None:
    """The name of a drive the path names but the session does not have."""
    match = _QUALIFIED.match(path)
    if match is None:
        return None
    name = match.group(1)
    if len(name) > 1:
        return None if name.casefold() in _OTHER_DRIVES else name
    return None if fs.volume_available(fs.drives_of(call), name + ":") else name


async def _join_path(call: CmdletCall) -> None:
    if call.args.get("Resolve"):
        raise not_implemented("Join-Path -Resolve", call.extent)
    child = to_string(call.args["ChildPath"])
    paths = call.args.get("Path") or [to_string(item) for item in call.input]
    for path in paths:
        missing = _drive_exists(call, path)
        if missing is not None:
            call.write_error(fs.drive_not_found(call, missing))
            continue
        if not path:
            call.emit(child)
        elif not child:
            call.emit(path)
        else:
            call.emit(path.rstrip("\\/") + "\\" + child.lstrip("\\/"))


def _split(path: str) -> tuple[str, str, str]:
    """(qualifier, parent without qualifier, leaf) of a path, trailing separators ignored."""
    match = _QUALIFIED.match(path)
    qualifier = match.group(0) if match else ""
    rest = path[len(qualifier) :].replace("/", "\\")
    stripped = rest.rstrip("\\")
    if not stripped:
        return qualifier, rest, ""
    parent, sep, leaf = stripped.rpartition("\\")
    if sep and not parent:
        parent = "\\"
    return qualifier, parent, leaf


async def _split_path(call: CmdletCall) -> None:
    args = call.args
    if args.get("Resolve"):
        raise not_implemented("Split-Path -Resolve", call.extent)
    paths = args.get("Path") or args.get("LiteralPath") or [to_string(item) for item in call.input]
    for path in paths:
        qualifier, parent, leaf = _split(path)
        if args.get("IsAbsolute"):
            call.emit(bool(qualifier) or path.startswith(("\\", "/")))
        elif args.get("Qualifier"):
            if not qualifier:
                call.write_error(
                    call.record(
                        f"Cannot parse path because path '{path}' does not have a qualifier specified.",
                        "InvalidArgument",
                        "ParameterBindingException",
                        "ParsePathQualifier",
                        target=path,
                    )
                )
                continue
            call.emit(qualifier)
        elif args.get("NoQualifier"):
            call.emit(path[len(qualifier) :])
        elif args.get("Leaf"):
            call.emit(leaf)
        else:
            if not leaf:
                call.emit("")
            elif parent == "\\" or (not parent and qualifier and path[len(qualifier) :].startswith(("\\", "/"))):
                call.emit(qualifier + "\\")
            else:
                call.emit(qualifier + parent)


_SWITCH = "System.Management.Automation.SwitchParameter"
JOIN_PATH = CmdletInfo(
    "Join-Path",
    "JoinPathCommand",
    (
        Param("Path", "System.String[]", convert_string_array, position=0, pipeline=True, mandatory=True),
        Param("ChildPath", "System.String", to_string, position=1, mandatory=True),
        Param("Resolve", _SWITCH, switch=True),
    ),
    _join_path,
)
SPLIT_PATH = CmdletInfo(
    "Split-Path",
    "SplitPathCommand",
    (
        Param("Path", "System.String[]", convert_string_array, position=0, pipeline=True),
        Param("LiteralPath", "System.String[]", convert_string_array, aliases=("PSPath",)),
        Param("Parent", _SWITCH, switch=True),
        Param("Leaf", _SWITCH, switch=True),
        Param("Qualifier", _SWITCH, switch=True),
        Param("NoQualifier", _SWITCH, switch=True),
        Param("IsAbsolute", _SWITCH, switch=True),
        Param("Resolve", _SWITCH, switch=True),
    ),
    _split_path,
)
