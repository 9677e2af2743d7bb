# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet inventory's read-only Redfish client: what a host's BMC says about it (DMTF DSP0266, the
schemas of DSP8010), for the verdict of a host that is silent in band.

The inventory cannot run modules, so these reads are plain HTTPS GETs over one kept-alive connection per BMC,
with ansible-core's own TLS context (``make_context``, as ``open_url`` uses it: the certificate and host name
validated by default, against ``ca_file`` or the system store); HTTP Basic on each request, which DSP0266
section 13.3 requires every service to accept; no proxy, no redirect followed, and only paths on the same BMC.
Changing anything on a BMC (virtual media, boot override, reset) is for community.general's redfish_command in
roles/oob_recovery, never this module.

Per host, three reads and a few more for the log:
- the service root ``/redfish/v1/`` and its ``Systems`` collection (the system named by the source,
  else the collection's only or first member);
- the ComputerSystem: ``PowerState`` and ``BootProgress.LastState`` (ComputerSystem v1_13+);
- the system's ``LogServices`` (else those of the managers in ``Links.ManagedBy``), each service's
  ``Entries``: the newest entry whose ``SensorType`` is ``OS Stop/Shutdown`` (LogEntry's SensorType,
  the IPMI sensor type 20h BMCs record when the OS stops).

Every failure becomes a ``BmcEvidence`` that says how far the read got, never an exception; no text
here ever holds the password (it goes into the Authorization header only).
"""

from __future__ import annotations

import base64
import datetime
import functools
import json
import ssl
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ansible_collections.lifeline.recovery.plugins.plugin_utils._probe import verification_error

__all__ = [
    "BMC_ANSWERED",
    "BMC_ERROR",
    "BMC_LOGIN_REFUSED",
    "BMC_NOT_ASKED",
    "BMC_NO_ANSWER",
    "BmcEvidence",
    "BmcTarget",
    "OsStop",
    "error_message",
    "managed_by",
    "newest_os_stop",
    "os_down_reason",
    "read_bmc",
    "read_bmcs",
    "resource_id",
    "system_state",
]

SERVICE_ROOT = "/redfish/v1/"
DEFAULT_BMC_PORT = 443
# How far a BMC read got; the inventory shows it as lifeline_bmc.reachability.
BMC_ANSWERED = "answered"
BMC_LOGIN_REFUSED = "login_refused"
BMC_CERTIFICATE_REJECTED = "certificate_rejected"
BMC_NO_ANSWER = "no_answer"
BMC_ERROR = "error"
BMC_NOT_ASKED = "not_asked"
# ComputerSystem PowerState values (Resource.PowerState) in which the OS cannot be running.
_POWER_DOWN = frozenset({"Off", "PoweringOff", "Paused"})
# BootProgress.LastState (ComputerSystem BootProgressTypes): the OS runs only in OSRunning; OEM says nothing.
OS_RUNNING = "OSRunning"
_LAST_STATE_UNKNOWN = frozenset({"OEM"})
# LogEntry SensorType of the IPMI sensor type 20h (OS Stop / Shutdown).
OS_STOP_SENSOR = "OS Stop/Shutdown"
_LOG_ENTRY_LIMIT = 200
_TLS_CONTEXTS = 8  # distinct (CA file, validation) settings kept; an inventory has one
_SHOWN = 160


@dataclass(frozen=True)
class BmcTarget:
    """Where and how to reach one host's BMC (the endpoint from the sources, the account from the
    inventory configuration)."""

    name: str
    address: str
    port: int
    username: str | None
    password: str | None
    ca_file: str | None = None
    cert_validation: bool = True
    system_id: str | None = None

    @property
    def base_uri(self) -> str:
        """``address:port``, as community.general's redfish modules take it (``baseuri``)."""
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{host}:{self.port}"

    @property
    def root(self) -> str:
        return f"https://{self.base_uri}"

    def __repr__(self) -> str:  # never show the password
        return f"BmcTarget({self.name!r}, {self.root!r}, user={self.username!r})"


