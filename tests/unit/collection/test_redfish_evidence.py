"""Out-of-band evidence: the inventory's Redfish reads (against a minimal HTTPS Redfish service), the
verdicts they lead to, and the BMC password kept out of host variables, cache and output."""

from __future__ import annotations

import datetime
import json
import re
import secrets
import socket
from pathlib import Path

import pytest
import yaml

from ansible_collections.lifeline.recovery.plugins.plugin_utils._classify import classify
from ansible_collections.lifeline.recovery.plugins.plugin_utils._probe import ProbeResult
from ansible_collections.lifeline.recovery.plugins.plugin_utils._readiness import Readiness
from ansible_collections.lifeline.recovery.plugins.plugin_utils._redfish import (
    BmcEvidence,
    BmcTarget,
    error_message,
    newest_os_stop,
    os_down_reason,
    read_bmc,
    system_state,
)
from ansible_collections.lifeline.recovery.plugins.plugin_utils._sources import HostSignals, Signal, bmc_endpoint

from .redfish_fake import FakeBmc, system_documents
from .test_inventory_fleet import cache_options, cached, inventory_list, plain, run, write_cmdb, write_config

NOW = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
USER = "lifeline-oob"
BLUESCREEN = {
    "@odata.id": "/redfish/v1/Systems/System.Embedded.1/LogServices/Sel/Entries/7",
    "Created": "2024-07-19T04:09:12Z",
    "SensorType": "OS Stop/Shutdown",
    "EntryCode": "Run-time Critical Stop",
    "Message": "OS stop: run-time critical stop.",
}
OLDER_STOP = {**BLUESCREEN, "@odata.id": "x/3", "Created": "2024-07-01T00:00:00Z", "EntryCode": "OS Graceful Stop"}
FAN = {"@odata.id": "x/9", "Created": "2024-07-20T00:00:00Z", "SensorType": "Fan", "Message": "Fan 1 low."}


# --- parsing what a BMC says ----------------------------------------------------------------------


def test_power_state_and_last_boot_progress_state_of_a_computer_system() -> None:
    assert system_state({"PowerState": "On", "BootProgress": {"LastState": "OSRunning"}}) == ("On", "OSRunning")
    assert system_state({"PowerState": "Off"}) == ("Off", None)
    assert system_state({"PowerState": 3, "BootProgress": "x"}) == (None, None)
    assert system_state([]) == (None, None)


@pytest.mark.parametrize(
    ("power", "last", "down"),
    [
        ("Off", None, True),
        ("PoweringOff", "OSRunning", True),
        ("On", "OSBootStarted", True),
        ("On", "SystemHardwareInitializationComplete", True),
        ("On", "OSRunning", False),
        ("On", None, False),  # the BMC cannot tell
        ("On", "OEM", False),
        (None, None, False),
    ],
)
def test_the_os_is_down_when_powered_off_or_on_short_of_os_running(power, last, down) -> None:
    assert (os_down_reason(power, last) is not None) is down


def test_the_newest_os_stop_entry_wins_and_other_sensors_do_not_count() -> None:
    stop = newest_os_stop([OLDER_STOP, FAN, BLUESCREEN, "junk"])
    assert stop is not None
    assert stop.created == "2024-07-19T04:09:12Z"
    assert stop.what == "Run-time Critical Stop (OS stop: run-time critical stop.)"
    assert newest_os_stop([FAN]) is None


def test_a_redfish_error_body_gives_its_extended_info_messages() -> None:
    body = {
        "error": {
            "code": "Base.1.18.GeneralError",
            "message": "general",
            "@Message.ExtendedInfo": [
                {
                    "MessageId": "Base.1.18.ResourceInUse",
                    "Message": "The change could not be made because the resource is in use.",
                }
            ],
        }
    }
    assert error_message(json.dumps(body).encode()) == "The change could not be made because the resource is in use."
    assert error_message(b'{"error": {"message": "only this"}}') == "only this"
    assert error_message(b"<html>") is None


