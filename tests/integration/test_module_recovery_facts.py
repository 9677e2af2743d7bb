"""lifeline.recovery.win_recovery_facts on crowdstrike-291 lab hosts, compared field by field with the lab's ground
truth (`lifeline-lab show`): armed hosts the WinRE failover sent to Safe Mode with Networking, with and without
BitLocker (TPM-only: unlocked at boot), and hosts in stock WinRE, which answers no WinRM: the module cannot reach
them and sends them nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from .conftest import winrm_session
from .playbooks import crowdstrike_fleet_by_kind, play_tasks
from .rollout_support import recap

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    yield from crowdstrike_fleet_by_kind(tmp_path_factory.mktemp("recovery_facts"))


def reachable(fleet) -> dict[tuple[str, bool], str]:
    """The hosts in Safe Mode with Networking (WinRM answers), by kind."""
    return {kind: host for kind, host in fleet.kinds.items() if kind[0] == "safe_mode_network"}


def play(fleet, name: str, options: dict | None = None, *arguments: str, hosts: str = ""):
    return play_tasks(
        fleet,
        name,
        [{"name": "facts", "lifeline.recovery.win_recovery_facts": options or {}}],
        *arguments,
        hosts=hosts or ":".join(reachable(fleet).values()),
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
    for (environment, bitlocker), host in reachable(fleet).items():
        result = facts_of(run, host)
        facts = result["ansible_facts"]["lifeline_recovery"]
        truth = fleet.show(host)["machine"]
        locked = bool(truth["bitlocker"] and truth["bitlocker"]["locked"])
        assert facts["environment"] == truth["environment"] == environment
        assert facts["os_volume"] == "C:"
        assert facts["os_volume_locked"] is locked is False  # TPM-only: unlocked at boot, Safe Mode too
        assert facts["system_hive_offline"] is False
        assert facts["system_drive"] == "C:"
        boot_time = dt.datetime.fromisoformat(facts["last_boot_time"])
        assert abs(boot_time - dt.datetime.fromisoformat(truth["boot_time"])) < dt.timedelta(seconds=0.01)
        # BitLocker: one volume, the Windows one, as the lab has it
        (volume,) = facts["bitlocker"]
        assert volume["volume"] == facts["os_volume"] and volume["locked"] is locked
        assert volume["protection_on"] == (None if locked else bitlocker)
        # boot: the default loader's safeboot as the BCD store holds it
        entry = truth["bcd"]["entries"][truth["bcd"]["os_entry"]]
        assert facts["boot"]["safeboot"] == entry.get("safeboot") == "Network"  # the failover's doing
        assert facts["boot"]["recoveryenabled"] == entry.get("recoveryenabled")
        assert facts["boot"]["osdevice"] == f"partition={facts['os_volume']}"
        assert result["commands_sent"] == 2
        assert facts["system_root"] == facts["os_volume"] + "\\Windows"
        assert facts["current_control_set"] == truth["registry"]["current_control_set"] == "ControlSet001"
        assert [{k: d[k] for k in ("name", "start", "image_path", "group")} for d in facts["drivers"]] == (
            expected_drivers(truth)
        )
        assert "WinRM" in truth["registry"]["safeboot"]["Network"]
        assert facts["prepared_for_remote_recovery"] is True
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


def test_no_hive_is_loaded_and_nothing_changes(fleet):
    before = {host: fleet.show(host)["machine"] for host in reachable(fleet).values()}
    run = play(fleet, "again")
    assert run.returncode == 0
    for host in reachable(fleet).values():
        entry = next(h for h in fleet.hosts if h["name"] == host)
        listing = winrm_session(entry).run_cmd("reg", ["query", "HKLM"])
        keys = listing.std_out.decode().split()
        assert keys == ["HKEY_LOCAL_MACHINE\\SOFTWARE", "HKEY_LOCAL_MACHINE\\SYSTEM"], keys
        after = fleet.show(host)["machine"]
        for field in ("registry", "bcd", "boots", "environment", "bitlocker", "packages"):
            assert after[field] == before[host][field], field
        assert after["files"] == before[host]["files"]


def test_check_mode_reads_the_same_facts(fleet):
    host = fleet.kinds[("safe_mode_network", True)]
    normal = facts_of(play(fleet, "normal", hosts=host), host)["ansible_facts"]["lifeline_recovery"]
    checked = facts_of(play(fleet, "check", None, "--check", hosts=host), host)
    assert checked["changed"] is False
    assert checked["ansible_facts"]["lifeline_recovery"] == normal


def test_gather_limits_the_cost(fleet):
    run = play(fleet, "subset", {"gather": ["environment", "bitlocker"]})
    for (environment, _), host in reachable(fleet).items():
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


def test_a_host_in_stock_winre_is_unreachable_and_is_sent_nothing(fleet):
    """Stock WinRE runs no WinRM: the play reports the hosts unreachable, and the lab saw no command."""
    in_winre = [host for kind, host in fleet.kinds.items() if kind[0] == "winre"]
    run = play(fleet, "winre", hosts=":".join(in_winre))
    assert run.returncode != 0
    for host in in_winre:
        assert recap(run.stdout, host)["unreachable"] == 1, run.stdout[-2000:]
        shown = fleet.show(host)
        assert shown["counters"]["commands"] == 0 and shown["machine"]["environment"] == "winre"
