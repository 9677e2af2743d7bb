"""lifeline.recovery.win_recovery_reboot on crowdstrike-291 lab hosts the armed WinRE failover sent to Safe Mode with
Networking: a repaired host boots normally, an unrepaired one crashes back into WinRE (where the failover, having
tried Safe Mode once, leaves it) and never answers again, or, with the marker deleted, comes back in Safe Mode
with Networking (the failover ran again) and fails as not the normal boot asked for, a hung restart times out,
check mode restarts nothing, bad input is refused without touching the host; judged by the lab's ground truth
(boots, boot time, BCD, what WinRE ran)."""

from __future__ import annotations

import time

import pytest

from .conftest import lab
from .playbooks import crowdstrike_fleet_by_kind, play_tasks

pytestmark = pytest.mark.integration

BAD = "C:\\Windows\\System32\\drivers\\CrowdStrike\\C-00000291-00000000-00000032.sys"
MARKER = "{07b12ddd-c467-4140-8aab-3313b0711336}"  # the failover's marker: Safe Mode was tried


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    # nine hosts: a second armed host in Safe Mode without BitLocker (CS-0007) and a second one with BitLocker
    # (CS-0009) for the unrepaired restarts
    yield from crowdstrike_fleet_by_kind(tmp_path_factory.mktemp("recovery_reboot"), hosts=9)


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


def test_an_unrepaired_host_crashes_back_into_winre_and_the_restart_fails_for_want_of_an_answer(fleet):
    host = fleet.by_kind[("safe_mode_network", False)][1]
    before = machine(fleet, host)
    assert MARKER in before["bcd"]["entries"]  # the failover ran: Safe Mode was tried
    result = play(fleet, "unrepaired", host, [reboot(target="normal", reboot_timeout=6, connect_timeout=2)]).result(
        "reboot", host
    )
    assert result["_status"] == "fatal", result
    assert result["msg"].startswith("the host did not come back within 6 s"), result["msg"]
    assert result["rebooted"] is True and result["environment"] is None
    after = machine(fleet, host)
    # two failed boots, then WinRE; the marker sends the failover straight on to WinRE's own app: a person's job
    assert len(after["crashes"]) == len(before["crashes"]) + 2
    assert after["crashes"][-1]["bugcheck"] == "0x00000050"
    assert (after["power"], after["environment"]) == ("running", "winre")
    # this WinRE start ran the failover script, which found the marker and ended, then WinRE's own app, which waits
    ran = [(entry["app"].rsplit("\\", 1)[-1].lower(), entry["exit_code"]) for entry in after["winpeshl_log"]]
    assert ran == [("cmd.exe", 0), ("recenv.exe", None)], after["winpeshl_log"]
    assert "safeboot" not in default_loader(after)  # safeboot cleared for the restart, not set again
    assert fleet.show(host)["winrm_reachable"] is False


def test_an_unrepaired_host_whose_marker_was_deleted_fails_over_to_safe_mode_again(fleet):
    host = fleet.by_kind[("safe_mode_network", True)][1]
    before = machine(fleet, host)
    tasks = [
        {"name": "marker", "lifeline.recovery.win_boot_config": {"identifier": MARKER, "state": "absent"}},
        reboot(target="normal", reboot_timeout=20, connect_timeout=2),
    ]
    run = play(fleet, "unrepaired-unmarked", host, tasks)
    assert run.result("marker", host)["changed"] is True
    result = run.result("reboot", host)
    # two failed boots, WinRE, the failover finds no marker: it creates it and sends the host to Safe Mode again
    assert result["_status"] == "fatal" and result["environment"] == "safe_mode_network", result
    assert "came back in safe_mode_network" in result["msg"] and "expected normal" in result["msg"], result["msg"]
    after = machine(fleet, host)
    assert len(after["crashes"]) == len(before["crashes"]) + 2 and after["crashes"][-1]["bugcheck"] == "0x00000050"
    assert (after["power"], after["environment"]) == ("running", "safe_mode_network")
    assert MARKER in after["bcd"]["entries"] and default_loader(after)["safeboot"] == "Network"
    assert after["bitlocker"]["locked"] is False  # the TPM unlocked the volume again


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
