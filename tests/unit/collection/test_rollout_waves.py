"""Rings as separate jobs and sliced waves: which waves a run remediates (lifeline_waves), that every job plans
the rings the same way from the inventory, the shared halt record the slices of one run read, and the
per-slice controller lock."""

from __future__ import annotations

import json
import os
import threading

import pytest

from ansible_collections.lifeline.recovery.plugins.callback.rollout_summary import rollout_report
from ansible_collections.lifeline.recovery.plugins.plugin_utils import _controller_lock as lock
from ansible_collections.lifeline.recovery.plugins.plugin_utils import _halt_record as halt
from ansible_collections.lifeline.recovery.plugins.plugin_utils._rollout import RolloutError, plan, select_waves

from .test_rollout import MAPPING, host

CRASH = "0x50:csagent.sys"


@pytest.mark.parametrize(
    ("value", "selected"),
    [
        (None, ["canary", "pilot", "broad"]),
        ([], ["canary", "pilot", "broad"]),
        ("", ["canary", "pilot", "broad"]),
        (["canary"], ["canary"]),
        (["broad", "Canary "], ["canary", "broad"]),  # ring order, whatever the order given
        ("pilot,broad", ["pilot", "broad"]),  # a survey or a command line gives a string
        ("pilot", ["pilot"]),
    ],
)
def test_the_waves_a_run_remediates(value, selected):
    assert select_waves(value) == selected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (["canary", "pilott"], r"unknown wave\(s\) \['pilott'\]: the waves are canary, pilot, broad"),
        ({"canary": 1}, "lifeline_waves must be a list of wave names"),
        ([1], "lifeline_waves must be a list of wave names"),
    ],
)
def test_an_unknown_wave_is_refused_before_anything_is_planned(value, message):
    with pytest.raises(RolloutError, match=message):
        select_waves(value)
    hostvars = {"A": host("recovery_reachable", CRASH, "canary")}
    with pytest.raises(RolloutError, match=message):
        plan(hostvars, hostvars, MAPPING, waves=value)


# A fleet whose inventory hashes no host into the canary ring: a run of every wave promotes one.
FLEET = {
    "P1": host("recovery_reachable", CRASH, "pilot"),
    "P2": host("recovery_reachable", CRASH, "pilot"),
    "B1": host("recovery_reachable", CRASH, "broad"),
    "B2": host("recovery_reachable", CRASH, "broad"),
    "X": {**host("unknown", None, "broad"), "lifeline_reachability": "login_refused"},
    "D": host("unbootable", CRASH, "pilot"),
}


def remediated(planned: dict) -> dict:
    return {ring: hosts for ring, hosts in planned["waves"].items() if hosts}


def test_one_job_per_wave_remediates_only_its_ring_and_skips_the_others_with_the_reason():
    pilot = plan(FLEET, FLEET, MAPPING, waves=["pilot"])
    assert remediated(pilot) == {"pilot": ["P1", "P2"]} and pilot["selected_waves"] == ["pilot"]
    assert {name: entry["action"] for name, entry in pilot["hosts"].items()} == {
        "P1": "remediate", "P2": "remediate", "B1": "skip", "B2": "skip", "X": "skip", "D": "needs_hands"}  # fmt: skip
    assert pilot["hosts"]["B1"]["wave"] == "broad" and pilot["hosts"]["B1"]["path"] is None
    assert pilot["hosts"]["B1"]["reason"] == (
        "in the broad ring: this run remediates the pilot wave(s) only (lifeline_waves)")  # fmt: skip
    # A host the operator's settings keep out is blocked (fails the job) only in its own ring's job.
    assert plan(FLEET, FLEET, MAPPING, waves=["broad"])["hosts"]["X"]["action"] == "blocked"
    # The canary job promotes a host from pilot as a run of every wave does; the pilot job does not, so the
    # pilot job after it finds the ring the inventory gives (the promoted host, now healthy, is skipped there).
    canary = plan(FLEET, FLEET, MAPPING, waves=["canary"])
    assert remediated(canary) == {"canary": ["P1"]} == {"canary": plan(FLEET, FLEET, MAPPING)["waves"]["canary"]}
    assert canary["hosts"]["P2"]["action"] == "skip" and canary["hosts"]["P1"]["promoted_from"] == "pilot"
    after = {**FLEET, "P1": host("healthy", None, "pilot")}
    assert remediated(plan(after, after, MAPPING, waves=["pilot"])) == {"pilot": ["P2"]}
    assert "promoted_from" not in str(plan(after, after, MAPPING, waves=["pilot", "broad"])["hosts"])


def test_the_waves_of_a_workflow_cover_the_rings_of_a_single_run_exactly_once():
    fleet = {**FLEET, "C1": host("recovery_reachable", CRASH, "canary")}
    whole = plan(fleet, fleet, MAPPING)
    jobs = [plan(fleet, fleet, MAPPING, waves=[ring]) for ring in ("canary", "pilot", "broad")]
    assert [job["waves"][ring] for job, ring in zip(jobs, ("canary", "pilot", "broad"), strict=True)] == [
        whole["waves"]["canary"], whole["waves"]["pilot"], whole["waves"]["broad"]]  # fmt: skip