def test_bmc_columns_of_a_source_record() -> None:
    assert bmc_endpoint({"site": "paris"}, 443) is None
    assert bmc_endpoint({"bmc_address": "10.9.0.1"}, 443) == ("10.9.0.1", 443, None)
    assert bmc_endpoint({"bmc_ip": "idrac-1.corp", "bmc_port": "8443", "bmc_system_id": "1"}, 443) == (
        "idrac-1.corp",
        8443,
        "1",
    )
    with pytest.raises(ValueError, match="bmc_port 'x'"):
        bmc_endpoint({"bmc_address": "10.9.0.1", "bmc_port": "x"}, 443)
    with pytest.raises(ValueError, match="BMC address"):
        bmc_endpoint({"bmc_address": "user@10.9.0.1/redfish"}, 443)


# --- verdicts with out-of-band evidence -----------------------------------------------------------


def silent() -> ProbeResult:
    return ProbeResult("WS-1", "no_answer", "no answer to WS-Man Identify", None, NOW, 0.1)


def bmc_said(power: str, last: str | None, stop: bool = True) -> BmcEvidence:
    found = newest_os_stop([BLUESCREEN]) if stop else None
    system = "/redfish/v1/Systems/System.Embedded.1"
    return BmcEvidence("answered", "the BMC answered", system, power, last, found, "/redfish/v1/Managers/BMC")


def test_a_silent_host_whose_bmc_says_the_os_is_not_running_is_unbootable_out_of_band() -> None:
    verdict = classify("WS-1", silent(), None, bmc=bmc_said("On", "OSBootStarted"))

    assert (verdict.recovery_state, verdict.recovery_path) == ("unbootable", "out_of_band")
    assert "BootProgress.LastState OSBootStarted, not OSRunning" in verdict.recovery_path_reason
    assert "newest OS stop Run-time Critical Stop" in verdict.recovery_path_reason
    assert any(
        line.startswith("BMC: /redfish/v1/Systems/System.Embedded.1: PowerState On") for line in verdict.evidence
    )


def test_a_powered_off_host_is_unbootable_out_of_band_and_one_the_bmc_sees_running_stays_unknown() -> None:
    assert classify("WS-1", silent(), None, bmc=bmc_said("Off", None, stop=False)).recovery_path == "out_of_band"
    running = classify("WS-1", silent(), None, bmc=bmc_said("On", "OSRunning"))
    assert (running.recovery_state, running.recovery_path) == ("unknown", None)
    assert any("does not report the OS down" in line for line in running.evidence)


def test_a_crashed_host_whose_bmc_refused_the_login_needs_hands_with_the_reason() -> None:
    crash = Signal("WS-1", "crash", NOW, 0x50, "csagent.sys", None, "siem")
    refused = BmcEvidence("login_refused", "the BMC at https://10.9.0.1:443 refused the login as 'oob' (HTTP 401)")

    verdict = classify("WS-1", silent(), HostSignals(crash, None), bmc=refused)

    assert (verdict.recovery_state, verdict.recovery_path) == ("unbootable", "needs_hands")
    assert verdict.recovery_path_reason.endswith("its BMC cannot help: " + refused.detail)


def test_a_bmc_cannot_help_an_armed_host_whose_safe_mode_failed_nor_a_tpm_pin_host() -> None:
    """The recovery image ends where the armed failover does (Safe Mode with Networking), and Windows then
    boots from the disk: the PIN prompt again. Their readiness says so; an unarmed host goes out of band."""
    crash = HostSignals(Signal("WS-1", "crash", NOW, 0x50, "csagent.sys", None, "siem"), None)
    bmc = bmc_said("On", "OSBootStarted")
    ready = {name: Readiness("WS-1", armed, pin, (), "2026-01-01", "r.json") for name, armed, pin in
             (("armed", True, False), ("pin", False, True), ("unarmed", False, False))}  # fmt: skip
    verdicts = {name: classify("WS-1", silent(), crash, bmc=bmc, readiness=record) for name, record in ready.items()}
    assert {name: verdict.recovery_path for name, verdict in verdicts.items()} == {
        "armed": "needs_hands", "pin": "needs_hands", "unarmed": "out_of_band"}  # fmt: skip
    assert "its BMC cannot help: the recovery image would only try Safe Mode" in verdicts["armed"].recovery_path_reason
    assert "waits at the PIN prompt again" in verdicts["pin"].recovery_path_reason


