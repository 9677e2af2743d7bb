# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""win_safe_mode_network_service's scripts and pure logic: its read script and reading it, what to add or remove, the
change script, its record.

Safe Mode with Networking starts only the drivers and services named (or whose load-order group is named) by a
subkey of ``HKLM\\SYSTEM\\CurrentControlSet\\Control\\SafeBoot\\Network`` (Microsoft Learn, BcdLibrary_SafeBoot);
a service that is not listed fails to start with 1084 ERROR_NOT_SAFEBOOT_SERVICE, and so does anything that depends
on it. The subkey's default value names what it is: ``Service`` or ``Driver`` (by the service's ``Type``).

WinRM answers only when WinRM and what it depends on run: ``sc qc WinRM`` lists RPCSS and HTTP (the HTTP.sys
driver). RpcSs is listed by default; the network stack (NDIS, Tcpip, AFD, Dhcp...) is too. ``DEFAULT_SERVICES``
is that set, so that win_recovery_facts (WinRM and each DependOnService listed) says prepared afterwards.

The rollback record (kind safeboot_network, ``_records.py``: ``safeboot_network.json``) lists what Lifeline ADDED,
so ``state: absent`` removes only those and never an entry Windows or the organisation put there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ansible_collections.lifeline.recovery.plugins.plugin_utils import _records, _report
from ansible_collections.lifeline.recovery.plugins.plugin_utils._host_model import MININT_KEY
from ansible_collections.lifeline.recovery.plugins.plugin_utils._inputs import service_name, shown, windows_path
from ansible_collections.lifeline.recovery.plugins.plugin_utils._parsers import ParseError
from ansible_collections.lifeline.recovery.plugins.plugin_utils._powershell import checked, script
from ansible_collections.lifeline.recovery.plugins.plugin_utils._reg import (
    RegKey,
    parse_reg_query,
    reg_add,
    reg_delete_key,
    reg_query,
)

__all__ = [
    "DEFAULT_SERVICES",
    "MODULE",
    "SAFEBOOT_KINDS",
    "SAFEBOOT_NETWORK_KEY",
    "Plan",
    "SafeBootRead",
    "ServiceKey",
    "new_record",
    "parse_read",
    "plan",
    "read_record",
    "safeboot_network_change",
    "safeboot_network_read",
    "unique",
]

MODULE = "win_safe_mode_network_service"
# BcdLibrary_SafeBoot (Microsoft Learn): Safe Mode with Networking loads the drivers and services named, or whose group
# is named, by a subkey of Control\SafeBoot\Network; the subkey's default value says what it is: "Service", "Driver"
# or "Driver Group" (Lifeline lists services and drivers only).
SAFEBOOT_NETWORK_KEY = r"HKLM\SYSTEM\CurrentControlSet\Control\SafeBoot\Network"
SAFEBOOT_KINDS = ("Service", "Driver")
DEFAULT_SERVICES = ("WinRM", "RpcSs", "HTTP")
_TOOL = "the SafeBoot\\Network read (reg query as JSON)"
# SERVICE_KERNEL_DRIVER 1, SERVICE_FILE_SYSTEM_DRIVER 2, SERVICE_ADAPTER 4, SERVICE_RECOGNIZER_DRIVER 8 (CreateService)
_DRIVER_TYPES = (1, 2, 4, 8)


@dataclass(frozen=True)
class ServiceKey:
    """A service key as reg query showed it: its name as Windows spells it, its Type and its DependOnService."""

    name: str
    type: int | None
    depends_on: tuple[str, ...]

    @property
    def kind(self) -> str:
        """What its SafeBoot subkey's default value says: ``Driver`` for driver types, else ``Service``."""
        return "Driver" if self.type in _DRIVER_TYPES else "Service"


@dataclass(frozen=True)
class SafeBootRead:
    in_winpe: bool  # HKLM\SYSTEM\CurrentControlSet\Control\MiniNT exists: WinPE/WinRE, not the installed Windows
    listed: tuple[str, ...] | None  # SafeBoot\Network subkey names; None when the key does not exist
    services: tuple[ServiceKey | None, ...]  # per requested name, in order; None: no such service key
    record: str | None


