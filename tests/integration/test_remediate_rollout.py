"""playbooks/remediate.yml against lab hosts: the staged rollout recovers a CrowdStrike 291 fleet,
a second run changes nothing, and a fix that does not work on the canary ring halts the rollout
before any host outside the canary ring is touched."""

from __future__ import annotations

import pytest
import yaml

from .conftest import REPO, lab, sealed_session, start_fleet
from .rollout_support import LAB_MAPPING, REMEDIATE, on_disk, recap, report, rollout_inventory, run

pytestmark = pytest.mark.integration

RINGS = {"CS-0001": "canary", "CS-0002": "canary", "CS-0003": "pilot", "CS-0004": "broad"}
SIGNATURE = "0x50:csagent.sys"


@pytest.fixture
def fleet(tmp_path):
    # Hosts 1-4: WinRE+BitLocker, Safe Mode with Networking, WinRE, Safe Mode with Networking+BitLocker.
    started = start_fleet(tmp_path, "--scenario", "crowdstrike-291", "--hosts", "4", "--reboot-seconds", "0.3")
    yield started
    lab("down", "--fleet-file", str(started.fleet_file))


def test_the_staged_rollout_recovers_every_host_and_a_second_run_changes_nothing(fleet, tmp_path):
    inventory = rollout_inventory(fleet, tmp_path, RINGS, SIGNATURE)
    before = {name: fleet.show(name) for name in RINGS}

    first = run(inventory, REMEDIATE, tmp_path)
    assert first.returncode == 0, first.stdout[-4000:]
    summary = report(tmp_path)
    assert summary["totals"] == {"recovered": 4}
    assert [(b["wave"], b["batch"]) for b in summary["batches"]] == [("canary", 1), ("pilot", 1), ("broad", 1)]
    for name in RINGS:
        machine = fleet.show(name)["machine"]
        assert (machine["power"], machine["environment"]) == ("running", "normal"), name
        assert len(machine["crashes"]) == len(before[name]["machine"]["crashes"]), name
        files = [path for path in machine["files"] if "\\drivers\\CrowdStrike\\" in path]
        assert sorted(files) == sorted(p for p in before[name]["machine"]["files"] if "CrowdStrike\\C-00000291" not in p
                                       and "\\drivers\\CrowdStrike\\" in p), name  # fmt: skip

    boots = {name: fleet.show(name)["machine"]["boots"] for name in RINGS}
    second = run(inventory, REMEDIATE, tmp_path)
    assert second.returncode == 0, second.stdout[-4000:]
    for name in RINGS:
        assert recap(second.stdout, name)["changed"] == 0, name
        assert fleet.show(name)["machine"]["boots"] == boots[name], name  # no needless restart


def test_check_mode_shows_what_would_change_and_changes_nothing(fleet, tmp_path):
    inventory = rollout_inventory(fleet, tmp_path, RINGS, SIGNATURE)
    before = {name: on_disk(fleet.show(name)) for name in RINGS}
    checked = run(inventory, REMEDIATE, tmp_path, "--check")
    assert checked.returncode == 0, checked.stdout[-4000:]
    assert report(tmp_path)["totals"] == {"would_change": 4}
    quarantine = checked.results["lifeline.recovery.channel_file_remediation : Quarantine the faulty content files"]
    unlock = checked.results[
        "lifeline.recovery.bitlocker_unlock : Unlock the OS volume with its escrowed recovery password"
    ]
    # CS-0001's volume is locked: check mode reports the unlock and cannot look inside the volume yet.
    assert unlock["CS-0001"]["changed"] and not quarantine["CS-0001"]["folder_found"]
    for name in ("CS-0002", "CS-0003", "CS-0004"):
        assert quarantine[name]["changed"], name
        assert [path.rsplit("\\", 1)[1] for path in quarantine[name]["quarantined"]] == [
            "C-00000291-00000000-00000032.sys"], name  # fmt: skip
    assert {name: on_disk(fleet.show(name)) for name in RINGS} == before


def test_a_fix_that_does_not_work_on_the_canary_ring_halts_before_the_next_wave(fleet, tmp_path):
    # A mapping that quarantines the wrong channel file (290, a good one): the canaries come back crashing.
    mapping = yaml.safe_load((REMEDIATE.parent / "vars" / "remediations.yml").read_text())
    wrong = mapping["lifeline_remediations"][0]["vars"]
    wrong["channel_file_remediation_patterns"] = ["C-00000290*.sys"]
    wrong["channel_file_remediation_modified_after"] = wrong["channel_file_remediation_modified_before"] = ""
    wrong["channel_file_remediation_quarantine_id"] = "wrong-file"
    mapping_file = tmp_path / "remediations.yml"
    mapping_file.write_text(yaml.safe_dump(mapping))
    inventory = rollout_inventory(fleet, tmp_path, RINGS, SIGNATURE)
    outside = {name: fleet.show(name) for name in ("CS-0003", "CS-0004")}

    halted = run(inventory, REMEDIATE, tmp_path, "-e", f"lifeline_remediations_file={mapping_file}")

    assert halted.returncode != 0
    assert "Rollout halted after wave canary batch 1: 2 of 2 host(s) failed" in halted.stdout
    summary = report(tmp_path)
    assert summary["halted"] and summary["totals"] == {"failed": 2, "untouched": 2}
    assert {name: host["status"] for name, host in summary["hosts"].items()} == {
        "CS-0001": "failed", "CS-0002": "failed", "CS-0003": "untouched", "CS-0004": "untouched"}  # fmt: skip
    # Ansible's own recap (and so AWX and JUnit) agrees: the canaries failed, the untouched hosts did not.
    assert {name: recap(halted.stdout, name)["failed"] for name in RINGS} == {
        "CS-0001": 1, "CS-0002": 1, "CS-0003": 0, "CS-0004": 0}  # fmt: skip
    for name, before in outside.items():  # the lab: nothing outside the canary ring was touched
        after = fleet.show(name)
        assert on_disk(after) == on_disk(before), name
        assert after["machine"]["boots"] == before["machine"]["boots"], name
        assert after["counters"]["commands"] == before["counters"]["commands"], name


