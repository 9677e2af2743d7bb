"""The broad ring as AWX job slicing runs it: several ansible-runner jobs of remediate.yml at once, each over
its own slice of the hosts, sharing one run ID and one halt record folder. A slice whose batch halts writes the
halt record; the other slice reads it before its next batch and stops there, leaving its remaining hosts
untouched (the lab's ground truth), and every job's exit status and report agree. The order of events is fixed
by sync points, not timing: the lab's hold-boot control keeps the other slice's batch under way (its host down
in the restart that proves its boot) until the halt record is there. An unknown wave is refused before any host
is touched."""

from __future__ import annotations

import json
import time

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
HELD = "held"  # the power state of a host the lab's hold-boot control keeps down
JOB_SECONDS = 120  # each slice's ansible-runner timeout
WAIT_SECONDS = 90  # for a sync point (a loaded machine included)
POLL_SECONDS = 0.2


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
    # The sync points, so the order is the same on a loaded machine: slice 2's first batch (CS-0002) is under
    # way, past its halt check and held down in the restart that proves its boot (the lab's hold-boot control),
    # when slice 1 starts; slice 1's halt record lands; only then does CS-0002 boot and its batch end.
    _fault(fleet, "CS-0002", "hold-boot")
    started: dict[int, tuple] = {}
    try:
        started[2] = _start_slice(2, slices[1], inventory, halts, tmp_path)
        _wait_for("slice 2's first batch to restart CS-0002", lambda: fleet.show("CS-0002")["power"] == HELD, started)
        started[1] = _start_slice(1, slices[0], inventory, halts, tmp_path)
        _wait_for("slice 1's halt record", lambda: _halt_record(halts) is not None, started)
        assert fleet.show("CS-0002")["power"] == HELD  # slice 2's batch was still under way when the record landed
    finally:
        _fault(fleet, "CS-0002", "clear")  # the held boot goes on
        for thread, _job in started.values():
            thread.join(timeout=JOB_SECONDS + 30)
    jobs = [started[number][1] for number in range(1, SLICES + 1)]
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


def _start_slice(number: int, hosts: list[str], inventory, halts, tmp_path) -> tuple:
    """One AWX slice of the broad ring as an ansible-runner job in its own thread."""
    (tmp_path / f"runner-{number}").mkdir()
    return ansible_runner.run_async(
        private_data_dir=str(tmp_path / f"runner-{number}"),
        playbook=str(REMEDIATE),
        inventory=str(inventory),
        # The same inventory narrowed to the slice, and one lock folder: the slices' controller locks must not
        # keep them from running at once.
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
        timeout=JOB_SECONDS,
    )


def _wait_for(what: str, condition, started: dict[int, tuple]) -> None:
    """Poll until `condition` holds; fail at once if a slice ended first, or after WAIT_SECONDS."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        ended = [number for number, (thread, _job) in started.items() if not thread.is_alive()]
        if ended or time.monotonic() > deadline:
            outputs = {number: job.stdout.read()[-3000:] for number, (_thread, job) in started.items()}
            raise AssertionError(f"no {what}: slice(s) {ended} ended first" if ended else f"timed out: {what}", outputs)
        time.sleep(POLL_SECONDS)


def _halt_record(halts) -> dict | None:
    """This run's halt record in the shared folder, once a slice has written it."""
    for path in halts.glob("lifeline-halt-*.json"):
        record = json.loads(path.read_text())
        if record["run_id"] == RUN_ID:
            return record
    return None


def _fault(fleet, host: str, kind: str) -> None:
    lab("fault", host, kind, "--fleet-file", str(fleet.fleet_file))


def _report(directory) -> dict:
    reports = sorted(directory.glob("rollout-*.json"))
    assert reports, f"no report in {directory}"
    return json.loads(reports[-1].read_text())