def _service(text: str, rc: int, requested: str) -> ServiceKey | None:
    if rc == 1 and not text.strip():
        return None  # reg query: the key does not exist (the error goes to stderr), exit 1
    if rc != 0:
        raise ParseError(_TOOL, f"reg query of service {requested!r} exited {rc}")
    keys = parse_reg_query(text)
    key: RegKey | None = keys[0] if keys else None
    if key is None:
        return ServiceKey(requested, None, ())
    type_, depends = key.value("Type"), key.value("DependOnService")
    return ServiceKey(
        key.path.rsplit("\\", 1)[-1],
        type_.data if type_ is not None and isinstance(type_.data, int) else None,
        tuple(depends.data) if depends is not None and isinstance(depends.data, tuple) else (),
    )


def parse_read(text: str, count: int) -> SafeBootRead:
    """The JSON of ``safeboot_network_read`` for ``count`` requested services."""
    document = _report.document(text, _TOOL)
    minint_rc = _report.rc(document, "minint", _TOOL)
    if minint_rc not in (0, 1):
        raise ParseError(_TOOL, f"reg query MiniNT exited {minint_rc}; reg exits 0 or 1")
    network_rc = _report.rc(document, "network", _TOOL)
    listed = None
    if network_rc == 0:
        keys = parse_reg_query(_report.output(document, "network", _TOOL))
        listed = tuple(sub.rsplit("\\", 1)[-1] for sub in keys[0].subkeys) if keys else ()
    elif network_rc != 1:
        raise ParseError(_TOOL, f"reg query SafeBoot\\Network exited {network_rc}")
    services = tuple(
        _service(
            _report.output(document, f"service{i}", _TOOL), _report.rc(document, f"service{i}", _TOOL), f"#{i + 1}"
        )
        for i in range(count)
    )
    record = _report.field(document, "record", str, _TOOL, optional=True)
    return SafeBootRead(minint_rc == 0, listed, services, record)


def new_record(added: list[dict]) -> dict:
    """The record: every SafeBoot\\Network entry Lifeline added (name, kind); used up (``restored_at``) once none
    is left."""
    record = _records.new(
        "safeboot_network",
        MODULE,
        key=SAFEBOOT_NETWORK_KEY,
        added=sorted(added, key=lambda entry: entry["name"].casefold()),
    )
    return record if added else _records.restored(record)


def read_record(text: str | None) -> list[dict]:
    """The entries a record says Lifeline added ([] when there is no record); ParseError when it is not ours."""
    if text is None:
        return []
    record = _records.parse(text, "safeboot_network")
    if not all(entry["kind"] in SAFEBOOT_KINDS for entry in record["added"]):
        raise ParseError("the SafeBoot\\Network record", "'added' is not a list of {name, kind: Service or Driver}")
    return [{"name": entry["name"], "kind": entry["kind"]} for entry in record["added"]]


@dataclass(frozen=True)
class Plan:
    add: tuple[tuple[str, str], ...]  # (name, kind) to list
    remove: tuple[str, ...]  # subkey names to delete
    kept: tuple[str, ...]  # absent: listed, but not added by Lifeline, so left alone
    recorded: tuple[dict, ...]  # the record's entries after the change
    listed_after: tuple[str, ...]


def unique(names: list[str]) -> list[str]:
    """The names without case-insensitive repeats, in their first order (the registry ignores case)."""
    seen: set[str] = set()
    return [name for name in names if not (name.casefold() in seen or seen.add(name.casefold()))]


