# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Readers of the fleet inventory's host sources and failure signals: pure functions over text.

Host sources: a static list and address ranges from the inventory configuration, a CMDB export
(CSV with a header row, or JSON: a list of objects or ``{"hosts": [...]}``). Signals: JSON lines
of crash and heartbeat events (a monitoring or SIEM export), from a file or an HTTP endpoint.

Every reader returns what it could read and a list of ``SourceProblem`` naming the source and the
line (or item) of each record it skipped; only a source that cannot be read at all raises
``SourceError``. Nothing here templates or trusts what it reads, and nothing from a source ever
decides how to connect: the inventory takes connection settings from its configuration only.
"""

from __future__ import annotations

import csv
import datetime
import io
import ipaddress
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

__all__ = [
    "BMC_SOURCE_COLUMNS",
    "CSV_FIELD_LIMIT",
    "RINGS",
    "HostRecord",
    "HostSignals",
    "Signal",
    "SourceError",
    "SourceProblem",
    "address_problem",
    "address_range",
    "bmc_endpoint",
    "merge_hosts",
    "name_problem",
    "parse_bugcheck",
    "read_cmdb",
    "read_signals",
    "signals_by_host",
    "static_hosts",
]

RINGS = ("canary", "pilot", "broad")
# A host name Ansible and Windows both take as it is: NetBIOS/DNS characters.
_HOST_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,252}", re.ASCII)
# An address is an IP address literal or a DNS host name (RFC 1123 section 2.1): labels of letters,
# digits and hyphens, 1-63 long, no hyphen first or last, 253 characters in all, and a last label
# that is not all digits (a dotted-decimal form is an address, never a name). Nothing else: no user,
# port, path or fragment, which would make the WinRM URL point elsewhere.
_DNS_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)", re.ASCII)
_DNS_NAME_LIMIT = 253
_NAME_COLUMNS = ("name", "hostname", "host", "computername", "computer_name")
_ADDRESS_COLUMNS = ("address", "ip", "ip_address", "ipaddress", "fqdn", "dnshostname")
_RING_COLUMNS = ("ring", "recovery_ring", "lifeline_recovery_ring")
_RANGE_LIMIT = 65536
_SHOWN = 80
# The longest CSV field a CMDB record may have: the csv module's own default limit. A longer field
# drops its record only (the module would abort the whole file at it).
CSV_FIELD_LIMIT = 131072


class SourceError(ValueError):
    """A source that cannot be read at all; the message names it (and the line, where there is one)."""


@dataclass(frozen=True)
class SourceProblem:
    """A record a reader skipped: where (``source``, ``line``) and why."""

    source: str
    line: int | None
    problem: str

    def __str__(self) -> str:
        where = f"{self.source} line {self.line}" if self.line is not None else self.source
        return f"{where}: {self.problem}"


@dataclass(frozen=True)
class HostRecord:
    """One host as a source lists it. ``address`` None means the name resolves; ``ring`` overrides
    the computed recovery ring; ``data`` holds the source's other fields as text (never templated)."""

    name: str
    address: str | None = None
    ring: str | None = None
    origin: str = ""
    data: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Signal:
    """One event from a signals source: a ``crash`` (bugcheck and faulting module) or a ``heartbeat``."""

    host: str
    event: str
    time: datetime.datetime | None
    bugcheck: int | None = None
    module: str | None = None
    last_heartbeat: datetime.datetime | None = None
    origin: str = ""


@dataclass(frozen=True)
class HostSignals:
    """What the signals say about one host: its newest crash event and its last heartbeat."""

    latest_crash: Signal | None
    last_heartbeat: datetime.datetime | None


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 4] + "...'"


def _host_name(value: object) -> str | None:
    return value if isinstance(value, str) and _HOST_NAME.fullmatch(value) else None


def name_problem(value: object) -> str | None:
    """None for a valid host name; else the sentence that says what is wrong with it."""
    if _host_name(value) is not None:
        return None
    return f"host name {_shown(value)} is not a valid host name (letters, digits, . _ -)"


