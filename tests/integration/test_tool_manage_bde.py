"""manage-bde.exe over real WinRM (pywinrm) on a BitLocker-protected lab host in Safe Mode with Networking, checked
in ground truth. Stock WinRE answers no WinRM, so unlocking the offline volume from WinRE is a person's job there (the
unit tests run manage-bde -unlock in WinRE in-process); in Safe Mode the TPM has unlocked C: at boot."""

from __future__ import annotations

import pytest

from .conftest import sealed_session

pytestmark = pytest.mark.integration


@pytest.mark.fleet_args("--scenario", "crowdstrike-291", "--hosts", "4")
def test_status_of_the_os_volume_unlocked_by_the_tpm_in_safe_mode(small_fleet):
    host = small_fleet.host(3)  # crowdstrike-291: host 3 is in Safe Mode with Networking, BitLocker on, WinRM listed
    machine = small_fleet.show(host["name"])["machine"]
    assert machine["environment"] == "safe_mode_network" and machine["bitlocker"]["locked"] is False
    status = sealed_session(host).run_cmd("manage-bde -status C:")
    assert status.status_code == 0
    assert b"Volume C: [" in status.std_out
    assert b"    Lock Status:          Unlocked\r\n" in status.std_out
    assert b"    Protection Status:    Protection On\r\n" in status.std_out
