# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read a BitLocker escrow export and pick one computer's recovery password out of it.

An escrow export is the CSV file an organisation exports from AD DS (msFVE-RecoveryInformation)
or Intune: one row per key protector, with the computer's name, the volume type, the key
protector ID and the 48-digit recovery password. An export made with the BitLocker PowerShell module
(Get-BitLockerVolume and Export-Csv) has its property names as columns,
``ComputerName,VolumeType,KeyProtectorId,RecoveryPassword``, with CRLF line endings; other exports
name the columns differently, so the column names are parameters.

Everything here is a pure function over text, so the lookup plugin stays thin. A recovery password
is a secret: no message raised here ever contains one. Messages name the file, the line and the
column instead, and any outside text that is shown (a header cell, a computer name, a key
protector ID) is first checked not to look like a recovery password.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

DEFAULT_VOLUME_TYPE = "OperatingSystem"

# 8 blocks of 6 ASCII digits (\d would also accept other scripts' digits).
_PASSWORD_FORMAT = re.compile(r"[0-9]{6}(?:-[0-9]{6}){7}")
# Each block encodes 16 bits of the key multiplied by 11, so it is divisible by 11 and below 2**16 * 11.
PASSWORD_BLOCK_LIMIT = 65536 * 11  # 720896
# What a recovery password, or a piece of one, looks like inside other text: two or more blocks of
# six digits joined by dashes, or a long run of digits.
_SECRET_LIKE = re.compile(r"[0-9]{6}(?:\s*-\s*[0-9]{6})+|[0-9]{12,}")
_GUID = re.compile(r"[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}")
# Windows PowerShell's Export-Csv writes this line first unless told -NoTypeInformation.
_TYPE_LINE = "#TYPE "
_SHOWN_LIMIT = 60


class EscrowError(ValueError):
    """The escrow export is unusable or holds no single answer. The message names the file (and the line
    and column where one is to blame) and never contains a recovery password."""


@dataclass(frozen=True)
class EscrowColumns:
    """The header names of the escrow export's columns (matched without regard to case).

    ``key_id`` and ``volume_type`` may be empty: the export has no such column, so rows cannot be
    told apart by key protector or filtered by volume type.
    """

    computer: str = "ComputerName"
    password: str = "RecoveryPassword"
    key_id: str = "KeyProtectorId"
    volume_type: str = "VolumeType"


@dataclass(frozen=True)
class EscrowEntry:
    """One row of the export. ``line`` is the file's line where the row starts (1-based, counting the
    header), ``row`` its position among the data rows (1-based). The password stays out of repr()."""

    computer: str
    volume_type: str | None
    key_id: str | None
    recovery_password: str = field(repr=False)
    line: int
    row: int


def shown(text: str | None) -> str:
    """``text`` (outside data) made fit for a message: trimmed, shortened, and withheld when it looks
    like a recovery password or part of one."""
    if text is None:
        return "(none)"
    text = " ".join(str(text).split())
    if _SECRET_LIKE.search(text):
        return "(withheld: looks like a recovery password)"
    if len(text) > _SHOWN_LIMIT:
        text = text[: _SHOWN_LIMIT - 3] + "..."
    return text or "''"


def normalize_key_id(value: str | None) -> str | None:
    """A key protector ID for comparison: braces optional, case ignored. ``None`` for an empty value."""
    if value is None:
        return None
    value = value.strip()
    if value.startswith("{") and value.endswith("}"):
        value = value[1:-1].strip()
    return value.upper() or None


def is_key_id(value: str | None) -> bool:
    """Whether ``value`` is a key protector ID (a GUID, braces optional)."""
    normalized = normalize_key_id(value)
    return normalized is not None and _GUID.fullmatch(normalized) is not None


def shown_key_id(value: str | None) -> str:
    """A key protector ID as messages show it, ``{GUID}``; anything that is not a GUID is withheld,
    since a misconfigured column could hold the passwords."""
    if not is_key_id(value):
        return "(not a key protector ID)" if value and value.strip() else "(none)"
    return "{" + normalize_key_id(value) + "}"


def recovery_password_problem(password: str) -> str | None:
    """Why ``password`` is not a valid BitLocker recovery password, in words that reveal nothing of it;
    ``None`` when it is valid (8 blocks of 6 digits, each divisible by 11 and below 720896)."""
    if not isinstance(password, str) or not _PASSWORD_FORMAT.fullmatch(password):
        return "it is not 8 blocks of 6 digits separated by '-'"
    if any(int(block) % 11 for block in password.split("-")):
        return "a block is not divisible by 11"
    if any(int(block) >= PASSWORD_BLOCK_LIMIT for block in password.split("-")):
        return f"a block is not below {PASSWORD_BLOCK_LIMIT}"
    return None


def is_valid_recovery_password(password: str) -> bool:
    return recovery_password_problem(password) is None


