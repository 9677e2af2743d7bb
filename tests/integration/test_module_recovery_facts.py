"""lifeline.recovery.win_recovery_facts on crowdstrike-291 lab hosts (Safe Mode with Networking and WinRE, each with
and without BitLocker), compared field by field with the lab's ground truth (`lifeline-lab show`)."""

from __future__ import annotations

import datetime as dt

import pytest

from .conftest import winrm_session
from .playbooks import crowdstrike_fleet_by_kind, play_tasks

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    yield from crowdstrike_fleet_by_kind(tmp_path_factory.mktemp("recovery_facts"))


def play(fleet, name: str, options: dict | None = None, *arguments: str):
    return play_tasks(
        fleet, name, [{"name": "facts", "lifeline.recovery.win_recovery_facts": options or {}}], *arguments
    )


def facts_of(run, host: str) -> dict:
    result = run.result("facts", host)
    assert result["_status"] == "ok", result
    return result


def expected_drivers(truth: dict) -> list[dict]:
    """Third-party boot/system start drivers in ground truth: services the scenario installed (not in a fresh
    lab image, whose services are all inbox ones) with Start 0 or 1."""
    services = truth["registry"]["services"]
    return [
        {"name": name, "start": values["Start"], "image_path": values["ImagePath"], "group": values.get("Group")}
        for name, values in sorted(services.items())
        if values.get("Start") in (0, 1) and name == "CSAgent"
    ]


def test_facts_match_ground_truth_in_every_environment(fleet):
    started = dt.datetime.now(dt.UTC)
    run = play(fleet, "all")
    assert run.returncode == 0, run.stdout[-3000:]
    for (environment, bitlocker), host in fleet.kinds.items():
        result = facts_of(run, host)
        facts = result["ansible_facts"]["lifeline_recovery"]
        truth = fleet.show(host)["machine"]
        locked = bool(truth["bitlocker"] and truth["bitlocker"]["locked"])
        assert facts["environment"] == truth["environment"] == environment
        in_winre = environment == "winre"
        assert facts["os_volume"] == (truth["recovery_image"]["os_letter"] if in_winre else "C:")
        assert facts["os_volume_locked"] is locked is (in_winre and bitlocker)
        assert facts["system_hive_offline"] is in_winre
        assert facts["system_drive"] == ("X:" if in_winre else "C:")
        boot_time = dt.datetime.fromisoformat(facts["last_boot_time"])
        assert abs(boot_time - dt.datetime.fromisoformat(truth["boot_time"])) < dt.timedelta(seconds=0.01)
        # BitLocker: one volume, the Windows one, as the lab has it
        (volume,) = facts["bitlocker"]
        assert volume["volume"] == facts["os_volume"] and volume["locked"] is locked
        assert volume["protection_on"] == (None if locked else bitlocker)
        # boot: the default loader's safeboot as the BCD store holds it
        entry = truth["bcd"]["entries"][truth["bcd"]["os_entry"]]
        assert facts["boot"]["safeboot"] == entry.get("safeboot")
        assert facts["boot"]["recoveryenabled"] == entry.get("recoveryenabled")
        assert facts["boot"]["osdevice"] == f"partition={facts['os_volume']}"
        if locked:
            # nothing on the volume can be read: no guesses
            assert facts["system_root"] is None and facts["current_control_set"] is None
            assert facts["drivers"] is None and facts["crashes"] is None
            assert facts["pending_servicing"] is None and facts["prepared_for_remote_recovery"] is None
            assert result["commands_sent"] == 1
            continue
        assert result["commands_sent"] == (3 if in_winre else 2)
        assert facts["system_root"] == facts["os_volume"] + "\\Windows"
        assert facts["current_control_set"] == truth["registry"]["current_control_set"] == "ControlSet001"
        assert [{k: d[k] for k in ("name", "start", "image_path", "group")} for d in facts["drivers"]] == (
            expected_drivers(truth)
        )
        assert facts["prepared_for_remote_recovery"] is ("WinRM" in truth["registry"]["safeboot"]["Network"])
        assert facts["pending_servicing"]["pending"] is False
        assert facts["pending_servicing"]["packages"] == [
            p for p in truth["packages"] if "Pending" in p["state"]
        ]  # none in this scenario
        # crashes: one minidump per bugcheck in the crash history, newest first
        crashes = sorted(truth["crashes"], key=lambda c: c["time"], reverse=True)
        assert [(c["bugcheck"], c["parameters"]) for c in facts["crashes"]] == [
            (c["bugcheck"], c["parameters"]) for c in crashes
        ]
        for found, crash in zip(facts["crashes"], crashes, strict=True):
            delta = dt.datetime.fromisoformat(found["time"]) - dt.datetime.fromisoformat(crash["time"])
            assert abs(delta) < dt.timedelta(seconds=0.01)
            assert dt.datetime.fromisoformat(found["time"]) < started
    assert all(result["changed"] is False for result in run.results["facts"].values())


def test_no_offline_hive_is_left_loaded_and_nothing_changes(fleet):
    before = {host: fleet.show(host)["machine"] for host in fleet.kinds.values()}
    run = play(fleet, "again")
    assert run.returncode == 0
    for (environment, bitlocker), host in fleet.kinds.items():
        entry = next(h for h in fleet.hosts if h["name"] == host)
        if environment == "winre" and not bitlocker:
            assert run.result("facts", host)["commands_sent"] == 3  # two of them loaded the hive
        listing = winrm_session(entry).run_cmd("reg", ["query", "HKLM"])
        keys = listing.std_out.decode().split()
        assert keys == ["HKEY_LOCAL_MACHINE\\SOFTWARE", "HKEY_LOCAL_MACHINE\\SYSTEM"], keys
        after = fleet.show(host)["machine"]
        for field in ("registry", "bcd", "boots", "environment", "bitlocker", "packages"):
            assert after[field] == before[host][field], field
        # reg unload writes the hive file back (its bytes may change); what it holds is compared above
        hive = "C:\\Windows\\System32\\config\\SYSTEM"
        assert {k: v for k, v in after["files"].items() if k != hive} == {
            k: v for k, v in before[host]["files"].items() if k != hive
        }


def test_check_mode_reads_the_same_facts(fleet):
    host = fleet.kinds[("winre", False)]
    normal = facts_of(play(fleet, "normal"), host)["ansible_facts"]["lifeline_recovery"]
    checked = facts_of(play(fleet, "check", None, "--check"), host)
    assert checked["changed"] is False
    assert checked["ansible_facts"]["lifeline_recovery"] == normal


def test_gather_limits_the_cost(fleet):
    run = play(fleet, "subset", {"gather": ["environment", "bitlocker"]})
    for (environment, _), host in fleet.kinds.items():
        result = facts_of(run, host)
        facts = result["ansible_facts"]["lifeline_recovery"]
        assert result["commands_sent"] == 1
        assert facts["environment"] == environment and "bitlocker" in facts
        assert "drivers" not in facts and "crashes" not in facts and "boot" not in facts
        assert facts["gathered"] == ["environment", "bitlocker"]


def test_bad_gather_fails_before_anything_is_sent(fleet):
    host = fleet.kinds[("safe_mode_network", False)]
    result = play(fleet, "bad", {"gather": ["environment", "everything"]}).result("facts", host)
    assert result["_status"] == "fatal"
    assert "gather" in result["msg"] and "everything" in result["msg"]
    assert result.get("commands_sent", 0) == 0
