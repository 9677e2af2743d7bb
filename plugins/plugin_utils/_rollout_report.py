# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report of a remediate.yml run: every planned host's final status, the counts per wave, signature and path,
the batches' verdicts. One owner of its content: the rollout_summary callback prints it and writes it as JSON
(and, from it, HTML with ``_report_html`` and JUnit XML with ``_report_junit``); the filter rollout_summary gives
its counts to ``set_stats`` for AWX and ansible-runner.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping

__all__ = ["FAILED_STATUSES", "NOT_RECOVERED", "STATUSES", "rollout_report", "stats_summary"]

STATUSES = (
    "recovered",
    "failed",
    "blocked",
    "interrupted",
    "would_change",
    "needs_hands",
    "skipped",
    "untouched",
    "halted_by_peer",
)
# The statuses remediate.yml fails the host for in Ansible's own terms (the recap, the exit code, AWX): a host
# that did not come back healthy, or that the operator's settings kept out before anything was touched. An
# interrupted run ends before any recap. JUnit calls these failures and every other status but a pass a skip.
FAILED_STATUSES = ("failed", "blocked", "interrupted", "halted_by_peer")
# Hosts a reader of the report must act on (or know were not reached).
NOT_RECOVERED = ("failed", "blocked", "interrupted", "halted_by_peer", "needs_hands", "skipped", "untouched")
# The batch verdict's keys the report keeps (plugin_utils/_rollout.py's verdict).
BATCH_KEYS = ("wave", "batch", "hosts", "recovered", "failed", "failure_rate", "threshold", "halt")


def rollout_report(
    plan: Mapping,
    outcomes: Mapping,
    batches: list,
    halt_reason: str,
    interrupted: str = "",
    run_id: str = "",
    current_batch: Iterable[str] = (),
    started: str = "",
    finished_at: Mapping[str, str] | None = None,
    max_failure_rate: float | None = None,
    halted_by_peer: bool = False,
) -> dict:
    """Every planned host's final status and the counts per wave and per signature.

    ``interrupted`` names what ended the run early (a signal): the hosts of the batch then under way
    (``current_batch``) that recorded no outcome are ``interrupted``, perhaps changed halfway. ``started`` and
    ``finished_at`` (host -> when its outcome was recorded, ISO 8601) date the run and each host's end. A slice
    of a sliced rollout that another slice halted (``halted_by_peer``) left its remaining hosts
    ``halted_by_peer``."""
    current_batch = set(current_batch)
    finished_at = finished_at or {}
    hosts = {}
    for name, planned in sorted((plan.get("hosts") or {}).items()):
        outcome = outcomes.get(name) or {}
        if outcome:
            status, reason = outcome.get("outcome", "failed"), outcome.get("reason", "")
        elif planned.get("action") == "blocked":
            status, reason = "blocked", planned.get("reason", "")
        elif planned.get("action") == "needs_hands":
            status, reason = "needs_hands", planned.get("reason", "")
        elif planned.get("action") != "remediate":
            status, reason = "skipped", planned.get("reason", "")
        else:
            status = "untouched"
            if interrupted and name in current_batch:
                status = "interrupted"
                reason = (
                    f"the run was stopped ({interrupted}) while this host was being remediated: it may be changed "
                    "halfway; run remediate.yml again, or rollback.yml"
                )
            elif interrupted:
                reason = f"the run was stopped ({interrupted}) before this host's batch"
            elif halted_by_peer:
                status, reason = "halted_by_peer", "another slice halted the rollout before this host's batch"
            else:
                reason = "the rollout halted before this host's batch" if halt_reason else "not reached"
        hosts[name] = {
            "status": status,
            "wave": planned.get("wave"),
            # A host without a crash signature gets its signature and remediation from its facts in the wave.
            "signature": outcome.get("signature") or planned.get("signature"),
            "remediation": outcome.get("remediation") or planned.get("remediation"),
            "state_before": planned.get("state"),
            # How Lifeline reached it (in_band, out_of_band through its BMC), or needs_hands; null when skipped.
            "path": outcome.get("path") or planned.get("path"),
            "reason": reason,
            # When the run recorded the host's outcome; null when it recorded none (untouched, needs hands...).
            "finished_at": finished_at.get(name) if outcome else None,
        }
    by_wave: dict[str, Counter] = defaultdict(Counter)
    by_signature: dict[str, Counter] = defaultdict(Counter)
    by_path: dict[str, Counter] = defaultdict(Counter)
    for host in hosts.values():
        if host["path"]:
            by_path[host["path"]][host["status"]] += 1
        by_wave[host["wave"] or "-"][host["status"]] += 1
        by_signature[host["signature"] or "(none)"][host["status"]] += 1
    return {
        "kind": "rollout",
        "run_id": run_id,
        "started": started,
        "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "interrupted": bool(interrupted),
        "interrupted_by": interrupted,
        "warnings": list(plan.get("warnings") or []),
        "halted": bool(halt_reason),
        "halt_reason": halt_reason,
        "halted_by_peer": halted_by_peer,
        "max_failure_rate": max_failure_rate,
        "totals": dict(Counter(host["status"] for host in hosts.values())),
        "by_wave": {wave: dict(counts) for wave, counts in by_wave.items()},
        "by_signature": {signature: dict(counts) for signature, counts in by_signature.items()},
        "by_path": {path: dict(counts) for path, counts in by_path.items()},
        "batches": [{key: batch.get(key) for key in BATCH_KEYS} for batch in batches],
        "hosts": hosts,
    }


def stats_summary(report: Mapping) -> dict:
    """What ``set_stats`` gives AWX and ansible-runner as the job's artifacts: the counts and verdicts, not the
    per-host table (AWX keeps artifacts in its database; each host's failed status is in the job's host summary)."""
    keys = (
        "run_id",
        "halted",
        "halt_reason",
        "halted_by_peer",
        "interrupted",
        "totals",
        "by_wave",
        "by_signature",
        "by_path",
    )
    summary = {key: report.get(key) for key in keys}
    summary["batches"] = [{key: value for key, value in batch.items() if key != "hosts"} for batch in report["batches"]]
    summary["not_recovered"] = sum(count for status, count in report["totals"].items() if status in NOT_RECOVERED)
    return summary
