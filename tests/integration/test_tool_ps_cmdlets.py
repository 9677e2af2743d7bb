"""PowerShell 5.1 file system and object cmdlets over real WinRM (pywinrm's run_ps): the CrowdStrike channel file
is inspected, quarantined and hashed on a host in Safe Mode with Networking (stock WinRE runs no PowerShell and
no WinRM); the effect is checked through the lab's ground truth."""

from __future__ import annotations

import pytest

from .conftest import sealed_session

pytestmark = pytest.mark.integration

CHANNEL = r"C:\Windows\System32\drivers\CrowdStrike"
BAD = "C-00000291-00000000-00000032.sys"


def truth(fleet, host: dict) -> dict:
    return fleet.show(host["name"])["machine"]


@pytest.mark.fleet_args("--hosts", "2", "--scenario", "crowdstrike-291")
def test_channel_file_quarantine_over_winrm_in_safe_mode_with_networking(small_fleet):
    safe_mode = small_fleet.host(1)  # crowdstrike-291: host 1 sits in Safe Mode with Networking, WinRM listed
    client = sealed_session(safe_mode)

    listing = client.run_ps(rf"Get-ChildItem {CHANNEL} -Filter C-00000291*.sys | Select-Object -First 3")
    assert listing.status_code == 0
    assert listing.std_out.decode().splitlines()[:8] == [
        "",
        "",
        f"    Directory: {CHANNEL}",
        "",
        "",
        "Mode                 LastWriteTime         Length Name".ljust(79),
        "----                 -------------         ------ ----".ljust(79),
        "-a----         7/19/2024   4:09 AM          40960 C-00000291-00000000-00000032.".ljust(79),
    ]
    header = client.run_ps(rf"Get-Content -Path {CHANNEL}\C-00000291*.sys -Encoding Byte -TotalCount 8")
    assert header.std_out == b"170\r\n170\r\n170\r\n170\r\n1\r\n0\r\n35\r\n1\r\n"

    moved = client.run_ps(
        rf"New-Item -ItemType Directory C:\Lifeline\Quarantine | Out-Null; "
        rf"Move-Item -Path {CHANNEL}\C-00000291*.sys -Destination C:\Lifeline\Quarantine; "
        rf"(Get-FileHash C:\Lifeline\Quarantine\{BAD}).Hash; Test-Path {CHANNEL}\{BAD}"
    )
    assert (moved.status_code, moved.std_err) == (0, b"")
    digest, still_there = moved.std_out.decode().split()
    assert still_there == "False"
    files = truth(small_fleet, safe_mode)["files"]
    assert files[rf"C:\Lifeline\Quarantine\{BAD}"]["sha256"] == digest
    assert rf"{CHANNEL}\{BAD}" not in files

    missing = client.run_ps(rf"Get-ChildItem {CHANNEL}\{BAD}")
    assert missing.status_code == 1
    assert missing.std_err.decode().splitlines()[0] == (
        rf"Get-ChildItem : Cannot find path '{CHANNEL}\{BAD}' because it does not exist."
    )
