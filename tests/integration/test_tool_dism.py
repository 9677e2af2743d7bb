"""dism.exe over real WinRM (pywinrm): the bad quality update removed offline from WinRE, checked through DISM
itself and through the lab's ground truth."""

from __future__ import annotations

import json

import pytest

from .conftest import lab, sealed_session

pytestmark = pytest.mark.integration

BAD_ROLLUP = "Package_for_RollupFix~31bf3856ad364e35~amd64~~20348.2582.1.8"
BANNER = "\r\nDeployment Image Servicing and Management tool\r\nVersion: 10.0.20348.2227\r\n\r\n"


@pytest.mark.fleet_args("--hosts", "1", "--scenario", "bad-quality-update", "--reboot-seconds", "0.3")
def test_remove_the_newest_quality_update_offline_from_winre(small_fleet):
    host = small_fleet.host(0)
    client = sealed_session(host)
    listing = client.run_cmd(r"dism /Image:D:\ /Get-Packages")
    assert listing.status_code == 0
    text = listing.std_out.decode()
    assert text.startswith(BANNER + "Image Version: 10.0.20348.2227\r\n\r\nPackages listing:\r\n\r\n")
    assert f"Package Identity : {BAD_ROLLUP}\r\nState : Installed\r\n" in text

    removed = client.run_cmd(rf"dism /Image:D:\ /Remove-Package /PackageName:{BAD_ROLLUP}")
    assert removed.status_code == 0, removed.std_out
    assert removed.std_out.decode().endswith(
        f"Processing 1 of 1 - Removing package {BAD_ROLLUP}\r\n"
        "[==========================100.0%==========================]\r\n"
        "The operation completed successfully.\r\n"
    )
    assert BAD_ROLLUP not in client.run_cmd(r"dism /Image:D:\ /Get-Packages").std_out.decode()

    online = client.run_cmd("dism /Online /Get-Packages")
    assert online.status_code == 50  # WinRE is Windows PE: /Online is refused

    truth = json.loads(lab("show", host["name"], "--fleet-file", str(small_fleet.fleet_file), "--json").stdout)
    assert all(package["identity"] != BAD_ROLLUP for package in truth["machine"]["packages"])