def test_a_host_without_a_bmc_keeps_needs_hands() -> None:
    crash = Signal("WS-1", "crash", NOW, 0x50, "csagent.sys", None, "siem")
    verdict = classify("WS-1", silent(), HostSignals(crash, None))
    assert verdict.recovery_path == "needs_hands"
    assert not any(line.startswith("BMC") for line in verdict.evidence)


# --- the reads, over HTTPS ------------------------------------------------------------------------


@pytest.fixture
def password() -> str:
    return f"bmc-secret-{secrets.token_hex(8)}"


def target(bmc: FakeBmc, secret: str, **changes) -> BmcTarget:
    return BmcTarget(
        **{
            "name": "WS-1",
            "address": "127.0.0.1",
            "port": bmc.port,
            "username": USER,
            "password": secret,
            "ca_file": str(bmc.ca),
            **changes,
        }
    )


def test_the_bmc_read_gives_power_boot_progress_and_the_newest_os_stop(tmp_path: Path, password: str) -> None:
    documents = system_documents("On", "OSBootStarted", [OLDER_STOP, BLUESCREEN])
    with FakeBmc(tmp_path, documents, USER, password) as bmc:
        evidence = read_bmc(target(bmc, password), timeout=5)

    assert evidence.reachability == "answered", evidence.detail
    assert (evidence.power_state, evidence.last_state) == ("On", "OSBootStarted")
    assert evidence.os_stop.created == BLUESCREEN["Created"]
    assert evidence.hostvar(target(bmc, password))["system_id"] == "System.Embedded.1"
    assert evidence.hostvar(target(bmc, password))["manager_id"] == "BMC"


@pytest.mark.parametrize(
    ("change", "reachability", "said"),
    [
        ({"password": "wrong"}, "login_refused", "refused the login as 'lifeline-oob' (HTTP 401)"),
        ({"ca_file": None}, "certificate_rejected", "did not validate against the system's CA store"),
        ({"port": None}, "no_answer", "no answer from the BMC"),
        ({"system_id": "System.Embedded.9"}, "error", "has no system 'System.Embedded.9'"),
    ],
)
def test_a_bmc_that_refuses_or_fails_is_evidence_not_an_error(tmp_path, password, change, reachability, said) -> None:
    with FakeBmc(tmp_path, system_documents(), USER, password) as bmc:
        if change.get("port", 0) is None:
            change = {"port": free_port()}
        evidence = read_bmc(target(bmc, password, **change), timeout=5)

    assert evidence.reachability == reachability
    assert said in evidence.detail
    assert password not in repr(evidence) and password not in repr(target(bmc, password))


def test_a_bmc_error_status_gives_the_redfish_message(tmp_path: Path, password: str) -> None:
    with FakeBmc(tmp_path, system_documents(), USER, password) as bmc:
        bmc.status = 503
        evidence = read_bmc(target(bmc, password), timeout=5)
    assert evidence.reachability == "error"
    assert "HTTP 503: The service is temporarily unavailable." in evidence.detail


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- the inventory, through ansible-inventory -----------------------------------------------------


def bmc_fleet(tmp_path: Path, bmc: FakeBmc, password: str, **options) -> Path:
    """WS-0001 has the fake BMC, WS-0002 none; both are silent in band (nothing listens on the WinRM port)."""
    cmdb = write_cmdb(
        tmp_path / "cmdb.csv",
        f"name,address,bmc_address,bmc_port\nWS-0001,127.0.0.1,127.0.0.1,{bmc.port}\nWS-0002,127.0.0.1,,\n",
    )
    return write_config(
        tmp_path / "fleet.lifeline.yml",
        cmdb_files=[str(cmdb)],
        probe=True,
        probe_timeout=5,
        winrm_port=free_port(),
        winrm_user="svc",
        winrm_password="winrm-pw",
        bmc_user=USER,
        bmc_password=password,
        bmc_ca_file=str(bmc.ca),
        **options,
    )


