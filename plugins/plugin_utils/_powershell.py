# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The grammar half of the one place that says anything to Windows: quoting, native calls, encoding.

Every remote command Lifeline sends is a PowerShell script built here (the builders, one module per
tool, use nothing else) and sent as one ``PowerShell … -EncodedCommand`` line.

Statements, then one script: a tool builder returns the statement that runs its tool (a ``NativeCall``)
or the statements of a cmdlet (a list of lines); a script's builder combines them (``checked`` stops at
a failing tool with its exit code, ``_report.captured`` keeps a tool's output for the controller) and
``script`` joins them, once, after the ``PREAMBLE``. ``native_script`` is the script of a single call.

Literals (``quote``): a PowerShell single-quoted string is verbatim: no ``$`` expansion, no
backtick escapes. Inside it, every single-quote character ends the string unless it is doubled,
and PowerShell counts five characters as single quotes: ``'`` and the typographic U+2018, U+2019,
U+201A, U+201B (``CharExtensions.IsSingleQuote`` and ``Tokenizer.ScanStringLiteral`` in the
PowerShell source; about_Quoting_Rules). Each is doubled with itself, so the value keeps it.

Native programs (``native``): Windows PowerShell 5.1, the PowerShell that Windows and WinRE/WinPE
images (with the WinPE-PowerShell component) carry, does not hand a native program its arguments
as a list. Its
``NativeCommandParameterBinder`` rebuilds one command line from the argument values
(``$PSNativeCommandArgumentPassing = 'Legacy'`` in PowerShell 7.3+), and the program splits that
line again with the Microsoft C runtime rules ("Parsing C command-line arguments", Microsoft Learn):

1. an empty string is left off the command line: the program never sees the argument;
2. a value containing whitespace (``char.IsWhiteSpace``) is wrapped in double quotes, but
   double quotes inside the value are not escaped: the program reads them as quoting, so the
   argument is split or joined with its neighbour;
3. a backslash at the end of a value that gets wrapped is not doubled, so the program reads
   ``\\"`` as a literal quote and the rest of the line joins this argument (PowerShell 6 fixed this
   in PR #4965, issue #4358; 5.1 still does it, issue #7400);
4. a value equal to ``--%`` is taken as the stop-parsing token even when quoted: it is dropped
   and changes how the later arguments are passed.

