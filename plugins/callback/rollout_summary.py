# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: rollout_summary
type: aggregate
short_description: The summary of a Lifeline rollout (remediate) or readiness check (prepare), on screen and as JSON
version_added: 0.1.0
author:
  - Lifeline maintainers (@lifeline)
description:
  - At the end of C(playbooks/remediate.yml) prints how many hosts were recovered, failed, skipped
    and left untouched, per wave and per failure signature, the verdict of every batch and, when the
    rollout halted, why; hosts that failed or were skipped are listed with the reason.
  - At the end of C(playbooks/prepare.yml) prints a table of the hosts (ready, failover armed,
    BitLocker TPM+PIN, what each lacks) and what to rehearse on one real machine first; the JSON
    report it writes is the one the fleet inventory reads (its option C(readiness_files)).
  - Writes the same as a JSON report file in O(report_dir) (one file per run, mode 0600); beside a rollout's
    JSON file, a self-contained HTML page (counts, batches, recoveries over time, hosts not recovered; it
    loads nothing from the network) and JUnit XML (one test case per host) with the same name.
  - Under ansible-runner (and so AWX), writes the same files in the job's artifact directory too (the
    directory runner names in the environment variable C(AWX_ISOLATED_DATA_DIR)).
  - Each host's finish time in the report is when the callback saw its outcome recorded.
  - Reads only what the playbooks record (the facts C(lifeline_rollout_plan), C(lifeline_rollout_outcome),
    C(lifeline_rollout_batches), C(recovery_readiness_report)); silent for other playbooks.
  - Contains no secret (the playbooks never record one in those facts).
requirements:
  - enable in ansible.cfg (C(callbacks_enabled = lifeline.recovery.rollout_summary)), as this collection's
    ansible.cfg does
options:
  report_dir:
    description:
      - Directory for the reports, created when missing. Empty to write no file here (runner's artifact
        directory still gets its copy).
    type: path
    default: ~/.ansible/lifeline/reports
    env:
      - name: LIFELINE_REPORT_DIR
    ini:
      - section: callback_rollout_summary
        key: report_dir
