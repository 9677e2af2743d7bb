"""A mixed lab fleet: every host answers WinRM exactly when its ground truth says it should."""

from __future__ import annotations

import ssl
import time

import pytest
import requests
import winrm
from winrm.exceptions import InvalidCredentialsError, WinRMTransportError

from .conftest import lab, sealed_session, start_fleet

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def mixed_fleet(tmp_path_factory):
    started = time.monotonic()
    fleet = start_fleet(
        tmp_path_factory.mktemp("mixed"), "--scenario", "mixed", "--hosts", "200", "--reboot-seconds", "1"
    )
    fleet.startup_seconds = time.monotonic() - started
    yield fleet
    lab("down", "--fleet-file", str(fleet.fleet_file))


def client(host: dict) -> winrm.Session:
    return sealed_session(host, read_timeout_sec=10, operation_timeout_sec=5)


def test_200_mixed_hosts_start_in_seconds_with_ground_truth_as_json(mixed_fleet):
    assert mixed_fleet.startup_seconds < 30
    status = mixed_fleet.status()
    assert len(status["hosts"]) == 200
    environments = {host["environment"] for host in status["hosts"]}
    assert {"normal", "winre", "safe_mode_network"} <= environments
    assert any(host["power"] == "booting" for host in status["hosts"])
    truth = mixed_fleet.show("MX-0002")["machine"]
    assert truth["environment"] == "winre"
    assert truth["crashes"][-1]["bugcheck"] == "0x00000050"
    assert any(path.endswith("C-00000291-00000000-00000032.sys") for path in truth["files"])


def test_every_host_answers_exactly_when_its_ground_truth_says_so(mixed_fleet):
    status = {host["name"]: host for host in mixed_fleet.status()["hosts"]}
    checked = 0
    for host in mixed_fleet.hosts[:60]:
        truth = status[host["name"]]
        if truth["winrm_reachable"]:
            answer = client(host).run_cmd("hostname").std_out.decode().strip()
            if truth["environment"] == "winre":
                assert answer.startswith("MININT-"), host["name"]
            else:
                assert answer == host["name"]
        else:
            with pytest.raises((requests.exceptions.ConnectionError, WinRMTransportError)):
                client(host).run_cmd("hostname")
        checked += 1
    assert checked == 60


def test_a_host_that_does_not_answer_presents_no_certificate_either(mixed_fleet):
    """The HTTPS listener's certificate comes from HTTP.sys while WinRM runs; a machine that is down has none."""
    status = {host["name"]: host for host in mixed_fleet.status()["hosts"]}
    hosts = mixed_fleet.hosts[:30]
    assert {status[host["name"]]["winrm_reachable"] for host in hosts} == {True, False}
    for host in hosts:
        endpoint = (host["address"], host["https_port"])
        if status[host["name"]]["winrm_reachable"]:
            assert "BEGIN CERTIFICATE" in ssl.get_server_certificate(endpoint, timeout=5), host["name"]
        else:
            with pytest.raises(OSError):
                ssl.get_server_certificate(endpoint, timeout=5)


def test_a_winre_host_sees_the_offline_os_on_d_and_x_as_its_system_drive(mixed_fleet):
    host = next(h for h in mixed_fleet.hosts if mixed_fleet.show(h["name"])["machine"]["environment"] == "winre")
    result = client(host).run_ps("$env:SystemDrive; $env:SystemRoot")
    assert result.std_out.decode().split() == ["X:", "X:\\windows"]


def test_injected_faults_refuse_logins_slow_answers_and_garbage(mixed_fleet):
    host = mixed_fleet.host(0)  # healthy
    fleet_file = str(mixed_fleet.fleet_file)
    lab("fault", host["name"], "refuse-logins", "--fleet-file", fleet_file)
    with pytest.raises(InvalidCredentialsError):
        client(host).run_cmd("hostname")
    lab("fault", host["name"], "clear", "--fleet-file", fleet_file)
    assert client(host).run_cmd("hostname").status_code == 0

    lab("fault", host["name"], "slow", "--value", "0.5", "--fleet-file", fleet_file)
    started = time.monotonic()
    client(host).run_cmd("hostname")
    assert time.monotonic() - started > 2.0  # at least five exchanges, each half a second late
    lab("fault", host["name"], "clear", "--fleet-file", fleet_file)

    lab("fault", host["name"], "garbage", "--fleet-file", fleet_file)
    with pytest.raises(requests.exceptions.ConnectionError):
        client(host).run_cmd("hostname")
    assert client(host).run_cmd("hostname").status_code == 0


def test_a_dropped_answer_loses_the_connection_but_the_command_ran(mixed_fleet):
    host = mixed_fleet.host(6)  # healthy
    before = next(h for h in mixed_fleet.status()["hosts"] if h["name"] == host["name"])["counters"]["commands"]
    session = client(host)
    protocol = session.protocol
    shell_id = protocol.open_shell()
    lab("fault", host["name"], "drop", "--fleet-file", str(mixed_fleet.fleet_file))
    with pytest.raises(requests.exceptions.ConnectionError):
        protocol.run_command(shell_id, "hostname")
    after = next(h for h in mixed_fleet.status()["hosts"] if h["name"] == host["name"])["counters"]["commands"]
    assert after == before + 1


def test_show_names_an_unknown_host_clearly(mixed_fleet):
    result = lab("show", "NOPE-0001", "--fleet-file", str(mixed_fleet.fleet_file), check=False)
    assert result.returncode == 1
    assert "no host 'NOPE-0001'" in result.stderr
