# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""win_quarantine_files' decisions, as pure functions (where, what, and what its record says), and its two scripts.

- ``resolve_folder`` + ``check_folder_policy``: the folder to search, on which volume, and whether
  Lifeline may take files out of it (the protected-paths policy, documented in the module).
- ``check_pattern``: a file-name wildcard that cannot leave the folder.
- ``select``: which listed files match (name, header bytes, SHA-256, LastWriteTimeUtc window);
  decided here on the controller, never on the host.
- ``parse_survey``: what the survey script printed, the rollback record (``_records.py``, kind quarantine) among
  it, so a later play can restore the files from the host alone; ``active``: the record's files still away.
- ``quarantine_survey`` and ``quarantine_apply``: the two round trips, the survey and the plan carried out (sent on
  standard input, so no path or record text is part of a script).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ansible_collections.lifeline.recovery.plugins.plugin_utils import _records
from ansible_collections.lifeline.recovery.plugins.plugin_utils._files import FILTER_FORBIDDEN, HEADER_LIMIT, json_time
from ansible_collections.lifeline.recovery.plugins.plugin_utils._inputs import integer, shown, volume, windows_path
from ansible_collections.lifeline.recovery.plugins.plugin_utils._inputs import text as _text
from ansible_collections.lifeline.recovery.plugins.plugin_utils._parsers import ParseError, withhold_digits
from ansible_collections.lifeline.recovery.plugins.plugin_utils._powershell import quote, script
from ansible_collections.lifeline.recovery.plugins.plugin_utils._records import MANIFEST_NAME

__all__ = [
    "ALWAYS_REFUSED",
    "DEFAULT_ALLOWED_ROOTS",
    "REFUSED_THEMSELVES",
    "Listed",
    "Survey",
    "active",
    "check_folder_policy",
    "check_pattern",
    "default_quarantine_id",
    "matches_pattern",
    "parse_header",
    "parse_sha256",
    "parse_survey",
    "parse_time",
    "quarantine_apply",
    "quarantine_survey",
    "resolve_folder",
    "select",
]

# Volume-relative folders a task may take files from (and everything below them) unless allowed_roots says otherwise.
DEFAULT_ALLOWED_ROOTS = (
    "Windows\\System32\\drivers",
    "ProgramData",
    "Program Files",
    "Program Files (x86)",
    "Windows\\Temp",
)
# Never, whatever allowed_roots says: these folders and everything below them. The registry hives, the
# boot files (the EFI/boot folders, the Windows boot resources), WinRE, the component store, volume
# metadata, and Lifeline's own quarantine and rollback records.
ALWAYS_REFUSED = (
    "Windows\\System32\\config",
    "Boot",
    "EFI",
    "Windows\\Boot",
    "Recovery",
    "System Volume Information",
    "Windows\\WinSxS",
    "Lifeline",
    "ProgramData\\Lifeline",
)
# Never these folders themselves (files directly in them: bootmgr, ntoskrnl.exe, hal.dll ...); their
# subfolders are decided by the lists above.
REFUSED_THEMSELVES = ("", "Windows", "Windows\\System32", "Windows\\SysWOW64")

_VOLUME = re.compile(r"[A-Za-z]:", re.ASCII)
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", re.ASCII)
_HEX64 = re.compile(r"[0-9A-Fa-f]{64}", re.ASCII)
_FORBIDDEN_IN_FOLDER = set('<>:"|?*[]')
MAX_PATTERNS = 16
MAX_HEADER = 64


def _relative(value: str, what: str) -> str:
    """A volume-relative folder ``a\\b\\c`` (``/`` accepted as ``\\``), checked component by component."""
    value = value.replace("/", "\\").strip("\\")
    if not value:
        return ""
    for component in value.split("\\"):
        if not component:
            raise ValueError(f"{what} {value!r} has an empty component (a doubled backslash)")
        if component in (".", "..") or ".." in component:
            raise ValueError(f"{what} {value!r} contains '..': a folder must name where it is, not climb out")
        bad = sorted(_FORBIDDEN_IN_FOLDER.intersection(component))
        if bad:
            raise ValueError(
                f"{what} {value!r} contains {' '.join(bad)}: a folder is literal (no wildcards, drive letters "
                "after the first, or alternate data streams)"
            )
        if component[-1] in " .":
            raise ValueError(f"{what} {value!r} has a component ending in a space or dot, which Windows drops")
    return value