def test_a_slice_plans_no_ring_of_its_own_and_runs_one_wave():
    # The slice of the broad wave that holds B1 alone: nothing is promoted into a canary of its own.
    piece = {name: FLEET[name] for name in ("B1", "X")}
    sliced = plan(piece, piece, MAPPING, waves=["broad"], sliced=True)
    assert remediated(sliced) == {"broad": ["B1"]} and not sliced["warnings"]
    whole_slice = plan(piece, piece, MAPPING, waves=["canary"], sliced=True)
    assert remediated(whole_slice) == {} and "promoted_from" not in str(whole_slice["hosts"])
    with pytest.raises(RolloutError, match=r"a sliced run .* remediates one wave, not canary, pilot, broad"):
        plan(piece, piece, MAPPING, sliced=True)


# The shared halt record.


def test_a_halt_record_is_read_by_the_slices_of_its_run_only(tmp_path):
    folder = str(tmp_path)
    assert halt.read(folder, "awx-41") is None
    kept = halt.write(folder, "awx-41", "awx-job-7", "broad", 2, "wave broad batch 2: 1 of 1 host(s) failed")
    assert halt.read(folder, "awx-41") == kept
    assert {k: kept[k] for k in ("run_id", "slice", "wave", "batch")} == {
        "run_id": "awx-41", "slice": "awx-job-7", "wave": "broad", "batch": 2}  # fmt: skip
    # A record another rollout left behind never stops a new one.
    assert halt.read(folder, "awx-42") is None
    assert [p for p in os.listdir(folder) if p.startswith(".")] == []  # no temporary file left behind


def test_the_first_halt_of_a_run_is_the_one_kept(tmp_path):
    folder = str(tmp_path)
    first = halt.write(folder, "r1", "slice-1", "broad", 1, "first")
    assert halt.write(folder, "r1", "slice-2", "broad", 1, "second") == first
    assert halt.read(folder, "r1")["slice"] == "slice-1"


def test_concurrent_halts_leave_one_whole_record(tmp_path):
    folder = str(tmp_path)
    results = []
    threads = [
        threading.Thread(target=lambda n=n: results.append(halt.write(folder, "r1", f"s{n}", "broad", 1, f"why {n}")))
        for n in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    kept = halt.read(folder, "r1")
    assert all(result == kept for result in results) and kept["slice"] in {f"s{n}" for n in range(8)}
    assert os.listdir(folder) == [os.path.basename(halt.record_path(folder, "r1"))]


def test_a_record_under_this_runs_name_that_belongs_to_another_run_is_not_this_runs(tmp_path):
    path = halt.record_path(str(tmp_path), "r1")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"run_id": "other", "slice": "s", "wave": "broad", "batch": 1, "reason": "x"}, handle)
    assert halt.read(str(tmp_path), "r1") is None
    assert halt.write(str(tmp_path), "r1", "s1", "broad", 1, "mine")["run_id"] == "r1"
    assert halt.read(str(tmp_path), "r1")["slice"] == "s1"


def test_a_damaged_record_is_an_error_not_silence(tmp_path):
    with open(halt.record_path(str(tmp_path), "r1"), "w", encoding="utf-8") as handle:
        handle.write('{"run_id": "r1"')
    with pytest.raises(halt.HaltRecordError, match="is damaged"):
        halt.read(str(tmp_path), "r1")


def test_the_folder_and_the_run_id_are_checked_before_anything_is_touched(tmp_path):
    halt.check_folder(str(tmp_path), "r1")
    with pytest.raises(halt.HaltRecordError, match="a sliced run needs lifeline_run_id"):
        halt.check_folder(str(tmp_path), " ")
    with pytest.raises(halt.HaltRecordError, match=r"folder .*missing does not exist"):
        halt.check_folder(str(tmp_path / "missing"), "r1")


def test_slices_of_one_run_hold_locks_of_their_own_and_unsliced_runs_share_the_inventorys(tmp_path):
    sources = ["inventory.yml"]
    inventory = lock.lock_path(str(tmp_path), sources)
    assert lock.lock_path(str(tmp_path), sources, "") == inventory  # the laptop's one lock is unchanged
    slices = {lock.lock_path(str(tmp_path), sources, f"r1/s{n}") for n in (1, 2)}
    assert len(slices) == 2 and inventory not in slices
    assert lock.lock_path(str(tmp_path), sources, "r1/s1") in slices  # the same slice twice still waits


def test_the_report_names_hosts_a_peer_slice_kept_from_their_batch():
    hostvars = {name: host("recovery_reachable", CRASH, "broad") for name in ("B1", "B2", "B3")}
    planned = plan(hostvars, hostvars, MAPPING, waves=["broad"], sliced=True)
    outcomes = {"B1": {"outcome": "recovered", "reason": "", "wave": "broad"}}
    report = rollout_report(planned, outcomes, [], "Halted by slice s2", run_id="r1", halted_by_peer=True)
    assert {name: entry["status"] for name, entry in report["hosts"].items()} == {
        "B1": "recovered", "B2": "halted_by_peer", "B3": "halted_by_peer"}  # fmt: skip
    assert report["halted"] and report["halted_by_peer"]
    assert report["hosts"]["B2"]["reason"] == "another slice halted the rollout before this host's batch"