def test_a_bad_threshold_fails_before_any_host_is_touched(fleet, tmp_path):
    inventory = rollout_inventory(fleet, tmp_path, RINGS, SIGNATURE)
    refused = run(inventory, REMEDIATE, tmp_path, "-e", "lifeline_max_failure_rate=150")
    assert refused.returncode != 0
    assert "lifeline_max_failure_rate must be between 0 and 100, not 150" in refused.stdout
    assert all(fleet.show(name)["counters"]["commands"] == 0 for name in RINGS)


@pytest.mark.parametrize(
    ("scenario", "inventory_signature", "signature", "remediation"),
    [
        (
            "bad-quality-update",
            "0x7e:storport.sys",
            "0x7e:storport.sys",
            "Cumulative update 20348.2582 breaks storport.sys",
        ),
        ("broken-bcd", None, "boot_device_unresolved", "Windows loader entry lost its devices"),
        ("stuck-pending-actions", None, "pending_servicing", "Pending servicing actions that cannot finish"),
    ],
)
def test_failures_without_a_crash_signature_are_named_from_the_facts_and_repaired(
    tmp_path, scenario, inventory_signature, signature, remediation
):
    fleet = start_fleet(tmp_path, "--scenario", scenario, "--hosts", "1", "--reboot-seconds", "0.3")
    try:
        name = fleet.hosts[0]["name"]
        inventory = rollout_inventory(fleet, tmp_path, {name: "canary"}, inventory_signature)
        first = run(inventory, REMEDIATE, tmp_path, *LAB_MAPPING)
        assert first.returncode == 0, first.stdout[-4000:]
        host = report(tmp_path)["hosts"][name]
        assert (host["status"], host["signature"], host["remediation"]) == ("recovered", signature, remediation)
        truth = fleet.show(name)["machine"]
        assert (truth["power"], truth["environment"]) == ("running", "normal")
        # The inventory would now say healthy; even so nothing changes.
        second = run(inventory, REMEDIATE, tmp_path, *LAB_MAPPING)
        assert second.returncode == 0 and recap(second.stdout, name)["changed"] == 0, second.stdout[-3000:]
    finally:
        lab("down", "--fleet-file", str(fleet.fleet_file))


def test_hosts_the_failover_put_in_safe_mode_go_canary_then_pilot_and_the_failover_is_armed_again(fleet, tmp_path):
    # CS-0002 and CS-0004 are in Safe Mode with Networking (CS-0004 with BitLocker, unlocked by the TPM), each with
    # the marker the WinRE failover leaves there, created by the failover script's own command.
    marker = "{07b12ddd-c467-4140-8aab-3313b0711336}"
    script = REPO / "roles" / "winre_failover" / "files" / "lifeline-failover.cmd"
    create = next(line for line in script.read_text().splitlines() if line.startswith("bcdedit /create "))
    rings = {"CS-0002": "canary", "CS-0004": "pilot"}
    for name in rings:
        entry = next(h for h in fleet.hosts if h["name"] == name)
        assert sealed_session(entry).run_cmd(create.split(" >nul", 1)[0]).status_code == 0
        assert marker in fleet.show(name)["machine"]["bcd"]["entries"]
    before = {name: fleet.show(name)["machine"] for name in rings}
    inventory = rollout_inventory(fleet, tmp_path, {**RINGS, **rings}, SIGNATURE)

    done = run(inventory, REMEDIATE, tmp_path, "--limit", ",".join(rings))

    assert done.returncode == 0, done.stdout[-4000:]
    summary = report(tmp_path)
    assert summary["totals"] == {"recovered": 2}
    assert [(b["wave"], b["batch"]) for b in summary["batches"]] == [("canary", 1), ("pilot", 1)]
    for name in rings:
        machine = fleet.show(name)["machine"]
        assert (machine["power"], machine["environment"]) == ("running", "normal"), name
        assert len(machine["crashes"]) == len(before[name]["crashes"]), name
        assert marker not in machine["bcd"]["entries"], name  # armed again for the next incident
        assert "safeboot" not in machine["bcd"]["entries"][machine["bcd"]["os_entry"]], name