def decode_escrow(data: bytes, path: str) -> str:
    """The export's bytes as text: UTF-8 (with or without a byte order mark) or UTF-16 with a byte order
    mark (what Windows PowerShell's ``Out-File`` writes)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        encoding = "utf-8-sig"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        label = "UTF-16" if encoding == "utf-16" else "UTF-8"
        raise EscrowError(
            f"the BitLocker escrow file {path} is not a CSV text file: it is not valid {label} "
            f"(byte {exc.start}); save the export as UTF-8"
        ) from None


def parse_escrow(text: str, path: str, columns: EscrowColumns | None = None) -> tuple[EscrowEntry, ...]:
    """Every data row of the export ``text`` read from ``path``. Checks the structure (a header with the
    needed columns, as many cells in every row as in the header), not the passwords: a bad password in
    another computer's row must not stop this computer's recovery."""
    columns = columns or EscrowColumns()
    if not text.strip():
        raise EscrowError(f"the BitLocker escrow file {path} is empty")
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise EscrowError(
            f"the BitLocker escrow file {path} line {line} contains NUL characters: it is not a CSV text file "
            "(UTF-16 without a byte order mark? save the export as UTF-8)"
        )
    # newline="": split on CR, LF and CRLF only, and let the csv module see quoted line breaks whole.
    lines = list(io.StringIO(text, newline=""))
    skipped = 0
    while skipped < len(lines) and (not lines[skipped].strip() or lines[skipped].startswith(_TYPE_LINE)):
        skipped += 1
    reader = csv.reader(lines[skipped:], strict=True)
    try:
        header = next(reader)
        header_line = skipped + 1
        indexes = _column_indexes(header, columns, path, header_line)
        entries = []
        previous_end = reader.line_num
        for cells in reader:
            line = skipped + previous_end + 1
            previous_end = reader.line_num
            if not cells or all(not cell.strip() for cell in cells):
                continue
            if len(cells) != len(header):
                raise EscrowError(
                    f"the BitLocker escrow file {path} line {line} has {len(cells)} cells where the header "
                    f"(line {header_line}) has {len(header)}: the export is damaged or not CSV"
                )
            entries.append(
                EscrowEntry(
                    computer=cells[indexes["computer"]].strip(),
                    volume_type=_optional_cell(cells, indexes.get("volume_type")),
                    key_id=_optional_cell(cells, indexes.get("key_id")),
                    recovery_password=cells[indexes["password"]].strip(),
                    line=line,
                    row=len(entries) + 1,
                )
            )
    except csv.Error as exc:
        # The csv module's messages are fixed texts about the syntax; they quote no cell.
        line = skipped + reader.line_num
        raise EscrowError(f"the BitLocker escrow file {path} line {line} is not valid CSV ({exc})") from None
    return tuple(entries)


def _optional_cell(cells: Sequence[str], index: int | None) -> str | None:
    if index is None:
        return None
    return cells[index].strip() or None


def _column_indexes(header: Sequence[str], columns: EscrowColumns, path: str, line: int) -> dict[str, int]:
    folded = [cell.strip().casefold() for cell in header]
    wanted = {
        "computer": columns.computer,
        "password": columns.password,
        "key_id": columns.key_id,
        "volume_type": columns.volume_type,
    }
    indexes: dict[str, int] = {}
    missing: list[str] = []
    for role, name in wanted.items():
        name = (name or "").strip()
        if not name:
            if role in ("key_id", "volume_type"):
                continue
            raise EscrowError(f"the {role} column name for the BitLocker escrow file {path} is empty")
        positions = [index for index, cell in enumerate(folded) if cell == name.casefold()]
        if not positions:
            missing.append(name)
        elif len(positions) > 1:
            raise EscrowError(
                f"the BitLocker escrow file {path} line {line} (the header) has the column {name} "
                f"{len(positions)} times; it must be unique"
            )
        else:
            indexes[role] = positions[0]
    if missing:
        found = ", ".join(shown(cell) for cell in header[:12]) + (", ..." if len(header) > 12 else "")
        hint = ""
        if any(_SECRET_LIKE.search(cell) for cell in header):
            hint = " The first line looks like a data row: the export needs a header line."
        elif len(header) == 1 and any(separator in header[0] for separator in ";\t|"):
            hint = " The file seems to use another separator than ','."
        raise EscrowError(
            f"the BitLocker escrow file {path} line {line} (the header) lacks the column(s) "
            f"{', '.join(missing)}; it has: {found}. Set the lookup's *_column options to the export's "
            f"column names.{hint}"
        )
    return indexes


def find_entry(
    entries: Iterable[EscrowEntry],
    computer: str,
    path: str,
    *,
    key_id: str | None = None,
    volume_type: str | None = DEFAULT_VOLUME_TYPE,
) -> EscrowEntry:
    """The one row for ``computer`` (case ignored), narrowed by ``key_id`` and ``volume_type`` when given
    (an empty ``volume_type`` accepts any). Rows that repeat the same key protector and password count
    once. Raises EscrowError when there is no row, or more than one candidate."""
    if not isinstance(computer, str) or not computer.strip():
        raise EscrowError(f"a computer name to look up in the BitLocker escrow file {path} is empty or not a string")
    if key_id is not None and not is_key_id(key_id):
        raise EscrowError(
            "key_id is not a key protector ID (a GUID such as {01234567-89AB-CDEF-0123-456789ABCDEF}, "
            "braces optional); the value is not shown"
        )
    wanted_computer = computer.strip().casefold()
    rows = [entry for entry in entries if entry.computer.casefold() == wanted_computer]
    if not rows:
        raise EscrowError(_no_row_message(entries, computer, path))

    described = shown(computer)
    narrowed = rows
    if volume_type:
        narrowed = [entry for entry in narrowed if (entry.volume_type or "").casefold() == volume_type.casefold()]
        if not narrowed:
            found = sorted({shown(entry.volume_type) for entry in rows})
            raise EscrowError(
                f"the BitLocker escrow file {path} has rows for {described} (lines "
                f"{_lines(rows)}) but none for a volume of type {shown(volume_type)} (found: {', '.join(found)}); "
                f"set volume_type"
            )
    if key_id is not None:
        wanted_key = normalize_key_id(key_id)
        by_key = [entry for entry in narrowed if normalize_key_id(entry.key_id) == wanted_key]
        if not by_key:
            known = ", ".join(shown_key_id(entry.key_id) for entry in narrowed)
            raise EscrowError(
                f"the BitLocker escrow file {path} has no row for {described} with key protector ID "
                f"{shown_key_id(key_id)}; its rows (lines {_lines(narrowed)}) have key protector IDs: {known}"
            )
        narrowed = by_key

    distinct = _distinct(narrowed)
    if len(distinct) > 1:
        ids = ", ".join(shown_key_id(entry.key_id) for entry in distinct)
        if key_id is not None:
            raise EscrowError(
                f"the BitLocker escrow file {path} has {len(distinct)} rows for {described} with key protector "
                f"ID {shown_key_id(key_id)} and different recovery passwords (lines {_lines(distinct)}): "
                f"the export is inconsistent"
            )
        raise EscrowError(
            f"the BitLocker escrow file {path} has {len(distinct)} candidate recovery passwords for "
            f"{described} (lines {_lines(distinct)}; key protector IDs {ids}): pass key_id to choose one "
            f"(the ID the locked volume's recovery screen shows the first block of)"
        )
    return distinct[0]


def _distinct(entries: Sequence[EscrowEntry]) -> list[EscrowEntry]:
    """The entries without repeats of the same key protector and password (an export may list a key twice)."""
    seen: set[tuple[str | None, str]] = set()
    distinct = []
    for entry in entries:
        identity = (normalize_key_id(entry.key_id), entry.recovery_password)
        if identity not in seen:
            seen.add(identity)
            distinct.append(entry)
    return distinct


def _lines(entries: Sequence[EscrowEntry]) -> str:
    return ", ".join(str(entry.line) for entry in entries)


def _no_row_message(entries: Iterable[EscrowEntry], computer: str, path: str) -> str:
    message = f"the BitLocker escrow file {path} has no row for the computer {shown(computer)}"
    short = computer.strip().split(".")[0].casefold()
    similar = sorted({entry.computer for entry in entries if entry.computer.split(".")[0].casefold() == short})
    if similar:
        message += f" (it has rows for {', '.join(shown(name) for name in similar[:5])}: pass that name)"
    return message


def check_recovery_password(entry: EscrowEntry, path: str, column: str) -> str:
    """``entry``'s recovery password once it is proven valid; else an EscrowError that names the computer,
    the file, the line, the row and the column, and says what is wrong without showing the value."""
    problem = recovery_password_problem(entry.recovery_password)
    if problem is not None:
        raise EscrowError(
            f"the BitLocker escrow file {path} line {entry.line} (data row {entry.row}), column {column}: "
            f"the recovery password for {shown(entry.computer)} is not a valid BitLocker recovery password: "
            f"{problem} (the value is not shown)"
        )
    return entry.recovery_password


def recovery_password_for(
    entries: Iterable[EscrowEntry],
    computer: str,
    path: str,
    columns: EscrowColumns | None = None,
    *,
    key_id: str | None = None,
    volume_type: str | None = DEFAULT_VOLUME_TYPE,
) -> str:
    """The valid recovery password of ``computer`` in the export: find_entry, then check_recovery_password."""
    columns = columns or EscrowColumns()
    if key_id is not None and not columns.key_id:
        raise EscrowError(f"key_id was given but no key_id_column is set for the BitLocker escrow file {path}")
    if volume_type and not columns.volume_type:
        volume_type = None
    entry = find_entry(entries, computer, path, key_id=key_id, volume_type=volume_type)
    return check_recovery_password(entry, path, columns.password)
