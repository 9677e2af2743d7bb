"""The lab's WinRM endpoint serves the real pywinrm client in every supported security mode."""

from __future__ import annotations

import time

import pytest
import requests
from winrm.exceptions import InvalidCredentialsError

from .conftest import winrm_session

pytestmark = pytest.mark.integration


def test_basic_over_https_validates_the_lab_ca_and_runs_cmd(fleet):
    host = fleet.host(0)
    result = winrm_session(host, "basic", https=True, ca_file=fleet.ca_file).run_cmd("hostname")
    assert result.status_code == 0
    assert result.std_out == f"{host['name']}\r\n".encode()


def test_basic_over_https_runs_powershell(fleet):
    host = fleet.host(1)
    result = winrm_session(host, "basic", https=True, ca_file=fleet.ca_file).run_ps(
        "Write-Output $env:COMPUTERNAME; exit 4"
    )
    assert result.status_code == 4
    assert result.std_out.decode().strip() == host["name"]


def test_ntlm_over_http_with_message_encryption(fleet):
    host = fleet.host(2)
    client = winrm_session(host, "ntlm", https=False, message_encryption="always")
    assert client.run_cmd("hostname").std_out.decode().strip() == host["name"]
    result = client.run_ps("'sealed ' + $env:USERNAME")
    assert result.status_code == 0
    assert result.std_out.decode().strip() == f"sealed {host['username']}"


def test_ntlm_over_https_with_channel_binding(fleet):
    host = fleet.host(3)
    result = winrm_session(host, "ntlm", https=True, ca_file=fleet.ca_file, send_cbt=True).run_cmd("hostname")
    assert result.std_out.decode().strip() == host["name"]


def test_ntlm_over_https_without_channel_binding_is_refused(fleet):
    host = fleet.host(3)
    with pytest.raises(InvalidCredentialsError):
        winrm_session(host, "ntlm", https=True, ca_file=fleet.ca_file, send_cbt=False).run_cmd("hostname")


@pytest.mark.parametrize(("transport", "https"), [("basic", True), ("ntlm", False), ("ntlm", True)])
def test_a_bad_password_is_refused(fleet, transport, https):
    host = dict(fleet.host(4), password="not-the-password")
    with pytest.raises(InvalidCredentialsError):
        winrm_session(host, transport, https=https, ca_file=fleet.ca_file).run_cmd("hostname")


def test_basic_over_plain_http_is_refused_unless_the_host_allows_unencrypted(fleet):
    with pytest.raises(InvalidCredentialsError):
        winrm_session(fleet.host(7), "basic", https=False).run_cmd("hostname")


@pytest.mark.fleet_args("--hosts", "1", "--allow-unencrypted")
def test_basic_over_plain_http_works_where_allowed(small_fleet):
    host = small_fleet.host(0)
    assert winrm_session(host, "basic", https=False).run_cmd("hostname").std_out.decode().strip() == host["name"]


def test_the_certificate_is_not_trusted_without_the_lab_ca(fleet):
    host = fleet.host(8)
    with pytest.raises(requests.exceptions.SSLError):
        winrm_session(host, "basic", https=True, ca_trust_path=None, server_cert_validation="validate").run_cmd(
            "hostname"
        )


def test_a_30_second_command_completes_through_operation_timeout_polling(fleet):
    host = fleet.host(9)
    client = winrm_session(host, "ntlm", https=False, operation_timeout_sec=5, read_timeout_sec=10)
    started = time.monotonic()
    result = client.run_ps("Start-Sleep -Seconds 30; 'still here'")
    elapsed = time.monotonic() - started
    assert result.status_code == 0
    assert result.std_out.decode().strip() == "still here"
    assert 30 <= elapsed < 40


def test_an_unknown_command_fails_with_exit_1_and_the_powershell_error(fleet):
    host = fleet.host(10)
    result = winrm_session(host, "ntlm", https=False).run_ps("foo")
    assert result.status_code == 1
    error = result.std_err.decode()
    assert "The term 'foo' is not recognized as the name of a cmdlet" in error
    assert "CommandNotFoundException" in error


def test_an_unknown_program_fails_the_way_cmd_exe_does(fleet):
    host = fleet.host(10)
    result = winrm_session(host, "ntlm", https=False).run_cmd("frobnicate")
    assert result.status_code == 9009
    assert b"'frobnicate' is not recognized as an internal or external command" in result.std_err


def test_large_output_is_split_across_receives_and_arrives_whole(fleet):
    host = fleet.host(11)
    script = "$s = 'x' * 100; foreach ($i in 1..3000) { Write-Output $s }"
    result = winrm_session(host, "ntlm", https=False, message_encryption="always").run_ps(script)
    lines = result.std_out.decode().splitlines()
    assert result.status_code == 0
    assert len(lines) == 3000
    assert set(lines) == {"x" * 100}


def test_stdin_arrives_in_order(fleet):
    host = fleet.host(12)
    client = winrm_session(host, "ntlm", https=False)
    protocol = client.protocol
    shell_id = protocol.open_shell(codepage=65001)
    try:
        command_id = protocol.run_command(
            shell_id, "powershell", ["-NoProfile", "-Command", "-"], console_mode_stdin=False
        )
        for index in range(5):
            protocol.send_command_input(shell_id, command_id, f"Write-Output 'chunk {index}'\r\n".encode())
        protocol.send_command_input(shell_id, command_id, b"", end=True)
        stdout, stderr, code = protocol.get_command_output(shell_id, command_id)
        protocol.cleanup_command(shell_id, command_id)
    finally:
        protocol.close_shell(shell_id)
    assert code == 0, stderr
    assert stdout.decode().split() == [word for index in range(5) for word in ("chunk", str(index))]


def test_counters_and_open_shells_are_reported(fleet):
    host = fleet.host(13)
    before = next(h for h in fleet.status()["hosts"] if h["name"] == host["name"])
    winrm_session(host, "ntlm", https=False).run_cmd("hostname")
    after = next(h for h in fleet.status()["hosts"] if h["name"] == host["name"])
    assert after["counters"]["commands"] == before["counters"]["commands"] + 1
    assert after["counters"]["shells"] == before["counters"]["shells"] + 1
    assert after["counters"]["requests"] > before["counters"]["requests"]
    assert after["counters"]["bytes_in"] > before["counters"]["bytes_in"]
    assert after["open_shells"] == 0


def test_pypsrp_winrs_client_is_served_too(fleet):
    from pypsrp.client import Client

    host = fleet.host(14)
    client = Client(
        host["address"],
        username=host["username"],
        password=host["password"],
        ssl=True,
        port=host["https_port"],
        cert_validation=fleet.ca_file,
        auth="ntlm",
    )
    stdout, stderr, code = client.execute_cmd("hostname")
    assert code == 0, stderr
    assert stdout.strip() == host["name"]
