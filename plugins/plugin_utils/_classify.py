# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet inventory's verdict per host: pure functions from what the probe saw and what the signals say.

recovery_state:
- ``healthy``: the host answered and runs Windows normally;
- ``recovery_reachable``: it answered from Safe Mode or Safe Mode with Networking (stock WinRE has no
  WinRM: a host there is silent; a look that says WinRE means an organisation's own WinRE image);
- ``unbootable``: it did not answer at all and a signal reports a crash after its last heartbeat;
- ``unknown``: everything else: silent without such a signal, refused the login, presented a
  certificate that did not validate (something answered TLS: never ``unbootable``), or answered
  with a look that could not be read (``lifeline_reachability`` says which).

A host silent in band is also ``unbootable`` when its BMC (Redfish, ``_redfish.py``) says the OS is
not running: powered off, or on with a BootProgress.LastState other than OSRunning.

``recovery_path`` says how Lifeline can reach a host that is not healthy: ``in_band`` where WinRM
answers; ``out_of_band`` for an unbootable host whose BMC answered (roles/oob_recovery boots it from
the Lifeline recovery image through the BMC); ``needs_hands`` for an unbootable host without a BMC
or whose BMC did not answer, with ``recovery_path_reason`` taken from the host's readiness record
(playbooks/prepare.yml): failover armed but Safe Mode failed too, failover not armed, or TPM+PIN
waiting at the pre-boot prompt (and what its BMC did, when it has one).

``operator_error`` is the probe's sentence when the failure is the operator's to fix (a refused
login, a certificate not validated, no account configured), so that a wrong password or CA file
reads as what it is, not as a fleet in trouble.

The evidence for each verdict is a list of sentences; every value in it that came from a source or
a host is data, and the inventory marks it so.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from dataclasses import dataclass

from ansible_collections.lifeline.recovery.plugins.plugin_utils._host_model import (
    failure_signature,
    latest_crash,
    locate_windows,
)
from ansible_collections.lifeline.recovery.plugins.plugin_utils._probe import (
    ANSWERED,
    CERTIFICATE_REJECTED,
    LOGIN_REFUSED,
    NO_ANSWER,
    ProbeResult,
)
from ansible_collections.lifeline.recovery.plugins.plugin_utils._readiness import Readiness, needs_hands_reason
from ansible_collections.lifeline.recovery.plugins.plugin_utils._redfish import BmcEvidence, os_down_reason
from ansible_collections.lifeline.recovery.plugins.plugin_utils._sources import RINGS, HostSignals, Signal

__all__ = [
    "RECOVERY_PATHS",
    "RECOVERY_STATES",
    "Verdict",
    "classify",
    "group_name",
    "recovery_ring",
]

RECOVERY_STATES = ("healthy", "recovery_reachable", "unbootable", "unknown")
ANSWERED_IN_RECOVERY = "answered_in_recovery"
NOT_PROBED = "not_probed"
# How Lifeline can reach a host that does not run Windows normally: over WinRM where it answers
# (Safe Mode with Networking), or not at all without a person at the machine.
IN_BAND = "in_band"
NEEDS_HANDS = "needs_hands"
# Through the host's BMC (Redfish): virtual media, one-time boot, restart.
OUT_OF_BAND = "out_of_band"
RECOVERY_PATHS = (IN_BAND, OUT_OF_BAND, NEEDS_HANDS)
_GROUP_CHARS = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Verdict:
    name: str
    recovery_state: str
    reachability: str
    boot_environment: str
    failure_signature: str | None
    bitlocker_locked: bool | None
    last_seen: str | None
    recovery_ring: str
    evidence: tuple[str, ...]
    operator_error: str | None = None
    recovery_path: str | None = None
    recovery_path_reason: str | None = None

    def hostvars(self) -> dict[str, object]:
        return {
            "lifeline_recovery_state": self.recovery_state,
            "lifeline_reachability": self.reachability,
            "lifeline_boot_environment": self.boot_environment,
            "lifeline_failure_signature": self.failure_signature,
            "lifeline_bitlocker_locked": self.bitlocker_locked,
            "lifeline_last_seen": self.last_seen,
            "lifeline_recovery_ring": self.recovery_ring,
            "lifeline_evidence": list(self.evidence),
            "lifeline_operator_error": self.operator_error,
            "lifeline_recovery_path": self.recovery_path,
            "lifeline_recovery_path_reason": self.recovery_path_reason,
        }


def group_name(prefix: str, value: str) -> str:
    """``signature_0x50_csagent_sys``: a group name Ansible accepts as it is."""
    return f"{prefix}_{_GROUP_CHARS.sub('_', value.lower()).strip('_')}"


def recovery_ring(name: str, override: str | None, canary_percent: float, pilot_percent: float) -> str:
    """The ring named by the source data, else one from a hash of the host name (the same on every
    run and controller): below ``canary_percent`` of 100 buckets canary, then ``pilot_percent`` pilot."""
    if override in RINGS:
        return override
    digest = hashlib.sha256(name.lower().encode("utf-8")).digest()
    bucket = int.from_bytes(digest[:8], "big") % 10000 / 100
    if bucket < canary_percent:
        return "canary"
    if bucket < canary_percent + pilot_percent:
        return "pilot"
    return "broad"


def _iso(value: datetime.datetime | None) -> str | None:
    return None if value is None else value.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def _crash_sentence(signal: Signal) -> str:
    parts = [f"bugcheck 0x{signal.bugcheck:08X}" if signal.bugcheck is not None else "no bugcheck code"]
    if signal.module:
        parts.append(f"faulting module {signal.module}")
    heartbeat = f", last heartbeat {_iso(signal.last_heartbeat)}" if signal.last_heartbeat else ""
    return f"signal ({signal.origin}): crash at {_iso(signal.time) or 'an unknown time'}, {', '.join(parts)}{heartbeat}"


def _crash_after_heartbeat(signals: HostSignals | None) -> Signal | None:
    """The newest crash event, when no heartbeat came after it (a host that came back is not down)."""
    if signals is None or signals.latest_crash is None:
        return None
    crash = signals.latest_crash
    if crash.time is not None and signals.last_heartbeat is not None and signals.last_heartbeat > crash.time:
        return None
    return crash


def _out_of_band_futile(readiness: Readiness | None) -> str:
    """Why booting the recovery image through the BMC cannot bring this host within reach, or ''. It ends
    in the same Safe Mode with Networking the armed failover reaches, and boots Windows from the disk
    again: a TPM+PIN volume still waits at the PIN prompt, and where the failover was armed and the host
    is silent, Safe Mode with Networking failed already."""
    if readiness is None:
        return ""
    if readiness.tpm_pin:
        return "after the recovery image, Windows boots from the disk and waits at the PIN prompt again"
    if readiness.armed:
        return "the recovery image would only try Safe Mode with Networking again"
    return ""


def classify(
    name: str,
    probe: ProbeResult | None,
    signals: HostSignals | None,
    ring_override: str | None = None,
    canary_percent: float = 5.0,
    pilot_percent: float = 20.0,
    readiness: Readiness | None = None,
    bmc: BmcEvidence | None = None,
) -> Verdict:
    """The verdict for one host (the rules are in this module's docstring)."""
    evidence: list[str] = []
    crash = _crash_after_heartbeat(signals)
    ring = recovery_ring(name, ring_override, canary_percent, pilot_percent)
    evidence.append(
        f"ring {ring}: set by the source data" if ring_override in RINGS else f"ring {ring}: from the host name"
    )
    heartbeat = signals.last_heartbeat if signals else None
    look = probe.look if probe else None
    if probe is not None:
        evidence.insert(0, f"probe: {probe.detail}")
    if look is None:
        reachability = NOT_PROBED if probe is None else probe.reachability
        silent = reachability in (NO_ANSWER, NOT_PROBED)
        bmc_down = os_down_reason(bmc.power_state, bmc.last_state) if bmc is not None and bmc.answered else None
        state = "unbootable" if silent and (crash is not None or bmc_down) else "unknown"
        if crash is not None:
            evidence.append(_crash_sentence(crash))
        elif signals is not None and signals.latest_crash is not None:
            evidence.append(f"{_crash_sentence(signals.latest_crash)}; a heartbeat came after it")
        if heartbeat is not None:
            evidence.append(f"signal: last heartbeat {_iso(heartbeat)}")
        elif probe is None or probe.reachability == NO_ANSWER:
            evidence.append("no signal reports a crash or heartbeat for this host")
        if reachability == LOGIN_REFUSED:
            evidence.append("something answered but would not let the configured account log in")
        elif reachability == CERTIFICATE_REJECTED:
            evidence.append("something answered TLS, so the host is not known to be down")
        signature = failure_signature(crash.bugcheck, crash.module) if crash else None
        seen = probe.finished if probe is not None and probe.reachability != NO_ANSWER else heartbeat
        operator_error = probe.operator_error if probe is not None else None
        if bmc is not None:
            evidence.append(f"BMC: {bmc.sentence()}")
            if bmc.answered and silent and bmc_down is None:
                evidence.append(
                    "BMC: it does not report the OS down (silent in band for another reason, or it cannot tell)"
                )
        path = reason = None
        futile = _out_of_band_futile(readiness)
        if state == "unbootable" and bmc is not None and bmc.answered and futile:
            path, reason = NEEDS_HANDS, f"{needs_hands_reason(readiness)}; its BMC cannot help: {futile}"
            evidence.append(f"readiness ({readiness.origin}): {reason}")
        elif state == "unbootable" and bmc is not None and bmc.answered:
            path = OUT_OF_BAND
            told = bmc_down or "a signal reports a crash"
            reason = f"silent in band; {told} ({bmc.sentence()}): recovery through its BMC"
        elif state == "unbootable":
            path, reason = NEEDS_HANDS, needs_hands_reason(readiness)
            origin = f" ({readiness.origin})" if readiness is not None else ""
            evidence.append(f"readiness{origin}: {reason}")
            if bmc is not None:
                reason = f"{reason}; its BMC cannot help: {bmc.detail}"
        elif readiness is not None and reachability in (NO_ANSWER, NOT_PROBED):
            # Silent without a crash signal: not known to be down, but what its readiness says still helps.
            evidence.append(f"readiness ({readiness.origin}), if it is down: {needs_hands_reason(readiness)}")
        return Verdict(
            name,
            state,
            reachability,
            "unknown",
            signature,
            None,
            _iso(seen),
            ring,
            tuple(evidence),
            operator_error,
            path,
            reason,
        )

    environment = look.environment
    evidence.append(look.environment_evidence)
    where = locate_windows(look)
    if where.locked is not None:
        volume = where.os_volume or "the offline OS volume"
        evidence.append(f"BitLocker: {volume} {'locked' if where.locked else 'not locked'} ({where.reason})")
    evidence.extend(f"could not read: {problem}" for problem in look.problems)
    state = {"normal": "healthy", "unknown": "unknown"}.get(environment, "recovery_reachable")
    reachability = ANSWERED_IN_RECOVERY if state == "recovery_reachable" else ANSWERED
    signature = None
    if state != "healthy":
        dump = latest_crash(look, where)
        signal_crash = signals.latest_crash if signals else None
        bugcheck = dump.bugcheck if dump is not None else None
        module = None
        if dump is not None:
            shown = f"bugcheck 0x{dump.bugcheck:08X}" if dump.bugcheck is not None else "an unreadable header"
            evidence.append(f"latest minidump {dump.name} ({_iso(dump.time)}): {shown}")
        if signal_crash is not None and (bugcheck is None or signal_crash.bugcheck in (None, bugcheck)):
            bugcheck = bugcheck if bugcheck is not None else signal_crash.bugcheck
            module = signal_crash.module
            evidence.append(_crash_sentence(signal_crash))
        signature = failure_signature(bugcheck, module)
    seen = _iso(probe.finished)
    path = IN_BAND if state == "recovery_reachable" else None
    reason = f"WinRM answers in {environment}" if path else None
    return Verdict(
        name, state, reachability, environment, signature, where.locked, seen, ring, tuple(evidence), None, path, reason
    )
