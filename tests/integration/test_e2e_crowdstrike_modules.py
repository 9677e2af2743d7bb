"""End to end on the crowdstrike-291 scenario with a short play that uses only Lifeline's modules.

The fleet holds every kind of host the July 2024 outage left: armed hosts the WinRE failover sent to Safe Mode with
Networking (with and without a TPM-only BitLocker volume, which unlocks itself there), and hosts nobody armed, in
stock WinRE (with and without BitLocker), which answers no WinRM. One play finds where Windows is, unlocks it when
it is locked, quarantines channel file 291 and restarts into normal mode, proving the boot. The lab is the judge:
every armed host runs normally afterwards, the good channel files are still there, and the quarantine record on
each lists exactly the bad file; the hosts in WinRE are reported unreachable and were sent nothing.
"""

from __future__ import annotations

import json

import pytest
import yaml

from .conftest import lab, sealed_session, start_fleet
from .playbooks import ansible_playbook, static_inventory
from .rollout_support import recap

pytestmark = pytest.mark.integration

DRIVERS = "C:\\Windows\\System32\\drivers\\CrowdStrike\\"
BAD = "C-00000291-00000000-00000032.sys"


def play(escrow_file: str) -> list[dict]:
    facts = "ansible_facts.lifeline_recovery"
    return [
        {
            "name": "Repair channel file 291",
            "hosts": "all",
            "gather_facts": False,
            "tasks": [
                {"name": "Where is Windows", "lifeline.recovery.win_recovery_facts": {}},
                {
                    "name": "Unlock the Windows volume",
                    "lifeline.recovery.win_bitlocker_unlock": {
                        "recovery_password": "{{ lookup('lifeline.recovery.bitlocker_recovery_password', "
                        f"inventory_hostname, escrow_file='{escrow_file}') }}}}"
                    },
                    "when": f"{facts}.os_volume_locked",
                    "register": "unlocked",
                },
                {
                    "name": "Where is Windows now",
                    "lifeline.recovery.win_recovery_facts": {},
                    "when": "unlocked is changed",
                },
                {
                    "name": "Quarantine channel file 291",
                    "lifeline.recovery.win_quarantine_files": {
                        "path": "Windows\\System32\\drivers\\CrowdStrike",
                        "patterns": ["C-00000291*.sys"],
                        "modified_after": "2024-07-19T04:09:00Z",
                        "modified_before": "2024-07-19T05:27:00Z",
                    },
                    "register": "quarantine",
                },
                {
                    "name": "Boot normally and prove it",
                    "lifeline.recovery.win_recovery_reboot": {"target": "normal", "reboot_timeout": 60},
                },
            ],
        }
    ]


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    directory = tmp_path_factory.mktemp("e2e291")
    started = start_fleet(directory, "--scenario", "crowdstrike-291", "--hosts", "4", "--reboot-seconds", "0.3")
    started.directory = directory
    yield started
    lab("down", "--fleet-file", str(started.fleet_file))


def test_every_kind_of_291_host_is_repaired_by_the_modules_alone(fleet):
    before = {host["name"]: fleet.show(host["name"])["machine"] for host in fleet.hosts}
    kinds = {(machine["environment"], machine["bitlocker"] is not None) for machine in before.values()}
    assert kinds == {("winre", True), ("winre", False), ("safe_mode_network", True), ("safe_mode_network", False)}
    drivers_before = {path for path in before[fleet.hosts[0]["name"]]["files"] if path.startswith(DRIVERS)}
    good = drivers_before - {DRIVERS + BAD}
    assert len(good) == len(drivers_before) - 1 and sum("\\C-0000" in path for path in good) == 3

    playbook = fleet.directory / "repair.yml"
    playbook.write_text(yaml.safe_dump(play(fleet.content["bitlocker_escrow_file"]), sort_keys=False))
    run = ansible_playbook(static_inventory(fleet, fleet.directory), playbook)
    assert run.returncode == 4, run.stdout[-4000:]  # Ansible's exit code when hosts were unreachable

    for host in fleet.hosts:
        name = host["name"]
        machine = fleet.show(name)["machine"]
        if before[name]["environment"] == "winre":  # stock WinRE: a person's job, and left as it was
            assert recap(run.stdout, name)["unreachable"] == 1, name
            assert fleet.show(name)["counters"]["commands"] == 0, name
            assert machine["environment"] == "winre" and machine["files"] == before[name]["files"], name
            continue
        assert recap(run.stdout, name)["failed"] == 0, name
        assert run.result("Unlock the Windows volume", name)["_status"] == "skipping", name  # TPM-only: unlocked
        assert (machine["power"], machine["environment"]) == ("running", "normal"), name
        assert machine["crashes"] == before[name]["crashes"], f"{name} crashed again"
        drivers = {path for path in machine["files"] if path.startswith(DRIVERS)}
        assert drivers == good, name  # the bad file is gone, the good channel files are still there
        assert run.result("Boot normally and prove it", name)["environment"] == "normal"

        quarantine = run.result("Quarantine channel file 291", name)
        record_path = f"C:\\ProgramData\\Lifeline\\records\\quarantine-{quarantine['quarantine_id']}.json"
        shown = sealed_session(host).run_cmd(f'type "{record_path}"')
        assert shown.status_code == 0, shown.std_err
        text = shown.std_out.decode("cp437")  # pywinrm's shell code page; the UTF-8 BOM shows as junk before "{"
        manifest = json.loads(text[text.index("{") :])
        assert [entry["original_path"].rsplit("\\", 1)[-1] for entry in manifest["files"]] == [BAD]
        assert manifest["files"][0]["sha256"] == before[name]["files"][DRIVERS + BAD]["sha256"]
