"""Each scenario repaired by hand, with only the commands an administrator would type over WinRM.

Over WinRM means in Safe Mode with Networking, where the armed WinRE failover leaves a host whose failure
Safe Mode survives (stock WinRE answers no WinRM). The lab is the witness: after the documented repair the
host boots healthy; after a wrong repair it stays unbootable with the bugcheck Windows would show; after no
repair it keeps crashing and ends in WinRE, where the failover's marker keeps it for a person. A failure that
breaks Safe Mode too (a bad storport, a broken BCD, stuck pending.xml) leaves even an armed host in WinRE,
out of WinRM's reach: its repair is a person's job (the unit tests run those tools in WinRE in-process).
"""

from __future__ import annotations

import contextlib
import csv
import time

import pytest
import requests
import winrm

from .conftest import lab, sealed_session, start_fleet

pytestmark = pytest.mark.integration

MARKER = "{07b12ddd-c467-4140-8aab-3313b0711336}"  # the failover's BCD object: Safe Mode was tried
# What exit_recovery does after a repair in Safe Mode: normal boot next time, and the failover armed again.
LEAVE_SAFE_MODE = ("bcdedit /deletevalue {default} safeboot", f"bcdedit /delete {MARKER}")


class Host:
    def __init__(self, fleet, name: str) -> None:
        self.fleet = fleet
        self.entry = next(h for h in fleet.hosts if h["name"] == name)
        self.name = name

    def session(self) -> winrm.Session:
        return sealed_session(self.entry)

    def cmd(self, command_line: str) -> winrm.Response:
        return self.session().run_cmd(command_line)

    def ok(self, command_line: str) -> str:
        result = self.cmd(command_line)
        assert result.status_code == 0, (command_line, result.std_out, result.std_err)
        return result.std_out.decode(errors="replace")

    def truth(self) -> dict:
        return self.fleet.show(self.name)

    def reboot_and_settle(self, command_line: str, timeout: float = 30.0) -> dict:
        """Run a reboot command, then wait until the machine runs again (or has crashed twice more)."""
        boots_before = self.truth()["machine"]["boots"]
        try:
            self.cmd(command_line)
        except Exception:  # the connection may die with the machine: that is what a reboot does
            pass
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            machine = self.truth()["machine"]
            if machine["power"] == "running" and machine["boots"] > boots_before:
                return machine
            time.sleep(0.2)
        raise AssertionError(f"{self.name} did not come back within {timeout} s: {self.truth()['machine']['power']}")


def fleet_of(tmp_path, scenario: str, hosts: int = 4):
    return start_fleet(tmp_path, "--scenario", scenario, "--hosts", str(hosts), "--reboot-seconds", "0.3")


def pick(fleet, environment: str, bitlocker: bool | None = None) -> Host:
    for entry in fleet.hosts:
        host = Host(fleet, entry["name"])
        machine = host.truth()["machine"]
        if machine["environment"] == environment and (
            bitlocker is None or (machine["bitlocker"] is not None) == bitlocker
        ):
            return host
    raise AssertionError(f"no host in {environment} (bitlocker={bitlocker})")


def recovery_password(fleet, name: str) -> str:
    with open(fleet.content["bitlocker_escrow_file"], newline="") as handle:
        return next(row["RecoveryPassword"] for row in csv.DictReader(handle) if row["ComputerName"] == name)


@pytest.fixture
def fleet(tmp_path, request):
    started = fleet_of(tmp_path, request.param)
    yield started
    lab("down", "--fleet-file", str(started.fleet_file))


def leave_safe_mode(host: Host) -> dict:
    for command_line in LEAVE_SAFE_MODE:
        host.ok(command_line)
    return host.reboot_and_settle("shutdown /r /t 0")


@pytest.mark.parametrize("fleet", ["crowdstrike-291"], indirect=True)
def test_channel_file_291_with_bitlocker_in_safe_mode_with_networking(fleet):
    host = pick(fleet, "safe_mode_network", bitlocker=True)
    assert host.truth()["machine"]["bitlocker"]["locked"] is False  # TPM-only: unlocked at boot, Safe Mode too
    host.ok(r"del C:\Windows\System32\drivers\CrowdStrike\C-00000291*.sys")
    machine = leave_safe_mode(host)
    assert machine["environment"] == "normal"
    assert host.ok("hostname").strip() == host.name
    files = machine["files"]
    assert not any("C-00000291" in path for path in files)
    assert sum("CrowdStrike\\C-0000" in path for path in files) == 3  # the good channel files survive
    assert MARKER not in machine["bcd"]["entries"]  # armed again for the next incident


