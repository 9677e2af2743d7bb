# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The readiness report: what playbooks/prepare.yml found on each healthy host, and what it means later.

prepare.yml writes the report (``readiness_report``); the fleet inventory reads it back
(``read_readiness``) to say why a host that went silent after a crash cannot be reached in band:
a host whose WinRE failover was armed should come back in Safe Mode with Networking, so silence
there means Safe Mode failed too (the failover then leaves it in WinRE); an unarmed host waits in
WinRE for a person; a TPM+PIN host waits at the pre-boot PIN prompt at every boot. The report is
the platform team's own record of an earlier run, never a claim about the host now: every sentence
made from it says when it was checked.

The format (JSON): {"kind": "lifeline_readiness", "version": 1, "checked": ISO time,
"hosts": {name: {"ready": bool, "armed": bool, "tpm_pin": bool, "lacking": [text], "rehearse": [text],
"checked": ISO time}}}.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = [
    "READINESS_KIND",
    "Readiness",
    "needs_hands_reason",
    "newest",
    "read_readiness",
    "readiness_report",
]

READINESS_KIND = "lifeline_readiness"
READINESS_VERSION = 1
_SHOWN_LACKING = 3


@dataclass(frozen=True)
class Readiness:
    """One host's readiness as prepare.yml recorded it."""

    host: str
    armed: bool
    tpm_pin: bool
    lacking: tuple[str, ...]
    checked: str
    origin: str

    def hostvar(self) -> dict[str, object]:
        """What the inventory shows of it (``lifeline_readiness``)."""
        return {"armed": self.armed, "tpm_pin": self.tpm_pin, "lacking": list(self.lacking), "checked": self.checked}


def _text_list(value: object) -> list[str]:
    if not isinstance(value, list):
        return []
    return [str(item) for item in value]


def readiness_report(results: Mapping[str, Mapping], checked: datetime.datetime | None = None) -> dict:
    """The report prepare.yml writes, from each host's ``recovery_readiness_report`` fact."""
    when = (checked or datetime.datetime.now(datetime.UTC)).isoformat(timespec="seconds")
    hosts = {}
    for name, result in sorted(results.items()):
        result = result or {}
        hosts[str(name)] = {
            "ready": bool(result.get("ready")),
            "armed": bool(result.get("armed")),
            "tpm_pin": bool(result.get("tpm_pin")),
            "lacking": _text_list(result.get("lacking")),
            "rehearse": _text_list(result.get("rehearse")),
            "checked": str(result.get("checked") or when),
        }
    return {"kind": READINESS_KIND, "version": READINESS_VERSION, "checked": when, "hosts": hosts}


def read_readiness(text: str, source: str) -> tuple[dict[str, Readiness], list[str]]:
    """Per host name (lower case) the newest record of one report, and the problems met (source named).

    Raises ValueError, naming the source, when the text is not a readiness report at all."""
    try:
        document = json.loads(text.removeprefix("\ufeff"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{source}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(document, dict) or document.get("kind") != READINESS_KIND:
        raise ValueError(f"{source}: not a Lifeline readiness report (written by playbooks/prepare.yml)")
    hosts = document.get("hosts")
    if not isinstance(hosts, dict):
        raise ValueError(f"{source}: the readiness report has no 'hosts' mapping")
    found: dict[str, Readiness] = {}
    problems: list[str] = []
    for name, item in hosts.items():
        if not isinstance(item, dict):
            problems.append(f"{source}: the record of host {str(name)[:80]!r} is not a mapping")
            continue
        found[str(name).lower()] = Readiness(
            host=str(name),
            armed=item.get("armed") is True,
            tpm_pin=item.get("tpm_pin") is True,
            lacking=tuple(_text_list(item.get("lacking"))),
            checked=str(item.get("checked") or document.get("checked") or "an unknown time"),
            origin=source,
        )
    return found, problems


def newest(records: Iterable[Mapping[str, Readiness]]) -> dict[str, Readiness]:
    """Merge several reports: per host, the record checked last."""
    merged: dict[str, Readiness] = {}
    for report in records:
        for key, record in report.items():
            known = merged.get(key)
            if known is None or record.checked >= known.checked:
                merged[key] = record
    return merged


def needs_hands_reason(readiness: Readiness | None) -> str:
    """Why a host that went silent after a crash cannot be reached in band, from its readiness record."""
    if readiness is None:
        return (
            "silent after a crash, and no readiness record says its WinRE failover was armed: it most likely "
            "waits in WinRE (or boot-loops) for a person"
        )
    when = f"readiness checked {readiness.checked}"
    if readiness.tpm_pin:
        return f"BitLocker TPM+PIN ({when}): every boot waits at the pre-boot PIN prompt for a person"
    if readiness.armed:
        return (
            f"the WinRE failover was armed ({when}), yet WinRM does not answer: Safe Mode with Networking failed "
            "as well (the failover then leaves the host in WinRE), or the host is still restarting"
        )
    lacking = "; ".join(readiness.lacking[:_SHOWN_LACKING]) or "not armed"
    return f"in WinRE or a boot loop, failover not armed ({when}: {lacking}): it waits for a person"
