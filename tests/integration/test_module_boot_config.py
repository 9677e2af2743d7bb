"""lifeline.recovery.win_boot_config on the live BCD store of armed crowdstrike-291 hosts the WinRE failover sent to
Safe Mode with Networking, judged by the lab's ground truth BCD: safeboot cleared and restored; the devices from
the facts (partition=C:) already right, recoveryenabled turned off and restored, the failover's marker deleted.
(A broken BCD breaks Safe Mode too: such a host ends in WinRE after the failover and needs hands.)"""

from __future__ import annotations

import json

import pytest

from .conftest import lab, start_fleet, winrm_session
from .playbooks import FACTS_FIRST, play_tasks, static_inventory

pytestmark = pytest.mark.integration

MARKER = "{07b12ddd-c467-4140-8aab-3313b0711336}"  # the WinRE failover's BCD object: Safe Mode was tried


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
def armed_tpm(tmp_path_factory):
    started = fleet_of(tmp_path_factory, "crowdstrike-291", "4",
                       lambda m: m["environment"] == "safe_mode_network" and m["bitlocker"] is not None)  # fmt: skip
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


def test_devices_recovery_and_the_marker_on_the_live_store(armed_tpm):
    host = armed_tpm.host_name
    before = armed_tpm.show(host)["machine"]["bcd"]
    assert MARKER in before["entries"] and loader(armed_tpm)["recoveryenabled"] == "Yes"
    volume = "partition={{ ansible_facts.lifeline_recovery.os_volume }}"
    run = play(armed_tpm, "live", [config("devices", device=volume, osdevice=volume),
                                   config("recovery", recoveryenabled=False)], "--diff")  # fmt: skip
    devices = run.result("devices", host)  # the running Windows reads its own volume as C:: nothing to do
    assert devices["changed"] is False and devices["values"] == {"device": "partition=C:", "osdevice": "partition=C:"}
    recovery = run.result("recovery", host)
    assert recovery["changed"] is True and recovery["previous"] == {"recoveryenabled": "Yes"}, recovery
    off = loader(armed_tpm)
    assert off["recoveryenabled"] == "No" and off["device"] == before["entries"][before["os_entry"]]["device"]

    back = play(armed_tpm, "restore", [config(state="restored")]).result("config", host)
    assert back["changed"] is True, back
    assert armed_tpm.show(host)["machine"]["bcd"] == before

    tasks = [config("marker", identifier=MARKER, state="absent"), config("again", identifier=MARKER, state="absent"),
             config("loader", identifier="{default}", state="absent")]  # fmt: skip
    deleted = play(armed_tpm, "marker", tasks)
    assert deleted.result("marker", host)["changed"] is True and deleted.result("again", host)["changed"] is False
    refused = deleted.result("loader", host)
    assert refused["_status"] == "fatal" and refused.get("commands_sent", 0) == 0, refused
    after = armed_tpm.show(host)["machine"]["bcd"]
    assert after["entries"] == {name: entry for name, entry in before["entries"].items() if name != MARKER}
