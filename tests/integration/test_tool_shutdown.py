"""shutdown.exe over real WinRM (pywinrm): schedule, abort, and a restart the lab's ground truth sees."""

from __future__ import annotations

import time

import pytest

from .conftest import sealed_session

pytestmark = pytest.mark.integration


def machine(fleet, name: str) -> dict:
    return fleet.show(name)["machine"]


@pytest.mark.fleet_args("--hosts", "1", "--scenario", "healthy", "--reboot-seconds", "0.3")
def test_shutdown_schedules_aborts_and_restarts(small_fleet):
    host = small_fleet.host(0)
    client = sealed_session(host)
    assert client.run_cmd('shutdown /r /t 60 /c "lab test"').status_code == 0
    assert client.run_ps("shutdown /r /t 60; exit $LASTEXITCODE").status_code == 1190  # already scheduled
    assert client.run_cmd("shutdown /a").status_code == 0
    again = client.run_cmd("shutdown /a")
    assert (again.status_code, again.std_err) == (
        1116,
        b"Unable to abort the system shutdown because no shutdown was in progress.(1116)\r\n",
    )
    assert client.run_cmd("wpeutil reboot").status_code == 9009  # WinPE only

    boots = machine(small_fleet, host["name"])["boots"]
    try:
        client.run_cmd("shutdown /r /t 0")
    except Exception:  # the connection may go down with the machine: that is what a restart does
        pass
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        truth = machine(small_fleet, host["name"])
        if truth["power"] == "running" and truth["boots"] > boots:
            break
        time.sleep(0.1)
    assert truth["boots"] == boots + 1 and truth["environment"] == "normal"
    assert sealed_session(host).run_cmd("hostname").std_out.decode().strip() == host["name"]
