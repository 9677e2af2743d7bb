"""playbooks/remediate.yml under ansible-runner (the engine AWX runs jobs with): the rollout's reports land in the
job's artifact directory, the counts reach runner as set_stats artifact data, and the host that did not come back
healthy is failed in runner's own per-host stats, as the lab's ground truth and the report say."""

from __future__ import annotations

import json
import os

import ansible_runner
import pytest

from .conftest import REPO, lab, start_fleet
from .playbooks import BIN
from .rollout_support import REMEDIATE, report, rollout_inventory, run_env, wrong_mapping

pytestmark = pytest.mark.integration

SIGNATURE = "0x50:csagent.sys"


def test_the_reports_stats_and_failed_hosts_reach_ansible_runner(tmp_path):
    # CS-0001: stock WinRE (needs hands); CS-0002: armed, in Safe Mode with Networking, remediated wrongly.
    fleet = start_fleet(tmp_path, "--scenario", "crowdstrike-291", "--hosts", "2", "--reboot-seconds", "0.2")
    try:
        inventory = rollout_inventory(fleet, tmp_path, {"CS-0001": "canary", "CS-0002": "canary"}, SIGNATURE)
        envvars = {
            **run_env(tmp_path),
            "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
            "ANSIBLE_NOCOLOR": "1",
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        (tmp_path / "runner").mkdir()
        job = ansible_runner.run(
            private_data_dir=str(tmp_path / "runner"),
            ident="job1",
            playbook=str(REMEDIATE),
            inventory=str(inventory),
            extravars={"lifeline_remediations_file": str(wrong_mapping(tmp_path))},
            envvars=envvars,
            quiet=True,
        )

        machine = fleet.show("CS-0002")["machine"]
        assert machine["environment"] != "normal"  # the lab: the wrong fix did not bring it back
        assert job.rc != 0 and job.status == "failed", job.stdout.read()[-3000:]
        # Runner's per-host stats (AWX's job host summaries): the host that did not recover failed, the one
        # needing hands did not.
        assert job.stats["failures"] == {"CS-0002": 1}, job.stats

        artifacts = tmp_path / "runner" / "artifacts" / "job1"
        reports = {path.name.split(".", 1)[1] for path in artifacts.glob("rollout-*.*")}
        assert reports == {"json", "html", "junit.xml"}
        written = json.loads(next(artifacts.glob("rollout-*.json")).read_text())
        assert written == report(tmp_path)  # the same report as in LIFELINE_REPORT_DIR
        assert {name: host["status"] for name, host in written["hosts"].items()} == {
            "CS-0001": "needs_hands", "CS-0002": "failed"}  # fmt: skip

        # set_stats: the counts as the job's artifact data (what AWX stores as the job's artifacts).
        stats_event = next(event for event in job.events if event["event"] == "playbook_on_stats")
        counts = stats_event["event_data"]["artifact_data"]["lifeline_rollout"]
        assert counts["totals"] == written["totals"] == {"failed": 1, "needs_hands": 1}
        assert counts["halted"] and counts["batches"][0]["halt"] and counts["not_recovered"] == 2
    finally:
        lab("down", "--fleet-file", str(fleet.fleet_file))
