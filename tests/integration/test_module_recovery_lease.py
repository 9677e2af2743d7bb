"""lifeline.recovery.win_recovery_lease on crowdstrike-291 lab hosts the armed WinRE failover sent to Safe Mode with
Networking, judged by the lab's ground truth (the lease file's size and SHA-256 on C:) and by the file's bytes read
back over WinRM with cmd's type: a second run is refused and changes nothing, an expired lease is taken over, a
release by another run leaves the lease and one by its own run removes it, check mode changes nothing, and the lease
taken in Safe Mode (on a TPM-only BitLocker volume, unlocked at boot) is the one found and released in Windows after
the proven reboot."""

from __future__ import annotations

import datetime
import hashlib
import json

import pytest

from .conftest import sealed_session
from .playbooks import FACTS_FIRST, crowdstrike_fleet_by_kind, play_tasks

pytestmark = pytest.mark.integration

TRUTH = "C:\\ProgramData\\Lifeline\\lease.json"  # the same path in Safe Mode and in Windows


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    yield from crowdstrike_fleet_by_kind(tmp_path_factory.mktemp("recovery_lease"))


def play(fleet, name: str, host: str, tasks: list[dict], *arguments: str):
    return play_tasks(fleet, name, [FACTS_FIRST, *tasks], *arguments, hosts=host)


def lease_task(name: str, **options) -> dict:
    return {"name": name, "lifeline.recovery.win_recovery_lease": options, "ignore_errors": True}


def on_host(fleet, host: str, path: str = TRUTH) -> dict | None:
    """The lease as the host holds it: None when the ground truth has no such file; else its JSON, read over WinRM
    and checked byte for byte against the ground truth's size and SHA-256."""
    truth = fleet.show(host)["machine"]["files"].get(TRUTH)
    if truth is None:
        return None
    entry = next(each for each in fleet.hosts if each["name"] == host)
    typed = sealed_session(entry).run_cmd(f'type "{path}"')
    assert typed.status_code == 0, typed.std_err
    assert (len(typed.std_out), hashlib.sha256(typed.std_out).hexdigest()) == (truth["size"], truth["sha256"].lower())
    return json.loads(typed.std_out)