@dataclass(frozen=True)
class OsStop:
    """The newest OS stop a BMC log records: when (``Created``), what (``EntryCode`` or ``Message``)."""

    created: str | None
    what: str
    entry: str

    def hostvar(self) -> dict[str, object]:
        return {"created": self.created, "what": self.what, "entry": self.entry}


@dataclass(frozen=True)
class BmcEvidence:
    """What one BMC said: how far the read got (``reachability``) and why (``detail``), the system's
    resource, power state, last boot progress state and newest OS stop."""

    reachability: str
    detail: str
    system: str | None = None
    power_state: str | None = None
    last_state: str | None = None
    os_stop: OsStop | None = None
    manager: str | None = None

    @property
    def answered(self) -> bool:
        return self.reachability == BMC_ANSWERED

    def hostvar(self, target: BmcTarget) -> dict[str, object]:
        return {
            "address": target.address,
            "port": target.port,
            "base_uri": target.base_uri,
            "reachability": self.reachability,
            "detail": self.detail,
            "system": self.system,
            "system_id": resource_id(self.system) if self.system else target.system_id,
            "manager_id": resource_id(self.manager) if self.manager else None,
            "power_state": self.power_state,
            "boot_progress": self.last_state,
            "os_stop": self.os_stop.hostvar() if self.os_stop else None,
        }

    def sentence(self) -> str:
        """What the BMC reported, in one sentence (the evidence and the path reason use it)."""
        if not self.answered:
            return self.detail
        parts = [f"PowerState {self.power_state or 'not reported'}"]
        parts.append(f"BootProgress.LastState {self.last_state or 'not reported'}")
        if self.os_stop is not None:
            parts.append(f"newest OS stop {self.os_stop.what} at {self.os_stop.created or 'an unknown time'}")
        else:
            parts.append("no OS stop in its logs")
        return f"{self.system}: {', '.join(parts)}"


def _shown(value: object) -> str:
    text = str(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def resource_id(uri: str) -> str:
    """The Id of a resource from its URI (its last segment): what redfish_command's resource_id takes."""
    return uri.rstrip("/").rsplit("/", 1)[-1]


def managed_by(document: object) -> str | None:
    """The first manager in a ComputerSystem's ``Links.ManagedBy``."""
    links = document.get("Links") if isinstance(document, dict) else None
    for manager in (links.get("ManagedBy") if isinstance(links, dict) else None) or ():
        if isinstance(manager, dict) and isinstance(manager.get("@odata.id"), str):
            return manager["@odata.id"]
    return None


def system_state(document: object) -> tuple[str | None, str | None]:
    """``PowerState`` and ``BootProgress.LastState`` of a ComputerSystem (None where absent or not text)."""
    if not isinstance(document, dict):
        return None, None
    power = document.get("PowerState")
    progress = document.get("BootProgress")
    last = progress.get("LastState") if isinstance(progress, dict) else None
    return (power if isinstance(power, str) else None), (last if isinstance(last, str) else None)


def os_down_reason(power_state: str | None, last_state: str | None) -> str | None:
    """Why the BMC's report means the OS is not running, or None when it does not say so (the OS runs,
    or the BMC does not know: no state, or an OEM one)."""
    if power_state in _POWER_DOWN:
        return f"the BMC reports PowerState {power_state}"
    if power_state == "On" and last_state and last_state != OS_RUNNING and last_state not in _LAST_STATE_UNKNOWN:
        return f"the BMC reports the system on with BootProgress.LastState {last_state}, not {OS_RUNNING}"
    return None


def _created(entry: dict) -> datetime.datetime | None:
    value = entry.get("Created")
    if not isinstance(value, str):
        return None
    try:
        stamp = datetime.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=datetime.UTC)


