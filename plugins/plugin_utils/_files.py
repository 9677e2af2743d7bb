# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The file cmdlets Lifeline uses, and reading the file listings they print as JSON (Get-ChildItem, Get-Content,
Get-FileHash, Move-Item, New-Item, Set-Content, Test-Path, Select-Object, ConvertTo-Json; Microsoft Learn).

Builders return statements (a list of lines) for a script to hold (``_powershell.script``): paths are absolute
Windows paths (``_inputs.windows_path``) and every value is one single-quoted literal.

Listings: ``parse_get_child_items_json`` reads ``Get-ChildItem ... | Select-Object ... | ConvertTo-Json`` into
``FileEntry`` items; ``json_time`` reads the times ConvertTo-Json writes (``\\/Date(ms)\\/`` in Windows PowerShell 5.1,
ISO 8601 in 7).
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass

from ansible_collections.lifeline.recovery.plugins.plugin_utils._inputs import flag, integer, shown, windows_path
from ansible_collections.lifeline.recovery.plugins.plugin_utils._inputs import text as _text
from ansible_collections.lifeline.recovery.plugins.plugin_utils._parsers import ParseError, shown_line, withhold_digits
from ansible_collections.lifeline.recovery.plugins.plugin_utils._powershell import quote

__all__ = [
    "FILTER_FORBIDDEN",
    "HEADER_LIMIT",
    "FileEntry",
    "file_hash",
    "file_header_hex",
    "get_child_items_json",
    "get_content",
    "json_time",
    "move_item",
    "new_directory",
    "parse_get_child_items_json",
    "set_content",
    "test_path",
]

# Get-ChildItem -Filter goes to FindFirstFile, which also reads < > " as wildcards.
FILTER_FORBIDDEN = set('\\/:<>"|')
HEADER_LIMIT = 4096


def get_child_items_json(folder: str, pattern: str, recurse: bool = False) -> list[str]:
    """The files in ``folder`` matching ``pattern`` as one JSON array (``[]`` when none).

    Each item: FullName, Length, CreationTimeUtc and LastWriteTimeUtc (ConvertTo-Json's DateTime form,
    ``"\\/Date(ms)\\/"`` in Windows PowerShell 5.1; cmdlets only, no .NET methods). Hidden and system
    files included (-Force). ``pattern`` is a -Filter wildcard (``*`` and ``?``) for names inside
    ``folder``: no path separators, no ``..``.
    """
    folder = windows_path(folder, "folder")
    pattern = _text(pattern, "file name pattern")
    if not pattern or set(pattern) <= {"."} or FILTER_FORBIDDEN.intersection(pattern):
        raise ValueError(f'file name pattern {shown(pattern)} must be a file name wildcard without \\ / : < > " |')
    listing = (
        f"Get-ChildItem -LiteralPath {quote(folder)} -Filter {quote(pattern)} -File -Force"
        + (" -Recurse" if flag(recurse, "recurse") else "")
        + " | Select-Object -Property 'FullName', 'Length', 'CreationTimeUtc', 'LastWriteTimeUtc'"
    )
    return [f"$items = @({listing})", "ConvertTo-Json -InputObject $items -Compress"]


def file_header_hex(path: str, count: int) -> list[str]:
    """The first ``count`` bytes of a file as a JSON array of numbers, ``[170,170,170,170,1,0,35,1]`` (fewer if
    it is shorter, ``[]`` when empty), read with ``Get-Content -Encoding Byte -TotalCount`` (5.1; no .NET)."""
    path = windows_path(path, "file")
    count = integer(count, "header length", 1, HEADER_LIMIT)
    return [
        f"$bytes = @(Get-Content -LiteralPath {quote(path)} -Encoding 'Byte' -TotalCount {count} -Force)",
        "ConvertTo-Json -InputObject $bytes -Compress",
    ]


def file_hash(path: str) -> list[str]:
    """The SHA-256 of a file as 64 upper-case hex digits (Get-FileHash)."""
    return [f"(Get-FileHash -LiteralPath {quote(windows_path(path, 'file'))} -Algorithm 'SHA256').Hash"]


def move_item(source: str, destination: str) -> list[str]:
    """Move-Item without -Force: fails rather than overwrite. Windows PowerShell 5.1 expands
    wildcards in -Destination, so ``[`` and ``]`` are refused there."""
    source = windows_path(source, "source")
    destination = windows_path(destination, "destination", wildcards=False)
    return [f"Move-Item -LiteralPath {quote(source)} -Destination {quote(destination)}"]


def new_directory(path: str) -> list[str]:
    """Create a folder and any missing parents; nothing happens when it exists."""
    path = windows_path(path, "folder", wildcards=False)
    return [f"$null = New-Item -ItemType 'Directory' -Path {quote(path)} -Force"]


def test_path(path: str) -> list[str]:
    """``True`` or ``False``: whether the path exists (Test-Path -LiteralPath)."""
    return [f"Test-Path -LiteralPath {quote(windows_path(path, 'path'))}"]


def set_content(path: str, text: str) -> list[str]:
    """Write ``text`` to a file as UTF-8 (5.1 adds a BOM), no newline added, replacing it (e.g. a manifest)."""
    path = windows_path(path, "file")
    return [f"Set-Content -LiteralPath {quote(path)} -Value {quote(text)} -Encoding 'UTF8' -NoNewline"]


def get_content(path: str) -> list[str]:
    """A UTF-8 file's whole text (nothing for an empty file)."""
    return [f"Get-Content -LiteralPath {quote(windows_path(path, 'file'))} -Raw -Encoding 'UTF8'"]


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
        creation_time_utc=json_time(item["CreationTimeUtc"], f"{where}: CreationTimeUtc"),
        last_write_time_utc=json_time(item["LastWriteTimeUtc"], f"{where}: LastWriteTimeUtc"),
    )


def json_time(value: object, where: str) -> datetime.datetime:
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