def test_the_inventory_marks_a_silent_host_with_a_bmc_reporting_it_down_out_of_band(tmp_path, password) -> None:
    with FakeBmc(tmp_path, system_documents("Off", None, [BLUESCREEN]), USER, password) as bmc:
        config = bmc_fleet(tmp_path, bmc, password, **cache_options(tmp_path))
        result = run("ansible-inventory", "-i", str(config), "--list", cwd=tmp_path)
        listed = inventory_list("-i", str(config), cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    hostvars = listed["_meta"]["hostvars"]
    with_bmc, without = hostvars["WS-0001"], hostvars["WS-0002"]
    assert (with_bmc["lifeline_recovery_state"], with_bmc["lifeline_recovery_path"]) == ("unbootable", "out_of_band")
    assert "the BMC reports PowerState Off" in with_bmc["lifeline_recovery_path_reason"]
    assert with_bmc["lifeline_bmc"]["base_uri"] == f"127.0.0.1:{bmc.port}"
    assert with_bmc["lifeline_bmc"]["os_stop"]["created"] == BLUESCREEN["Created"]
    assert with_bmc["lifeline_bmc_user"] == USER
    assert listed["recovery_path_out_of_band"]["hosts"] == ["WS-0001"]
    # No BMC and no crash signal: silent, not known to be down.
    assert without["lifeline_recovery_state"] == "unknown"
    assert "lifeline_bmc" not in without
    # The password serves the probe only: in no variable, the evidence, the BMC facts, the cache or the output.
    assert not [name for name, found in hostvars.items() if "lifeline_bmc_password" in found]
    assert password not in json.dumps(hostvars)
    assert password not in cached(tmp_path)
    assert password not in result.stdout + result.stderr


def test_a_refused_bmc_login_leaves_needs_hands_and_one_warning_without_the_password(tmp_path, password) -> None:
    signals = tmp_path / "signals.jsonl"
    signals.write_text(json.dumps({"host": "WS-0001", "time": "2024-07-19T04:09:00Z", "bugcheck": "0x50"}) + "\n")
    with FakeBmc(tmp_path, system_documents(), USER, password) as bmc:
        config = bmc_fleet(tmp_path, bmc, "not-" + password, signals_files=[str(signals)])
        result = run("ansible-inventory", "-i", str(config), "--list", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    found = plain(json.loads(result.stdout))["_meta"]["hostvars"]["WS-0001"]
    assert (found["lifeline_recovery_state"], found["lifeline_recovery_path"]) == ("unbootable", "needs_hands")
    assert "refused the login as 'lifeline-oob' (HTTP 401)" in found["lifeline_recovery_path_reason"]
    assert "the BMC login was refused on 1 host as 'lifeline-oob'" in " ".join(result.stderr.split())
    assert password not in result.stderr


# --- the recovery image's script ------------------------------------------------------------------


def test_the_recovery_image_script_lists_what_readiness_lists_in_plain_lines() -> None:
    root = Path(__file__).resolve().parents[3]
    script = (root / "roles/oob_recovery/files/lifeline-oob.cmd").read_text()
    wanted = yaml.safe_load((root / "roles/recovery_readiness/defaults/main.yml").read_text())[
        "recovery_readiness_safe_mode_network_services"
    ]
    listed = re.findall(r"ControlSet001\\Control\\SafeBoot\\Network\\(\w+) /ve /t REG_SZ /d Service /f", script)
    assert listed == wanted
    assert listed == re.findall(r"ControlSet002\\Control\\SafeBoot\\Network\\(\w+) /ve", script)
    commands = [line.split()[0].lower() for line in script.splitlines() if line and not line.startswith("rem")]
    assert not {"for", "goto", "call", "powershell"} & set(commands)
    assert "bcdedit /set {default} safeboot network" in script and script.rstrip().endswith("exit /b %RESULT%")