def address_problem(value: object) -> str | None:
    """None for an IPv4 or IPv6 address literal or an RFC 1123 host name; else the sentence that says why not."""
    if not isinstance(value, str):
        return f"address {_shown(value)} is not text"
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        labels = value.split(".")
        if len(value) <= _DNS_NAME_LIMIT and all(map(_DNS_LABEL.fullmatch, labels)) and not labels[-1].isdigit():
            return None
    else:
        if not getattr(address, "scope_id", None):
            return None
    return (
        f"address {_shown(value)} is not an IPv4 or IPv6 address or a DNS host name (RFC 1123: labels of "
        "letters, digits and hyphens; no user, port, path, fragment or zone index)"
    )


def _ring(value: object) -> str | bool | None:
    """The ring named by ``value``; None for empty; False when it is not a ring."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().lower() in RINGS:
        return value.strip().lower()
    return False


def _record(fields: Mapping[str, object], source: str, line: int | None, problems: list[SourceProblem]):
    folded = {str(key).strip().lower(): value for key, value in fields.items() if key is not None}
    name_value = next((folded[key] for key in _NAME_COLUMNS if folded.get(key) not in (None, "")), None)
    address_value = next((folded[key] for key in _ADDRESS_COLUMNS if folded.get(key) not in (None, "")), None)
    name = _host_name(name_value) or (_host_name(address_value) if name_value is None else None)
    if name is None:
        named = name_value if name_value is not None else address_value  # without a name, the address names it
        problems.append(SourceProblem(source, line, "no host name" if named is None else name_problem(named)))
        return None
    problem = None if address_value is None else address_problem(address_value)
    if problem is not None:
        problems.append(SourceProblem(source, line, f"{problem} (host {name})"))
        return None
    ring_value = next((folded[key] for key in _RING_COLUMNS if key in folded), None)
    ring = _ring(ring_value)
    if ring is False:
        problems.append(
            SourceProblem(source, line, f"ring {_shown(ring_value)} of {name} is not one of {', '.join(RINGS)}")
        )
        return None
    used = {*_NAME_COLUMNS, *_ADDRESS_COLUMNS, *_RING_COLUMNS}
    data = {key: "" if value is None else str(value) for key, value in folded.items() if key not in used}
    origin = f"{source} line {line}" if line is not None else source
    return HostRecord(name, address_value or None, ring or None, origin, data)


def static_hosts(entries: Iterable[object], source: str = "the configuration's hosts") -> tuple:
    """Hosts from the configuration: each a name (or address) string, or a mapping with name/address/ring."""
    records: list[HostRecord] = []
    problems: list[SourceProblem] = []
    for index, entry in enumerate(entries or (), start=1):
        fields = {"name": entry} if isinstance(entry, str) else entry
        if not isinstance(fields, Mapping):
            problems.append(SourceProblem(f"{source} item {index}", None, "must be a name or a mapping"))
            continue
        record = _record(fields, f"{source} item {index}", None, problems)
        if record:
            records.append(record)
    return records, problems


def address_range(text: str) -> list[str]:
    """The addresses of ``10.0.0.0/28`` (hosts only) or ``10.0.0.5-10.0.0.9`` (both ends included)."""
    if not isinstance(text, str):
        raise SourceError(f"address range {_shown(text)} is not text")
    try:
        if "/" in text:
            network = ipaddress.ip_network(text.strip(), strict=False)
            addresses = list(network.hosts()) if network.num_addresses > 2 else list(network)
        elif "-" in text:
            first_text, last_text = (part.strip() for part in text.split("-", 1))
            first, last = ipaddress.ip_address(first_text), ipaddress.ip_address(last_text)
            if first.version != last.version or int(last) < int(first):
                raise ValueError("the range ends before it starts")
            if int(last) - int(first) >= _RANGE_LIMIT:
                raise ValueError(f"more than {_RANGE_LIMIT} addresses")
            addresses = [ipaddress.ip_address(int(first) + offset) for offset in range(int(last) - int(first) + 1)]
        else:
            addresses = [ipaddress.ip_address(text.strip())]
    except ValueError as exc:
        raise SourceError(f"address range {_shown(text)} is not an address, a-b range or CIDR network: {exc}") from None
    if len(addresses) > _RANGE_LIMIT:
        raise SourceError(f"address range {_shown(text)} has more than {_RANGE_LIMIT} addresses")
    return [str(address) for address in addresses]


def read_cmdb(text: str, source: str) -> tuple[list[HostRecord], list[SourceProblem]]:
    """Hosts from a CMDB export: JSON when it starts with ``[`` or ``{``, else CSV with a header row."""
    stripped = text.lstrip("\ufeff \t\r\n")
    problems: list[SourceProblem] = []
    records: list[HostRecord] = []
    if stripped[:1] in ("[", "{"):
        try:
            document = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise SourceError(f"{source} line {exc.lineno}: not valid JSON ({exc.msg})") from None
        items = document.get("hosts") if isinstance(document, Mapping) else document
        if not isinstance(items, list):
            raise SourceError(f"{source}: a JSON CMDB export must be a list of hosts or hold one under 'hosts'")
        for index, item in enumerate(items, start=1):
            if not isinstance(item, Mapping):
                problems.append(SourceProblem(f"{source} item {index}", None, "is not an object"))
                continue
            record = _record(item, f"{source} item {index}", None, problems)
            if record:
                records.append(record)
        return records, problems
    reader = csv.DictReader(io.StringIO(stripped, newline=""))
    # The csv module's limit is process-wide and aborts the file; lifted for this text (already in
    # memory, so no field can be longer than it), each record is read whole and judged on its own.
    previous_limit = csv.field_size_limit(max(csv.field_size_limit(), len(stripped)))
    try:
        header = reader.fieldnames
        if not header or not {column.strip().lower() for column in header} & {*_NAME_COLUMNS, *_ADDRESS_COLUMNS}:
            raise SourceError(f"{source} line 1: the CSV header names no host column ({', '.join(_NAME_COLUMNS)})")
        for row in reader:
            line = reader.line_num
            if None in row or any(value is None for value in row.values()):
                problems.append(SourceProblem(source, line, "has a different number of fields than the header"))
                continue
            oversized = next((key for key, value in row.items() if len(value) > CSV_FIELD_LIMIT), None)
            if oversized is not None:
                length = len(row[oversized])
                problem = f"field {_shown(oversized)} is {length} characters long, over the limit of {CSV_FIELD_LIMIT}"
                problems.append(SourceProblem(source, line, problem))
                continue
            record = _record(row, source, line, problems)
            if record:
                records.append(record)
    except csv.Error as exc:
        raise SourceError(f"{source} line {reader.line_num}: not valid CSV ({exc})") from None
    finally:
        csv.field_size_limit(previous_limit)
    return records, problems


def merge_hosts(sources: Iterable[Iterable[HostRecord]]) -> list[HostRecord]:
    """One record per host name (case-insensitive), in first-seen order: a later source fills the
    address, ring and data the earlier ones left empty, never overrides them."""
    merged: dict[str, HostRecord] = {}
    for records in sources:
        for record in records:
            key = record.name.lower()
            known = merged.get(key)
            if known is None:
                merged[key] = record
                continue
            merged[key] = HostRecord(
                known.name,
                known.address or record.address,
                known.ring or record.ring,
                known.origin,
                {**record.data, **known.data},
            )
    return list(merged.values())


# The CMDB columns (or static host keys) that name a host's BMC: its address, port and system id.
BMC_ADDRESS_COLUMNS = ("bmc_address", "bmc_ip", "bmc_host", "bmc")
BMC_PORT_COLUMN = "bmc_port"
BMC_SYSTEM_COLUMN = "bmc_system_id"
BMC_SOURCE_COLUMNS = frozenset((*BMC_ADDRESS_COLUMNS, BMC_PORT_COLUMN, BMC_SYSTEM_COLUMN))
_PORT_LIMIT = 65535


def bmc_endpoint(data: Mapping[str, str], default_port: int) -> tuple[str, int, str | None] | None:
    """The BMC a source record names (address, port, system id), or None when it names none; a
    ``ValueError`` says what is wrong with the columns that are there."""
    address = next((data[key].strip() for key in BMC_ADDRESS_COLUMNS if str(data.get(key) or "").strip()), None)
    if address is None:
        return None
    problem = address_problem(address)
    if problem is not None:
        raise ValueError(f"BMC {problem}")
    port_text = str(data.get(BMC_PORT_COLUMN) or "").strip()
    if not port_text:
        port = default_port
    elif port_text.isdigit() and 0 < int(port_text) <= _PORT_LIMIT:
        port = int(port_text)
    else:
        raise ValueError(f"bmc_port {_shown(port_text)} is not a port number (1-{_PORT_LIMIT})")
    system = str(data.get(BMC_SYSTEM_COLUMN) or "").strip() or None
    if system is not None and _host_name(system) is None:
        raise ValueError(f"bmc_system_id {_shown(system)} is not a Redfish resource id (letters, digits, . _ -)")
    return address, port, system


def parse_bugcheck(value: object) -> int | None:
    """A bugcheck code given as ``0x50``, ``0x00000050``, ``50`` (hex, as WinDbg prints) or an integer."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**32:
        return value
    if isinstance(value, str) and re.fullmatch(r"(?:0[xX])?[0-9A-Fa-f]{1,8}", value.strip()):
        return int(value.strip(), 16)
    raise ValueError(f"bugcheck {_shown(value)} is not a code such as 0x50")


def _timestamp(value: object, what: str) -> datetime.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            stamp = datetime.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return stamp if stamp.tzinfo else stamp.replace(tzinfo=datetime.UTC)
    raise ValueError(f"{what} {_shown(value)} is not an ISO 8601 time")


def _signal(item: object) -> Signal:
    if not isinstance(item, Mapping):
        raise ValueError("is not a JSON object")
    host = item.get("host", item.get("hostname"))
    if _host_name(host) is None:
        raise ValueError(f"host {_shown(host)} is not a valid host name")
    bugcheck = None if item.get("bugcheck") in (None, "") else parse_bugcheck(item.get("bugcheck"))
    module = item.get("module", item.get("faulting_module"))
    if module is not None and not isinstance(module, str):
        raise ValueError(f"module {_shown(module)} is not text")
    event = item.get("event")
    if event is None:
        event = "crash" if bugcheck is not None or module else "heartbeat"
    if event not in ("crash", "heartbeat"):
        raise ValueError(f"event {_shown(event)} is neither crash nor heartbeat")
    time = _timestamp(item.get("time"), "time")
    last_heartbeat = _timestamp(item.get("last_heartbeat"), "last_heartbeat")
    if event == "heartbeat":
        last_heartbeat = max(filter(None, (time, last_heartbeat)), default=None)
        if last_heartbeat is None:
            raise ValueError("a heartbeat needs a time")
    return Signal(host, event, time, bugcheck, module or None, last_heartbeat)


def read_signals(text: str, source: str) -> tuple[list[Signal], list[SourceProblem]]:
    """Events from JSON lines (one object a line; blank lines skipped); a bad line is a problem, not the end."""
    signals: list[Signal] = []
    problems: list[SourceProblem] = []
    for number, line in enumerate(text.removeprefix("\ufeff").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(SourceProblem(source, number, f"not valid JSON ({exc.msg})"))
            continue
        try:
            signal = _signal(item)
        except ValueError as exc:
            problems.append(SourceProblem(source, number, str(exc)))
            continue
        where = f"{source} line {number}"
        signals.append(
            Signal(signal.host, signal.event, signal.time, signal.bugcheck, signal.module, signal.last_heartbeat, where)
        )
    return signals, problems


def signals_by_host(signals: Iterable[Signal]) -> dict[str, HostSignals]:
    """Per host name (lower case): the newest crash event and the latest heartbeat any event reports."""
    crashes: dict[str, Signal] = {}
    heartbeats: dict[str, datetime.datetime] = {}
    epoch = datetime.datetime.min.replace(tzinfo=datetime.UTC)
    for signal in signals:
        key = signal.host.lower()
        if signal.last_heartbeat is not None and signal.last_heartbeat > heartbeats.get(key, epoch):
            heartbeats[key] = signal.last_heartbeat
        if signal.event == "crash":
            known = crashes.get(key)
            if known is None or (signal.time or epoch) >= (known.time or epoch):
                crashes[key] = signal
    return {key: HostSignals(crashes.get(key), heartbeats.get(key)) for key in {*crashes, *heartbeats}}
