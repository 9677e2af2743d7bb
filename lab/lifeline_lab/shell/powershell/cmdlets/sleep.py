"""Start-Sleep (alias sleep): waits without blocking the event loop, so a terminate signal cancels it."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from ..binding import CmdletInfo, Param, convert_int32
from ..errors import ErrorRecord, PSError

if TYPE_CHECKING:
    from ..commands import CmdletCall


def _validation_error(call: CmdletCall, name: str, value: int) -> PSError:
    record = call.record(
        f"Cannot validate argument on parameter '{name}'. The {value} argument is less than the minimum allowed "
        "range of 0. Supply an argument that is greater than or equal to 0 and then try the command again.",
        "InvalidData",
        "ParameterBindingValidationException",
        "ParameterArgumentValidationError",
    )
    return PSError(record)


async def _start_sleep(call: CmdletCall) -> None:
    args = dict(call.args)
    if "Seconds" not in args and "Milliseconds" not in args and call.input:
        args["Seconds"] = convert_int32(call.input[0])
    if "Seconds" in args and "Milliseconds" in args:
        raise PSError(
            ErrorRecord(
                "Parameter set cannot be resolved using the specified named parameters.",
                "InvalidArgument",
                "ParameterBindingException",
                "AmbiguousParameterSet,Microsoft.PowerShell.Commands.StartSleepCommand",
                activity="Start-Sleep",
                extent=call.extent,
                invocation_name=call.invocation_name,
            )
        )
    name = "Seconds" if "Seconds" in args else "Milliseconds"
    if name not in args:
        raise call.missing_mandatory_parameter("Seconds")
    value = args[name]
    if value < 0:
        raise _validation_error(call, name, value)
    await asyncio.sleep(value if name == "Seconds" else value / 1000)


START_SLEEP = CmdletInfo(
    "Start-Sleep",
    "StartSleepCommand",
    (
        Param("Seconds", "System.Int32", convert_int32, position=0, pipeline=True),
        Param("Milliseconds", "System.Int32", convert_int32, aliases=("ms",)),
    ),
    _start_sleep,
    aliases=("sleep",),
)
