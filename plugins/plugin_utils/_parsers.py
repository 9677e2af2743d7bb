# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading what Windows tools print: the shared rules, and the Get-ChildItem JSON parser.

Every parser is a pure function from the text a command printed to frozen dataclasses. The tool
parsers live next to this module, one per tool:

- ``_parse_reg.py``: ``parse_reg_query`` (reg query, with or without /s)
- ``_parse_bcdedit.py``: ``parse_bcdedit_enum`` (bcdedit /enum)
- ``_parse_manage_bde.py``: ``parse_manage_bde_status``, ``parse_manage_bde_unlock``
- ``_parse_dism.py``: ``parse_dism_packages``, ``parse_dism_error``

and ``parse_get_child_items_json`` is here. The formats are those Microsoft Learn documents, checked
against Wine's conformance tests run on Windows and real transcripts (the samples under
tests/unit/collection/samples/); each parser's docstring names its sources.

Windows localizes these outputs (labels, sentences, dates, decimal separators), and Lifeline reads
the en-US forms only. A parser that meets anything it does not understand (another language, a cut
off block, an unexpected line) raises ``ParseError`` naming the tool and the line: never a guess,
never an IndexError or KeyError. Lines shown in a message have every run of six or more digits
withheld, since a BitLocker recovery password is made of such blocks.
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass

__all__ = [
    "FileEntry",
    "ParseError",
    "parse_get_child_items_json",
    "shown_line",
    "split_lines",
    "withhold_digits",
]

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# A recovery password is 8 blocks of 6 digits: any run of 6 or more digits could be (part of) one.
_DIGIT_RUN = re.compile(r"\d{6,}")
_WITHHELD = "[withheld]"
_SHOWN_LIMIT = 100


class ParseError(ValueError):
    """A tool printed something its parser does not understand (localized, cut off or unexpected).

    ``tool`` names the command (``"reg query"``), ``line_number`` is 1-based (None when the problem
    is not one line, such as missing output). The message shows the offending line only in a
    withheld form (see ``shown_line``), or not at all where a parser is told not to show lines.
    """

    def __init__(self, tool: str, problem: str, line_number: int | None = None, line: str | None = None) -> None:
        self.tool = tool
        self.problem = problem
        self.line_number = line_number
        where = ""
        if line_number is not None:
            where = f" at line {line_number}"
            if line is not None:
                where += f" {shown_line(line)}"
        super().__init__(f"cannot read the output of {tool}{where}: {problem}")


def split_lines(text: str) -> list[str]:
    """``text`` cut into lines at CRLF (what Windows tools print), LF or CR; a byte order mark is dropped.

    The last line is dropped when it is empty (the text ended with a line break). Trailing spaces are
    kept: reg query prints ``    name    REG_SZ    `` for an empty string.
    """
    if not isinstance(text, str):
        raise TypeError(f"tool output must be a string, not {type(text).__name__}")
    lines = _LINE_BREAK.split(text.removeprefix("\ufeff"))
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def withhold_digits(text: str) -> str:
    """``text`` with every run of six or more digits replaced by ``[withheld]``."""
    return _DIGIT_RUN.sub(_WITHHELD, text)


def shown_line(line: str) -> str:
    """A line of tool output as a message may show it: digit runs withheld, shortened, quoted."""
    text = withhold_digits(line)
    if len(text) > _SHOWN_LIMIT:
        text = text[: _SHOWN_LIMIT - 3] + "..."
    return repr(text)


# --- Get-ChildItem | Select-Object ... | ConvertTo-Json -Compress (windows-tools.md 7.5) ----------

_GCI_TOOL = "Get-ChildItem | ConvertTo-Json"
_GCI_PROPERTIES = ("FullName", "Length", "CreationTimeUtc", "LastWriteTimeUtc")
# Windows PowerShell 5.1 writes a DateTime as "\/Date(<ms since 1970-01-01 UTC>)\/"; JSON reads "\/" as "/".
_DOTNET_DATE = re.compile(r"/Date\((-?[0-9]{1,15})\)/")
# DateTime.ToString('o') of a UTC time: 2024-07-19T04:09:00.0000000Z (7 fraction digits); PowerShell 7
# writes the same form, with fewer fraction digits or an offset.
_ISO_DATE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,7}))?(Z|[+-][0-9]{2}:[0-9]{2})"
)
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


@dataclass(frozen=True)
class FileEntry:
    """One file as Get-ChildItem reports it (System.IO.FileInfo: FullName, Length, CreationTimeUtc,
    LastWriteTimeUtc). Times are aware datetimes in UTC, to the microsecond (.NET keeps 100 ns)."""

    full_name: str
    length: int
    creation_time_utc: datetime.datetime
    last_write_time_utc: datetime.datetime

    @property
    def name(self) -> str:
        """The file name without its folder (FileInfo.Name)."""
        return self.full_name.rsplit("\\", 1)[-1]