def plan(state: str, requested: list[str], read: SafeBootRead, recorded: list[dict]) -> Plan:
    """What to add (present) or remove (absent). ValueError names requested services that are not installed
    (present only: listing a service that does not exist would prepare nothing)."""
    listed = {name.casefold(): name for name in read.listed or ()}
    ours = {entry["name"].casefold(): entry for entry in recorded}
    if state == "present":
        missing = [name for name, key in zip(requested, read.services, strict=True) if key is None]
        if missing:
            raise ValueError(
                f"no service or driver {', '.join(map(repr, missing))} under HKLM\\SYSTEM\\CurrentControlSet\\Services:"
                " check the names (listing a service that is not installed prepares nothing); nothing was changed"
            )
        add = tuple((key.name, key.kind) for key in read.services if key and key.name.casefold() not in listed)
        for name, kind in add:
            ours.setdefault(name.casefold(), {"name": name, "kind": kind})
        after = {**listed, **{name.casefold(): name for name, _kind in add}}
        return Plan(add, (), (), tuple(ours.values()), tuple(sorted(after.values(), key=str.casefold)))
    remove = tuple(listed[n.casefold()] for n in requested if n.casefold() in listed and n.casefold() in ours)
    kept = tuple(listed[n.casefold()] for n in requested if n.casefold() in listed and n.casefold() not in ours)
    gone = {name.casefold() for name in remove}
    remaining = tuple(entry for key, entry in ours.items() if key not in gone)
    after = tuple(sorted((name for key, name in listed.items() if key not in gone), key=str.casefold))
    return Plan((), remove, kept, remaining, after)


# --- the scripts ------------------------------------------------------------------------------------------------------


def safeboot_network_read(services: Sequence[str], record_file: str) -> str:
    """One JSON object: ``minint``/``minint_rc`` (reg query MiniNT: exit 0 in WinPE/WinRE), ``network``/``network_rc``
    (reg query SafeBoot\\Network: its subkeys), ``service<i>``/``service<i>_rc`` (reg query Services\\<name>: Type,
    DependOnService...) for each of ``services`` in order, and ``record`` (the rollback record's text, or null)."""
    if isinstance(services, str) or not services:
        raise ValueError("services must be a non-empty list of service names")
    names = [service_name(name) for name in services]
    record_file = windows_path(record_file, "record file", wildcards=False)
    statements = [
        "$report = @{record = $null}",
        *_report.captured("minint", reg_query(MININT_KEY)),
        *_report.captured("network", reg_query(SAFEBOOT_NETWORK_KEY)),
    ]
    for index, name in enumerate(names):
        statements += _report.captured(
            f"service{index}", reg_query(f"HKLM\\SYSTEM\\CurrentControlSet\\Services\\{name}")
        )
    statements += [*_records.read_statements(record_file), "ConvertTo-Json -InputObject $report -Compress"]
    return script(*statements)


def safeboot_network_change(add: Sequence[tuple[str, str]], remove: Sequence[str], os_volume: str, record: dict) -> str:
    """ONE script: when adding, the rollback record (kind safeboot_network) is written FIRST, then ``reg add
    SafeBoot\\Network\\<name> /ve /t REG_SZ /d <kind> /f`` for each (name, kind); when removing, ``reg delete
    SafeBoot\\Network\\<name> /f`` for each and the record is written after. Stops at the first failing reg with its
    exit code; cmdlets stop on error."""
    if isinstance(add, str) or isinstance(remove, str) or (not add and not remove) or (add and remove):
        raise ValueError("a SafeBoot\\Network change either adds or removes at least one service")
    write = _records.write_record(os_volume, "safeboot_network", None, record)
    changes = []
    for name, kind in add:
        if kind not in SAFEBOOT_KINDS:
            raise ValueError(f"SafeBoot entry kind {shown(kind)} is not one of {', '.join(SAFEBOOT_KINDS)}")
        changes += checked(reg_add(f"{SAFEBOOT_NETWORK_KEY}\\{service_name(name)}", "", "REG_SZ", kind))
    for name in remove:
        changes += checked(reg_delete_key(f"{SAFEBOOT_NETWORK_KEY}\\{service_name(name)}"))
    return script(*(write + changes if add else changes + write), "exit 0")
