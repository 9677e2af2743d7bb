"""playbooks/remediate.yml against lab hosts: the staged rollout recovers the hosts of a CrowdStrike 291 fleet that
the armed WinRE failover sent to Safe Mode with Networking, reports the hosts in stock WinRE as needing hands and
leaves them alone, a second run changes nothing, and a fix that does not work on the canary ring halts the rollout
before any host outside the canary ring is touched. Failures that break Safe Mode too leave every host in WinRE:
needing hands."""

from __future__ import annotations

import pytest

from .conftest import lab, start_fleet
from .rollout_support import (
    LAB_MAPPING,
    REMEDIATE,
    junit_verdicts,
    on_disk,
    recap,
    renderings,
    report,
    rollout_inventory,
    run,
    wrong_mapping,
)

pytestmark = pytest.mark.integration

RINGS = {"CS-0001": "canary", "CS-0002": "canary", "CS-0003": "pilot", "CS-0004": "broad"}
REACHABLE = ("CS-0002", "CS-0004")  # armed: in Safe Mode with Networking, WinRM answers
IN_WINRE = ("CS-0001", "CS-0003")  # not armed: stock WinRE, no WinRM
SIGNATURE = "0x50:csagent.sys"
LEASE = "C:\\ProgramData\\Lifeline\\lease.json"  # the rollout's lease: C: in Safe Mode and in Windows
MARKER = "{07b12ddd-c467-4140-8aab-3313b0711336}"  # the WinRE failover's BCD object: Safe Mode was tried


def left_alone(fleet, name: str, before: dict) -> None:
    """The lab's word that Lifeline never reached the host: no command, nothing changed, still in WinRE."""
    after = fleet.show(name)
    assert after["counters"]["commands"] == 0, name
    assert on_disk(after) == on_disk(before) and after["machine"]["environment"] == "winre", name


@pytest.fixture
def fleet(tmp_path):
    # Hosts 1-4: WinRE+BitLocker, armed (Safe Mode with Networking), WinRE, armed with BitLocker (TPM-only).
    started = start_fleet(tmp_path, "--scenario", "crowdstrike-291", "--hosts", "4", "--reboot-seconds", "0.3")
    yield started
    lab("down", "--fleet-file", str(started.fleet_file))


def test_the_staged_rollout_recovers_every_host_and_a_second_run_changes_nothing(fleet, tmp_path):
    inventory = rollout_inventory(fleet, tmp_path, RINGS, SIGNATURE)
    before = {name: fleet.show(name) for name in RINGS}

    first = run(inventory, REMEDIATE, tmp_path)
    assert first.returncode == 0, first.stdout[-4000:]
    summary = report(tmp_path)
    assert summary["totals"] == {"recovered": 2, "needs_hands": 2}
    assert [(b["wave"], b["batch"]) for b in summary["batches"]] == [("canary", 1), ("broad", 1)]
    for name in IN_WINRE:
        assert summary["hosts"][name]["status"] == "needs_hands" and summary["hosts"][name]["reason"], name
        left_alone(fleet, name, before[name])
    for name in REACHABLE:
        machine = fleet.show(name)["machine"]
        assert (machine["power"], machine["environment"]) == ("running", "normal"), name
        assert len(machine["crashes"]) == len(before[name]["machine"]["crashes"]), name
        files = [path for path in machine["files"] if "\\drivers\\CrowdStrike\\" in path]
        assert sorted(files) == sorted(p for p in before[name]["machine"]["files"] if "CrowdStrike\\C-00000291" not in p
                                       and "\\drivers\\CrowdStrike\\" in p), name  # fmt: skip

        assert machine["bcd"]["entries"][machine["bcd"]["os_entry"]].get("safeboot") is None, name
        assert LEASE not in machine["files"], name  # given back, on the volume the proof of the boot found

    # The HTML page (read back from Chromium's DOM) and the JUnit XML say what the JSON report and the lab say.
    page, junit = renderings(tmp_path, fleet)
    healthy = {name for name in RINGS if fleet.show(name)["machine"]["environment"] == "normal"}
    assert healthy == set(REACHABLE)
    for table, counts in (("by-wave", "by_wave"), ("by-signature", "by_signature"), ("by-path", "by_path")):
        assert page.counts(table) == summary[counts], table
    batches = [(b["hosts"], b["failed"], b["threshold"], b["verdict"]) for b in page.tables["batches"].values()]
    assert batches == [("1", "0", "20%", "go on")] * 2
    assert page.points == {"recovered": len(healthy)}  # one point per recovery on the chart
    assert {name: row["status"] for name, row in page.tables["not-recovered"].items()} == dict.fromkeys(
        IN_WINRE, "needs_hands")  # fmt: skip
    assert junit_verdicts(junit) == {**dict.fromkeys(healthy, "passed"), **dict.fromkeys(IN_WINRE, "skipped")}

    boots = {name: fleet.show(name)["machine"]["boots"] for name in RINGS}
    # The inventory now finds the repaired hosts healthy; the others still need hands.
    inventory = rollout_inventory(fleet, tmp_path, RINGS, SIGNATURE)
    second = run(inventory, REMEDIATE, tmp_path)
    assert second.returncode == 0, second.stdout[-4000:]
    for name in RINGS:
        assert recap(second.stdout, name)["changed"] == 0, name
        assert fleet.show(name)["machine"]["boots"] == boots[name], name  # no needless restart


