"""Get-Date (Microsoft.PowerShell.Utility), on a host whose time zone is UTC.

MS Learn, Get-Date (5.1): the current date and time, or -Date; -Year ... -Millisecond replace parts; -Format
takes a .NET format string and -UFormat a UNIX one, both returning a string; otherwise a DateTime whose
DisplayHint (Date, Time, DateTime) decides how it is shown (windows-tools.md §7.5 for its JSON form).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import datetimes
from ..binding import CmdletInfo, ConversionFailure, Param, convert_int32, enum_converter
from ..datetimes import DISPLAY_HINTS, PSDateTime, dotnet_format, parse_datetime, uformat
from ..errors import runtime_error
from ..values import PSObject, to_string

if TYPE_CHECKING:
    from ..commands import CmdletCall


def convert_datetime(value: Any) -> PSDateTime:
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, PSDateTime):
        return value
    parsed = parse_datetime(to_string(value)) if value is not None else None
    if parsed is None:
        raise ConversionFailure("String was not recognized as a valid DateTime.")
    return parsed


async def _get_date(call: CmdletCall) -> None:
    args = call.args
    if "Date" in args:
        base = args["Date"]
        value, kind = base.value, base.kind if base.kind != "Unspecified" else "Local"
    elif call.input:
        first = call.input[0]
        if isinstance(first, PSObject) and not isinstance(first, PSDateTime) and first.has_property("LastWriteTime"):
            first = first.get_property("LastWriteTime")  # ValueFromPipelineByPropertyName (alias LastWriteTime)
        base = convert_datetime(first)
        value, kind = base.value, "Local" if base.kind == "Unspecified" else base.kind
    else:
        value, kind = datetimes.utc_now().replace(tzinfo=None), "Local"
    replacements = {
        "Year": "year", "Month": "month", "Day": "day", "Hour": "hour", "Minute": "minute", "Second": "second",
    }  # fmt: skip
    try:
        value = value.replace(**{field: args[name] for name, field in replacements.items() if name in args})
        if "Millisecond" in args:
            value = value.replace(microsecond=args["Millisecond"] * 1000)
    except ValueError as error:
        raise runtime_error(str(error), "ParameterArgumentValidationError", call.extent) from None
    if "Format" in args:
        try:
            call.emit(dotnet_format(value, kind, to_string(args["Format"])))
        except datetimes.FormatError as error:
            raise runtime_error(
                str(error), "System.FormatException,Microsoft.PowerShell.Commands.GetDateCommand", call.extent
            ) from None
        return
    if "UFormat" in args:
        call.emit(uformat(value, to_string(args["UFormat"])))
        return
    call.emit(PSDateTime(value, kind, display_hint=args.get("DisplayHint", "DateTime"), wrapped=True))


def _part(low: int, high: int) -> Any:
    def convert(value: Any) -> int:
        number = convert_int32(value)
        if not low <= number <= high:
            raise ConversionFailure(f"The value {number} is outside the range {low}-{high}.")
        return number

    return convert


GET_DATE = CmdletInfo(
    "Get-Date",
    "GetDateCommand",
    (
        Param("Date", "System.DateTime", convert_datetime, position=0, pipeline=True, aliases=("LastWriteTime",)),
        Param("Year", "System.Int32", _part(1, 9999)),
        Param("Month", "System.Int32", _part(1, 12)),
        Param("Day", "System.Int32", _part(1, 31)),
        Param("Hour", "System.Int32", _part(0, 23)),
        Param("Minute", "System.Int32", _part(0, 59)),
        Param("Second", "System.Int32", _part(0, 59)),
        Param("Millisecond", "System.Int32", _part(0, 999)),
        Param("DisplayHint", "Microsoft.PowerShell.Commands.DisplayHintType", enum_converter(DISPLAY_HINTS)),
        Param("Format", "System.String", to_string),
        Param("UFormat", "System.String", to_string),
    ),
    _get_date,
)
