"""A mixed lab fleet: every host answers WinRM exactly when its ground truth says it should."""

from __future__ import annotations

import csv
import secrets
import ssl
import stat
import time
from pathlib import Path

import pytest
import requests
import winrm
import yaml
from winrm.exceptions import InvalidCredentialsError, WinRMTransportError

from .conftest import LabFleet, lab, sealed_session, start_fleet, winrm_session

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
            assert truth["environment"] != "winre", host["name"]  # stock WinRE runs no WinRM
            assert client(host).run_cmd("hostname").std_out.decode().strip() == host["name"]
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


ESTATE_PASSWORD = "Lf1!estate-" + secrets.token_hex(6)


def test_up_writes_what_a_real_estate_gives_lifeline(tmp_path):
    """One service account for the fleet; beside the fleet file a CMDB export and the inventory
    configuration an operator would write, the password only where it must be, in files of mode 0600."""
    fleet_file = tmp_path / "fleet.yml"
    up = lab("up", "--fleet-file", str(fleet_file), "--hosts", "3", "--password", ESTATE_PASSWORD)
    try:
        fleet = LabFleet(fleet_file)
        state_dir = Path(fleet.content["state_dir"])
        assert {(host["username"], host["password"]) for host in fleet.hosts} == {("Administrator", ESTATE_PASSWORD)}
        with open(fleet.content["cmdb_file"], newline="", encoding="utf-8") as handle:
            assert list(csv.DictReader(handle)) == [  # no BMC in the healthy scenario: empty BMC columns
                {"name": h["name"], "address": h["address"], "bmc_address": "", "bmc_port": ""} for h in fleet.hosts
            ]
        sources = {
            "plugin": "lifeline.recovery.fleet",
            "cmdb_files": [fleet.content["cmdb_file"]],
            "signals_files": [fleet.content["signals_file"]],
            "readiness_files": [f"{fleet_file}.reports/readiness-*.json"],  # prepare.yml's, beside the fleet file
        }
        account = {"winrm_transport": "ntlm", "winrm_user": "Administrator", "winrm_password": ESTATE_PASSWORD}
        configs = {scheme: Path(path) for scheme, path in fleet.content["inventory_files"].items()}
        assert yaml.safe_load(configs["https"].read_text()) == {
            **sources, "winrm_scheme": "https", "winrm_ca_file": fleet.ca_file, **account}  # fmt: skip
        assert yaml.safe_load(configs["http"].read_text()) == {**sources, "winrm_scheme": "http", **account}
        assert {path.parent for path in configs.values()} == {state_dir}
        assert all(path.name.endswith(".lifeline.yml") for path in configs.values())

        # The playbooks' secrets vars file (-e @secrets.yml): the account's password, no BMC in this scenario.
        secrets_file = Path(fleet.content["secrets_file"])
        assert secrets_file.parent == state_dir
        assert yaml.safe_load(secrets_file.read_text()) == {"ansible_password": ESTATE_PASSWORD}

        private = {fleet_file, *configs.values(), Path(fleet.content["bitlocker_escrow_file"]), secrets_file}
        assert {path: stat.S_IMODE(path.stat().st_mode) for path in private} == dict.fromkeys(private, 0o600)
        holding = {path for path in [fleet_file, *state_dir.rglob("*")] if path.is_file() and ESTATE_PASSWORD in
                   path.read_text(errors="replace")}  # fmt: skip
        assert holding == {fleet_file, *configs.values(), secrets_file}
        assert ESTATE_PASSWORD not in up.stdout + up.stderr
    finally:
        lab("down", "--fleet-file", str(fleet_file))


@pytest.mark.fleet_args("--hosts", "2", "--transports", "basic")
def test_a_fleet_that_takes_only_basic_gets_an_https_inventory_only(small_fleet):
    """Basic over plain HTTP sends the password: no configuration for it is written. Without --password
    the fleet's account gets one random password, the same on every host."""
    configs = small_fleet.content["inventory_files"]
    assert list(configs) == ["https"]
    config = yaml.safe_load(Path(configs["https"]).read_text())
    assert config["winrm_transport"] == "basic"
    assert {host["password"] for host in small_fleet.hosts} == {config["winrm_password"]}
    for host in small_fleet.hosts:
        session = winrm_session(host, "basic", https=True, ca_file=small_fleet.ca_file)
        assert session.run_cmd("hostname").std_out.decode().strip() == host["name"]
