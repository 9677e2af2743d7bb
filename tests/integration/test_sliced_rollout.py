"""The broad ring as AWX job slicing runs it: several ansible-runner jobs of remediate.yml at once, each over
its own slice of the hosts, sharing one run ID and one halt record folder. A slice whose batch halts writes the
halt record; the other slice reads it before its next batch and stops there, leaving its remaining hosts
untouched (the lab's ground truth), and every job's exit status and report agree. An unknown wave is refused
before any host is touched."""

from __future__ import annotations

import json

import ansible_runner
import pytest

from .conftest import REPO, lab, start_fleet
from .rollout_support import REMEDIATE, on_disk, rollout_inventory, run, set_host_vars

pytestmark = pytest.mark.integration

SIGNATURE = "0x50:csagent.sys"
RUN_ID = "rollout-7"
SLICES = 2
# CS-0001 sits in stock WinRE (no WinRM) although the inventory still calls it reachable in recovery (it went
# down again since the inventory looked): its batch fails at once and halts the rollout. The others are armed
# hosts the failover sent to Safe Mode with Networking (crowdstrike-291 scenario), which the rollout recovers.
FAILING = "CS-0001"
HOSTS = ["CS-0001", "CS-0002", "CS-0004", "CS-0007", "CS-0008"]


def awx_slices(hosts: list[str], count: int) -> list[list[str]]:
    """The hosts of each slice as AWX deals them (awx/main/models/inventory.py, Inventory.get_sliced_hosts:
    slice N of M gets hosts[N-1::M])."""
    return [hosts[offset::count] for offset in range(count)]


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    directory = tmp_path_factory.mktemp("sliced")
    started = start_fleet(directory, "--scenario", "crowdstrike-291", "--hosts", "8", "--reboot-seconds", "0.2")
    started.directory = directory
    yield started
    lab("down", "--fleet-file", str(started.fleet_file))


@pytest.fixture(scope="module")
def inventory(fleet):
    path = rollout_inventory(fleet, fleet.directory, dict.fromkeys(HOSTS, "broad"), SIGNATURE)
    set_host_vars(
        path, **{FAILING: {"lifeline_recovery_state": "recovery_reachable", "lifeline_recovery_path": "in_band"}}
    )
    return path


def test_an_unknown_wave_is_refused_before_any_host_is_touched(fleet, inventory, tmp_path):
    before = {name: fleet.show(name)["counters"]["commands"] for name in HOSTS}
    refused = run(inventory, REMEDIATE, tmp_path, "-e", '{"lifeline_waves": ["canary", "brod"]}')
    assert refused.returncode != 0
    assert "lifeline_waves names unknown wave(s) ['brod']: the waves are canary, pilot, broad" in refused.stdout
    assert {name: fleet.show(name)["counters"]["commands"] for name in HOSTS} == before


def test_a_halt_in_one_slice_stops_the_other_before_its_next_batch(fleet, inventory, tmp_path):
    slices = awx_slices(HOSTS, SLICES)
    assert slices == [["CS-0001", "CS-0004", "CS-0008"], ["CS-0002", "CS-0007"]]
    before = {name: fleet.show(name) for name in HOSTS}
    halts = tmp_path / "halts"
    halts.mkdir()
    # A halt another rollout left in the shared folder does not stop this one.
    (halts / "lifeline-halt-0000000000000000.json").write_text(
        json.dumps({"run_id": "rollout-6", "slice": "old", "wave": "broad", "batch": 1, "reason": "old"})
    )
    threads, jobs = [], []
    for number, hosts in enumerate(slices, start=1):
        (tmp_path / f"runner-{number}").mkdir()
        thread, job = ansible_runner.run_async(
            private_data_dir=str(tmp_path / f"runner-{number}"),
            playbook=str(REMEDIATE),
            inventory=str(inventory),
            # The same inventory narrowed to the slice, and one lock folder: the slices' controller locks must
            # not keep them from running at once.
            limit=",".join(hosts),
            extravars={
                "lifeline_waves": ["broad"],
                "lifeline_run_id": RUN_ID,
                "lifeline_slice": f"slice-{number}",
                "lifeline_halt_dir": str(halts),
                "lifeline_broad_batches": [1],
            },
            envvars={
                "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
                "LIFELINE_REPORT_DIR": str(tmp_path / f"reports-{number}"),
                "LIFELINE_LOCK_DIR": str(tmp_path / "locks"),
            },
            quiet=True,
            timeout=120,
        )
        threads.append(thread)
        jobs.append(job)
    for thread in threads:
        thread.join(timeout=150)
    assert [job.status for job in jobs] == ["failed", "failed"], [job.stdout.read()[-3000:] for job in jobs]

    reports = [_report(tmp_path / f"reports-{number}") for number in range(1, SLICES + 1)]
    statuses = [{name: host["status"] for name, host in report["hosts"].items()} for report in reports]
    # Slice 1 halted on its own first batch; slice 2 recovered its first batch and stopped before its second.
    assert statuses == [
        {"CS-0001": "failed", "CS-0004": "untouched", "CS-0008": "untouched"},
        {"CS-0002": "recovered", "CS-0007": "halted_by_peer"},
    ], [job.stdout.read()[-3000:] for job in jobs]
    assert reports[0]["halted"] and not reports[0]["halted_by_peer"]
    assert (
        reports[1]["halted"] and reports[1]["halted_by_peer"] and "Halted by slice slice-1" in reports[1]["halt_reason"]
    )
    assert [len(report["batches"]) for report in reports] == [1, 1]
    assert {report["run_id"] for report in reports} == {RUN_ID}

    # Both jobs failed (an AWX sliced job, a workflow, fails), and Ansible's recap agrees with the reports.
    assert [(job.status, job.rc != 0) for job in jobs] == [("failed", True), ("failed", True)]
    assert set(jobs[0].stats["failures"]) >= {FAILING} and "CS-0004" not in jobs[0].stats["failures"]
    assert set(jobs[1].stats["failures"]) == {"CS-0007"}  # the host the halt kept from its batch

    # The shared verdict: one record, of this run, by the slice that halted.
    records = [json.loads(path.read_text()) for path in halts.glob("lifeline-halt-*.json")]
    assert sorted((r["run_id"], r["slice"], r["wave"], r["batch"]) for r in records) == [
        ("rollout-6", "old", "broad", 1), (RUN_ID, "slice-1", "broad", 1)]  # fmt: skip

    # The lab's ground truth: only the recovered host changed.
    recovered = fleet.show("CS-0002")["machine"]
    assert (recovered["power"], recovered["environment"]) == ("running", "normal")
    for name in ("CS-0004", "CS-0008", "CS-0007"):
        after = fleet.show(name)
        assert after["counters"]["commands"] == before[name]["counters"]["commands"], name
        assert on_disk(after) == on_disk(before[name]), name
        assert after["machine"]["environment"] == "safe_mode_network", name
    assert fleet.show(FAILING)["counters"]["commands"] == 0


def _report(directory) -> dict:
    reports = sorted(directory.glob("rollout-*.json"))
    assert reports, f"no report in {directory}"
    return json.loads(reports[-1].read_text())
