"""Write-Output, Write-Host, Write-Error, Write-Warning, Write-Verbose, Write-Debug (Microsoft.PowerShell.Utility).

Write-Error called from a script is reported with the invoking script block's text as its prefix
("<script> : message") and no position block, which is how Windows PowerShell 5.1 shows it for -Command.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..binding import CmdletInfo, Param, enum_converter
from ..errors import ErrorRecord, not_implemented
from ..values import to_string

if TYPE_CHECKING:
    from ..commands import CmdletCall

CONSOLE_COLORS = (
    "Black", "DarkBlue", "DarkGreen", "DarkCyan", "DarkRed", "DarkMagenta", "DarkYellow", "Gray",
    "DarkGray", "Blue", "Green", "Cyan", "Red", "Magenta", "Yellow", "White",
)  # fmt: skip
ERROR_CATEGORIES = (
    "NotSpecified", "OpenError", "CloseError", "DeviceError", "DeadlockDetected", "InvalidArgument", "InvalidData",
    "InvalidOperation", "InvalidResult", "InvalidType", "MetadataError", "NotImplemented", "NotInstalled",
    "ObjectNotFound", "OperationStopped", "OperationTimeout", "SyntaxError", "ParserError", "PermissionDenied",
    "ResourceBusy", "ResourceExists", "ResourceUnavailable", "ReadError", "WriteError", "FromStdErr",
    "SecurityError", "ProtocolError", "ConnectionError", "AuthenticationError", "LimitsExceeded", "QuotaExceeded",
    "NotEnabled",
)  # fmt: skip


async def _write_output(call: CmdletCall) -> None:
    if "InputObject" in call.args:
        bound = call.args["InputObject"]
        values = bound if isinstance(bound, list) else [bound]
    else:
        values = call.input
    for value in values:
        if isinstance(value, list) and not call.args.get("NoEnumerate"):
            for item in value:
                call.emit(item)
        else:
            call.emit(value)


def _host_text(value: Any, separator: str) -> str:
    if isinstance(value, list):
        return separator.join(_host_text(item, separator) for item in value)
    return to_string(value)


async def _write_host(call: CmdletCall) -> None:
    separator = to_string(call.args.get("Separator", " "))
    objects = [call.args["Object"]] if "Object" in call.args else (call.input or [""])
    ending = "" if call.args.get("NoNewline") else "\r\n"
    for value in objects:
        call.interp.host.write(_host_text(value, separator) + ending)


async def _write_error(call: CmdletCall) -> None:
    for unsupported in ("Exception", "ErrorRecord"):
        if unsupported in call.args:
            raise not_implemented(f"Write-Error -{unsupported}", call.extent)
    target = call.args.get("TargetObject")
    name = call.args.get("CategoryTargetName", "" if target is None else to_string(target))
    kind = call.args.get("CategoryTargetType", "" if target is None else "String")
    record = ErrorRecord(
        to_string(call.args.get("Message", "")),
        call.args.get("Category", "NotSpecified"),
        call.args.get("CategoryReason", "WriteErrorException"),
        call.args.get("ErrorId", "Microsoft.PowerShell.Commands.WriteErrorException"),
        name,
        kind,
        activity=call.args.get("CategoryActivity", "Write-Error"),
        extent=call.extent,
        script_text=call.interp.script_texts[-1],
    )
    call.write_error(record)


def _messages(call: CmdletCall) -> list[str]:
    return [to_string(call.args["Message"])] if "Message" in call.args else [to_string(v) for v in call.input]


async def _write_warning(call: CmdletCall) -> None:
    for message in _messages(call):
        call.write_warning(message)


async def _write_verbose(call: CmdletCall) -> None:
    for message in _messages(call):
        call.write_verbose(message)


async def _write_debug(call: CmdletCall) -> None:
    for message in _messages(call):
        call.write_debug(message)


def _message_param() -> Param:
    return Param("Message", "System.String", position=0, pipeline=True, mandatory=True, aliases=("Msg",))


WRITE_OUTPUT = CmdletInfo(
    "Write-Output",
    "WriteOutputCommand",
    (
        Param(
            "InputObject",
            "System.Management.Automation.PSObject[]",
            position=0,
            remaining=True,
            pipeline=True,
            mandatory=True,
        ),
        Param("NoEnumerate", switch=True),
    ),
    _write_output,
    aliases=("echo", "write"),
)
WRITE_HOST = CmdletInfo(
    "Write-Host",
    "WriteHostCommand",
    (
        Param("Object", position=0, remaining=True, pipeline=True),
        Param("NoNewline", switch=True),
        Param("Separator"),
        Param("ForegroundColor", "System.ConsoleColor", enum_converter(CONSOLE_COLORS)),
        Param("BackgroundColor", "System.ConsoleColor", enum_converter(CONSOLE_COLORS)),
    ),
    _write_host,
)
WRITE_ERROR = CmdletInfo(
    "Write-Error",
    "WriteErrorCommand",
    (
        Param("Message", "System.String", to_string, position=0, aliases=("Msg",)),
        Param("Category", "System.Management.Automation.ErrorCategory", enum_converter(ERROR_CATEGORIES)),
        Param("ErrorId", "System.String", to_string),
        Param("TargetObject"),
        Param("RecommendedAction", "System.String", to_string),
        Param("CategoryActivity", "System.String", to_string, aliases=("Activity",)),
        Param("CategoryReason", "System.String", to_string, aliases=("Reason",)),
        Param("CategoryTargetName", "System.String", to_string, aliases=("TargetName",)),
        Param("CategoryTargetType", "System.String", to_string, aliases=("TargetType",)),
        Param("Exception", "System.Exception"),
        Param("ErrorRecord", "System.Management.Automation.ErrorRecord"),
    ),
    _write_error,
)
WRITE_WARNING = CmdletInfo("Write-Warning", "WriteWarningCommand", (_message_param(),), _write_warning)
WRITE_VERBOSE = CmdletInfo("Write-Verbose", "WriteVerboseCommand", (_message_param(),), _write_verbose)
WRITE_DEBUG = CmdletInfo("Write-Debug", "WriteDebugCommand", (_message_param(),), _write_debug)