def test_a_recovered_host_is_armed_again_for_the_next_incident(tmp_path):
    """exit_recovery deletes the failover's marker (docs/recovery-paths.md 3.2): with it left in the store, the next
    boot loop would find it, take Safe Mode for tried, and leave the host in WinRE for a person."""
    fleet = start_fleet(tmp_path, "--scenario", "crowdstrike-291", "--hosts", "2", "--reboot-seconds", "0.3")
    try:
        name = "CS-0002"  # armed, in Safe Mode with Networking
        assert MARKER in fleet.show(name)["machine"]["bcd"]["entries"]
        inventory = rollout_inventory(fleet, tmp_path, {name: "canary"}, SIGNATURE)
        assert run(inventory, REMEDIATE, tmp_path).returncode == 0
        machine = fleet.show(name)["machine"]
        assert (machine["power"], machine["environment"]) == ("running", "normal")
        assert MARKER not in machine["bcd"]["entries"]
    finally:
        lab("down", "--fleet-file", str(fleet.fleet_file))


def test_check_mode_shows_what_would_change_and_changes_nothing(fleet, tmp_path):
    inventory = rollout_inventory(fleet, tmp_path, RINGS, SIGNATURE)
    before = {name: on_disk(fleet.show(name)) for name in RINGS}
    checked = run(inventory, REMEDIATE, tmp_path, "--check")
    assert checked.returncode == 0, checked.stdout[-4000:]
    assert report(tmp_path)["totals"] == {"would_change": 2, "needs_hands": 2}
    quarantine = checked.results["lifeline.recovery.channel_file_remediation : Quarantine the faulty content files"]
    assert set(quarantine) == set(REACHABLE)
    for name in REACHABLE:
        assert quarantine[name]["changed"], name
        assert [path.rsplit("\\", 1)[1] for path in quarantine[name]["quarantined"]] == [
            "C-00000291-00000000-00000032.sys"], name  # fmt: skip
    assert {name: on_disk(fleet.show(name)) for name in RINGS} == before


def test_a_fix_that_does_not_work_on_the_canary_ring_halts_before_the_next_wave(fleet, tmp_path):
    # A mapping that quarantines the wrong channel file (290, a good one): the canaries come back crashing.
    mapping_file = wrong_mapping(tmp_path)
    inventory = rollout_inventory(fleet, tmp_path, RINGS, SIGNATURE)
    outside = {name: fleet.show(name) for name in ("CS-0001", "CS-0003", "CS-0004")}

    halted = run(inventory, REMEDIATE, tmp_path, "-e", f"lifeline_remediations_file={mapping_file}")

    assert halted.returncode != 0
    assert "Rollout halted after wave canary batch 1: 1 of 1 host(s) failed" in halted.stdout, halted.stdout[-3000:]
    summary = report(tmp_path)
    assert summary["halted"] and summary["totals"] == {"failed": 1, "needs_hands": 2, "untouched": 1}
    assert {name: host["status"] for name, host in summary["hosts"].items()} == {
        "CS-0001": "needs_hands", "CS-0002": "failed", "CS-0003": "needs_hands", "CS-0004": "untouched"}  # fmt: skip
    # Ansible's own recap (and so AWX and JUnit) agrees: the canary failed, the untouched host did not.
    assert (recap(halted.stdout, "CS-0002")["failed"], recap(halted.stdout, "CS-0004")["failed"]) == (1, 0)
    page, junit = renderings(tmp_path, fleet)
    assert page.texts["halted"] == "HALTED: " + summary["halt_reason"]
    assert page.tables["batches"]["canary#1"]["verdict"] == "HALT" and page.points == {"failed": 1}
    assert page.tables["not-recovered"]["CS-0002"]["reason"] == summary["hosts"]["CS-0002"]["reason"]
    assert junit_verdicts(junit) == {
        "CS-0001": "skipped", "CS-0002": "failure", "CS-0003": "skipped", "CS-0004": "skipped"}  # fmt: skip
    assert LEASE not in fleet.show("CS-0002")["machine"]["files"]  # the failed canary is given back too
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
    ("scenario", "inventory_signature"),
    [("bad-quality-update", "0x7e:storport.sys"), ("broken-bcd", None), ("stuck-pending-actions", None)],
)
def test_failures_that_break_safe_mode_too_are_reported_as_needing_hands_and_left_alone(
    tmp_path, scenario, inventory_signature
):
    """Armed or not, these hosts end in stock WinRE (the failover tried Safe Mode once on the armed one): the
    rollout reports them as needing hands, with the reason, and sends them nothing."""
    fleet = start_fleet(tmp_path, "--scenario", scenario, "--hosts", "2", "--reboot-seconds", "0.3")
    try:
        names = [host["name"] for host in fleet.hosts]
        before = {name: fleet.show(name) for name in names}
        inventory = rollout_inventory(fleet, tmp_path, dict.fromkeys(names, "canary"), inventory_signature)
        first = run(inventory, REMEDIATE, tmp_path, *LAB_MAPPING)
        assert first.returncode == 0, first.stdout[-4000:]
        summary = report(tmp_path)
        assert summary["totals"] == {"needs_hands": 2}
        for name in names:
            assert summary["hosts"][name]["reason"], name
            left_alone(fleet, name, before[name])
    finally:
        lab("down", "--fleet-file", str(fleet.fleet_file))


def test_hosts_the_failover_put_in_safe_mode_go_canary_then_pilot_and_the_failover_is_armed_again(fleet, tmp_path):
    # CS-0002 and CS-0004 are armed: the WinRE failover sent them to Safe Mode with Networking (CS-0004 with
    # BitLocker, unlocked by the TPM) and left its marker in the store.
    rings = {"CS-0002": "canary", "CS-0004": "pilot"}
    for name in rings:
        machine = fleet.show(name)["machine"]
        assert machine["environment"] == "safe_mode_network" and MARKER in machine["bcd"]["entries"], name
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
        assert MARKER not in machine["bcd"]["entries"], name  # armed again for the next incident
        assert "safeboot" not in machine["bcd"]["entries"][machine["bcd"]["os_entry"]], name
