"""Out-Null and Out-String (Microsoft.PowerShell.Core / Utility)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..binding import CmdletInfo, Param, convert_int32
from ..formatting import out_string

if TYPE_CHECKING:
    from ..commands import CmdletCall


def _objects(call: CmdletCall) -> list[object]:
    return [call.args["InputObject"]] if "InputObject" in call.args else list(call.input)


async def _out_null(call: CmdletCall) -> None:
    """Discards its input."""


async def _out_string(call: CmdletCall) -> None:
    text = out_string(_objects(call))
    if call.args.get("Stream"):
        for line in text.split("\r\n")[:-1]:
            call.emit(line)
    else:
        call.emit(text)


OUT_NULL = CmdletInfo("Out-Null", "OutNullCommand", (Param("InputObject", pipeline=True),), _out_null)
OUT_STRING = CmdletInfo(
    "Out-String",
    "OutStringCommand",
    (
        Param("InputObject", pipeline=True),
        Param("Stream", switch=True),
        Param("Width", "System.Int32", convert_int32),
    ),
    _out_string,
)
