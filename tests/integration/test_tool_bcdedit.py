"""bcdedit.exe over real WinRM (pywinrm) on a lab host in Safe Mode with Networking (stock WinRE answers no WinRM);
the effect is checked in the host's ground truth."""

from __future__ import annotations

import pytest

from .conftest import sealed_session

pytestmark = pytest.mark.integration


def boot_entry(fleet, name: str) -> dict:
    machine = fleet.show(name)["machine"]
    return machine["bcd"]["entries"][machine["bcd"]["os_entry"]]


@pytest.mark.fleet_args("--scenario", "crowdstrike-291", "--hosts", "2")
def test_safe_mode_cleared_and_set_from_safe_mode_with_networking(small_fleet):
    host = small_fleet.host(1)  # crowdstrike-291: host 1 is in Safe Mode with Networking, WinRM listed
    client = sealed_session(host)
    shown = client.run_cmd("bcdedit /enum {default}")
    assert shown.status_code == 0
    lines = shown.std_out.decode().split("\r\n")
    assert lines[:4] == [
        "",
        "Windows Boot Loader",
        "-------------------",
        "identifier              {current}",
    ]  # booted from it
    assert "osdevice                partition=C:" in lines
    assert boot_entry(small_fleet, host["name"])["safeboot"] == "Network"

    assert client.run_cmd("bcdedit /deletevalue {default} safeboot").status_code == 0
    assert "safeboot" not in boot_entry(small_fleet, host["name"])
    again = client.run_cmd("bcdedit /deletevalue {default} safeboot")
    assert again.status_code == 1
    assert again.std_err == (
        b"An error occurred while attempting to delete the specified data element.\r\nElement not found.\r\n"
    )
    assert (
        client.run_cmd("bcdedit /set {default} safeboot network").std_out
        == b"The operation completed successfully.\r\n"
    )
    assert boot_entry(small_fleet, host["name"])["safeboot"] == "Network"
