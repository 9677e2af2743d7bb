"""scripts/demo on a small estate: it exits 0, and the lab's ground truth agrees that every host the
rollout planned to remediate runs Windows normally, every host it left alone is out of reach and has
a reason in the report, and every host the incidents spared is untouched."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from .conftest import REPO, LabFleet, lab

pytestmark = pytest.mark.integration


def test_the_demo_recovers_every_armed_host_the_incident_struck_and_says_why_the_rest_need_hands(tmp_path):
    fleet_file = tmp_path / "fleet.yml"
    environment = dict(os.environ, DEMO_HOSTS="14", DEMO_REBOOT_SECONDS="0.3", DEMO_FLEET_FILE=str(fleet_file),
                       DEMO_KEEP_FLEET="1")  # fmt: skip
    try:
        demo = subprocess.run([str(REPO / "scripts" / "demo")], capture_output=True, text=True, env=environment,
                              timeout=900)  # fmt: skip
        assert demo.returncode == 0, demo.stdout[-5000:] + demo.stderr[-2000:]
        assert "LIFELINE ROLLOUT SUMMARY" in demo.stdout
        report = json.loads(sorted((tmp_path / "fleet.yml.reports").glob("rollout-*.json"))[-1].read_text())
        fleet = LabFleet(fleet_file)
        recovered = [name for name, host in report["hosts"].items() if host["status"] == "recovered"]
        hosts = report["hosts"].items()
        needs_hands = {name: host["reason"] for name, host in hosts if host["status"] == "needs_hands"}
        assert needs_hands and all(needs_hands.values()), needs_hands  # the TPM+PIN hosts, with the reason
        assert any("PIN prompt" in reason for reason in needs_hands.values()), needs_hands
        assert recovered and all(
            host["status"] in ("recovered", "skipped", "needs_hands") for host in report["hosts"].values()
        )
        for entry in fleet.hosts:
            truth = fleet.show(entry["name"])
            machine = truth["machine"]
            if entry["name"] in recovered:
                assert (machine["power"], machine["environment"]) == ("running", "normal"), entry["name"]
            elif truth["failure"] == "healthy":
                assert machine["environment"] == "normal" and not machine["crashes"], entry["name"]
            else:  # out of remote reach: left alone, and the summary says why
                assert not truth["winrm_reachable"] or report["hosts"][entry["name"]]["reason"], entry["name"]
    finally:
        if fleet_file.exists():
            lab("down", "--fleet-file", str(fleet_file))
