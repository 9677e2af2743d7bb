# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""win_boot_config's scripts and pure logic: wanted values, what differs, the read script and its JSON, the changes in
one script, the rollback record.

Values are compared as bcdedit prints them (en-US): ``safeboot`` Minimal/Network, ``bootstatuspolicy`` the policy
name, ``recoveryenabled`` Yes/No, ``device``/``osdevice`` ``partition=X:``; case does not matter. ``None`` means
the element does not exist ("absent" in results).

Records (design principle 5): the rollback record of an entry (kind boot_config, ``_records.py``) holds a list
``changes`` of ``{element, previous, value}`` objects (``previous``/``value`` null when the element did not exist /
was deleted). win_recovery_reboot's safeboot change goes through this module, so there is one record per entry. A
record keeps, per element, the value from BEFORE Lifeline first changed it: a later change of an element already
recorded keeps the recorded ``previous``. A restore marks the record used (``restored_at``): a used record is never
applied again, and the next change starts a fresh record from the values it finds.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ansible_collections.lifeline.recovery.plugins.plugin_utils import _records, _report
from ansible_collections.lifeline.recovery.plugins.plugin_utils._bcdedit import (
    BcdEntry,
    bcd_identifier,
    bcdedit_delete,
    bcdedit_deletevalue,
    bcdedit_enum,
    bcdedit_set,
    parse_bcdedit_enum,
    parse_object_present,
)
from ansible_collections.lifeline.recovery.plugins.plugin_utils._inputs import windows_path
from ansible_collections.lifeline.recovery.plugins.plugin_utils._parsers import ParseError
from ansible_collections.lifeline.recovery.plugins.plugin_utils._powershell import checked, script

__all__ = [
    "ABSENT",
    "BOOT_STATUS_POLICIES",
    "ELEMENTS",
    "bcdedit_changes",
    "boot_config_read",
    "changes_needed",
    "merge_record",
    "object_delete",
    "parse_config_read",
    "parse_object_read",
    "parse_objects_read",
    "read_record",
    "recorded_previous",
    "set_value",
    "shown_value",
    "wanted_values",
]

ABSENT = "absent"
ELEMENTS = ("safeboot", "bootstatuspolicy", "recoveryenabled", "device", "osdevice")
# bcdedit /set bootstatuspolicy (BCDEdit /set, Microsoft Learn).
BOOT_STATUS_POLICIES = (
    "IgnoreAllFailures", "IgnoreShutdownFailures", "IgnoreBootFailures", "IgnoreCheckpointFailures",
    "DisplayShutdownFailures", "DisplayBootFailures", "DisplayCheckpointFailures", "DisplayAllFailures",
)  # fmt: skip
_PARTITION = re.compile(r"partition=(?P<letter>[A-Za-z]):", re.ASCII)
_TOOL = "the boot configuration read (bcdedit /enum as JSON)"
_TRUE = ("yes", "true", "on", "1")
_FALSE = ("no", "false", "off", "0")


def wanted_values(args: dict) -> dict[str, str | None]:
    """``{element: value as bcdedit prints it, or None to delete it}`` for the options set; ValueError naming a bad
    one. ``device``/``osdevice`` accept ``partition=<letter>:`` only (deleting them would make the entry unbootable)."""
    wanted: dict[str, str | None] = {}
    safeboot = args.get("safeboot")
    if safeboot is not None:
        wanted["safeboot"] = None if safeboot == ABSENT else safeboot.capitalize()
    policy = args.get("bootstatuspolicy")
    if policy is not None:
        wanted["bootstatuspolicy"] = None if policy == ABSENT else policy
    recovery = args.get("recoveryenabled")
    if recovery is not None:
        text = str(recovery).strip().lower()
        if text == ABSENT:
            wanted["recoveryenabled"] = None
        elif isinstance(recovery, bool) or text in _TRUE + _FALSE:
            wanted["recoveryenabled"] = "Yes" if (recovery is True or text in _TRUE) else "No"
        else:
            raise ValueError(f"recoveryenabled {recovery!r} is neither true, false nor absent")
    for element in ("device", "osdevice"):
        value = args.get(element)
        if value is None:
            continue
        match = _PARTITION.fullmatch(str(value).strip())
        if not match:
            raise ValueError(f"{element} {value!r} is not partition=<letter>: (for example partition=D:)")
        wanted[element] = f"partition={match.group('letter').upper()}:"
    return wanted