def resolve_folder(path: object, os_volume: object | None) -> tuple[str, str]:
    """(volume ``C:``, volume-relative folder) for ``path``: absolute ``X:\\...``, or relative to ``os_volume``."""
    path = _text(path, "path")
    if _VOLUME.match(path):
        if path[2:3] not in ("\\", "/"):
            raise ValueError(f"path {path!r} is not absolute ('C:\\...') nor relative to the OS volume")
        return path[:2].upper(), _relative(path[3:], "path")
    if path.startswith(("\\", "/")):
        raise ValueError(f"path {path!r} starts with a separator: give 'X:\\folder' or a folder relative to os_volume")
    return volume(os_volume, "os_volume"), _relative(path, "path")


def _under(folder: str, root: str) -> bool:
    folder, root = folder.casefold(), root.casefold()
    return folder == root or (root == "" or folder.startswith(root + "\\"))


def check_folder_policy(relative: str, allowed_roots: Sequence[str] | None = None) -> None:
    """Raise ValueError unless Lifeline may take files out of the volume-relative ``relative`` folder."""
    roots = [_relative(_text(root, "allowed_roots entry"), "allowed_roots entry") for root in allowed_roots or ()]
    roots = roots or list(DEFAULT_ALLOWED_ROOTS)
    shown = relative or "the volume root"
    for refused in REFUSED_THEMSELVES:
        if relative.casefold() == refused.casefold():
            raise ValueError(f"path {shown!r} is protected: Lifeline never quarantines files from it")
    for refused in ALWAYS_REFUSED:
        if _under(relative, refused):
            raise ValueError(f"path {shown!r} is protected ({refused!r} and below): Lifeline never quarantines there")
    if not any(_under(relative, root) for root in roots):
        raise ValueError(f"path {shown!r} is outside allowed_roots ({', '.join(repr(root) for root in roots)})")


def check_pattern(pattern: object) -> str:
    """A file-name wildcard (``*`` and ``?``) that names files inside the folder only."""
    pattern = _text(pattern, "pattern")
    if not pattern or len(pattern) > 255:
        raise ValueError(f"pattern {pattern!r} must be a file name wildcard of 1 to 255 characters")
    if ".." in pattern:
        raise ValueError(f"pattern {pattern!r} contains '..': a pattern names files inside the folder only")
    bad = sorted(FILTER_FORBIDDEN.intersection(pattern))
    if bad:
        raise ValueError(
            f"pattern {pattern!r} contains {' '.join(bad)}: a pattern is a file name (no separators, drive letters, "
            'alternate data streams : or < > " |)'
        )
    if pattern[-1] in " .":
        raise ValueError(f"pattern {pattern!r} ends in a space or dot, which Windows drops from file names")
    if not set(pattern) - set("*?."):
        raise ValueError(f"pattern {pattern!r} matches every file: name the files (e.g. 'C-00000291*.sys')")
    return pattern


