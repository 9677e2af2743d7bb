"""lifeline.recovery.win_boot_config on lab hosts, judged by the lab's ground truth BCD: a crowdstrike-291 Safe Mode
host (safeboot cleared and restored) and a broken-bcd WinRE host (device/osdevice repaired, then it boots)."""

from __future__ import annotations

import json

import pytest

from .conftest import lab, start_fleet, winrm_session
from .playbooks import FACTS_FIRST, play_tasks, static_inventory

pytestmark = pytest.mark.integration


def fleet_of(tmp_path_factory, scenario: str, hosts: str, wanted):
    directory = tmp_path_factory.mktemp(scenario)
    started = start_fleet(directory, "--scenario", scenario, "--hosts", hosts, "--reboot-seconds", "0.3")
    names = [e["name"] for e in started.hosts if wanted(started.show(e["name"])["machine"])]
    assert names, started.hosts
    started.host_name = names[0]
    started.directory = directory
    started.inventory = static_inventory(started, directory, names=names[:1])
    return started


@pytest.fixture(scope="module")
def safe_mode(tmp_path_factory):
    started = fleet_of(tmp_path_factory, "crowdstrike-291", "2",
                       lambda m: m["environment"] == "safe_mode_network" and m["bitlocker"] is None)  # fmt: skip
    yield started
    lab("down", "--fleet-file", str(started.fleet_file))


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    started = fleet_of(tmp_path_factory, "broken-bcd", "1", lambda m: m["environment"] == "winre")
    yield started
    lab("down", "--fleet-file", str(started.fleet_file))


def play(fleet, name: str, tasks: list[dict], *arguments: str):
    return play_tasks(fleet, name, [FACTS_FIRST, *tasks], *arguments)


def config(task: str = "config", /, **options) -> dict:
    return {"name": task, "lifeline.recovery.win_boot_config": options, "ignore_errors": True}


def loader(fleet) -> dict:
    truth = fleet.show(fleet.host_name)["machine"]
    return truth["bcd"]["entries"][truth["bcd"]["os_entry"]]


def test_safeboot_cleared_in_safe_mode_check_mode_rerun_and_restore(safe_mode):
    host = safe_mode.host_name
    before = loader(safe_mode)
    assert str(before.get("safeboot", "")).lower() == "network", before

    checked = play(safe_mode, "check", [config(safeboot="absent")], "--check", "--diff").result("config", host)
    assert checked["changed"] is True and checked["previous"] == {"safeboot": "Network"}, checked
    assert checked["commands_sent"] == 1 and loader(safe_mode) == before

    bad = play(safe_mode, "bad", [config(bootstatuspolicy="IgnoreEverything"), config("dev", device="D:"),
                                  config("id", identifier="{defualt}", safeboot="absent")])  # fmt: skip
    for task in ("config", "dev", "id"):
        assert bad.result(task, host)["_status"] == "fatal"
    assert bad.result("dev", host)["commands_sent"] == 0 and "partition=<letter>:" in bad.result("dev", host)["msg"]
    assert bad.result("id", host)["commands_sent"] == 0 and "{defualt}" in bad.result("id", host)["msg"]
    assert loader(safe_mode) == before

    run = play(safe_mode, "clear", [config(safeboot="absent"), config("again", safeboot="absent")], "--diff")
    first = run.result("config", host)
    assert first["changed"] is True and first["previous"] == {"safeboot": "Network"}
    assert first["record"] == "C:\\ProgramData\\Lifeline\\records\\boot_config-default.json"
    assert run.result("again", host)["changed"] is False
    assert "safeboot" not in loader(safe_mode)
    files = safe_mode.show(host)["machine"]["files"]
    assert "C:\\ProgramData\\Lifeline\\records\\boot_config-default.json" in files

    back = play(safe_mode, "restore", [config(state="restored"), config("again", state="restored")])
    assert back.result("config", host)["changed"] is True, back.stdout[-2000:]
    assert back.result("again", host)["changed"] is False
    assert str(loader(safe_mode).get("safeboot")).lower() == "network"
    assert {k: v for k, v in loader(safe_mode).items()} == before
    session = winrm_session(next(h for h in safe_mode.hosts if h["name"] == host))
    typed = session.run_cmd("type", ["C:\\ProgramData\\Lifeline\\records\\boot_config-default.json"])
    text = typed.std_out.decode("utf-8", "replace")
    assert json.loads(text[text.index("{") :])["restored_at"], text  # after Set-Content's UTF-8 BOM

    # the operator clears safeboot by hand: the used record is not applied again. Then set safeboot network and
    # restore: the new record starts from what it found (absent), so the entry is as before that change
    assert session.run_cmd("bcdedit", ["/deletevalue", "{default}", "safeboot"]).status_code == 0
    before_set = loader(safe_mode)
    assert "safeboot" not in before_set
    cycle = play(safe_mode, "cycle", [config("stale", state="restored"), config("set", safeboot="network"),
                                      config("undo", state="restored")])  # fmt: skip
    stale = cycle.result("stale", host)
    assert stale["changed"] is False and "left alone" in stale["msg"], stale
    assert cycle.result("set", host)["previous"] == {"safeboot": "absent"}
    undo = cycle.result("undo", host)
    assert undo["changed"] is True and undo["previous"] == {"safeboot": "Network"}, undo
    assert loader(safe_mode) == before_set


def test_broken_bcd_repaired_in_winre_boots_normal(broken):
    host = broken.host_name
    before = loader(broken)
    volume = "partition={{ ansible_facts.lifeline_recovery.os_volume }}"
    checked = play(broken, "check", [config(device=volume, osdevice=volume)], "--check").result("config", host)
    assert checked["changed"] is True and checked["values"] == {"device": "partition=D:", "osdevice": "partition=D:"}
    assert loader(broken) == before

    run = play(broken, "repair", [config(device=volume, osdevice=volume), config("again", device=volume,
                                                                                  osdevice=volume)])  # fmt: skip
    first = run.result("config", host)
    assert first["changed"] is True and set(first["previous"]) == {"device", "osdevice"}, first
    assert first["previous"]["device"] == before["device"]
    assert run.result("again", host)["changed"] is False

    booted = play(broken, "boot", [{"name": "reboot", "lifeline.recovery.win_recovery_reboot": {"target": "normal"}}])
    assert booted.result("reboot", host)["environment"] == "normal", booted.stdout[-3000:]

    # in Windows the same volume is C:: the facts-based value asks for partition=C: and nothing changes
    rerun = play(broken, "rerun", [config(device=volume, osdevice=volume)]).result("config", host)
    assert rerun["changed"] is False and rerun["values"]["device"] == "partition=C:", rerun