def _same(current: str | None, wanted: str | None) -> bool:
    if current is None or wanted is None:
        return current is wanted
    return current.strip().casefold() == wanted.strip().casefold()


def changes_needed(entry: BcdEntry, wanted: dict[str, str | None]) -> dict[str, tuple[str | None, str | None]]:
    """``{element: (current, wanted)}`` for the elements that differ, in ``ELEMENTS`` order."""
    needed = {}
    for element in ELEMENTS:
        if element not in wanted:
            continue
        current = entry.get(element)
        if isinstance(current, tuple):
            current = " ".join(current)
        if not _same(current, wanted[element]):
            needed[element] = (current, wanted[element])
    return needed


def set_value(element: str, value: str) -> str:
    """The value to pass to bcdedit /set: safeboot in lower case (bcdedit /set {default} safeboot minimal)."""
    return value.lower() if element == "safeboot" else value


def shown_value(value: str | None) -> str:
    return ABSENT if value is None else value


def parse_config_read(text: str) -> tuple[BcdEntry | None, str | None, str]:
    """``(entry, record text, error)`` from ``boot_config_read``'s JSON; the entry is None (with bcdedit's
    message in ``error``) when bcdedit failed, e.g. for an entry that does not exist."""
    document = _report.document(text, _TOOL)
    record = _report.field(document, "record", str, _TOOL, optional=True)
    output, rc = _report.output(document, "bcdedit", _TOOL), _report.rc(document, "bcdedit", _TOOL)
    if rc != 0:
        return None, record, output.strip() or f"bcdedit exited {rc}"
    entries = parse_bcdedit_enum(output)
    if len(entries) != 1:
        raise ParseError("bcdedit /enum <id> /v", f"{len(entries)} entries, expected the one asked for")
    return entries[0], record, ""


def parse_object_read(text: str, identifier: str) -> BcdEntry | None:
    """The object ``identifier`` from ``boot_config_read``'s JSON, or None when bcdedit says the store does not hold
    it (``NO_MATCHING_OBJECTS``); ParseError for any other answer, so a store that cannot be read is never taken
    for an object that is gone."""
    return _object(_report.output(_report.document(text, _TOOL), "bcdedit", _TOOL), identifier)


def parse_objects_read(text: str, objects: Sequence[str]) -> list[BcdEntry | None]:
    """The ``objects`` ``boot_config_read`` also read (its ``objects``), in order, each None when the store does not
    hold it; ParseError for any other answer, as ``parse_object_read``."""
    document = _report.document(text, _TOOL)
    return [_object(_report.output(document, f"object{n}", _TOOL), name) for n, name in enumerate(objects)]


def _object(output: str, identifier: str) -> BcdEntry | None:
    if not parse_object_present(output, identifier):
        return None
    return next(e for e in parse_bcdedit_enum(output) if e.identifier.lower() == identifier.lower())


def read_record(text: str) -> dict:
    """The record, checked: a boot_config record of elements Lifeline manages (ParseError if not)."""
    record = _records.parse(text, "boot_config")
    for change in record["changes"]:
        if change["element"] not in ELEMENTS:
            raise ParseError("the boot config record", f"a change of an element Lifeline does not manage: {change!r}")
    return record


