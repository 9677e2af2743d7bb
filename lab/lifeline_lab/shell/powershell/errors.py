"""PowerShell error records and the three ways an error travels (about_Throw, about_Preference_Variables).

- non-terminating: written to the error stream, the command goes on, `$?` becomes False;
- statement-terminating (command not found, parameter binding, most runtime exceptions): the current statement
  stops, the script goes on;
- script-terminating (`throw`, a Stop error action, anything the lab does not implement): the script stops.
"""

from __future__ import annotations

from dataclasses import dataclass

from .position import Extent

CMDLET_NAMESPACE = "Microsoft.PowerShell.Commands"


@dataclass
class ErrorRecord:
    """What the error view needs: message, position, CategoryInfo parts and FullyQualifiedErrorId."""

    message: str
    category: str
    reason: str
    error_id: str
    target_name: str = ""
    target_type: str = ""
    activity: str = ""
    extent: Extent | None = None
    invocation_name: str = ""
    script_text: str | None = None
    parse_error: bool = False

    @property
    def category_info(self) -> str:
        """ErrorCategoryInfo.GetMessage(): `Category: (target:Type) [activity], Reason`."""
        target = ellipsize(self.target_name)
        return f"{self.category}: ({target}:{self.target_type}) [{self.activity}], {self.reason}"


def ellipsize(text: str) -> str:
    """ErrorCategoryInfo.Ellipsize: over 40 characters, the first 15 + "..." + the last 15 (windows-tools.md §0.3)."""
    return text if len(text) <= 40 else text[:15] + "..." + text[-15:]


class PSError(Exception):
    """A terminating error carrying its record; `script_terminating` says how far it unwinds."""

    def __init__(self, record: ErrorRecord, *, script_terminating: bool = False) -> None:
        super().__init__(record.message)
        self.record = record
        self.script_terminating = script_terminating


class PSExit(Exception):
    """The `exit` keyword: ends the process with this exit code."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class BreakLoop(Exception):
    """`break` (caught by the innermost loop)."""


class ContinueLoop(Exception):
    """`continue` (caught by the innermost loop)."""


class ReturnFromScript(Exception):
    """`return` (caught by the invoked script block)."""


def target_of(value: object) -> tuple[str, str]:
    """TargetName and TargetType for a CategoryInfo: ("foo", "String") for a string target."""
    if value is None:
        return "", ""
    if isinstance(value, str):
        return value, "String"
    return str(value), type(value).__name__


def command_not_found(name: str, extent: Extent) -> PSError:
    """CommandNotFoundException, statement-terminating, exactly as PowerShell 5.1 words it."""
    message = (
        f"The term '{name}' is not recognized as the name of a cmdlet, function, script file, or operable program. "
        "Check the spelling of the name, or if a path was included, verify that the path is correct and try again."
    )
    record = ErrorRecord(
        message,
        "ObjectNotFound",
        "CommandNotFoundException",
        "CommandNotFoundException",
        target_name=name,
        target_type="String",
        extent=extent,
        invocation_name=name,
    )
    return PSError(record)


def runtime_error(
    message: str,
    error_id: str,
    extent: Extent | None,
    *,
    category: str = "InvalidOperation",
    target: object = None,
    reason: str = "RuntimeException",
) -> PSError:
    """A RuntimeException raised while evaluating the script (statement-terminating)."""
    name, kind = target_of(target)
    record = ErrorRecord(message, category, reason, error_id, name, kind, extent=extent)
    return PSError(record)


def not_implemented(what: str, extent: Extent | None) -> PSError:
    """The lab met valid PowerShell it does not evaluate: stop the script, never pretend it ran."""
    snippet = extent.text.strip().splitlines()[0] if extent is not None and extent.text.strip() else ""
    shown = f": {snippet}" if snippet and snippet not in what else ""
    record = ErrorRecord(
        f"The Lifeline lab does not implement {what}{shown}",
        "NotImplemented",
        "PSNotImplementedException",
        "LabNotImplemented",
        extent=extent,
    )
    return PSError(record, script_terminating=True)


def parse_error(message: str, error_id: str, extent: Extent) -> PSError:
    """A ParseException: nothing in the script runs."""
    record = ErrorRecord(
        message, "ParserError", "ParentContainsErrorRecordException", error_id, extent=extent, parse_error=True
    )
    return PSError(record, script_terminating=True)
