"""powershell.exe (Windows PowerShell 5.1) as a program: its command-line parameters, then the script.

Parameter rules from about_PowerShell_exe and the 5.1 CommandLineParameterParser: `-` or `/` prefix (a second
dash is ignored), case-insensitive, any prefix at least as long as the documented short form (-e/-ec/-enc for
-EncodedCommand, -ex/-ep for -ExecutionPolicy, -nop, -noni, -nol, -c, -f ...). -Command takes the rest of the line
(`-` means read the script from stdin); the first unrecognised argument starts the command. A bad command line
writes one plain error line to stderr and exits with 0xFFFD0000 (-196608 as a signed code); the real program also
prints its usage text on stdout, which the lab leaves out.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field

from .context import ProcessContext
from .powershell import run_script
from .powershell.errors import ErrorRecord
from .powershell.host import Host

EXIT_BAD_COMMAND_LINE = 0xFFFD0000
BAD_ENCODED_COMMAND = (
    "Cannot process the command because the value specified with -EncodedCommand is not properly encoded. "
    "The value must be Base64 encoded."
)
MISSING_COMMAND = "Cannot process the command because of a missing parameter. A command must follow -Command."
COMMAND_ALREADY_SPECIFIED = (
    "Cannot process command because a command is already specified with -Command or -EncodedCommand."
)
TOO_MANY_FOR_STDIN = "'-' was specified with the -Command parameter; no other arguments to -Command are permitted."
MISSING_POLICY = (
    "Cannot process the execution policy because of a missing policy name. A policy name must follow -ExecutionPolicy."
)
MISSING_FILE = (
    "The command cannot be run because the File parameter requires a file path. Supply a path for the File "
    "parameter and then try the command again."
)

_MISSING_VALUE = {
    "policy": MISSING_POLICY,
    "encoded": MISSING_COMMAND,
    "arguments": "Cannot process the command because -EncodedArguments requires a value. "
    "Specify a value for the -EncodedArguments parameter.",
    "value": "Cannot process the command because -WindowStyle requires an argument that is normal, hidden, "
    "minimized or maximized. Specify one of these argument values and try again.",
}

# (full name, shortest accepted prefix, action); order matters, as in the real parser.
_SWITCHES = (
    ("help", "h", "unsupported"), ("?", "?", "unsupported"), ("noexit", "noe", "unsupported"),
    ("importsystemmodules", "imp", "flag"), ("noprofile", "nop", "flag"), ("nologo", "nol", "flag"),
    ("noninteractive", "noni", "flag"), ("socketservermode", "so", "unsupported"),
    ("servermode", "s", "unsupported"), ("namedpipeservermode", "nam", "unsupported"),
    ("configurationname", "config", "unsupported"), ("command", "c", "command"), ("windowstyle", "w", "value"),
    ("file", "f", "file"), ("outputformat", "o", "format"), ("of", "o", "format"), ("inputformat", "i", "format"),
    ("if", "i", "format"), ("executionpolicy", "ex", "policy"), ("ep", "ep", "policy"),
    ("encodedcommand", "e", "encoded"), ("ec", "e", "encoded"), ("encodedarguments", "encodeda", "arguments"),
    ("ea", "ea", "arguments"), ("sta", "s", "flag"), ("mta", "mta", "flag"), ("version", "v", "unsupported"),
    ("psconsolefile", "psc", "unsupported"),
)  # fmt: skip


@dataclass
class Invocation:
    """What the command line asked for."""

    command: str | None = None
    encoded: bool = False
    read_stdin: bool = False
    encoded_arguments: bool = False
    output_xml: bool = False
    input_xml: bool = False
    error: str | None = None
    unsupported: list[str] = field(default_factory=list)


def _match(key: str) -> tuple[str, str] | None:
    for name, shortest, action in _SWITCHES:
        if name.startswith(key) and len(key) >= len(shortest):
            return name, action
    return None


def decode_encoded_command(value: str) -> str | None:
    """Base64 of UTF-16LE as Convert.FromBase64String + Encoding.Unicode read it; None when invalid."""
    compact = "".join(value.split())
    try:
        data = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return None
    return data.decode("utf-16-le", errors="replace")


def parse_arguments(args: list[str]) -> Invocation:
    """Interpret powershell.exe's arguments (argv without the program)."""
    result = Invocation()
    index = 0
    while index < len(args):
        raw = args[index].strip()
        index += 1
        if not raw:
            continue
        if raw[0] not in "-/\u2013\u2014\u2015":
            index -= 1
            return _command(result, args, index)
        key = raw[1:].lower()
        if key[:1] in "-\u2013\u2014\u2015":
            key = key[1:]
        matched = _match(key) if key else None
        if matched is None:
            return _command(result, args, index - 1)
        name, action = matched
        if action == "flag":
            continue
        if action == "unsupported":
            result.unsupported.append(f"-{name}")
            continue
        if action == "command":
            return _command(result, args, index)
        if action == "file":
            result.error = MISSING_FILE if index >= len(args) else _file_error(args[index])
            return result
        if index >= len(args):
            result.error = _MISSING_VALUE.get(action, f"Cannot process the command because -{name} requires a value.")
            return result
        value = args[index]
        index += 1
        if action == "encoded":
            if result.command is not None:
                result.error = COMMAND_ALREADY_SPECIFIED
                return result
            decoded = decode_encoded_command(value)
            if decoded is None:
                result.error = BAD_ENCODED_COMMAND
                return result
            result.command, result.encoded = decoded, True
        elif action == "arguments":
            result.encoded_arguments = True
        elif action == "format":
            if value.lower() not in ("text", "xml"):
                result.error = f"The lab does not recognise the value '{value}' for -{name}; use Text or XML."
                return result
            xml = value.lower() == "xml"
            if name in ("outputformat", "of"):
                result.output_xml = xml
            else:
                result.input_xml = xml
    return result