def newest_os_stop(entries: list[object]) -> OsStop | None:
    """The newest log entry with SensorType ``OS Stop/Shutdown`` (by ``Created``; an entry without a
    readable time counts as the oldest)."""
    epoch = datetime.datetime.min.replace(tzinfo=datetime.UTC)
    stops = [entry for entry in entries if isinstance(entry, dict) and entry.get("SensorType") == OS_STOP_SENSOR]
    if not stops:
        return None
    entry = max(stops, key=lambda item: _created(item) or epoch)
    what = entry.get("EntryCode") or entry.get("Message") or "an OS stop"
    message = entry.get("Message")
    if message and message != what:
        what = f"{what} ({message})"
    created = entry.get("Created") if isinstance(entry.get("Created"), str) else None
    return OsStop(created, _shown(what), str(entry.get("@odata.id") or ""))


def error_message(body: bytes) -> str | None:
    """The message of a Redfish error body (DSP0266 section 9.7: ``error.message`` and the messages of
    ``error.@Message.ExtendedInfo``), or None when the body is not one."""
    try:
        document = json.loads(body.decode("utf-8", "replace"))
    except ValueError:
        return None
    error = document.get("error") if isinstance(document, dict) else None
    if not isinstance(error, dict):
        return None
    messages = [
        info.get("Message")
        for info in error.get("@Message.ExtendedInfo") or ()
        if isinstance(info, dict) and isinstance(info.get("Message"), str)
    ]
    text = "; ".join(messages) or error.get("message")
    return _shown(text) if isinstance(text, str) and text else None


class _Refused(Exception):
    """An HTTP status that ends the read; ``evidence`` says what it means."""

    def __init__(self, evidence: BmcEvidence):
        super().__init__(evidence.detail)
        self.evidence = evidence


class _Client:
    """One BMC's reads over ONE kept-alive HTTPS connection (DSP0266 "Protocol details": HTTP/1.1 persistent
    connections), so a read costs one TLS handshake, not one per GET; the TLS context (the CA file loaded, the
    certificate and host name checked as ``open_url`` checks them) is shared by every BMC with the same settings."""

    def __init__(self, target: BmcTarget, deadline: float):
        self.target = target
        self.deadline = deadline
        self._connection = None
        self._authorization = (
            "Basic " + base64.b64encode(f"{target.username}:{target.password or ''}".encode()).decode("ascii")
            if target.username is not None
            else None
        )

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()

    def get(self, path: str) -> dict:
        import http.client

        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the probe timeout ran out")
        if not path.startswith("/"):
            # DSP0266: an @odata.id is a path on the same service; never send the account anywhere else.
            raise _Refused(
                BmcEvidence(BMC_ERROR, f"the BMC at {self.target.root} linked to {_shown(path)}, not a path")
            )
        if self._connection is None:
            self._connection = http.client.HTTPSConnection(
                self.target.address,
                self.target.port,
                timeout=remaining,
                context=_tls_context(self.target.ca_file, self.target.cert_validation),
            )
        elif self._connection.sock is not None:
            self._connection.sock.settimeout(remaining)
        else:
            self._connection.timeout = remaining
        headers = {"Accept": "application/json", "OData-Version": "4.0"}
        if self._authorization is not None:
            headers["Authorization"] = self._authorization
        self._connection.request("GET", path, headers=headers)
        response = self._connection.getresponse()
        body = response.read()
        if not 200 <= response.status < 300:  # no redirect is followed, as open_url(follow_redirects="none")
            detail = error_message(body)
            said = f": {detail}" if detail else ""
            if response.status == 401:
                raise _Refused(
                    BmcEvidence(
                        BMC_LOGIN_REFUSED,
                        f"the BMC at {self.target.root} refused the login as {self.target.username!r} "
                        f"(HTTP 401){said}: check bmc_user and bmc_password",
                    )
                )
            raise _Refused(
                BmcEvidence(
                    BMC_ERROR, f"the BMC at {self.target.root} answered GET {path} with HTTP {response.status}{said}"
                )
            )
        try:
            document = json.loads(body.decode("utf-8"))
        except ValueError:
            raise _Refused(
                BmcEvidence(BMC_ERROR, f"the BMC at {self.target.root} answered GET {path} with something not JSON")
            ) from None
        if not isinstance(document, dict):
            raise _Refused(BmcEvidence(BMC_ERROR, f"the BMC at {self.target.root} answered GET {path} with no object"))
        return document