def parse_get_child_items_json(text: str) -> list[FileEntry]:
    """The files in the output of ``Get-ChildItem … | Select-Object FullName, Length, CreationTimeUtc,
    LastWriteTimeUtc | ConvertTo-Json -Compress`` (windows-tools.md 7.5; ConvertTo-Json, Microsoft Learn).

    Accepts an array, a single object (ConvertTo-Json does not wrap one piped item in an array),
    ``[]`` and empty output (no items piped: ConvertTo-Json prints nothing). Times may be ISO 8601
    strings with ``Z`` or an offset, or Windows PowerShell 5.1's ``"\\/Date(1721362140000)\\/"``.
    Anything else raises ParseError.
    """
    body = text.removeprefix("\ufeff").strip() if isinstance(text, str) else text
    if not isinstance(body, str):
        raise TypeError(f"tool output must be a string, not {type(text).__name__}")
    if not body:
        return []
    try:
        document = json.loads(body, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        line = body.count("\n", 0, error.pos) + 1
        raise ParseError(_GCI_TOOL, f"not JSON: {error.msg} (column {error.colno})", line) from None
    except (ValueError, RecursionError) as error:
        raise ParseError(_GCI_TOOL, f"not usable JSON: {withhold_digits(str(error))}") from None
    items = document if isinstance(document, list) else [document]
    return [_file_entry(item, position) for position, item in enumerate(items, start=1)]


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON value")


def _file_entry(item: object, position: int) -> FileEntry:
    where = f"item {position}"
    if not isinstance(item, dict):
        raise ParseError(_GCI_TOOL, f"{where} is a {_json_kind(item)}, not an object with {', '.join(_GCI_PROPERTIES)}")
    missing = [name for name in _GCI_PROPERTIES if name not in item]
    extra = sorted(set(item) - set(_GCI_PROPERTIES))
    if missing or extra:
        problems = []
        if missing:
            problems.append("lacks " + ", ".join(missing))
        if extra:
            problems.append(
                "has unexpected properties " + ", ".join(repr(withhold_digits(str(name))) for name in extra)
            )
        raise ParseError(_GCI_TOOL, f"{where} {' and '.join(problems)}")
    full_name, length = item["FullName"], item["Length"]
    if not isinstance(full_name, str) or not full_name:
        raise ParseError(_GCI_TOOL, f"{where}: FullName is a {_json_kind(full_name)}, not a path")
    if not isinstance(length, int) or isinstance(length, bool) or length < 0:
        raise ParseError(_GCI_TOOL, f"{where}: Length is a {_json_kind(length)}, not a size in bytes")
    return FileEntry(
        full_name=full_name,
        length=length,
        creation_time_utc=_json_time(item["CreationTimeUtc"], f"{where}: CreationTimeUtc"),
        last_write_time_utc=_json_time(item["LastWriteTimeUtc"], f"{where}: LastWriteTimeUtc"),
    )


def _json_time(value: object, where: str) -> datetime.datetime:
    # Windows PowerShell 5.1 serialises a DateTime wrapped in a PSObject with its ETS properties:
    # {"value": "\/Date(...)\/", "DisplayHint": 2, "DateTime": "..."} (windows-tools.md 7.5).
    if isinstance(value, dict) and "value" in value:
        value = value["value"]
    if not isinstance(value, str):
        raise ParseError(_GCI_TOOL, f"{where} is a {_json_kind(value)}, not a date")
    match = _DOTNET_DATE.fullmatch(value)
    if match:
        try:
            return _EPOCH + datetime.timedelta(milliseconds=int(match.group(1)))
        except OverflowError:
            raise ParseError(_GCI_TOOL, f"{where} {shown_line(value)} is out of range") from None
    match = _ISO_DATE.fullmatch(value)
    if not match:
        raise ParseError(_GCI_TOOL, f"{where} {shown_line(value)} is neither ISO 8601 with a zone nor \\/Date(ms)\\/")
    year, month, day, hour, minute, second = (int(part) for part in match.group(1, 2, 3, 4, 5, 6))
    microsecond = int((match.group(7) or "0").ljust(7, "0")[:6])
    zone = match.group(8)
    if zone == "Z":
        tzinfo = datetime.UTC
    else:
        sign = -1 if zone[0] == "-" else 1
        tzinfo = datetime.timezone(sign * datetime.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
    try:
        moment = datetime.datetime(year, month, day, hour, minute, second, microsecond, tzinfo=tzinfo)
    except ValueError:
        raise ParseError(_GCI_TOOL, f"{where} {shown_line(value)} is not a valid date") from None
    return moment.astimezone(datetime.UTC)


def _json_kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"
