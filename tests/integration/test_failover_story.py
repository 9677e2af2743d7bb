"""The whole story on real Windows behaviour, judged by the lab's ground truth: playbooks/prepare.yml arms a
healthy estate, a bad update (CrowdStrike channel file 291) lands on every host, and with no hands the armed
hosts go crash -> WinRE -> failover -> Safe Mode with Networking; playbooks/remediate.yml then brings them back
to a normal boot and re-arms them; the host nobody armed waits in WinRE and is brought back through its
server's BMC (Redfish: the recovery image from virtual media, once); the TPM+PIN host waits at the PIN
prompt, is reported as needing hands with the reason its readiness gives, and is touched by nobody."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from .conftest import REPO, LabFleet, lab, start_fleet
from .playbooks import ansible_playbook, secrets

pytestmark = pytest.mark.integration

MARKER = "{07b12ddd-c467-4140-8aab-3313b0711336}"
FAILOVER_LINE = r"%SYSTEMDRIVE%\Windows\System32\cmd.exe, /c %SYSTEMDRIVE%\Windows\System32\Lifeline\failover.cmd"
UNPREPARED = "EST-0006"  # left out of prepare.yml: its WinRE stays stock; its server has a BMC (no BitLocker)
OOB_SCRIPT = REPO / "roles" / "oob_recovery" / "files" / "lifeline-oob.cmd"
IMAGE_URL = "https://deploy.example.net/images/lifeline-recovery.iso"
TPM_PIN = "EST-0004"  # the estate scenario's TPM And PIN host
ARMED = ("EST-0001", "EST-0002", "EST-0003", "EST-0005")  # EST-0002 and EST-0005: BitLocker TPM only


def settled(fleet: LabFleet, expected: dict[str, tuple[str, str]], timeout: float = 120) -> dict[str, dict]:
    """Wait until every host is where its boot cycle should leave it: {name: (power, environment)}."""
    deadline = time.monotonic() + timeout
    while True:
        truth = {name: fleet.show(name)["machine"] for name in expected}
        where = {name: (machine["power"], machine["environment"]) for name, machine in truth.items()}
        if where == expected:
            return truth
        assert time.monotonic() < deadline, f"not settled: {where}"
        time.sleep(0.5)


def signals_name_crashes(fleet: LabFleet, names: tuple[str, ...], timeout: float = 30) -> None:
    """Until the monitoring export reports a crash for each host (the lab samples every second)."""
    deadline = time.monotonic() + timeout
    while True:
        lines = [json.loads(line) for line in Path(fleet.content["signals_file"]).read_text().splitlines()]
        if {line["host"] for line in lines if line["event"] == "crash"} >= set(names):
            return
        assert time.monotonic() < deadline, "the monitoring export never reported the crashes"
        time.sleep(0.5)


def test_prepare_then_an_incident_then_remediate_recovers_the_armed_hosts_with_no_hands(tmp_path: Path) -> None:
    image = ("--oob-image-script", str(OOB_SCRIPT))  # what the lab's WinPE runs when a BMC boots the image
    fleet = start_fleet(tmp_path, "--scenario", "estate", "--hosts", "6", "--reboot-seconds", "0.3", *image)
    config = fleet.content["inventory_files"]["https"]
    env = dict(
        LIFELINE_REPORT_DIR=str(tmp_path / "fleet.yml.reports"),
        LIFELINE_LOCK_DIR=str(tmp_path / "locks"),
        LIFELINE_BITLOCKER_ESCROW_FILE=fleet.content["bitlocker_escrow_file"],
    )
    try:
        prepared = ansible_playbook(
            Path(config), REPO / "playbooks/prepare.yml", *secrets(fleet), "--limit", f"!{UNPREPARED}", env=env
        )
        assert prepared.returncode == 0, prepared.stdout[-4000:] + prepared.stderr[-2000:]
        assert "LIFELINE RECOVERY READINESS" in prepared.stdout
        readiness = json.loads(sorted((tmp_path / "fleet.yml.reports").glob("readiness-*.json"))[-1].read_text())
        assert {name for name, host in readiness["hosts"].items() if host["armed"]} == {*ARMED, TPM_PIN}
        assert readiness["hosts"][TPM_PIN]["tpm_pin"] and not readiness["hosts"][TPM_PIN]["ready"]
        assert UNPREPARED not in readiness["hosts"]
        for name in (*ARMED, TPM_PIN):
            image = fleet.show(name)["machine"]["winre_image"]
            assert image["winpeshl_ini"].splitlines()[1] == FAILOVER_LINE, name  # first of [LaunchApps]
        assert fleet.show(UNPREPARED)["machine"]["winre_image"]["winpeshl_ini"].count("failover") == 0

        fleet_file = str(fleet.fleet_file)
        struck = lab("incident", "crowdstrike-291", "--share", "1", "--seed", "1", "--fleet-file", fleet_file)
        assert struck.returncode == 0, struck.stderr
        expected = {name: ("running", "safe_mode_network") for name in ARMED}
        expected |= {UNPREPARED: ("running", "winre"), TPM_PIN: ("pin_prompt", "normal")}
        truth = settled(fleet, expected)
        for name in ARMED:
            assert MARKER in truth[name]["bcd"]["entries"], name  # the failover ran, once
            assert len(truth[name]["crashes"]) >= 2
        assert MARKER not in truth[UNPREPARED]["bcd"]["entries"]  # stock WinRE waits for a person
        signals_name_crashes(fleet, (*ARMED, UNPREPARED, TPM_PIN))
        crashes_before = {name: len(machine["crashes"]) for name, machine in truth.items()}
        commands_before = {name: fleet.show(name)["counters"]["commands"] for name in (TPM_PIN,)}

        remediated = ansible_playbook(
            Path(config),
            REPO / "playbooks/remediate.yml",
            *secrets(fleet),
            "-e",
            f"lifeline_remediations_file={REPO / 'inventories/lab/remediations.yml'}",
            "-e",
            "exit_recovery_reboot_timeout=60",
            "-e",
            f"oob_recovery_image_url={IMAGE_URL}",
            env=env,
        )
        assert remediated.returncode == 0, remediated.stdout[-4000:] + remediated.stderr[-2000:]
        report = json.loads(sorted((tmp_path / "fleet.yml.reports").glob("rollout-*.json"))[-1].read_text())
        statuses = {name: host["status"] for name, host in report["hosts"].items()}
        assert statuses == {**dict.fromkeys((*ARMED, UNPREPARED), "recovered"), TPM_PIN: "needs_hands"}
        paths = {name: host["path"] for name, host in report["hosts"].items()}
        assert paths == {**dict.fromkeys(ARMED, "in_band"), UNPREPARED: "out_of_band", TPM_PIN: "needs_hands"}
        assert "PIN prompt" in report["hosts"][TPM_PIN]["reason"]

        for name in (*ARMED, UNPREPARED):  # back to a normal boot, no new crash; armed again for the next incident
            machine = fleet.show(name)["machine"]
            assert (machine["power"], machine["environment"]) == ("running", "normal"), name
            assert len(machine["crashes"]) == crashes_before[name], name
            assert MARKER not in machine["bcd"]["entries"], name
            assert "safeboot" not in machine["bcd"]["entries"][machine["bcd"]["os_entry"]], name
            if name != UNPREPARED:
                assert machine["winre_image"]["winpeshl_ini"].splitlines()[1] == FAILOVER_LINE, name
        for name in (TPM_PIN,):  # out of reach: nothing was sent, nothing changed
            shown = fleet.show(name)
            assert shown["counters"]["commands"] == commands_before[name], name
            assert (shown["machine"]["power"], shown["machine"]["environment"]) == expected[name], name
    finally:
        lab("down", "--fleet-file", str(fleet.fleet_file))