def merge_record(
    existing: dict | None,
    identifier: str,
    store: str | None,
    needed: dict[str, tuple[str | None, str | None]],
) -> dict:
    """The record after this change: elements already recorded keep their earlier ``previous``; a record a
    restore has used is history, so a fresh one is started."""
    if existing is None or existing.get("restored_at"):
        existing = _records.new("boot_config", "win_boot_config", entry=identifier, store=store, changes=[])
    changes = {change["element"]: change for change in existing["changes"]}
    for element, (current, wanted) in needed.items():
        if element in changes:
            changes[element] = {**changes[element], "value": wanted}
        else:
            changes[element] = {"element": element, "previous": current, "value": wanted}
    ordered = [changes[element] for element in ELEMENTS if element in changes]
    return {**existing, "store": store, "changes": ordered, "time": _records.now()}


def recorded_previous(record: dict) -> dict[str, str | None]:
    """``{element: previous value, None when it did not exist}`` from a record."""
    return {
        change["element"]: None if change["previous"] in (None, ABSENT) else change["previous"]
        for change in record["changes"]
    }


# --- the scripts (Microsoft Learn: bcdedit /set, /deletevalue, /store) ----------------------------------


def bcdedit_changes(
    identifier: str,
    changes: Sequence[tuple[str, str | None]],
    store: str | None = None,
    before: Sequence[str] = (),
    after: Sequence[str] = (),
    deletions: Sequence[str] = (),
) -> str:
    """Several ``bcdedit [/store <file>] /set <id> <element> <value>`` (or ``/deletevalue <id> <element>`` for a
    None value) in ONE script that stops at the first failure with its exit code (one round trip); then
    ``bcdedit /delete <GUID>`` of each of ``deletions`` (whole objects such as the WinRE failover's marker), after
    the changes: a failed change leaves them in place.

    ``before`` and ``after`` are statements run first and last in the same script (writing the rollback record
    before the change, marking it restored after it): a failing cmdlet stops the script (``$ErrorActionPreference
    = 'Stop'``, exit 1), a failing bcdedit ends it with its exit code, so what comes after a failure never runs."""
    if isinstance(changes, str) or isinstance(deletions, str) or not (changes or deletions):
        raise ValueError("a BCD change needs at least one element to set or delete, or an object to delete")
    statements = list(before)
    for element, value in changes:
        if value is None:
            statements += checked(bcdedit_deletevalue(identifier, element, store))
        else:
            statements += checked(bcdedit_set(identifier, element, value, store))
    for name in deletions:
        statements += checked(bcdedit_delete(name, store))
    return script(*statements, *after, "exit 0")


def object_delete(identifier: str, store: str | None = None) -> str:
    """``bcdedit [/store <file>] /delete <GUID>`` as one script that fails with bcdedit's exit code."""
    return script(*checked(bcdedit_delete(identifier, store)), "exit 0")


def boot_config_read(
    identifier: str, store: str | None = None, record_file: str | None = None, objects: Sequence[str] = ()
) -> str:
    """One JSON object: ``bcdedit`` (``bcdedit [/store <file>] /enum <id> /v`` text) and ``bcdedit_rc``, the
    rollback record's text (``record``, null when there is none or ``record_file`` is None), and ``object<n>`` /
    ``object<n>_rc``: ``bcdedit /enum <GUID> /v`` of each of ``objects`` (the ones a change also deletes)."""
    statements = ["$report = @{record = $null}"]
    if record_file is not None:
        statements += _records.read_statements(windows_path(record_file, "record file", wildcards=False))
    read = bcdedit_enum(store, entries=identifier)  # the store is checked first, then the identifier...
    bcd_identifier(identifier)  # ...which must name one entry: a type such as 'all' is refused
    statements += _report.captured("bcdedit", read)
    if isinstance(objects, str):
        raise ValueError("objects is a list of BCD object identifiers, not one string")
    for n, name in enumerate(objects):
        statements += _report.captured(f"object{n}", bcdedit_enum(store, entries=name))
    statements.append("ConvertTo-Json -InputObject $report -Compress")
    return script(*statements)
