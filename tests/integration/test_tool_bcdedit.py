"""bcdedit.exe over real WinRM (pywinrm) on a lab host in WinRE; the effect is checked in the host's ground truth."""

from __future__ import annotations

import pytest

from .conftest import sealed_session

pytestmark = pytest.mark.integration


def boot_entry(fleet, name: str) -> dict:
    machine = fleet.show(name)["machine"]
    return machine["bcd"]["entries"][machine["bcd"]["os_entry"]]


@pytest.mark.fleet_args("--scenario", "crowdstrike-291", "--hosts", "1")
def test_safe_mode_set_and_cleared_from_winre(small_fleet):
    host = small_fleet.host(0)
    client = sealed_session(host)
    shown = client.run_cmd("bcdedit /enum {default}")
    assert shown.status_code == 0
    lines = shown.std_out.decode().split("\r\n")
    assert lines[:4] == ["", "Windows Boot Loader", "-------------------", "identifier              {default}"]
    assert "osdevice                partition=D:" in lines  # the OS volume's letter in WinRE

    assert (
        client.run_cmd("bcdedit /set {default} safeboot network").std_out
        == b"The operation completed successfully.\r\n"
    )
    assert boot_entry(small_fleet, host["name"])["safeboot"] == "Network"

    assert client.run_cmd("bcdedit /deletevalue {default} safeboot").status_code == 0
    assert "safeboot" not in boot_entry(small_fleet, host["name"])
    again = client.run_cmd("bcdedit /deletevalue {default} safeboot")
    assert again.status_code == 1
    assert again.std_err == (
        b"An error occurred while attempting to delete the specified data element.\r\nElement not found.\r\n"
    )
