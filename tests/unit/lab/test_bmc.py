"""The lab's BMC (Redfish) on its own, without sockets: Bmc.handle answers as DSP0266 says (authentication,
sessions, ETags, error bodies, status codes) and its actions drive the machine; asserted on the machine's state."""

from __future__ import annotations

import asyncio
import base64
import json
import random

import pytest

from lifeline_lab import scenarios
from lifeline_lab.bmc import Bmc, BmcSpec
from lifeline_lab.machine import Machine, new_machine
from lifeline_lab.scenarios import Profile

USER, PASSWORD = "lifeline-oob", "Bmc-Pass-1!"
BASIC = {"authorization": "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()}
SYSTEM = "/redfish/v1/Systems/1"
RESET = SYSTEM + "/Actions/ComputerSystem.Reset"
MEDIA = "/redfish/v1/Managers/1/VirtualMedia/CD1"
INSERT = MEDIA + "/Actions/VirtualMedia.InsertMedia"
RECOVERY_URL = "https://deploy.example.net/images/lifeline-recovery.iso"
SAFEBOOT_NETWORK = r"HKLM\OFFLINE\ControlSet001\Control\SafeBoot\Network"
# A recovery script as Windows PE can run it (reg load of the offline SYSTEM hive, bcdedit on the system store,
# wpeutil reboot); the collection ships its own (roles/oob_recovery/files/lifeline-oob.cmd), which the lab never reads.
OOB_SCRIPT = (
    "@echo off\r\n"
    r"reg load HKLM\OFFLINE C:\Windows\System32\config\SYSTEM >nul 2>&1 && ("
    + "".join(f"reg add {SAFEBOOT_NETWORK}\\{name} /ve /d Service /f >nul & " for name in ("WinRM", "RpcSs", "HTTP"))
    + r"reg unload HKLM\OFFLINE >nul)"
    + "\r\n"
    "bcdedit /set {default} safeboot network\r\n"
    "wpeutil reboot\r\n"
).encode()


def in_winre(seed: int, bitlocker: str = "none") -> Machine:
    """A crowdstrike-291 host nobody armed, in stock WinRE (as the scenario lands it)."""
    machine = new_machine(f"CS-{seed:04d}", seed)
    machine.reboot_seconds = 0.0
    profile = Profile(failure="crowdstrike-291", lands_in="winre", bitlocker=bitlocker)
    scenarios.apply(machine, profile, random.Random(seed))
    return machine


def bmc_for(machine: Machine, faults: dict | None = None) -> Bmc:
    return Bmc(BmcSpec("127.9.0.1", 8443, USER, PASSWORD), machine, faults if faults is not None else {}, OOB_SCRIPT)


async def call(bmc: Bmc, method: str, path: str, body: object = None, headers: dict | None = None):
    data = json.dumps(body).encode() if body is not None else b""
    return await bmc.handle(method, path, {**BASIC, **(headers or {})}, data)


async def settle(machine: Machine, rounds: int = 2000) -> None:
    """Let restarts and Windows PE's apps run until the machine rests."""
    quiet = 0
    for _ in range(rounds):
        await asyncio.sleep(0)
        busy = any(task is not None and not task.done() for task in (machine._restart, machine._winpeshl))
        quiet = 0 if busy else quiet + 1
        if quiet > 20:
            return
    raise AssertionError("the machine never settled")


def test_service_root_is_open_and_everything_else_needs_basic_or_a_session() -> None:
    async def scenario() -> None:
        bmc = bmc_for(in_winre(1))
        root = await bmc.handle("GET", "/redfish/v1/", {}, b"")
        assert root.status == 200 and root.body["@odata.id"] == "/redfish/v1/"
        assert root.body["Links"]["Sessions"]["@odata.id"] == "/redfish/v1/SessionService/Sessions"
        refused = await bmc.handle("GET", SYSTEM, {}, b"")
        assert refused.status == 401
        assert refused.body["error"]["@Message.ExtendedInfo"][0]["MessageId"].endswith(".NoValidSession")
        wrong = {"authorization": "Basic " + base64.b64encode(f"{USER}:nope".encode()).decode()}
        assert (await bmc.handle("GET", SYSTEM, wrong, b"")).status == 401
        assert (await call(bmc, "GET", SYSTEM)).status == 200

        login = await bmc.handle(
            "POST",
            "/redfish/v1/SessionService/Sessions",
            {},
            json.dumps({"UserName": USER, "Password": PASSWORD}).encode(),
        )
        assert login.status == 201
        headers = dict(login.headers)
        token, location = headers["X-Auth-Token"], headers["Location"]
        assert login.body["@odata.id"] == location
        assert (await bmc.handle("GET", SYSTEM, {"x-auth-token": token}, b"")).status == 200
        assert (await bmc.handle("DELETE", location, {"x-auth-token": token}, b"")).status == 204
        assert (await bmc.handle("GET", SYSTEM, {"x-auth-token": token}, b"")).status == 401

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "message"),
    [
        ("GET", "/redfish/v1/Systems/2", None, 404, "ResourceMissingAtURI"),
        ("DELETE", SYSTEM, None, 405, "OperationNotAllowed"),
        ("POST", RESET, {"ResetType": "Explode"}, 400, "ActionParameterValueNotInList"),
        ("POST", RESET, {}, 400, "ActionParameterMissing"),
        ("PATCH", SYSTEM, {"Boot": {"BootSourceOverrideTarget": "Floppy"}}, 400, "PropertyValueNotInList"),
        ("PATCH", SYSTEM, {"Boot": {"Colour": "Blue"}}, 400, "PropertyUnknown"),
        ("PATCH", SYSTEM, {"PowerState": "Off"}, 400, "PropertyNotWritable"),
        ("POST", INSERT, {"Image": "not a uri"}, 400, "ActionParameterValueFormatError"),
    ],
)
def test_bad_requests_get_the_right_status_and_an_error_body(method, path, body, status, message) -> None:
    async def scenario() -> None:
        bmc = bmc_for(in_winre(2))
        before = bmc.boot.document()
        reply = await call(bmc, method, path, body)
        assert reply.status == status
        info = reply.body["error"]["@Message.ExtendedInfo"]
        assert info[0]["MessageId"].endswith("." + message)
        assert bmc.boot.document() == before and not bmc.media.inserted  # nothing changed
        if status == 405:
            assert "Allow" in dict(reply.headers)

    asyncio.run(scenario())


