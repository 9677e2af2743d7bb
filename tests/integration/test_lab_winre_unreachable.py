"""Stock WinRE answers no WinRM: in every scenario, every host whose ground truth says it runs WinRE refuses
every connection to both listeners (Microsoft Learn, "Windows Recovery Environment (Windows RE)" and "WinPE
Optional Components (OC) Reference": no WinRM service in WinRE; windows-recovery.md)."""

from __future__ import annotations

import ssl

import pytest
import requests
from winrm.exceptions import WinRMTransportError

from lifeline_lab import scenarios

from .conftest import lab, sealed_session, start_fleet

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("scenario", scenarios.available())
def test_every_winre_host_refuses_every_winrm_connection(tmp_path, scenario):
    fleet = start_fleet(tmp_path, "--scenario", scenario, "--hosts", "4", "--reboot-seconds", "0.3")
    try:
        status = {host["name"]: host for host in fleet.status()["hosts"]}
        checked = 0
        for host in fleet.hosts:
            machine = fleet.show(host["name"])["machine"]
            if machine["environment"] != "winre" or machine["power"] != "running":
                continue
            assert machine["winrm_reachable"] is False and status[host["name"]]["winrm_reachable"] is False
            with pytest.raises((requests.exceptions.ConnectionError, WinRMTransportError)):
                sealed_session(host, read_timeout_sec=5, operation_timeout_sec=3).run_cmd("hostname")
            with pytest.raises(OSError):
                ssl.get_server_certificate((host["address"], host["https_port"]), timeout=5)
            checked += 1
        lands_in_winre = any(profile.lands_in == "winre" for profile in scenarios.load(scenario).profiles)
        assert (checked > 0) is lands_in_winre, (scenario, checked)
    finally:
        lab("down", "--fleet-file", str(fleet.fleet_file))
