# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rollback records: one folder, one format, one owner (design principles 3 and 5).

Every module that changes a host writes what it replaced BEFORE it changes it, as one JSON file per changed thing
in ONE folder on the Windows volume, ``<os_volume>\\ProgramData\\Lifeline\\records\\<kind>-<key>.json``, so that a
later play (playbooks/rollback.yml, through win_recovery_records) can undo it from the host alone. Version 1::

    {"version": 1, "kind": "boot_driver", "module": "win_boot_driver", "time": "2026-01-31T08:00:00.000+00:00",
     "restored_at": null, ...the kind's payload}

``time`` is when the change was recorded (the controller's clock, UTC); ``restored_at`` is null while the record
still has something to put back, and the time its module put everything back (a used record is history: it is
never applied again, and the next change starts a fresh one). The kinds, their file, payload and what undoes them:

=================  ==============================  ==========================================================
kind               file (key)                      payload; undone by
=================  ==============================  ==========================================================
quarantine         quarantine-<quarantine_id>      quarantine_id, folder, patterns, allowed_roots, files (each
                                                   with its own restored_at); win_quarantine_files restored
boot_driver        boot_driver-<service>           service, control_set, offline, previous {Start, Group,
                                                   ImagePath}, value {Start}; win_boot_driver restored
boot_config        boot_config-<entry>             entry, store, changes [{element, previous, value}] (null:
                                                   absent); win_boot_config restored (win_recovery_reboot's
                                                   safeboot change is written to the same record)
safeboot_network   safeboot_network (no key)       key, added [{name, kind}]; win_safe_mode_network_service
                                                   absent. Readiness (prepare.yml), not a remediation
servicing          servicing-<package|revert-...>  action, image, package(s), rc; nothing: DISM cannot put a
                                                   removed package back, so the record is evidence only
winre_failover     winre_failover (no key)         image, original_copy, original_sha256, armed_sha256 (null
                                                   while arming), script_sha256; win_winre_failover absent
                                                   (the original winre.wim back, byte-exact). Readiness
=================  ==============================  ==========================================================

The meaning of a payload (a Start value 0-4, a BCD element Lifeline manages) is checked by the module that owns
the kind; this module checks the envelope and the payload's shape.

Lifeline 0.1.0 wrote the same files without ``version`` and ``kind`` (the kind follows from ``module``), kept the
quarantine's record as ``lifeline-quarantine-manifest.json`` in its quarantine folder, and win_recovery_reboot wrote
its safeboot change to ``boot_config-default-safeboot.json``. ``parse`` reads all of them as version 1, and the
listing finds the old manifests too, so hosts remediated by 0.1.0 still roll back. The old reboot record is listed
but not applied: no 0.1.0 module ever read it back (its previous value is in its summary).
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterable

from ansible_collections.lifeline.recovery.plugins.plugin_utils._inputs import shown, text, volume
from ansible_collections.lifeline.recovery.plugins.plugin_utils._parsers import ParseError
from ansible_collections.lifeline.recovery.plugins.plugin_utils._powershell import quote, script

__all__ = [
    "KINDS",
    "MANIFEST_NAME",
    "QUARANTINE_ROOT",
    "RECORD_FOLDER",
    "REMEDIATION_KINDS",
    "VERSION",
    "describe",
    "dumps",
    "file_name",
    "folder",
    "listing_script",
    "new",
    "now",
    "parse",
    "parse_listing",
    "parse_read",
    "path",
    "pattern",
    "pending",
    "read_script",
    "read_statements",
    "restored",
    "undo",
    "write_record",
    "write_script",
    "write_statements",
]

RECORD_FOLDER = "ProgramData\\Lifeline\\records"  # on the Windows volume; the lease is in its parent folder
# Where win_quarantine_files moves files, on the folder's volume: <volume>\Lifeline\Quarantine\<quarantine_id>.
QUARANTINE_ROOT = "Lifeline\\Quarantine"
# Lifeline 0.1.0 kept the quarantine's record in that folder under this name: still read, never written.
MANIFEST_NAME = "lifeline-quarantine-manifest.json"
VERSION = 1
# kind -> the module that undoes it (the modules that write it: see the table above).
KINDS = {
    "quarantine": "win_quarantine_files",
    "boot_driver": "win_boot_driver",
    "boot_config": "win_boot_config",
    "safeboot_network": "win_safe_mode_network_service",
    "servicing": "win_servicing",
    "winre_failover": "win_winre_failover",
}
# What a remediation (playbooks/remediate.yml) changes, and so what playbooks/rollback.yml undoes by default.
REMEDIATION_KINDS = ("quarantine", "boot_driver", "boot_config", "servicing")
_LEGACY_MODULES = {  # Lifeline 0.1.0: module -> kind
    "win_boot_driver": "boot_driver",
    "win_boot_config": "boot_config",
    "win_recovery_reboot": "boot_config",
    "win_safe_mode_network_service": "safeboot_network",
    "win_servicing": "servicing",
}
_LEGACY_MANIFEST_KIND = "lifeline.recovery.win_quarantine_files"
_VOLUME = re.compile(r"[A-Za-z]:", re.ASCII)
# A key becomes part of a file name: no path separators, drive or stream colons, wildcards or brackets.
_KEY_FORBIDDEN = set('\\/:*?"<>|[]')
_WHAT = "the rollback record"
_LISTING = "the rollback records listing (JSON)"


# --- where ---------------------------------------------------------------------------------------------------


def pattern(kind: str) -> str:
    """The -Filter wildcard of every record file of ``kind`` that has a key: ``<kind>-*.json``."""
    file_name(kind, None)  # a known kind
    return f"{kind}-*.json"


def file_name(kind: str, key: str | None) -> str:
    """``<kind>-<key>.json`` (``<kind>.json`` for a kind with one record per host); ValueError for a bad key."""
    if kind not in KINDS:
        raise ValueError(f"record kind {shown(kind)} is not one of {', '.join(KINDS)}")
    if key is None:
        return f"{kind}.json"
    key = text(key, "record key")
    if kind == "boot_config":
        key = key.strip("{}").lower()  # the BCD entry: {default} -> boot_config-default.json
    if not key or key.strip() != key or len(key) > 200 or key.endswith(".") or _KEY_FORBIDDEN.intersection(key):
        raise ValueError(f'record key {shown(key)} cannot be part of a file name (\\ / : * ? " < > | [ ])')
    return f"{kind}-{key}.json"


def folder(os_volume: str) -> str:
    """``<os_volume>\\ProgramData\\Lifeline\\records``."""
    return f"{volume(os_volume)}\\{RECORD_FOLDER}"


def path(os_volume: str, kind: str, key: str | None) -> str:
    """``<os_volume>\\ProgramData\\Lifeline\\records\\<kind>-<key>.json``."""
    return f"{folder(os_volume)}\\{file_name(kind, key)}"


def _key(record: dict) -> str | None:
    """The key of the file the record's module reads it from."""
    kind = record["kind"]
    if kind == "quarantine":
        return record["quarantine_id"]
    if kind == "boot_driver":
        return record["service"]
    if kind == "boot_config":
        return record["entry"]
    return None


# --- the format ----------------------------------------------------------------------------------------------


def now() -> str:
    """The controller's time, as records hold it (UTC, ISO 8601 to the millisecond)."""
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds")


def new(kind: str, module: str, **payload: object) -> dict:
    """A fresh version 1 record of ``kind`` written by ``module``, timed now."""
    if kind not in KINDS:
        raise ValueError(f"record kind {shown(kind)} is not one of {', '.join(KINDS)}")
    return {"version": VERSION, "kind": kind, "module": module, "time": now(), "restored_at": None, **payload}


def restored(record: dict) -> dict:
    """The record marked as used: everything it holds has been put back."""
    return {**record, "restored_at": now()}


def dumps(record: dict) -> str:
    """The file's text: one line of ASCII JSON (names outside ASCII are \\u escapes: no code page garbles them)."""
    return json.dumps(record, sort_keys=True, ensure_ascii=True)


def _upgrade(document: dict) -> dict:
    """A record Lifeline 0.1.0 wrote, as version 1 (the same payload, with kind and version)."""
    if document.get("kind") == _LEGACY_MANIFEST_KIND and document.get("version") == 1:
        finished = document.get("state") == "restored"
        payload = {k: v for k, v in document.items() if k not in ("kind", "version", "state", "updated")}
        time = document.get("updated")
        return {**payload, "version": VERSION, "kind": "quarantine", "module": KINDS["quarantine"], "time": time,
                "restored_at": time if finished else None}  # fmt: skip
    kind = _LEGACY_MODULES.get(document.get("module"))  # type: ignore[arg-type]
    if "version" in document or kind is None:
        return document
    upgraded = {"restored_at": None, **document, "version": VERSION, "kind": kind}
    if document["module"] == "win_recovery_reboot":  # one change: {entry, element, previous, value, record}
        change = {name: document.get(name) for name in ("element", "previous", "value")}
        upgraded = {**upgraded, "changes": [change]}
    return upgraded


_TEXT_OR_NULL = (str, type(None))
# The payload of each kind: field -> its types, or [{item field -> types}] for a list of objects.
_SHAPES: dict[str, dict[str, object]] = {
    "quarantine": {
        "quarantine_id": str, "folder": str, "patterns": list, "allowed_roots": (list, type(None)),
        "files": [{"name": str, "original_path": str, "quarantined_path": str, "size": int, "sha256": str,
                   "last_write_time": str, "quarantined_at": str, "restored_at": _TEXT_OR_NULL}],
    },
    "boot_driver": {"service": str, "control_set": str, "previous": dict, "value": dict},
    "boot_config": {
        "entry": str, "store": _TEXT_OR_NULL,
        "changes": [{"element": str, "previous": _TEXT_OR_NULL, "value": _TEXT_OR_NULL}],
    },
    "safeboot_network": {"added": [{"name": str, "kind": str}]},
    "servicing": {"action": str},
    "winre_failover": {
        "image": str, "original_copy": str, "original_sha256": str, "armed_sha256": _TEXT_OR_NULL,
        "script_sha256": str,
    },
}  # fmt: skip


def _is(value: object, types: object) -> bool:
    """isinstance, except that true and false are not numbers in a record."""
    wanted = types if isinstance(types, tuple) else (types,)
    return isinstance(value, wanted) and (bool in wanted or not isinstance(value, bool))  # type: ignore[arg-type]


def _check_shape(record: dict) -> None:
    for name, shape in _SHAPES[record["kind"]].items():
        value = record.get(name)
        if not isinstance(shape, list):
            if not _is(value, shape):
                raise ParseError(_WHAT, f"its {name} is {shown(value)}, not what a {record['kind']} record holds")
            continue
        fields = shape[0]
        if not isinstance(value, list):
            raise ParseError(_WHAT, f"its {name} is {shown(value)}, not a list")
        for item in value:
            if not isinstance(item, dict) or not all(_is(item.get(f), types) for f, types in fields.items()):
                raise ParseError(_WHAT, f"an item of its {name} is {shown(item)}, not {{{', '.join(fields)}}}")


def _moment(value: object) -> datetime.datetime | None:
    try:
        moment = datetime.datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return moment if moment is not None and moment.tzinfo is not None else None


def parse(record_text: str, kind: str | None = None) -> dict:
    """The version 1 record in a file's text (0.1.0's formats upgraded), checked; ParseError saying what is wrong.
    ``kind``: the kind the caller reads (another kind is refused)."""
    try:
        document = json.loads(record_text.removeprefix("\ufeff"))  # Set-Content -Encoding UTF8 writes a BOM
    except (json.JSONDecodeError, AttributeError):
        raise ParseError(_WHAT, "not JSON") from None
    if not isinstance(document, dict):
        raise ParseError(_WHAT, "not a JSON object")
    record = _upgrade(document)
    version = record.get("version")
    if isinstance(version, bool) or version != VERSION:
        raise ParseError(_WHAT, f"its version is {shown(version)}, not {VERSION}: not a record this Lifeline reads")
    if record.get("kind") not in KINDS:
        raise ParseError(_WHAT, f"its kind {shown(record.get('kind'))} is not one of {', '.join(KINDS)}")
    if kind is not None and record["kind"] != kind:
        raise ParseError(_WHAT, f"it is a {record['kind']} record, not a {kind} record")
    if not _is(record.get("module"), str):
        raise ParseError(_WHAT, f"its module is {shown(record.get('module'))}, not the name of a module")
    if _moment(record.get("time")) is None:
        raise ParseError(_WHAT, f"its time {shown(record.get('time'))} is not an ISO 8601 time with a zone")
    if record.get("restored_at") is not None and _moment(record["restored_at"]) is None:
        raise ParseError(_WHAT, f"its restored_at {shown(record['restored_at'])} is not a time")
    _check_shape(record)
    return record


def pending(record: dict) -> bool:
    """Whether what the record holds is still changed on the host (a servicing change always is)."""
    if record.get("restored_at"):
        return False
    if record["kind"] == "quarantine":
        return any(not entry.get("restored_at") for entry in record["files"])
    if record["kind"] == "safeboot_network":
        return bool(record["added"])
    return True


def _or_absent(value: object) -> str:
    return "absent" if value is None else str(value)


def describe(record: dict) -> str:
    """What the record says was changed, in one line for people."""
    kind = record["kind"]
    if kind == "quarantine":
        away = [entry["name"] for entry in record["files"] if not entry.get("restored_at")]
        return f"quarantine {record['quarantine_id']}: {', '.join(away) or 'no file'} away from {record['folder']}"
    if kind == "boot_driver":
        start = record["previous"].get("Start")
        return f"service {record['service']}: Start {start} -> {record['value'].get('Start')}"
    if kind == "boot_config":
        changes = (f"{c['element']} {_or_absent(c['previous'])} -> {_or_absent(c['value'])}" for c in record["changes"])
        return f"boot entry {record['entry']}: {', '.join(changes)}"
    if kind == "safeboot_network":
        return f"listed under SafeBoot\\Network: {', '.join(entry['name'] for entry in record['added']) or 'nothing'}"
    if kind == "winre_failover":
        return f"Lifeline's failover in {record['image']} (original kept as {record['original_copy']})"
    packages = [record["package"]] if isinstance(record.get("package"), dict) else record.get("packages") or []
    identities = ", ".join(str(package.get("identity")) for package in packages if isinstance(package, dict))
    return f"servicing {record['action']}: {identities or 'no package'}"


def _relative(folder_path: str) -> str:
    """``Windows\\System32\\drivers\\X`` from ``D:\\Windows\\System32\\drivers\\X``: the same folder whatever letter
    the Windows volume has now (D: in WinRE, C: in Windows)."""
    return folder_path[3:] if _VOLUME.match(folder_path) and folder_path[2:3] == "\\" else folder_path


def undo(record: dict, record_path: str) -> tuple[dict | None, str]:
    """``(task, reason)``: the module call that undoes a pending record read from the file ``record_path``
    (``{"module": <FQCN>, "args": {...}}``), or None and why it cannot be undone."""
    kind, name = record["kind"], record_path.rsplit("\\", 1)[-1]
    if kind == "servicing":
        return None, "DISM cannot put a removed package back (or redo reverted actions); this record is evidence only"
    legacy_manifest = kind == "quarantine" and name.casefold() == MANIFEST_NAME.casefold()
    if not legacy_manifest and name.casefold() != file_name(kind, _key(record)).casefold():
        changes = ", ".join(f"{c['element']} was {c['previous'] or 'absent'}" for c in record.get("changes", ()))
        return None, f"written by Lifeline 0.1.0's {record['module']}, whose records no module reads ({changes})"
    args: dict = {"state": "restored"}
    if kind == "quarantine":
        args.update(path=_relative(record["folder"]), patterns=record["patterns"],
                    quarantine_id=record["quarantine_id"])  # fmt: skip
        if record.get("allowed_roots"):
            args["allowed_roots"] = record["allowed_roots"]
    elif kind == "boot_driver":
        args.update(name=record["service"], missing_ok=True)
    elif kind == "boot_config":
        args.update(identifier=record["entry"], missing_ok=True)
        if record.get("store"):
            args["store"] = record["store"]
    elif kind == "winre_failover":  # the original winre.wim back
        args = {"state": "absent"}
    else:  # safeboot_network: take away only what Lifeline added
        args = {"services": [entry["name"] for entry in record["added"]], "state": "absent"}
    return {"module": f"lifeline.recovery.{KINDS[kind]}", "args": args}, ""


# --- the scripts (Microsoft Learn: New-Item, Set-Content, Test-Path, Get-Content, Get-ChildItem, ConvertTo-Json) ---


def write_statements(folder_expression: str, path_expression: str, text_expression: str) -> list[str]:
    """The two statements that write a record: its folder created (and parents), then the file replaced with the
    text as UTF-8 (5.1 adds a BOM), no newline added. Each argument is a PowerShell expression: a ``quote``d
    literal, or a variable such as ``$plan.record`` for text that travels on standard input."""
    return [
        f"$null = New-Item -ItemType 'Directory' -Path {folder_expression} -Force",
        f"Set-Content -LiteralPath {path_expression} -Value {text_expression} -Encoding 'UTF8' -NoNewline",
    ]


def write_record(os_volume: str, kind: str, key: str | None, record: dict) -> list[str]:
    """The statements that write ``record`` to its file (a change, or a restore marking it used)."""
    return write_statements(quote(folder(os_volume)), quote(path(os_volume, kind, key)), quote(dumps(record)))


def write_script(os_volume: str, kind: str, key: str | None, record: dict) -> str:
    """``write_record`` as a script of its own."""
    return script(*write_record(os_volume, kind, key, record))


def read_statements(record_path: str, into: str = "record") -> list[str]:
    """Statements that put the text of the record file ``record_path`` into ``$report.<into>`` when it exists (the
    script starts ``$report`` with ``<into> = $null``)."""
    return [
        f"$recordFile = {quote(record_path)}",
        "if (Test-Path -LiteralPath $recordFile -PathType 'Leaf') {",
        f"    $report.{into} = Get-Content -LiteralPath $recordFile -Raw -Encoding 'UTF8'",
        "}",
    ]


def read_script(os_volume: str, kind: str, key: str | None) -> str:
    """One JSON object ``{record: <the file's text, or null>}``."""
    return script(
        "$report = @{record = $null}",
        *read_statements(path(os_volume, kind, key)),
        "ConvertTo-Json -InputObject $report -Compress",
    )


def parse_read(output: str) -> str | None:
    """The record text ``read_script`` found, or None."""
    try:
        document = json.loads(output.removeprefix("\ufeff").strip())
    except json.JSONDecodeError:
        raise ParseError("the record read (JSON)", "not JSON") from None
    found = document.get("record") if isinstance(document, dict) else ""
    if found is not None and not isinstance(found, str):
        raise ParseError("the record read (JSON)", "no record text")
    return found


def listing_script(os_volume: str) -> str:
    """One JSON object: ``records`` (every ``*.json`` in the records folder) and ``manifests`` (0.1.0's quarantine
    manifests under ``<os_volume>\\Lifeline\\Quarantine``), each ``{path, text}``."""
    quarantine = f"{volume(os_volume)}\\{QUARANTINE_ROOT}"
    listed = "@{path = $file.FullName; text = Get-Content -LiteralPath $file.FullName -Raw -Encoding 'UTF8'}"
    return script(
        "$report = @{records = @(); manifests = @()}",
        f"$records = {quote(folder(os_volume))}",
        f"$quarantine = {quote(quarantine)}",
        "if (Test-Path -LiteralPath $records -PathType 'Container') {",
        "    $files = Get-ChildItem -LiteralPath $records -Filter '*.json' -File -Force",
        f"    $report.records = @(foreach ($file in @($files)) {{ {listed} }})",
        "}",
        "if (Test-Path -LiteralPath $quarantine -PathType 'Container') {",
        f"    $files = Get-ChildItem -LiteralPath $quarantine -Filter {quote(MANIFEST_NAME)} -File -Force -Recurse",
        f"    $report.manifests = @(foreach ($file in @($files)) {{ {listed} }})",
        "}",
        "ConvertTo-Json -InputObject $report -Depth 3 -Compress",
    )


def _files(document: dict, name: str) -> Iterable[tuple[str, str]]:
    items = document.get(name)
    items = [] if items is None else items if isinstance(items, list) else [items]  # a lone item may be unwrapped
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("path"), str):
            raise ParseError(_LISTING, f"an item of {name} is not {{path, text}}")
        yield item["path"], item.get("text") or ""


def parse_listing(output: str) -> tuple[list[tuple[str, dict]], list[dict]]:
    """``(records, unreadable)`` from ``listing_script``'s JSON: ``(path, record)`` newest first (a 0.1.0 manifest
    whose quarantine has a version 1 record is left out: that record was written from it), and ``{path, problem}``
    for each file that is not a record this Lifeline reads."""
    try:
        document = json.loads(output.removeprefix("\ufeff").strip())
    except json.JSONDecodeError:
        raise ParseError(_LISTING, "not JSON") from None
    if not isinstance(document, dict):
        raise ParseError(_LISTING, "not a JSON object")
    records, unreadable = [], []
    for name in ("records", "manifests"):
        for found, content in _files(document, name):
            try:
                record = parse(content)
            except ParseError as error:
                unreadable.append({"path": found, "problem": error.problem})
                continue
            if name == "manifests" and any(
                r["kind"] == "quarantine" and r["quarantine_id"].casefold() == record["quarantine_id"].casefold()
                for _found, r in records
            ):
                continue
            records.append((found, record))
    records.sort(key=lambda item: (_moment(item[1]["time"]), item[0].casefold()), reverse=True)
    return records, unreadable