"""

import atexit
import datetime as dt
import json
import os
from collections import Counter
from collections.abc import Mapping
from typing import Any

from ansible.plugins.callback import CallbackBase

from ansible_collections.lifeline.recovery.plugins.plugin_utils import _report_html, _report_junit
from ansible_collections.lifeline.recovery.plugins.plugin_utils._readiness import readiness_report
from ansible_collections.lifeline.recovery.plugins.plugin_utils._rollout_report import STATUSES, rollout_report
from ansible_collections.lifeline.recovery.plugins.plugin_utils._warmup import warm_up

__all__ = ["STATUSES", "CallbackModule", "rollout_report"]
# ansible-runner tells the playbook its job's artifact directory in this variable (ansible-runner 2.4.3,
# ansible_runner/config/_base.py): the reports are written there too, where runner's caller collects them.
RUNNER_ARTIFACT_DIR = "AWX_ISOLATED_DATA_DIR"
# Beside each rollout's JSON report, for people (HTML) and for CI systems (JUnit XML).
_ROLLOUT_RENDERINGS = (("html", _report_html.render), ("junit.xml", _report_junit.render))


def _plain(value: Any) -> Any:
    """Ansible's tagged values as plain JSON types."""
    return json.loads(json.dumps(value, default=str))


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def _table(title: str, rows: Mapping[str, Mapping[str, int]]) -> list[str]:
    width = max([len(title)] + [len(name) for name in rows])
    lines = [f"  {title:<{width}}  " + "  ".join(f"{status:>12}" for status in STATUSES)]
    for name in sorted(rows):
        lines.append(f"  {name:<{width}}  " + "  ".join(f"{rows[name].get(status, 0):>12}" for status in STATUSES))
    return lines


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "lifeline.recovery.rollout_summary"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self) -> None:
        super().__init__()
        self._plan: dict = {}
        self._outcomes: dict[str, dict] = {}
        self._batches: list = []
        self._halt_reason = ""
        self._halted_by_peer = False
        self._run_id = ""
        self._current_batch: list[str] = []
        self._started = _now()
        self._finished_at: dict[str, str] = {}
        self._max_failure_rate: float | None = None
        self._readiness: dict[str, dict] = {}
        self._reported = False
        # A run stopped by Ctrl-C (SIGINT) never reaches v2_playbook_on_stats: ansible-playbook exits
        # through its KeyboardInterrupt handler, and this hook then writes the report marked interrupted.
        # Forked workers inherit the hook; only this process acts on it.
        self._pid = os.getpid()
        atexit.register(self._on_exit)

    def v2_playbook_on_start(self, playbook) -> None:
        # Before the first worker forks: the workers inherit the plugins loaded here (plugin_utils/_warmup.py).
        missed = warm_up()
        if missed:
            self._display.vvv(f"{self.CALLBACK_NAME}: not loaded before the workers fork: {', '.join(missed)}")

    def v2_runner_on_ok(self, result) -> None:
        facts = result._result.get("ansible_facts")
        if not isinstance(facts, Mapping):
            return
        host = result._host.get_name()
        if "lifeline_rollout_plan" in facts:
            self._plan = _plain(facts["lifeline_rollout_plan"])
        if "lifeline_rollout_outcome" in facts:
            self._outcomes[host] = _plain(facts["lifeline_rollout_outcome"])
            self._finished_at[host] = _now()  # when the host's end was recorded: the report's chart over time
        if isinstance(facts.get("lifeline_rollout_threshold"), Mapping):
            self._max_failure_rate = _plain(facts["lifeline_rollout_threshold"]).get("threshold")
        if "lifeline_rollout_batches" in facts:
            self._batches = _plain(facts["lifeline_rollout_batches"])
        if "lifeline_rollout_batch" in facts:
            self._current_batch = list(_plain(facts["lifeline_rollout_batch"]) or [])
        if facts.get("lifeline_run_id"):
            self._run_id = str(facts["lifeline_run_id"])
        if facts.get("lifeline_rollout_halt_reason"):
            self._halt_reason = str(facts["lifeline_rollout_halt_reason"])
        if "lifeline_rollout_halted_by_peer" in facts:
            self._halted_by_peer = bool(facts["lifeline_rollout_halted_by_peer"])
        if "recovery_readiness_report" in facts:
            self._readiness[host] = _plain(facts["recovery_readiness_report"])

    def v2_runner_on_failed(self, result, ignore_errors=False) -> None:
        # A host failed before anything was touched still carries the outcome it recorded (blocked).
        self.v2_runner_on_ok(result)

    def _on_exit(self) -> None:
        if os.getpid() == self._pid and not self._reported and self._plan:
            self._report_rollout(interrupted="SIGINT")

    def _report_rollout(self, interrupted: str = "") -> None:
        self._reported = True
        report = rollout_report(
            self._plan,
            self._outcomes,
            self._batches,
            self._halt_reason,
            interrupted,
            self._run_id,
            self._current_batch,
            started=self._started,
            finished_at=self._finished_at,
            max_failure_rate=self._max_failure_rate,
            halted_by_peer=self._halted_by_peer,
        )
        self._show_rollout(report)
        self._write(report, "rollout")

    def v2_playbook_on_stats(self, stats) -> None:
        if self._plan:
            self._report_rollout()
        if self._readiness:
            report = readiness_report(self._readiness)
            self._show_readiness(report)
            self._write(report, "readiness")

    def _show_rollout(self, report: dict) -> None:
        display = self._display.display
        totals = report["totals"]
        display("\nLIFELINE ROLLOUT SUMMARY " + "*" * 55)
        display("  " + ", ".join(f"{totals.get(status, 0)} {status.replace('_', ' ')}" for status in STATUSES))
        display("")
        for line in _table("wave", report["by_wave"]):
            display(line)
        display("")
        for line in _table("signature", report["by_signature"]):
            display(line)
        if report["by_path"]:
            display("")
            for line in _table("path", report["by_path"]):
                display(line)
        if report["batches"]:
            display("\n  batches:")
            for batch in report["batches"]:
                display(
                    f"    {batch['wave']} #{batch['batch']}: {len(batch['hosts'] or [])} host(s), "
                    f"{batch['recovered']} recovered, {batch['failed']} failed ({batch['failure_rate']}%)"
                    + ("  -> HALT" if batch["halt"] else "")
                )
        for warning in report["warnings"]:
            display(f"\n  warning: {warning}")
        if report["interrupted"]:
            display(f"\n  INTERRUPTED ({report['interrupted_by']}) before the rollout finished", color="red")
        if report["halted"]:
            display(f"\n  HALTED: {report['halt_reason']}", color="red")
        shown = {"failed", "blocked", "interrupted", "needs_hands", "skipped"} | (
            {"untouched"} if report["interrupted"] else set()
        )
        noted = [(name, host) for name, host in report["hosts"].items() if host["status"] in shown]
        if noted:
            display("\n  hosts not recovered by this run:")
            for name, host in noted:
                path = f"[{host['path']}] " if host.get("path") in ("in_band", "out_of_band") else ""
                display(f"    {name:<16} {host['status']:<11} {path}{host['reason']}")

    def _show_readiness(self, report: dict) -> None:
        display = self._display.display
        display("\nLIFELINE RECOVERY READINESS " + "*" * 52)
        ready = [name for name, entry in report["hosts"].items() if entry["ready"]]
        armed = [name for name, entry in report["hosts"].items() if entry["armed"]]
        display(f"  {len(ready)} of {len(report['hosts'])} host(s) ready for remote recovery, {len(armed)} armed")
        display("")
        display(f"  {'host':<16} {'ready':<6} {'armed':<6} {'TPM+PIN':<8} what it lacks")
        for name, entry in report["hosts"].items():
            lacking = "; ".join(entry["lacking"]) or "-"
            flags = [("yes" if entry[key] else "no") for key in ("ready", "armed", "tpm_pin")]
            display(f"  {name:<16} {flags[0]:<6} {flags[1]:<6} {flags[2]:<8} {lacking}")
        lacks = Counter(item for entry in report["hosts"].values() for item in entry.get("lacking") or [])
        if lacks:
            display("")
        for item, count in lacks.most_common():
            display(f"  {count:>5} lack: {item}")
        rehearse = sorted({item for entry in report["hosts"].values() for item in entry.get("rehearse") or []})
        if rehearse:
            display("\n  rehearse on one real machine first (Lifeline relies on what Microsoft does not document):")
        for item in rehearse:
            display(f"    - {item}")

    def _write(self, report: dict, kind: str) -> None:
        """The JSON report in report_dir and, under ansible-runner, in the job's artifact directory; a rollout's
        HTML page and JUnit XML beside each JSON file."""
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        renderings = [("json", lambda data: json.dumps(data, indent=2, sort_keys=True))]
        if kind == "rollout":
            renderings.extend(_ROLLOUT_RENDERINGS)
        directories = [self.get_option("report_dir"), os.environ.get(RUNNER_ARTIFACT_DIR)]
        for directory in dict.fromkeys(os.path.abspath(os.path.expanduser(d)) for d in directories if d):
            for extension, render in renderings:
                path = os.path.join(directory, f"{kind}-{stamp}.{extension}")
                try:
                    os.makedirs(directory, exist_ok=True)
                    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                        handle.write(render(report))
                except OSError as error:
                    self._display.warning(f"rollout_summary: could not write the {kind} report in {directory}: {error}")
                    break
                self._display.display(f"\n  report: {path}" if extension == "json" else f"  {extension}: {path}")