def _command(result: Invocation, args: list[str], index: int) -> Invocation:
    """-Command: `-` (stdin) or the rest of the line joined with spaces."""
    if result.command is not None:
        result.error = COMMAND_ALREADY_SPECIFIED
    elif index >= len(args):
        result.error = MISSING_COMMAND
    elif args[index] == "-":
        if index + 1 != len(args):
            result.error = TOO_MANY_FOR_STDIN
        result.read_stdin = True
    else:
        result.command = " ".join(args[index:])
    return result


def _file_error(path: str) -> str:
    """-File: the lab has no script files, so every path fails as a missing file does in 5.1."""
    if not path.lower().endswith(".ps1"):
        return (
            f"Processing -File '{path}' failed because the file does not have a '.ps1' extension. "
            "Specify a valid Windows PowerShell script file name, and then try again."
        )
    return (
        f"The argument '{path}' to the -File parameter does not exist. Provide the path to an existing '.ps1' "
        "file as an argument to the -File parameter."
    )


def _lab_refusal(ctx: ProcessContext, what: str, xml_errors: bool) -> int:
    """Something powershell.exe supports that the lab does not: a terminating error record, exit 1."""
    host = Host(ctx, xml_errors=xml_errors)
    host.write_error_record(
        ErrorRecord(
            f"The Lifeline lab does not implement {what}.",
            "NotImplemented",
            "PSNotImplementedException",
            "LabNotImplemented",
        )
    )
    host.close()
    return 1


async def run_powershell_exe(argv: list[str], ctx: ProcessContext) -> int:
    """powershell.exe with argv (argv[0] is the program)."""
    invocation = parse_arguments(argv[1:])
    if invocation.error is not None:
        ctx.write_stderr(invocation.error + "\r\n")
        return EXIT_BAD_COMMAND_LINE
    if invocation.unsupported:
        return _lab_refusal(ctx, f"powershell.exe {', '.join(invocation.unsupported)}", invocation.encoded)
    if invocation.encoded_arguments:
        return _lab_refusal(ctx, "powershell.exe -EncodedArguments (arguments for the encoded command)", True)
    if invocation.output_xml or (invocation.input_xml and invocation.read_stdin):
        return _lab_refusal(ctx, "powershell.exe -OutputFormat/-InputFormat XML", invocation.encoded)
    if invocation.read_stdin or invocation.command is None:
        # -Command - (or no command at all): the script is standard input, read to its end.
        data = await ctx.stdin.read()
        script = data.decode("utf-8", errors="replace").lstrip("\ufeff")
        return await run_script(script, ctx, xml_errors=False)
    return await run_script(invocation.command, ctx, xml_errors=invocation.encoded)