def matches_pattern(name: str, pattern: str) -> bool:
    """Whether a file name matches a wildcard, case-insensitively; only ``*`` and ``?`` are special.

    The controller checks every name the host listed again: FindFirstFile also matches 8.3 short names
    (``*.sys`` finds ``a.sysx`` through ``A~1.SYS``), and Lifeline moves only the names the pattern says.
    """
    regex = "".join(".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern)
    return re.fullmatch(regex, name, re.IGNORECASE | re.DOTALL) is not None


def parse_header(value: object) -> bytes | None:
    """Hex bytes a file must start with: ``AAAAAAAA01002301``, ``AA AA AA AA`` or ``AA-AA-AA-AA``."""
    if value in (None, ""):
        return None
    text = re.sub(r"[\s:-]", "", _text(value, "header"))
    if not re.fullmatch(r"(?:[0-9A-Fa-f]{2})+", text, re.ASCII) or len(text) // 2 > MAX_HEADER:
        raise ValueError(f"header {value!r} is not 1 to {MAX_HEADER} bytes of hex digits such as 'AAAAAAAA01002301'")
    return bytes.fromhex(text)


def parse_sha256(values: Iterable[object] | None) -> frozenset[str]:
    hashes = set()
    for value in values or ():
        if not isinstance(value, str) or not _HEX64.fullmatch(value.strip()):
            raise ValueError(f"sha256 {value!r} is not 64 hex digits")
        hashes.add(value.strip().upper())
    return frozenset(hashes)


def parse_time(value: object, what: str) -> datetime.datetime | None:
    """ISO 8601 (``2024-07-19T04:00:00Z``); a time without an offset is UTC, as LastWriteTimeUtc is."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        moment = value
    else:
        try:
            moment = datetime.datetime.fromisoformat(_text(value, what).strip())
        except ValueError:
            raise ValueError(f"{what} {value!r} is not an ISO 8601 time such as '2024-07-19T04:00:00Z'") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(datetime.UTC)


def default_quarantine_id(relative: str, patterns: Sequence[str]) -> str:
    """The same folder and patterns give the same id, so a rerun or a restore finds the same quarantine."""
    key = "\n".join([relative.casefold(), *sorted(pattern.casefold() for pattern in patterns)])
    leaf = relative.rsplit("\\", 1)[-1] if relative else "root"
    slug = re.sub(r"[^a-z0-9]+", "-", leaf.lower(), flags=re.ASCII).strip("-")[:32] or "files"
    return f"{slug}-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:12]}"


def check_quarantine_id(value: object) -> str:
    if not isinstance(value, str) or not _ID.fullmatch(value) or ".." in value:
        raise ValueError(f"quarantine_id {value!r} is not 1 to 64 letters, digits, '.', '_' or '-' (no '..')")
    return value


# --- what the survey script printed -------------------------------------------------------------

_TOOL = "the quarantine survey (Get-ChildItem | ConvertTo-Json)"


@dataclass(frozen=True)
class Listed:
    """One file the host listed: path, size, LastWriteTimeUtc, SHA-256 and its first bytes (when asked)."""

    path: str
    size: int
    last_write_time: datetime.datetime
    sha256: str
    header: bytes | None = None

    @property
    def name(self) -> str:
        return self.path.rsplit("\\", 1)[-1]

    def as_result(self) -> dict:
        return {
            "path": self.path,
            "size": self.size,
            "sha256": self.sha256,
            "last_write_time": iso(self.last_write_time),
        }


@dataclass(frozen=True)
class Survey:
    folder_found: bool
    candidates: tuple[Listed, ...]
    quarantined: tuple[Listed, ...]  # the files in the quarantine folder, a 0.1.0 manifest left out
    record_text: str | None  # the rollback record, or else the 0.1.0 manifest, or None


def iso(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _listed(item: object, where: str, with_header: bool) -> Listed:
    if not isinstance(item, dict):
        raise ParseError(_TOOL, f"{where} is not an object")
    for name in ("FullName", "Length", "LastWriteTimeUtc", "SHA256"):
        if name not in item:
            raise ParseError(_TOOL, f"{where} lacks {name}")
    path, size, sha = item["FullName"], item["Length"], item["SHA256"]
    if not isinstance(path, str) or not path:
        raise ParseError(_TOOL, f"{where}: FullName is not a path")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise ParseError(_TOOL, f"{where}: Length is not a size in bytes")
    if not isinstance(sha, str) or not _HEX64.fullmatch(sha):
        raise ParseError(_TOOL, f"{where}: SHA256 is not 64 hex digits (Get-FileHash could not read the file?)")
    header = None
    if with_header:
        raw = item.get("Header")
        raw = [] if raw is None else raw if isinstance(raw, list) else [raw]
        if not all(isinstance(byte, int) and not isinstance(byte, bool) and 0 <= byte <= 255 for byte in raw):
            raise ParseError(_TOOL, f"{where}: Header is not a list of bytes")
        header = bytes(raw)
    return Listed(path, size, json_time(item["LastWriteTimeUtc"], f"{where}: LastWriteTimeUtc"), sha.upper(), header)


def parse_survey(text: str, with_header: bool) -> Survey:
    """The JSON object the survey script prints (``quarantine_survey`` below)."""
    body = text.removeprefix("\ufeff").strip()
    try:
        document = json.loads(body)
    except ValueError as error:
        raise ParseError(_TOOL, f"not JSON: {withhold_digits(str(error))[:200]}") from None
    if not isinstance(document, dict) or not {"folder_found", "candidates", "quarantined"} <= set(document):
        raise ParseError(_TOOL, "not an object with folder_found, candidates and quarantined")

    def items(key: str) -> list:
        value = document[key]
        return [] if value is None else value if isinstance(value, list) else [value]

    record, legacy = document.get("record"), document.get("legacy_manifest")
    if not all(text is None or isinstance(text, str) for text in (record, legacy)):
        raise ParseError(_TOOL, "record or legacy_manifest is not text")
    candidates = tuple(
        _listed(item, f"candidate {number}", with_header) for number, item in enumerate(items("candidates"), 1)
    )
    quarantined = tuple(
        listed
        for listed in (
            _listed(item, f"quarantined file {number}", False) for number, item in enumerate(items("quarantined"), 1)
        )
        if listed.name.casefold() != MANIFEST_NAME.casefold()
    )
    return Survey(bool(document["folder_found"]), candidates, quarantined, record or legacy or None)


# --- choosing files -------------------------------------------------------------------------------


def select(
    listed: Iterable[Listed],
    patterns: Sequence[str],
    header: bytes | None = None,
    sha256: frozenset[str] = frozenset(),
    modified_after: datetime.datetime | None = None,
    modified_before: datetime.datetime | None = None,
) -> list[Listed]:
    """The files that match: a pattern (again, see ``matches_pattern``), then every filter given.

    ``modified_after`` is inclusive and ``modified_before`` exclusive: [after, before). Duplicates (a
    file matched by two patterns) are listed once, in the order first seen.
    """
    chosen: dict[str, Listed] = {}
    for entry in listed:
        key = entry.path.casefold()
        if key in chosen or not any(matches_pattern(entry.name, pattern) for pattern in patterns):
            continue
        if header is not None and (entry.header is None or not entry.header.startswith(header)):
            continue
        if sha256 and entry.sha256.upper() not in sha256:
            continue
        if modified_after is not None and entry.last_write_time < modified_after:
            continue
        if modified_before is not None and entry.last_write_time >= modified_before:
            continue
        chosen[key] = entry
    return list(chosen.values())


# --- the record ---------------------------------------------------------------------------------------------


def active(record: dict | None) -> list[dict]:
    """The record's files still in quarantine."""
    return [entry for entry in (record or {}).get("files", []) if not entry.get("restored_at")]


# --- the scripts (Microsoft Learn: Get-ChildItem, Get-FileHash, Get-Content, Select-Object,
# ConvertTo-Json, ConvertFrom-Json, Test-Path, New-Item, Move-Item, Set-Content; about_Automatic_Variables $input)


def quarantine_survey(
    folder: str,
    patterns: Sequence[str],
    header_length: int,
    quarantine_folder: str,
    record_file: str,
    legacy_manifest: str,
) -> str:
    """One JSON object: ``folder_found``, ``candidates`` (the files in ``folder`` matching any pattern, hidden
    and system ones included), ``quarantined`` (the files in ``quarantine_folder``), ``record`` (the rollback
    record's text or null) and ``legacy_manifest`` (the text of the record Lifeline 0.1.0 kept in the quarantine
    folder, or null). Each file: FullName, Length, LastWriteTimeUtc (``\\/Date(ms)\\/`` in 5.1), SHA256 and, when
    ``header_length`` > 0, Header: its first bytes as numbers (``Get-Content -Encoding Byte -TotalCount``).
    """
    folder = windows_path(folder, "folder", wildcards=False)
    quarantine_folder = windows_path(quarantine_folder, "quarantine folder", wildcards=False)
    record_file = windows_path(record_file, "record file", wildcards=False)
    legacy_manifest = windows_path(legacy_manifest, "manifest", wildcards=False)
    if isinstance(patterns, str) or not patterns:
        raise ValueError("patterns must be a non-empty list of file name wildcards")
    for pattern in patterns:
        pattern = _text(pattern, "file name pattern")
        if not pattern or set(pattern) <= {"."} or ".." in pattern or FILTER_FORBIDDEN.intersection(pattern):
            raise ValueError(
                f'file name pattern {shown(pattern)} must be a file name wildcard without .. \\ / : < > " |'
            )
    count = integer(header_length, "header length", 0, HEADER_LIMIT)
    properties = "'FullName', 'Length', 'LastWriteTimeUtc', $hash"
    statements = [
        f"$folder = {quote(folder)}",
        f"$quarantine = {quote(quarantine_folder)}",
        "$report = @{record = $null; legacy_manifest = $null}",
        "$hash = @{Name = 'SHA256'; Expression = {(Get-FileHash -LiteralPath $_.FullName -Algorithm 'SHA256').Hash}}",
    ]
    candidate_properties = properties
    if count:
        statements.append(
            "$header = @{Name = 'Header'; Expression = "
            f"{{@(Get-Content -LiteralPath $_.FullName -Encoding 'Byte' -TotalCount {count} -Force)}}}}"
        )
        candidate_properties += ", $header"
    listed = ", ".join(quote(pattern) for pattern in patterns)
    statements += [
        "$found = Test-Path -LiteralPath $folder -PathType 'Container'",
        "$candidates = @()",
        "if ($found) {",
        f"    $candidates = @(foreach ($pattern in @({listed})) {{",
        "        Get-ChildItem -LiteralPath $folder -Filter $pattern -File -Force |",
        f"            Select-Object -Property {candidate_properties}",
        "    })",
        "}",
        "$quarantined = @()",
        "if (Test-Path -LiteralPath $quarantine -PathType 'Container') {",
        "    $quarantined = @(Get-ChildItem -LiteralPath $quarantine -File -Force |",
        f"        Select-Object -Property {properties})",
        "}",
        *_records.read_statements(record_file),
        *_records.read_statements(legacy_manifest, into="legacy_manifest"),
        "$report.folder_found = $found",
        "$report.candidates = $candidates",
        "$report.quarantined = $quarantined",
        "ConvertTo-Json -InputObject $report -Depth 4 -Compress",
    ]
    return script(*statements)


def quarantine_apply() -> str:
    """Carry out a quarantine plan read from standard input (JSON, send it as ``stdin``), so no path or
    record text is ever part of the script or its command line, whatever its length.

    The plan: ``folder`` (created when ``create`` is true), the rollback record (``record`` text written to
    ``record_path`` in ``record_folder``, before the moves when ``record_first`` is true, else after them), and
    ``moves``: each ``{from, to, into}`` moves the file ``from`` into the folder ``into`` (keeping its name, which
    ``to`` spells out). A file already at ``to`` stops the script before that move: nothing is overwritten.
    """
    write = _records.write_statements("$plan.record_folder", "$plan.record_path", "$plan.record")
    return script(
        "$plan = $input | Out-String | ConvertFrom-Json",
        "if ($plan.create) { $null = New-Item -ItemType 'Directory' -Path $plan.folder -Force }",
        "if ($plan.record_first) {",
        *("    " + statement for statement in write),
        "}",
        "foreach ($move in $plan.moves) {",
        "    if (Test-Path -LiteralPath $move.to) { throw ('Lifeline refuses to overwrite ' + $move.to) }",
        "    Move-Item -LiteralPath $move.from -Destination $move.into",
        "}",
        "if (-not $plan.record_first) {",
        *("    " + statement for statement in write),
        "}",
        "'done'",
    )