def test_one_run_at_a_time_on_a_host_in_safe_mode(fleet):
    host = fleet.kinds[("safe_mode_network", False)]
    assert on_host(fleet, host) is None

    checked = play(fleet, "check", host, [lease_task("take", run_id="r1")], "--check", "--diff").result("take", host)
    assert (checked["_status"], checked["outcome"], checked["commands_sent"]) == ("changed", "created", 1), checked
    assert checked["path"] == TRUTH and on_host(fleet, host) is None

    run = play(fleet, "two runs", host, [
        lease_task("take", run_id="r1", owner="alice@awx"),
        lease_task("again", run_id="r1", owner="alice@awx"),
        lease_task("other", run_id="r2", owner="bob@laptop"),
        lease_task("other release", run_id="r2", state="released"),
    ])  # fmt: skip
    taken = run.result("take", host)
    assert (taken["_status"], taken["outcome"], taken["commands_sent"]) == ("changed", "created", 1), taken
    stored = on_host(fleet, host)
    assert stored == taken["lease"]
    assert (stored["owner"], stored["run_id"], stored["version"]) == ("alice@awx", "r1", 1)
    acquired, expires = (datetime.datetime.fromisoformat(stored[key]) for key in ("acquired", "expires"))
    assert expires - acquired == datetime.timedelta(minutes=120)
    assert abs(datetime.datetime.now(datetime.UTC) - acquired) < datetime.timedelta(minutes=5)
    assert (run.result("again", host)["_status"], run.result("again", host)["outcome"]) == ("ok", "kept")
    refused = run.result("other", host)
    assert refused["_status"] == "fatal" and refused["msg"] == (
        f"leased by alice@awx (run r1) until {stored['expires']}; another rollout is working on this host"
    )
    assert refused["lease_holder"] == {"owner": "alice@awx", "run_id": "r1", "expires": stored["expires"]}
    left = run.result("other release", host)
    assert (left["_status"], left["outcome"]) == ("ok", "not_ours") and "left alone" in left["msg"]
    assert on_host(fleet, host) == stored  # the refused run and the stranger's release changed nothing

    # carol's rollout died an hour ago and its lease expired: the next run takes it over and says whose it was
    expired = {"version": 1, "owner": "carol@old", "run_id": "r0", "acquired": "2026-01-01T06:00:00+00:00",
               "expires": "2026-01-01T08:00:00+00:00"}  # fmt: skip
    write = f"New-Item -ItemType File -Path '{TRUTH}' -Force -Value '{json.dumps(expired)}'"
    assert sealed_session(next(e for e in fleet.hosts if e["name"] == host)).run_ps(write).status_code == 0
    assert on_host(fleet, host) == expired
    run = play(fleet, "takeover", host, [
        lease_task("take", run_id="r2", owner="bob@laptop"),
        lease_task("stranger", run_id="r1", state="released"),
    ], "--diff")  # fmt: skip
    taken = run.result("take", host)
    assert (taken["_status"], taken["outcome"], taken["commands_sent"]) == ("changed", "taken_over", 2), taken
    assert taken["previous_holder"] == {"owner": "carol@old", "run_id": "r0", "expires": expired["expires"]}
    assert "carol@old (run r0) expired at 2026-01-01T08:00:00+00:00" in taken["msg"]
    assert "[WARNING]: the lease of carol@old" in run.stdout + run.stderr  # the callback shows it as a warning
    assert run.result("stranger", host)["outcome"] == "not_ours"
    stored = on_host(fleet, host)
    assert (stored["owner"], stored["run_id"]) == ("bob@laptop", "r2") and stored == taken["lease"]

    run = play(fleet, "release", host, [
        lease_task("check", run_id="r2", state="released"),
    ], "--check")  # fmt: skip
    assert run.result("check", host)["outcome"] == "removed" and on_host(fleet, host) == stored
    run = play(fleet, "release", host, [
        lease_task("release", run_id="r2", state="released"),
        lease_task("again", run_id="r2", state="released"),
    ])  # fmt: skip
    released = run.result("release", host)
    assert (released["_status"], released["outcome"], released["commands_sent"]) == ("changed", "removed", 2)
    assert (run.result("again", host)["_status"], run.result("again", host)["outcome"]) == ("ok", "absent")
    assert on_host(fleet, host) is None


def test_the_lease_taken_in_safe_mode_is_released_in_windows_after_the_proven_boot(fleet):
    host = fleet.kinds[("safe_mode_network", True)]
    run = play(fleet, "rollout", host, [
        lease_task("take", run_id="r7"),
        {"name": "quarantine", "lifeline.recovery.win_quarantine_files": {
            "path": "Windows\\System32\\drivers\\CrowdStrike", "patterns": ["C-00000291*.sys"],
            "modified_after": "2024-07-19T04:09:00Z", "modified_before": "2024-07-19T05:27:00Z"}},
        {"name": "reboot", "lifeline.recovery.win_recovery_reboot": {"target": "normal", "reboot_timeout": 60}},
        {"name": "facts in windows", "lifeline.recovery.win_recovery_facts": {"gather": ["environment"]}},
        lease_task("renew", run_id="r7"),
        lease_task("release", run_id="r7", state="released"),
    ])  # fmt: skip
    taken = run.result("take", host)
    assert (taken["_status"], taken["outcome"], taken["path"]) == ("changed", "created", TRUTH), taken
    assert run.result("reboot", host)["environment"] == "normal", run.stdout[-3000:]
    renewed = run.result("renew", host)
    assert (renewed["_status"], renewed["outcome"], renewed["path"]) == ("ok", "kept", TRUTH), renewed
    assert renewed["lease"] == taken["lease"]  # the same file, found on C: after the restart
    released = run.result("release", host)
    assert (released["_status"], released["outcome"], released["path"]) == ("changed", "removed", TRUTH), released
    machine = fleet.show(host)["machine"]
    assert machine["environment"] == "normal" and TRUTH not in machine["files"]