@functools.lru_cache(maxsize=_TLS_CONTEXTS)
def _tls_context(ca_file: str | None, validate: bool) -> ssl.SSLContext:
    """ansible-core's own TLS context for open_url (``make_context``): the CA file alone when given, else the
    system's CA store; the certificate and the host name checked unless validation is off. Built once per
    setting (loading a CA store costs milliseconds), shared by the threads (an SSLContext is thread-safe)."""
    from ansible.module_utils.urls import make_context

    return make_context(cafile=ca_file, validate_certs=validate)


def _members(document: dict) -> list[str]:
    return [
        member["@odata.id"]
        for member in document.get("Members") or ()
        if isinstance(member, dict) and isinstance(member.get("@odata.id"), str)
    ]


def _link(document: dict, name: str) -> str | None:
    value = document.get(name)
    return value.get("@odata.id") if isinstance(value, dict) and isinstance(value.get("@odata.id"), str) else None


def _find_system(client: _Client) -> str:
    root = client.get(SERVICE_ROOT)
    systems = _link(root, "Systems")
    if systems is None:
        raise _Refused(BmcEvidence(BMC_ERROR, f"the BMC at {client.target.root} lists no Systems"))
    members = _members(client.get(systems))
    if client.target.system_id:
        wanted = [member for member in members if resource_id(member) == client.target.system_id]
        if not wanted:
            raise _Refused(
                BmcEvidence(BMC_ERROR, f"the BMC at {client.target.root} has no system {client.target.system_id!r}")
            )
        return wanted[0]
    if not members:
        raise _Refused(BmcEvidence(BMC_ERROR, f"the BMC at {client.target.root} lists no system"))
    return members[0]


def _log_entries(client: _Client, system: dict) -> list[object]:
    services = _link(system, "LogServices")
    holders = [services] if services else []
    manager = managed_by(system)
    if not holders and manager is not None:
        found = _link(client.get(manager), "LogServices")
        if found:
            holders.append(found)
    entries: list[object] = []
    for holder in holders:
        for service in _members(client.get(holder)):
            entries_link = _link(client.get(service), "Entries")
            if entries_link:
                entries.extend((client.get(entries_link).get("Members") or [])[:_LOG_ENTRY_LIMIT])
    return entries


def read_bmc(target: BmcTarget, timeout: float) -> BmcEvidence:
    """The BMC's evidence about its system; never raises for anything the network or the BMC does."""
    client = _Client(target, time.monotonic() + timeout)
    try:
        return _read(client, target)
    finally:
        client.close()


def _read(client: _Client, target: BmcTarget) -> BmcEvidence:
    try:
        system_uri = _find_system(client)
        system = client.get(system_uri)
        power, last = system_state(system)
        try:
            stop = newest_os_stop(_log_entries(client, system))
        except _Refused:
            stop = None  # a log the account may not read leaves the power and boot state
        return BmcEvidence(
            BMC_ANSWERED, f"the BMC at {target.root} answered", system_uri, power, last, stop, managed_by(system)
        )
    except _Refused as refused:
        return refused.evidence
    except Exception as exc:  # anything else the network did
        rejected = verification_error(exc)
        if rejected is not None:
            trusted = f"the CA file {target.ca_file}" if target.ca_file else "the system's CA store"
            return BmcEvidence(
                BMC_CERTIFICATE_REJECTED,
                f"the certificate of the BMC at {target.root} did not validate against {trusted} "
                f"({rejected.verify_message}): check bmc_ca_file",
            )
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return BmcEvidence(BMC_NO_ANSWER, f"no answer from the BMC at {target.root}: {_shown(reason)}")


def read_bmcs(targets: list[BmcTarget], workers: int, timeout: float) -> dict[str, BmcEvidence]:
    """Read every BMC with at most ``workers`` at a time, each within ``timeout`` seconds."""
    if not targets:
        return {}
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(targets))), thread_name_prefix="lifeline-bmc") as pool:
        return dict(zip((t.name for t in targets), pool.map(lambda t: read_bmc(t, timeout), targets), strict=True))
