"""The lab's BMCs over the wire: a Redfish client (requests, validating the lab CA) logs in, reads and drives
them; asserted against the lab's ground truth (`lifeline-lab show`)."""

from __future__ import annotations

import csv
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from .conftest import LabFleet, lab, start_fleet

SYSTEM = "/redfish/v1/Systems/1"
RESET = SYSTEM + "/Actions/ComputerSystem.Reset"
INSERT = "/redfish/v1/Managers/1/VirtualMedia/CD1/Actions/VirtualMedia.InsertMedia"
RECOVERY_URL = "https://deploy.example.net/images/lifeline-recovery.iso"
NETWORK = r"HKLM\OFFLINE\ControlSet001\Control\SafeBoot\Network"
# What Windows PE can do (the collection ships its own script; the lab never reads it).
OOB_SCRIPT = "\r\n".join(
    [
        "@echo off",
        r"reg load HKLM\OFFLINE C:\Windows\System32\config\SYSTEM",
        *(rf"reg add {NETWORK}\{name} /ve /d Service /f" for name in ("WinRM", "RpcSs", "HTTP")),
        r"reg unload HKLM\OFFLINE",
        "bcdedit /set {default} safeboot network",
        "wpeutil reboot",
        "",
    ]
)


@pytest.fixture(scope="module")
def bmc_fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabFleet]:
    directory = tmp_path_factory.mktemp("bmc")
    script = directory / "lifeline-oob.cmd"
    script.write_text(OOB_SCRIPT)
    arguments = ("--scenario", "crowdstrike-291", "--hosts", "5", "--reboot-seconds", "0.2")
    started = start_fleet(directory, *arguments, "--oob-image-script", str(script))
    yield started
    lab("down", "--fleet-file", str(started.fleet_file))


def client(fleet: LabFleet, index: int) -> tuple[requests.Session, str]:
    bmc = fleet.host(index)["bmc"]
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE would replace the lab CA
    session.verify = fleet.ca_file
    session.auth = (bmc["username"], bmc["password"])
    return session, f"https://{bmc['address']}:{bmc['port']}"


def wait_until(fleet: LabFleet, name: str, check, seconds: float = 30.0) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        shown = fleet.show(name)
        if check(shown):
            return shown
        time.sleep(0.2)
    raise AssertionError(f"{name} never got there: {shown['power']} {shown['environment']}")


def test_the_fleet_file_and_cmdb_name_each_bmc_and_only_the_fleet_file_holds_credentials(bmc_fleet) -> None:
    with_bmc = [host for host in bmc_fleet.hosts if "bmc" in host]
    assert [host["name"] for host in with_bmc] == ["CS-0001", "CS-0003"]
    for host in with_bmc:
        assert host["bmc"]["address"] != host["address"] and host["bmc"]["username"] != host["username"]
    cmdb = Path(bmc_fleet.content["cmdb_file"])
    rows = {row["name"]: row for row in csv.DictReader(cmdb.open())}
    assert rows["CS-0003"]["bmc_address"] == bmc_fleet.host(2)["bmc"]["address"]
    assert rows["CS-0002"]["bmc_address"] == ""
    assert bmc_fleet.host(0)["bmc"]["password"] not in cmdb.read_text()


def test_session_login_token_and_logout(bmc_fleet) -> None:
    session, base = client(bmc_fleet, 0)
    session.auth = None
    assert session.get(base + SYSTEM).status_code == 401
    bmc = bmc_fleet.host(0)["bmc"]
    login = session.post(
        base + "/redfish/v1/SessionService/Sessions", json={"UserName": bmc["username"], "Password": bmc["password"]}
    )
    assert login.status_code == 201
    token, location = login.headers["X-Auth-Token"], login.headers["Location"]
    system = session.get(base + SYSTEM, headers={"X-Auth-Token": token})
    assert system.status_code == 200 and system.headers["ETag"]
    assert system.json()["BootProgress"]["LastState"] == "OSRunning"  # WinRE is an OS the firmware started
    assert session.delete(base + location, headers={"X-Auth-Token": token}).status_code == 204
    assert session.get(base + SYSTEM, headers={"X-Auth-Token": token}).status_code == 401


def test_one_time_boot_from_the_recovery_image_brings_the_host_to_safe_mode_with_networking(bmc_fleet) -> None:
    session, base = client(bmc_fleet, 2)
    name = bmc_fleet.host(2)["name"]
    assert bmc_fleet.show(name)["environment"] == "winre"
    assert session.post(base + INSERT, json={"Image": RECOVERY_URL}).status_code == 204
    once = {"Boot": {"BootSourceOverrideEnabled": "Once", "BootSourceOverrideTarget": "Cd"}}
    assert session.patch(base + SYSTEM, json=once).status_code == 200
    assert session.post(base + RESET, json={"ResetType": "ForceRestart"}).status_code == 204
    shown = wait_until(bmc_fleet, name, lambda s: s["environment"] == "safe_mode_network" and s["winrm_reachable"])
    assert shown["bmc"]["boot_override"]["enabled"] == "Disabled"
    system = session.get(base + SYSTEM).json()
    assert (system["PowerState"], system["BootProgress"]["LastState"]) == ("On", "OSRunning")


def test_bmc_faults_from_the_cli(bmc_fleet) -> None:
    session, base = client(bmc_fleet, 0)
    name = bmc_fleet.host(0)["name"]
    before = bmc_fleet.show(name)
    for fault, status in (("bmc-refuse-logins", 401), ("bmc-error", 500)):
        lab("fault", name, fault, "--fleet-file", str(bmc_fleet.fleet_file))
        assert session.post(base + RESET, json={"ResetType": "ForceOff"}).status_code == status
        lab("fault", name, "clear", "--fleet-file", str(bmc_fleet.fleet_file))
    lab("fault", name, "bmc-media-refused", "--fleet-file", str(bmc_fleet.fleet_file))
    assert session.post(base + INSERT, json={"Image": RECOVERY_URL}).status_code == 500
    lab("fault", name, "clear", "--fleet-file", str(bmc_fleet.fleet_file))
    lab("fault", name, "bmc-reset-hang", "--fleet-file", str(bmc_fleet.fleet_file))
    with pytest.raises(requests.exceptions.ReadTimeout):
        session.post(base + RESET, json={"ResetType": "ForceRestart"}, timeout=1.0)
    lab("fault", name, "clear", "--fleet-file", str(bmc_fleet.fleet_file))
    after = bmc_fleet.show(name)
    unchanged = ("power", "environment", "boots", "bcd")
    assert {key: after["machine"][key] for key in unchanged} == {key: before["machine"][key] for key in unchanged}
    assert after["bmc"]["virtual_media"]["inserted"] is False
    refused = lab(
        "fault", bmc_fleet.host(1)["name"], "bmc-error", "--fleet-file", str(bmc_fleet.fleet_file), check=False
    )
    assert refused.returncode != 0 and "has no BMC" in refused.stderr