def test_malformed_json_is_400_and_if_match_mismatch_is_412() -> None:
    async def scenario() -> None:
        bmc = bmc_for(in_winre(3))
        bad = await bmc.handle("PATCH", SYSTEM, BASIC, b"{not json")
        assert bad.status == 400 and bad.body["error"]["code"].endswith(".MalformedJSON")
        tag = dict((await call(bmc, "GET", SYSTEM)).headers)["ETag"]
        once = {"Boot": {"BootSourceOverrideEnabled": "Once", "BootSourceOverrideTarget": "Pxe"}}
        stale = await call(bmc, "PATCH", SYSTEM, once, {"if-match": 'W/"0000"'})
        assert stale.status == 412 and bmc.boot.enabled == "Disabled"
        fresh = await call(bmc, "PATCH", SYSTEM, once, {"if-match": tag})
        assert fresh.status == 200 and fresh.body["Boot"]["BootSourceOverrideTarget"] == "Pxe"
        assert dict(fresh.headers)["ETag"] != tag

    asyncio.run(scenario())


def test_force_off_and_on_change_power_and_boot_progress() -> None:
    async def scenario() -> None:
        machine = in_winre(4)
        bmc = bmc_for(machine)
        system = (await call(bmc, "GET", SYSTEM)).body
        assert (system["PowerState"], system["BootProgress"]["LastState"]) == ("On", "OSRunning")
        assert (await call(bmc, "POST", RESET, {"ResetType": "ForceOff"})).status == 204
        assert machine.power == "off"
        system = (await call(bmc, "GET", SYSTEM)).body
        assert (system["PowerState"], system["BootProgress"]["LastState"]) == ("Off", "None")
        await call(bmc, "POST", RESET, {"ResetType": "On"})
        await settle(machine)
        assert machine.power == "running"  # the channel file still crashes it: two failed boots, then WinRE
        assert machine.environment == "winre"

    asyncio.run(scenario())


def test_one_time_boot_from_the_recovery_image_runs_its_script_then_boots_the_disk() -> None:
    async def scenario() -> None:
        machine = in_winre(5)
        bmc = bmc_for(machine)
        assert (await call(bmc, "POST", INSERT, {"Image": RECOVERY_URL})).status == 204
        once = {"Boot": {"BootSourceOverrideEnabled": "Once", "BootSourceOverrideTarget": "Cd"}}
        assert (await call(bmc, "PATCH", SYSTEM, once)).status == 200
        assert (await call(bmc, "POST", RESET, {"ResetType": "ForceRestart"})).status == 204
        await settle(machine)
        assert [entry["exit_code"] for entry in machine.winpeshl_log] == [0]
        assert machine.environment == "safe_mode_network" and machine.winrm_reachable()
        assert bmc.boot.enabled == "Disabled"  # Once was consumed
        store = machine.system_store()
        assert store.entries[machine.os_entry_id].elements["safeboot"].lower() == "network"

    asyncio.run(scenario())


