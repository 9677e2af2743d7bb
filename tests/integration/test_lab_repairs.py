"""Each scenario repaired by hand, with only the commands an administrator would type over WinRM.

The lab is the witness: after the documented repair the host boots healthy; after a wrong repair it
stays unbootable with the bugcheck Windows would show; after no repair it keeps crashing.
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

CHANNEL_FILE = r"Windows\System32\drivers\CrowdStrike\C-00000291-00000000-00000032.sys"


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


@pytest.mark.parametrize("fleet", ["crowdstrike-291"], indirect=True)
def test_channel_file_291_in_winre_with_bitlocker(fleet):
    host = pick(fleet, "winre", bitlocker=True)
    locked = host.cmd(rf"dir D:\{CHANNEL_FILE}")
    assert locked.status_code != 0
    host.ok(f"manage-bde -unlock D: -RecoveryPassword {recovery_password(fleet, host.name)}")
    host.ok(r"del D:\Windows\System32\drivers\CrowdStrike\C-00000291*.sys")
    machine = host.reboot_and_settle("wpeutil reboot")
    assert machine["environment"] == "normal"
    assert host.ok("hostname").strip() == host.name
    files = machine["files"]
    assert not any("C-00000291" in path for path in files)
    assert sum("CrowdStrike\\C-0000" in path for path in files) == 3  # the good channel files survive


@pytest.mark.parametrize("fleet", ["crowdstrike-291"], indirect=True)
def test_channel_file_291_in_safe_mode_with_networking(fleet):
    host = pick(fleet, "safe_mode_network", bitlocker=False)
    host.ok(r"del C:\Windows\System32\drivers\CrowdStrike\C-00000291*.sys")
    host.ok("bcdedit /deletevalue {default} safeboot")
    machine = host.reboot_and_settle("shutdown /r /t 0")
    assert machine["environment"] == "normal"


@pytest.mark.parametrize("fleet", ["crowdstrike-291"], indirect=True)
def test_channel_file_291_left_alone_keeps_crashing(fleet):
    host = pick(fleet, "winre", bitlocker=False)
    crashes_before = len(host.truth()["machine"]["crashes"])
    machine = host.reboot_and_settle("wpeutil reboot")
    assert machine["environment"] == "winre"
    assert len(machine["crashes"]) == crashes_before + 2
    assert machine["crashes"][-1]["bugcheck"] == "0x00000050"


@pytest.mark.parametrize("fleet", ["bad-boot-driver"], indirect=True)
def test_bad_boot_driver_disabled_offline_boots(fleet):
    host = pick(fleet, "winre", bitlocker=False)
    host.ok(r"reg load HKLM\OFFLINE_SYSTEM D:\Windows\System32\config\SYSTEM")
    current = host.ok(r"reg query HKLM\OFFLINE_SYSTEM\Select /v Current")
    assert "0x1" in current
    host.ok(r"reg add HKLM\OFFLINE_SYSTEM\ControlSet001\Services\ctxflt /v Start /t REG_DWORD /d 4 /f")
    host.ok(r"reg unload HKLM\OFFLINE_SYSTEM")
    machine = host.reboot_and_settle("wpeutil reboot")
    assert machine["environment"] == "normal"
    assert machine["registry"]["services"]["ctxflt"]["Start"] == 4


@pytest.mark.parametrize("fleet", ["bad-boot-driver"], indirect=True)
def test_disabling_a_boot_critical_storage_driver_too_gives_0x7b(fleet):
    host = pick(fleet, "winre", bitlocker=False)
    host.ok(r"reg load HKLM\OFFLINE_SYSTEM D:\Windows\System32\config\SYSTEM")
    host.ok(r"reg add HKLM\OFFLINE_SYSTEM\ControlSet001\Services\ctxflt /v Start /t REG_DWORD /d 4 /f")
    host.ok(r"reg add HKLM\OFFLINE_SYSTEM\ControlSet001\Services\storport /v Start /t REG_DWORD /d 4 /f")
    host.ok(r"reg unload HKLM\OFFLINE_SYSTEM")
    machine = host.reboot_and_settle("wpeutil reboot")
    assert machine["environment"] == "winre"
    assert machine["crashes"][-1]["bugcheck"] == "0x0000007B"


@pytest.mark.parametrize("fleet", ["bad-quality-update"], indirect=True)
def test_bad_quality_update_removed_offline_boots(fleet):
    host = pick(fleet, "winre")
    listing = host.ok(r"dism /Image:D:\ /Get-Packages")
    identities = [line.split(":", 1)[1].strip() for line in listing.splitlines() if line.startswith("Package Identity")]
    newest = next(i for i in identities if "20348.2582" in i)
    host.ok(rf"dism /Image:D:\ /Remove-Package /PackageName:{newest}")
    machine = host.reboot_and_settle("wpeutil reboot")
    assert machine["environment"] == "normal"
    assert all(p["identity"] != newest for p in machine["packages"])


@pytest.mark.parametrize("fleet", ["broken-bcd"], indirect=True)
def test_broken_boot_entry_repaired_with_bcdedit_boots(fleet):
    host = pick(fleet, "winre")
    host.ok("bcdedit /set {default} device partition=D:")
    host.ok("bcdedit /set {default} osdevice partition=D:")
    machine = host.reboot_and_settle("wpeutil reboot")
    assert machine["environment"] == "normal"


@pytest.mark.parametrize("fleet", ["stuck-pending-actions"], indirect=True)
def test_stuck_pending_actions_reverted_offline_boots(fleet):
    host = pick(fleet, "winre")
    host.ok(r"dism /Image:D:\ /Cleanup-Image /RevertPendingActions")
    machine = host.reboot_and_settle("wpeutil reboot")
    assert machine["environment"] == "normal"
    assert not any(path.lower().endswith("pending.xml") for path in machine["files"])


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
