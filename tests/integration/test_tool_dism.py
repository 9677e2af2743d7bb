"""dism.exe over real WinRM (pywinrm) on a host in Safe Mode with Networking: the packages of the running Windows,
checked through the lab's ground truth. Stock WinRE answers no WinRM; offline servicing from WinRE (/Image:D:\\) is
covered in-process by the unit tests."""

from __future__ import annotations

import json

import pytest

from .conftest import lab, sealed_session

pytestmark = pytest.mark.integration

BANNER = "\r\nDeployment Image Servicing and Management tool\r\nVersion: 10.0.20348.2227\r\n\r\n"


@pytest.mark.fleet_args("--hosts", "2", "--scenario", "crowdstrike-291", "--reboot-seconds", "0.3")
def test_packages_of_the_running_windows_in_safe_mode_with_networking(small_fleet):
    host = small_fleet.host(1)  # crowdstrike-291: host 1 is in Safe Mode with Networking, WinRM listed
    client = sealed_session(host)
    listing = client.run_cmd("dism /Online /Get-Packages")
    assert listing.status_code == 0
    text = listing.std_out.decode()
    assert text.startswith(BANNER + "Image Version: 10.0.20348.2227\r\n\r\nPackages listing:\r\n\r\n")
    truth = json.loads(lab("show", host["name"], "--fleet-file", str(small_fleet.fleet_file), "--json").stdout)
    for package in truth["machine"]["packages"]:
        assert f"Package Identity : {package['identity']}\r\nState : {package['state']}\r\n" in text

    offline = client.run_cmd(r"dism /Image:D:\ /Get-Packages")
    assert offline.status_code == 2  # no D: outside WinRE: "Unable to access the image."
