"""reg.exe over real WinRM (pywinrm run_cmd and run_ps) against a lab host, checked against its ground truth."""

from __future__ import annotations

import json

import pytest

from .conftest import lab, sealed_session

pytestmark = pytest.mark.integration

TCPIP = r"HKLM\SYSTEM\CurrentControlSet\Services\Tcpip"
TCPIP_START = (
    b"\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\r\n    Start    REG_DWORD    0x0\r\n\r\n"
)
SUCCESS = b"The operation completed successfully.\r\n"


@pytest.mark.fleet_args("--hosts", "1")
def test_reg_over_winrm_reads_and_changes_the_live_registry(small_fleet):
    host = small_fleet.host(0)
    client = sealed_session(host)

    queried = client.run_cmd(f"reg query {TCPIP} /v Start")
    assert (queried.status_code, queried.std_out, queried.std_err) == (0, TCPIP_START, b"")
    through_powershell = client.run_ps(f"& reg query {TCPIP} /v Start")
    assert (through_powershell.status_code, through_powershell.std_out) == (0, TCPIP_START)

    missing = client.run_cmd(f"reg query {TCPIP} /v NoSuchValue")
    assert (missing.status_code, missing.std_out) == (1, b"")
    assert missing.std_err == b"ERROR: The system was unable to find the specified registry key or value.\r\n"

    change = r"reg add HKLM\SYSTEM\CurrentControlSet\Services\WdFilter /v Start /t REG_DWORD /d 3 /f"
    changed = client.run_cmd(change)
    assert (changed.status_code, changed.std_out, changed.std_err) == (0, SUCCESS, b"")
    truth = json.loads(lab("show", host["name"], "--fleet-file", str(small_fleet.fleet_file), "--json").stdout)
    assert truth["machine"]["registry"]["services"]["WdFilter"]["Start"] == 3

    # Without /f the overwrite prompt reads stdin; run_cmd sends none, so nothing changes and reg fails.
    unconfirmed = client.run_cmd(r"reg add HKLM\SYSTEM\CurrentControlSet\Services\WdFilter /v Start /t REG_DWORD /d 4")
    assert (unconfirmed.status_code, unconfirmed.std_out) == (1, b"Value Start exists, overwrite(Yes/No)? ")
    again = client.run_cmd(r"reg query HKLM\SYSTEM\ControlSet001\Services\WdFilter /v Start")
    assert again.std_out.splitlines()[2] == b"    Start    REG_DWORD    0x3"
