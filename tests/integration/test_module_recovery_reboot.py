"""lifeline.recovery.win_recovery_reboot on crowdstrike-291 lab hosts: a repaired host boots normally, an unrepaired
one comes back in WinRE naming the bugcheck, a hung restart times out, check mode restarts nothing; judged by the
lab's ground truth (boots, boot time, BCD)."""

from __future__ import annotations

import time

import pytest

from .conftest import lab
from .playbooks import crowdstrike_fleet_by_kind, play_tasks

pytestmark = pytest.mark.integration

BAD = "C:\\Windows\\System32\\drivers\\CrowdStrike\\C-00000291-00000000-00000032.sys"


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    yield from crowdstrike_fleet_by_kind(tmp_path_factory.mktemp("recovery_reboot"))


def play(fleet, name: str, host: str, tasks: list[dict], *arguments: str):
    return play_tasks(fleet, name, tasks, *arguments, hosts=host)


def reboot(**options) -> dict:
    return {"name": "reboot", "lifeline.recovery.win_recovery_reboot": options}


def machine(fleet, host: str) -> dict:
    return fleet.show(host)["machine"]


def default_loader(truth: dict) -> dict:
    return truth["bcd"]["entries"][truth["bcd"]["os_entry"]]


def test_check_mode_restarts_nothing(fleet):
    host = fleet.kinds[("safe_mode_network", False)]
    before = machine(fleet, host)
    result = play(fleet, "check", host, [reboot(target="normal")], "--check").result("reboot", host)
    assert result["_status"] == "changed" and result["rebooted"] is False, result
    assert result["expected_environment"] == "normal" and result["previous_environment"] == "safe_mode_network"
    assert result["boot_config_change"] == {"entry": "{default}", "element": "safeboot", "previous": "Network",
                                            "value": None}  # fmt: skip
    after = machine(fleet, host)
    assert (after["boots"], after["boot_time"]) == (before["boots"], before["boot_time"])
    assert default_loader(after).get("safeboot") == "Network"


def test_a_repaired_host_restarts_into_normal_mode_with_a_new_boot_time(fleet):
    host = fleet.kinds[("safe_mode_network", False)]
    before = machine(fleet, host)
    run = play(
        fleet,
        "repaired",
        host,
        [
            {"name": "repair", "ansible.builtin.raw": f"Remove-Item -LiteralPath '{BAD}'"},
            reboot(target="normal", reboot_timeout=60, post_reboot_delay=1),
        ],
    )
    result = run.result("reboot", host)
    assert result["_status"] == "changed", result
    assert result["rebooted"] is True and result["environment"] == "normal" and result["new_crashes"] == []
    assert result["last_boot_time"] != result["previous_boot_time"]
    assert 0 < result["elapsed"] < 30
    change = result["boot_config_change"]
    assert (change["previous"], change["value"]) == ("Network", None)
    assert change["record"] == "C:\\ProgramData\\Lifeline\\records\\boot_config-default.json"
    after = machine(fleet, host)
    assert after["environment"] == "normal" and after["boots"] == before["boots"] + 1
    assert after["boot_time"] != before["boot_time"] and after["crashes"] == before["crashes"]
    assert "safeboot" not in default_loader(after)
    assert change["record"] in after["files"]
    # into Safe Mode with Networking and back: the BCD change each way, each boot proven
    there = play(fleet, "safe", host, [reboot(target="safe_mode_network")]).result("reboot", host)
    assert there["_status"] == "changed" and there["environment"] == "safe_mode_network", there
    assert default_loader(machine(fleet, host)).get("safeboot") == "Network"
    back = play(fleet, "back", host, [reboot(target="normal")]).result("reboot", host)
    assert back["_status"] == "changed" and back["environment"] == "normal", back
    assert machine(fleet, host)["boots"] == before["boots"] + 3


def test_an_unrepaired_host_comes_back_in_winre_and_the_failure_names_the_bugcheck(fleet):
    host = fleet.kinds[("winre", False)]
    before = machine(fleet, host)
    result = play(fleet, "unrepaired", host, [reboot(target="normal", reboot_timeout=60)]).result("reboot", host)
    assert result["_status"] == "fatal", result
    assert "came back in winre" in result["msg"] and "expected normal" in result["msg"]
    assert "bugcheck 0x00000050" in result["msg"]
    assert result["environment"] == "winre" and result["rebooted"] is True
    after = machine(fleet, host)
    new = after["crashes"][len(before["crashes"]) :]
    assert len(new) == 2  # two failed boots, then WinRE
    assert [(c["bugcheck"], c["parameters"]) for c in result["new_crashes"]] == [
        (c["bugcheck"], c["parameters"]) for c in reversed(new)
    ]


def test_a_hung_restart_fails_with_a_timeout(fleet):
    host = fleet.kinds[("safe_mode_network", True)]
    lab("fault", host, "hang-reboot", "--fleet-file", str(fleet.fleet_file))
    started = time.monotonic()
    result = play(fleet, "hung", host, [reboot(target="current", reboot_timeout=4, connect_timeout=2)]).result(
        "reboot", host
    )
    assert result["_status"] == "fatal", result
    assert result["msg"].startswith("the host did not come back within 4 s")
    assert result["rebooted"] is True and result["environment"] is None and result["last_boot_time"] is None
    assert 4 <= result["elapsed"] < 12 and time.monotonic() - started < 30
    assert machine(fleet, host)["power"] == "hung"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"reboot_timeout": 0}, "reboot_timeout must be at least 1"),
        ({"connect_timeout": -1}, "connect_timeout must be at least 1"),
        ({"post_reboot_delay": -5}, "post_reboot_delay must not be negative"),
        ({"target": "winre"}, "target"),
    ],
)
def test_bad_input_fails_before_anything_is_sent(fleet, options, message):
    host = fleet.kinds[("winre", True)]
    before = machine(fleet, host)
    result = play(fleet, "bad", host, [reboot(**options)]).result("reboot", host)
    assert result["_status"] == "fatal" and message in result["msg"], result
    assert result.get("commands_sent", 0) == 0
    assert machine(fleet, host)["boots"] == before["boots"]