(about_Parsing, "Passing arguments that contain quote characters"; PowerShell issue #1995.)
``native`` therefore refuses, with a ValueError naming the argument, every value for which that
would happen: empty values, values containing ``"``, values that contain whitespace and end with a
backslash, and ``--%``. Whatever it accepts reaches the program as exactly one argument, unchanged,
under the Legacy rules and under the 7.3+ Standard/Windows rules alike (which pass such values
unchanged too). A program that parses its command line in its own way (cmd.exe and batch files)
is outside this rule; Lifeline does not call one.

Transport: ``encoded_command`` builds the full ``PowerShell -NoProfile -NonInteractive
-ExecutionPolicy Unrestricted -EncodedCommand <base64 of UTF-16LE>`` line. ansible-core 2.17-2.21
send a line with that prefix as it is (2.19/2.20 recognise the prefix and skip their own encoding,
which would also strip the script's lines), so it is portable. WinRM runs the line through cmd.exe,
whose command line holds 8191 characters; a longer line is refused here rather than cut there.
"""

from __future__ import annotations

import base64
import re
import unicodedata
from dataclasses import dataclass

from ansible_collections.lifeline.recovery.plugins.plugin_utils._inputs import shown

__all__ = [
    "ENCODED_COMMAND_PREFIX",
    "MAX_COMMAND_LINE",
    "PREAMBLE",
    "SINGLE_QUOTES",
    "NativeCall",
    "checked",
    "encoded_command",
    "exit_with_native_code",
    "native",
    "native_argument_problem",
    "native_script",
    "quote",
    "script",
    "shown",
]

# CharExtensions.IsSingleQuote: ' and the typographic U+2018, U+2019, U+201A, U+201B.
SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b"
ENCODED_COMMAND_PREFIX = "PowerShell -NoProfile -NonInteractive -ExecutionPolicy Unrestricted -EncodedCommand "
# cmd.exe's command line limit (WinRM starts commands through cmd.exe): "The command line is too long."
MAX_COMMAND_LINE = 8191
# Stop on the first error (a terminating error makes PowerShell exit 1 with the error on stderr) and
# keep progress records out of stderr. Output encoding is the shell's: ansible-core's winrm connection
# opens its WinRS shell with WINRS_CODEPAGE 65001, so PowerShell and the native programs it starts
# write UTF-8 (MS-WSMV 2.2.4.37 WINRS_CODEPAGE); other clients should ask for 65001 too.
PREAMBLE = (
    "$ErrorActionPreference = 'Stop'",
    "$ProgressPreference = 'SilentlyContinue'",
)
# .NET char.IsWhiteSpace: the Unicode separators plus these controls. Python's str.isspace is added
# (it also counts U+001C-U+001F), so this set is never smaller than the one 5.1 quotes on.
_DOTNET_WHITESPACE_CONTROLS = "\t\n\v\f\r\x85\xa0"
_PROGRAM = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\.exe", re.ASCII | re.IGNORECASE)


def _check_text(value: object, what: str, show: bool = True) -> str:
    """``value`` if it is text that PowerShell can receive; ``show=False`` keeps it out of the message."""
    if not isinstance(value, str):
        raise ValueError(f"{what} must be a string, not {type(value).__name__}")
    named = f"{what} {shown(value)}" if show else what
    if "\x00" in value:
        raise ValueError(f"{named} contains a NUL character, which no command line can carry")
    if any(0xD800 <= ord(char) <= 0xDFFF for char in value):
        raise ValueError(f"{named} contains a lone surrogate, which UTF-16 cannot encode")
    return value


def quote(value: str) -> str:
    """``value`` as one PowerShell single-quoted (verbatim) string literal.

    Every single-quote character (``'`` and U+2018, U+2019, U+201A, U+201B) is doubled; nothing
    else is special inside the literal. Raises ValueError for NUL and lone surrogates.
    """
    _check_text(value, "a PowerShell literal")
    return "'" + "".join(char * 2 if char in SINGLE_QUOTES else char for char in value) + "'"


def _is_whitespace(char: str) -> bool:
    return char in _DOTNET_WHITESPACE_CONTROLS or char.isspace() or unicodedata.category(char) in ("Zs", "Zl", "Zp")


def native_argument_problem(argument: object) -> str | None:
    """Why Windows PowerShell 5.1 would not pass ``argument`` to a native program unchanged, or None.

    The rule and its sources are in this module's docstring.
    """
    if not isinstance(argument, str):
        return f"must be a string, not {type(argument).__name__}"
    if argument == "":
        return "is empty, and Windows PowerShell 5.1 leaves empty arguments off the command line"
    if "\x00" in argument:
        return "contains a NUL character, which no command line can carry"
    if '"' in argument:
        return (
            'contains a double quote ("), which Windows PowerShell 5.1 passes on unescaped, '
            "so the program would split the argument or join it with the next one"
        )
    if argument == "--%":
        return "is the stop-parsing token --%, which Windows PowerShell 5.1 drops even when quoted"
    if argument.endswith("\\") and any(_is_whitespace(char) for char in argument):
        return (
            "contains whitespace and ends with a backslash: Windows PowerShell 5.1 wraps it in double "
            'quotes without doubling the backslash, so the program would read \\" as a literal quote'
        )
    return None


def native(program: str, *arguments: str) -> str:
    """A statement that runs ``program`` with each argument passed as exactly one literal argument.

    ``& 'reg.exe' 'query' 'HKLM\\SYSTEM\\Select'``: the call operator and single-quoted literals, so
    PowerShell itself interprets nothing. ``program`` is a bare ``name.exe`` found on PATH. Raises
    ValueError, naming the argument, for any value that Windows PowerShell 5.1 would not pass on
    unchanged (see ``native_argument_problem``).
    """
    if not isinstance(program, str) or not _PROGRAM.fullmatch(program):
        raise ValueError(f"native program {shown(program)} is not a bare program name such as 'reg.exe'")
    for position, argument in enumerate(arguments, start=1):
        problem = native_argument_problem(argument)
        if problem:
            raise ValueError(f"argument {position} of {program} {shown(argument)} {problem}")
    return " ".join(["&", quote(program), *(quote(argument) for argument in arguments)])


def exit_with_native_code() -> str:
    """The statement that ends a script with the exit code of the native program it ran last."""
    return "exit $LASTEXITCODE"


@dataclass(frozen=True, init=False)
class NativeCall:
    """One run of a native program as a statement: ``str()`` is ``native(program, *arguments)``, checked when the
    call is made (ValueError naming the argument), so a builder's bad input is refused before any script exists.
    It is not a script: place it in one with ``native_script``, ``checked`` or ``_report.captured``."""

    statement: str

    def __init__(self, program: str, *arguments: str) -> None:
        object.__setattr__(self, "statement", native(program, *arguments))

    def __str__(self) -> str:
        return self.statement


def native_script(call: NativeCall) -> str:
    """The script of one call: it runs the program and ends with the program's exit code."""
    return script(str(call), exit_with_native_code())


def checked(call: NativeCall) -> list[str]:
    """The call, then the statement that ends the script with the program's exit code when it is not 0; a script
    of several checked calls stops at the first that fails."""
    return [str(call), "if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }"]


def script(*statements: str) -> str:
    """The statements, one per line, after ``PREAMBLE`` (stop on errors, no progress records)."""
    if not statements:
        raise ValueError("a script needs at least one statement")
    for statement in statements:
        _check_text(statement, "a script statement", show=False)
        if not statement.strip():
            raise ValueError("a script statement is empty")
    return "\n".join((*PREAMBLE, *statements))


def encoded_command(script_text: str) -> str:
    """The full ``PowerShell … -EncodedCommand <base64 of UTF-16LE>`` line that runs ``script_text``.

    The script is encoded as it is (no lines stripped). Raises ValueError when the line would be
    longer than ``MAX_COMMAND_LINE``; the message gives lengths only, never the script.
    """
    _check_text(script_text, "a script", show=False)
    if not script_text.strip():
        raise ValueError("a script is empty")
    line = ENCODED_COMMAND_PREFIX + base64.b64encode(script_text.encode("utf-16-le")).decode("ascii")
    if len(line) > MAX_COMMAND_LINE:
        raise ValueError(
            f"the encoded command line would be {len(line)} characters ({len(script_text)} in the script), "
            f"over the {MAX_COMMAND_LINE} that cmd.exe accepts; send less in one command"
        )
    return line