def test_a_bitlocker_volume_stays_locked_in_windows_pe_only_the_bcd_changes() -> None:
    async def scenario() -> None:
        machine = in_winre(6, bitlocker="tpm")
        bmc = bmc_for(machine)
        await call(bmc, "POST", INSERT, {"Image": RECOVERY_URL})
        await call(
            bmc, "PATCH", SYSTEM, {"Boot": {"BootSourceOverrideEnabled": "Once", "BootSourceOverrideTarget": "Cd"}}
        )
        await call(bmc, "POST", RESET, {"ResetType": "ForceRestart"})
        await settle(machine)
        assert machine.environment == "safe_mode_network"  # the TPM unlocked the volume for the disk's boot
        assert not machine.winrm_reachable()  # WinRM could not be listed under SafeBoot\Network offline
        assert machine.registry.open(r"HKLM\SYSTEM\CurrentControlSet\Control\SafeBoot\Network\WinRM") is None

    asyncio.run(scenario())


def test_an_unknown_image_boots_nothing_useful_until_a_reset() -> None:
    async def scenario() -> None:
        machine = in_winre(7)
        bmc = bmc_for(machine)
        await call(bmc, "POST", INSERT, {"Image": "http://deploy.example.net/other.iso"})
        await call(
            bmc, "PATCH", SYSTEM, {"Boot": {"BootSourceOverrideEnabled": "Once", "BootSourceOverrideTarget": "Cd"}}
        )
        await call(bmc, "POST", RESET, {"ResetType": "ForceRestart"})
        await settle(machine)
        assert machine.power == "unknown_media" and not machine.winrm_reachable()
        assert (await call(bmc, "GET", SYSTEM)).body["BootProgress"]["LastState"] == "OSBootStarted"
        await call(bmc, "POST", RESET, {"ResetType": "ForceRestart"})
        await settle(machine)
        assert machine.environment == "winre" and machine.power == "running"

    asyncio.run(scenario())


def test_the_sel_holds_an_os_stop_event_and_the_stop_code_for_each_bugcheck() -> None:
    async def scenario() -> None:
        machine = in_winre(8)
        entries = (await call(bmc_for(machine), "GET", "/redfish/v1/Systems/1/LogServices/SEL/Entries")).body
        stops = [m for m in entries["Members"] if m.get("SensorType") == "OS Stop/Shutdown"]
        codes = [m for m in entries["Members"] if m["EntryType"] == "Oem"]
        assert len(stops) == len(codes) == len(machine.crashes) == 2
        assert all("0x00000050" in m["Message"] for m in codes)

    asyncio.run(scenario())


@pytest.mark.parametrize(("fault", "status"), [("bmc-refuse-logins", 401), ("bmc-error", 500)])
def test_refusing_faults_answer_their_status_and_change_nothing(fault: str, status: int) -> None:
    async def scenario() -> None:
        machine = in_winre(9)
        bmc = bmc_for(machine, {fault: 1.0})
        assert (await call(bmc, "POST", RESET, {"ResetType": "ForceOff"})).status == status
        assert (await call(bmc, "GET", SYSTEM)).status == status
        assert machine.power == "running" and machine.environment == "winre"

    asyncio.run(scenario())


def test_media_refused_leaves_nothing_inserted() -> None:
    async def scenario() -> None:
        bmc = bmc_for(in_winre(10), {"bmc-media-refused": 1.0})
        reply = await call(bmc, "POST", INSERT, {"Image": RECOVERY_URL})
        assert reply.status == 500 and reply.body["error"]["code"].endswith(".CouldNotEstablishConnection")
        assert not bmc.media.inserted and (await call(bmc, "GET", MEDIA)).body["Inserted"] is False

    asyncio.run(scenario())


def test_an_ignored_one_time_boot_boots_the_disk() -> None:
    async def scenario() -> None:
        machine = in_winre(11)
        bmc = bmc_for(machine, {"bmc-boot-ignored": 1.0})
        await call(bmc, "POST", INSERT, {"Image": RECOVERY_URL})
        patched = await call(
            bmc, "PATCH", SYSTEM, {"Boot": {"BootSourceOverrideEnabled": "Once", "BootSourceOverrideTarget": "Cd"}}
        )
        assert patched.status == 200
        await call(bmc, "POST", RESET, {"ResetType": "ForceRestart"})
        await settle(machine)
        assert machine.environment == "winre" and machine.winpeshl_log[-1]["app"].lower().endswith("recenv.exe")

    asyncio.run(scenario())


def test_a_hanging_reset_never_answers_and_does_not_reset() -> None:
    async def scenario() -> None:
        machine = in_winre(12)
        bmc = bmc_for(machine, {"bmc-reset-hang": 1.0})
        boots = machine.boots
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(call(bmc, "POST", RESET, {"ResetType": "ForceRestart"}), 0.2)
        assert machine.boots == boots and machine.environment == "winre"
        bmc.close()

    asyncio.run(scenario())
