"""manage-bde.exe over real WinRM (pywinrm) on a BitLocker-protected lab host in WinRE, checked in ground truth."""

from __future__ import annotations

import csv

import pytest

from .conftest import sealed_session

pytestmark = pytest.mark.integration

WRONG_BUT_WELL_FORMED = "111111-222222-333333-444444-555555-666666-000011-000022"


def bitlocker_truth(fleet, name: str) -> dict:
    return fleet.show(name)["machine"]["bitlocker"]


def escrowed_password(fleet, name: str) -> str:
    with open(fleet.content["bitlocker_escrow_file"], newline="") as handle:
        return next(row["RecoveryPassword"] for row in csv.DictReader(handle) if row["ComputerName"] == name)


@pytest.mark.fleet_args("--scenario", "crowdstrike-291", "--hosts", "1")
def test_unlock_the_offline_os_volume_in_winre(small_fleet):
    host = small_fleet.host(0)
    client = sealed_session(host)
    password = escrowed_password(small_fleet, host["name"])
    outputs = []

    status = client.run_cmd("manage-bde -status")
    outputs.append(status)
    assert status.status_code == 0
    assert b"Volume D: [Label Unknown]\r\n[Data Volume]\r\n" in status.std_out
    assert b"    Lock Status:          Locked\r\n" in status.std_out

    wrong = client.run_cmd(f"manage-bde -unlock D: -RecoveryPassword {WRONG_BUT_WELL_FORMED}")
    outputs.append(wrong)
    assert wrong.status_code == 0xFFFFFFFF
    assert b"ERROR: An error occurred (code 0x80310027):\r\n" in wrong.std_out
    truth = bitlocker_truth(small_fleet, host["name"])
    assert (truth["locked"], truth["unlock_failures"]) == (True, 1)

    right = client.run_cmd(f"manage-bde -unlock D: -RecoveryPassword {password}")
    outputs.append(right)
    assert right.status_code == 0
    assert right.std_out.endswith(b"The password successfully unlocked volume D:.\r\n")
    assert bitlocker_truth(small_fleet, host["name"])["locked"] is False
    outputs.append(client.run_cmd("manage-bde -status D:"))
    assert b"    Lock Status:          Unlocked\r\n" in outputs[-1].std_out

    for result in outputs:
        assert password.encode() not in result.std_out + result.std_err
