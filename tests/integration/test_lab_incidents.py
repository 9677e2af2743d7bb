"""Failures landing on running lab hosts (`lifeline-lab fault HOST FAILURE`, `incident`) and TPM And PIN hosts
at the pre-boot PIN prompt (`lifeline-lab pin`), checked against each host's ground truth."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import requests
from winrm.exceptions import WinRMTransportError

from lifeline_lab import incidents

from .conftest import LabFleet, lab, sealed_session, start_fleet

pytestmark = pytest.mark.integration

REBOOT_SECONDS = "0.3"
PIN_HOST = "CS-0011"  # crowdstrike-291's eleventh host: its TPM And PIN profile, landed at the PIN prompt


def wait_for(fleet: LabFleet, name: str, done: Callable[[dict], bool], timeout: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        machine = fleet.show(name)["machine"]
        if done(machine):
            return machine
        assert time.monotonic() < deadline, (name, machine["power"], machine["environment"], machine["crashes"])
        time.sleep(0.1)


def hostname_over_winrm(host: dict) -> str:
    return sealed_session(host, read_timeout_sec=10, operation_timeout_sec=5).run_cmd("hostname").std_out.decode()


def in_winre(machine: dict) -> bool:
    return (machine["power"], machine["environment"]) == ("running", "winre")


@pytest.fixture
def healthy(tmp_path) -> LabFleet:
    started = start_fleet(tmp_path, "--scenario", "healthy", "--hosts", "4", "--reboot-seconds", REBOOT_SECONDS)
    yield started
    lab("down", "--fleet-file", str(started.fleet_file))


def test_channel_file_291_crashes_a_running_host_at_once_and_it_ends_in_winre(healthy: LabFleet) -> None:
    name = healthy.host(0)["name"]
    landed = lab("fault", name, "crowdstrike-291", "--fleet-file", str(healthy.fleet_file))
    assert "crashed at once (bugcheck 0x00000050 in CSAgent.sys)" in landed.stdout
    machine = wait_for(healthy, name, in_winre)
    crashes = machine["crashes"]
    assert len(crashes) >= 2 and {(c["bugcheck"], c["module"]) for c in crashes} == {("0x00000050", "CSAgent.sys")}
    assert not machine["winrm_reachable"]  # stock WinRE: nothing armed, nothing answers
    assert any(path.endswith("C-00000291-00000000-00000032.sys") for path in machine["files"])
    assert any(path.startswith("C:\\Windows\\Minidump\\") for path in machine["files"])
    status = {host["name"]: host for host in healthy.status()["hosts"]}
    assert status[name]["failure"] == "crowdstrike-291"
    other = healthy.show(healthy.host(1)["name"])["machine"]
    assert (other["environment"], other["crashes"]) == ("normal", [])


def test_a_failure_read_at_boot_waits_for_the_restart_that_restart_forces(healthy: LabFleet) -> None:
    fleet_file = str(healthy.fleet_file)
    waiting, forced = healthy.host(1), healthy.host(2)
    landed = lab("fault", waiting["name"], "bad-quality-update", "--fleet-file", fleet_file)
    assert "bites at the next restart" in landed.stdout
    assert hostname_over_winrm(waiting).strip() == waiting["name"]  # still running Windows
    assert healthy.show(waiting["name"])["machine"]["crashes"] == []

    lab("fault", forced["name"], "broken-bcd", "--restart", "--fleet-file", fleet_file)
    machine = wait_for(healthy, forced["name"], in_winre)
    assert [crash["bugcheck"] for crash in machine["crashes"]] == [None, None]  # the boot manager's 0xc000000e
    assert "0xc000000e" in machine["crashes"][-1]["reason"]

    refused = lab("fault", forced["name"], "crowdstrike-291", "--fleet-file", fleet_file, check=False)
    assert refused.returncode == 1 and "not running Windows normally (winre)" in refused.stderr


def test_an_incident_strikes_the_share_its_seed_chooses(healthy: LabFleet) -> None:
    names = [host["name"] for host in healthy.hosts]
    result = lab("incident", "stuck-pending-actions", "--share", "0.5", "--seed", "11",
                 "--fleet-file", str(healthy.fleet_file))  # fmt: skip
    assert "landed on 2 of 4 host(s) running Windows normally" in result.stdout
    chosen = incidents.choose(names, 0.5, 11)
    for name in names:
        assert (f"  {name}: installed; bites at the next restart" in result.stdout) is (name in chosen)
        pending = any(path.endswith("WinSxS\\pending.xml") for path in healthy.show(name)["machine"]["files"])
        assert pending is (name in chosen)
    wrong = lab("incident", "crowdstrike-291", "--share", "2", "--fleet-file", str(healthy.fleet_file), check=False)
    assert wrong.returncode == 1 and "--share must be above 0 and at most 1" in wrong.stderr


def test_a_tpm_and_pin_host_waits_at_the_pin_prompt_until_a_person_types_it(tmp_path) -> None:
    fleet = start_fleet(tmp_path, "--scenario", "crowdstrike-291", "--hosts", "11", "--reboot-seconds", REBOOT_SECONDS)
    fleet_file = str(fleet.fleet_file)
    try:
        host = fleet.host(10)
        assert host["name"] == PIN_HOST
        machine = wait_for(fleet, PIN_HOST, lambda m: m["power"] == "pin_prompt")
        bitlocker = machine["bitlocker"]
        assert bitlocker["key_protectors"] == ["TPM And PIN", "Numerical Password"] and bitlocker["pin_prompt"]
        assert [crash["bugcheck"] for crash in machine["crashes"]] == ["0x00000050"]  # the running sensor's crash
        assert not machine["winrm_reachable"]
        with pytest.raises((requests.exceptions.ConnectionError, WinRMTransportError)):
            hostname_over_winrm(host)
        time.sleep(3 * float(REBOOT_SECONDS))
        assert fleet.show(PIN_HOST)["machine"]["power"] == "pin_prompt"  # nobody typed it: it stays there

        typed = lab("pin", PIN_HOST, "--fleet-file", fleet_file)
        assert "PIN entered" in typed.stdout
        # The boot goes on, csagent.sys crashes it, and the next boot waits for the PIN again.
        machine = wait_for(fleet, PIN_HOST, lambda m: m["power"] == "pin_prompt" and len(m["crashes"]) == 2)
        assert machine["failed_boots_in_a_row"] == 1
        lab("pin", PIN_HOST, "--fleet-file", fleet_file)
        machine = wait_for(fleet, PIN_HOST, in_winre)  # two failed boots: WinRE, which needs no PIN
        assert machine["bitlocker"]["locked"] and len(machine["crashes"]) == 3

        not_waiting = lab("pin", fleet.host(0)["name"], "--fleet-file", fleet_file, check=False)
        assert not_waiting.returncode == 1 and "is not at the BitLocker PIN prompt" in not_waiting.stderr
    finally:
        lab("down", "--fleet-file", fleet_file)