@pytest.mark.parametrize("fleet", ["crowdstrike-291"], indirect=True)
def test_channel_file_291_in_safe_mode_with_networking(fleet):
    host = pick(fleet, "safe_mode_network", bitlocker=False)
    host.ok(r"del C:\Windows\System32\drivers\CrowdStrike\C-00000291*.sys")
    host.ok("bcdedit /deletevalue {default} safeboot")
    machine = host.reboot_and_settle("shutdown /r /t 0")
    assert machine["environment"] == "normal"


@pytest.mark.parametrize("fleet", ["crowdstrike-291"], indirect=True)
def test_channel_file_291_left_alone_keeps_crashing_and_ends_in_winre(fleet):
    host = pick(fleet, "safe_mode_network", bitlocker=False)
    crashes_before = len(host.truth()["machine"]["crashes"])
    host.ok("bcdedit /deletevalue {default} safeboot")  # normal boot, without the repair
    machine = host.reboot_and_settle("shutdown /r /t 0")
    assert machine["environment"] == "winre"  # the marker says Safe Mode was tried: the failover stands aside
    assert len(machine["crashes"]) == crashes_before + 2
    assert machine["crashes"][-1]["bugcheck"] == "0x00000050"
    assert host.truth()["winrm_reachable"] is False


@pytest.mark.parametrize("fleet", ["bad-boot-driver"], indirect=True)
def test_bad_boot_driver_disabled_in_safe_mode_boots(fleet):
    host = pick(fleet, "safe_mode_network", bitlocker=False)  # ctxflt's group is not loaded in Safe Mode
    current = host.ok(r"reg query HKLM\SYSTEM\Select /v Current")
    assert "0x1" in current
    host.ok(r"reg add HKLM\SYSTEM\CurrentControlSet\Services\ctxflt /v Start /t REG_DWORD /d 4 /f")
    machine = leave_safe_mode(host)
    assert machine["environment"] == "normal"
    assert machine["registry"]["services"]["ctxflt"]["Start"] == 4


@pytest.mark.parametrize("fleet", ["bad-boot-driver"], indirect=True)
def test_disabling_a_boot_critical_storage_driver_too_gives_0x7b(fleet):
    host = pick(fleet, "safe_mode_network", bitlocker=False)
    host.ok(r"reg add HKLM\SYSTEM\CurrentControlSet\Services\ctxflt /v Start /t REG_DWORD /d 4 /f")
    host.ok(r"reg add HKLM\SYSTEM\CurrentControlSet\Services\storport /v Start /t REG_DWORD /d 4 /f")
    machine = leave_safe_mode(host)  # the marker is gone: the failover tries Safe Mode again, which fails too
    assert machine["environment"] == "winre"
    assert machine["crashes"][-1]["bugcheck"] == "0x0000007B"


@pytest.mark.parametrize("fleet", ["bad-quality-update", "broken-bcd", "stuck-pending-actions"], indirect=True)
def test_an_armed_host_whose_failure_breaks_safe_mode_too_stays_in_winre_out_of_reach(fleet):
    for entry in fleet.hosts:
        shown = fleet.show(entry["name"])
        machine = shown["machine"]
        assert (machine["power"], machine["environment"]) == ("running", "winre"), entry["name"]
        assert shown["winrm_reachable"] is False
        with pytest.raises((requests.exceptions.ConnectionError, winrm.exceptions.WinRMTransportError)):
            sealed_session(entry, read_timeout_sec=5, operation_timeout_sec=3).run_cmd("hostname")
    armed = [entry["name"] for entry in fleet.hosts if MARKER in fleet.show(entry["name"])["machine"]["bcd"]["entries"]]
    assert len(armed) == 2, armed  # hosts 1 and 3 of the scenario are armed: the failover ran, Safe Mode failed
    for name in armed:
        loader = fleet.show(name)["machine"]["bcd"]
        assert loader["entries"][loader["os_entry"]].get("safeboot") == "Network"


def test_a_host_with_a_hung_reboot_never_comes_back(tmp_path):
    fleet = fleet_of(tmp_path, "healthy", hosts=1)
    try:
        host = Host(fleet, fleet.hosts[0]["name"])
        lab("fault", host.name, "hang-reboot", "--fleet-file", str(fleet.fleet_file))
        with contextlib.suppress(requests.exceptions.ConnectionError):
            host.cmd("shutdown /r /t 0")  # the answer may be lost with the machine
        deadline = time.monotonic() + 5
        while host.truth()["machine"]["power"] != "hung" and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.0)  # several reboot times: it stays down
        assert host.truth()["machine"]["power"] == "hung"
        with pytest.raises(Exception, match="Connection"):
            host.cmd("hostname")
    finally:
        lab("down", "--fleet-file", str(fleet.fleet_file))
