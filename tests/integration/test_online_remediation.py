"""Every remediation role ONLINE, on a host in Safe Mode with Networking as Lifeline's WinRE failover leaves it: the
failure still on the disk, safeboot network on the Windows loader and the failover's marker in the system store.

Each test runs the role as remediate.yml would (facts, the role, exit_recovery at its end) and judges by the lab's
ground truth, not by what the modules say: the repair is on the disk, safeboot and the marker are gone from the
system store (the failover is armed again), and the host runs Windows normally with no new crash.

Where a host comes from: the crowdstrike-291 scenario's armed hosts went through the failover (they carry its marker)
and sit in Safe Mode with Networking with channel file 291 (csagent.sys crashes every normal boot, Safe Mode does
not load it); healthy hosts prepared for remote recovery are
sent to Safe Mode with the failover's own commands (the marker, safeboot network, a restart). A lab failure that
Safe Mode survives and a quality update or the loader entry repairs does not exist (bad-quality-update's storport,
broken-bcd and stuck-pending-actions stop Safe Mode too: those hosts end in WinRE with the marker, for hands), so
servicing_rollback and boot_config_repair are proven online on those healthy hosts: what they change is on the disk,
the host boots normally afterwards, and what DISM does not support online is refused before anything is touched.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
import yaml

from .conftest import REPO, lab, sealed_session, start_fleet
from .playbooks import ansible_playbook, static_inventory

pytestmark = pytest.mark.integration

FAILOVER_SCRIPT = REPO / "roles" / "winre_failover" / "files" / "lifeline-failover.cmd"
MARKER = "{07b12ddd-c467-4140-8aab-3313b0711336}"
BAD = "C:\\Windows\\System32\\drivers\\CrowdStrike\\C-00000291-00000000-00000032.sys"
ROLLUP = "Package_for_RollupFix~31bf3856ad364e35~amd64~~20348.2227.1.3"
QUICK = {"exit_recovery_pre_reboot_delay": 0, "exit_recovery_reboot_timeout": 30}


def failover_create_command() -> str:
    """The failover script's own ``bcdedit /create`` of the marker (without its redirections)."""
    line = next(line for line in FAILOVER_SCRIPT.read_text().splitlines() if line.startswith("bcdedit /create "))
    return line.split(" >nul", 1)[0]


def fleet_of(directory: Path, scenario: str, hosts: int):
    started = start_fleet(directory, "--scenario", scenario, "--hosts", str(hosts), "--reboot-seconds", "0.3")
    started.directory = directory
    started.inventory = static_inventory(started, directory)
    return started


@pytest.fixture(scope="module")
def crowdstrike(tmp_path_factory):
    """crowdstrike-291: hosts 2 and 4 are in Safe Mode with Networking (4 with BitLocker, unlocked by the TPM)."""
    started = fleet_of(tmp_path_factory.mktemp("online_cs"), "crowdstrike-291", 4)
    try:
        started.safe = {
            started.show(e["name"])["machine"]["bitlocker"] is not None: e["name"]
            for e in started.hosts
            if started.show(e["name"])["machine"]["environment"] == "safe_mode_network"
        }
        assert set(started.safe) == {True, False}, started.safe
        yield started
    finally:
        lab("down", "--fleet-file", str(started.fleet_file))


@pytest.fixture(scope="module")
def healthy(tmp_path_factory):
    """Six healthy hosts, two of them prepared for remote recovery (WinRM listed under SafeBoot\\Network)."""
    started = fleet_of(tmp_path_factory.mktemp("online_healthy"), "healthy", 6)
    try:
        started.prepared = [
            e["name"] for e in started.hosts if "WinRM" in truth(started, e["name"])["registry"]["safeboot"]["Network"]
        ]
        assert len(started.prepared) == 2, started.prepared
        yield started
    finally:
        lab("down", "--fleet-file", str(started.fleet_file))


def truth(fleet, name: str) -> dict:
    return fleet.show(name)["machine"]


def shell(fleet, name: str, command_line: str) -> str:
    entry = next(h for h in fleet.hosts if h["name"] == name)
    result = sealed_session(entry).run_cmd(command_line)
    assert result.status_code == 0, (command_line, result.std_out, result.std_err)
    return result.std_out.decode(errors="replace")


def wait_until_running(fleet, name: str, boots_before: int, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        machine = truth(fleet, name)
        if machine["power"] == "running" and machine["boots"] > boots_before:
            return machine
        time.sleep(0.2)
    raise AssertionError(f"{name} did not come back within {timeout} s")


def failed_over(fleet, name: str) -> dict:
    """What the failover does, run on a running host: the marker, safeboot network, a restart."""
    boots = truth(fleet, name)["boots"]
    shell(fleet, name, failover_create_command())
    shell(fleet, name, "bcdedit /set {default} safeboot network")
    try:
        shell(fleet, name, "shutdown /r /t 0")
    except Exception:  # the connection may go down with the host
        pass
    machine = wait_until_running(fleet, name, boots)
    assert machine["environment"] == "safe_mode_network", machine["environment"]
    return machine


def as_failed_over(fleet, name: str) -> dict:
    """An armed scenario host as the failover left it: in Safe Mode with Networking, its marker in the store."""
    machine = truth(fleet, name)
    assert machine["environment"] == "safe_mode_network" and MARKER in machine["bcd"]["entries"], name
    assert machine["winpeshl_log"], machine  # WinRE ran the failover script
    return machine


def run_role(fleet, name: str, role: str, variables: dict, *arguments: str):
    """facts, the role (which ends with exit_recovery) and facts again, on one host."""
    tasks = [
        {"name": "facts before", "lifeline.recovery.win_recovery_facts": {}},
        {"name": "marker before", "ansible.builtin.set_fact": {
            "marker_before": "{{ ansible_facts.lifeline_recovery.failover_marker }}",
            "environment_before": "{{ ansible_facts.lifeline_recovery.environment }}"}},
        {"name": "the role", "ansible.builtin.include_role": {"name": f"lifeline.recovery.{role}"},
         "vars": {**QUICK, **variables}},
        {"name": "verified", "ansible.builtin.debug": {"var": "exit_recovery_verified"}},
    ]  # fmt: skip
    path = Path(fleet.directory) / f"{role}-{name}.yml"
    path.write_text(yaml.safe_dump([{"hosts": name, "gather_facts": False, "tasks": tasks}]))
    return ansible_playbook(fleet.inventory, path, *arguments)


def assert_back_to_normal(run, name: str, before: dict, after: dict) -> None:
    """The ground truth after a role: normal Windows, no new crash, safeboot and the marker gone."""
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert run.result("verified", name)["exit_recovery_verified"] is True
    assert (after["power"], after["environment"]) == ("running", "normal"), after["environment"]
    assert len(after["crashes"]) == len(before["crashes"]), after["crashes"][-1:]
    loader = after["bcd"]["entries"][after["bcd"]["os_entry"]]
    assert "safeboot" not in loader, loader
    assert MARKER not in after["bcd"]["entries"]  # the failover is armed again


def facts_before(run, name: str) -> dict:
    return run.result("marker before", name)["ansible_facts"]


def test_channel_file_quarantined_online_with_bitlocker_unlocked_by_the_tpm(crowdstrike):
    name = crowdstrike.safe[True]
    before = as_failed_over(crowdstrike, name)
    assert before["bitlocker"]["locked"] is False and MARKER in before["bcd"]["entries"] and BAD in before["files"]
    run = run_role(crowdstrike, name, "channel_file_remediation", {})
    seen = facts_before(run, name)
    assert (seen["environment_before"], seen["marker_before"]) == ("safe_mode_network", True)
    # Safe Mode unlocked the volume with the TPM: no recovery password was looked up (no escrow is configured);
    # the facts were known, so the role's facts read and unlock (one include) were skipped together
    assert run.result("Read where Windows is and unlock its volume, unless done before", name)["_status"] == "skipping"
    after = truth(crowdstrike, name)
    assert_back_to_normal(run, name, before, after)
    assert BAD not in after["files"]
    quarantined = [p for p in after["files"] if p.startswith("C:\\Lifeline\\Quarantine\\channel-file-291\\")]
    assert [p.rsplit("\\", 1)[-1] for p in quarantined] == [BAD.rsplit("\\", 1)[-1]]
    assert after["files"][quarantined[0]]["sha256"] == before["files"][BAD]["sha256"]
    good = {p for p in before["files"] if "\\CrowdStrike\\" in p and p != BAD}
    assert good <= set(after["files"])


def test_boot_driver_disabled_in_the_live_hive_online(crowdstrike):
    name = crowdstrike.safe[False]
    before = as_failed_over(crowdstrike, name)
    assert before["registry"]["services"]["CSAgent"]["Start"] == 1
    run = run_role(crowdstrike, name, "boot_driver_remediation", {"boot_driver_remediation_drivers": ["CSAgent"]})
    assert facts_before(run, name)["marker_before"] is True
    after = truth(crowdstrike, name)
    assert_back_to_normal(run, name, before, after)
    assert after["registry"]["services"]["CSAgent"]["Start"] == 4  # in the hive file: what the next boot reads
    assert BAD in after["files"]  # the channel file stays: csagent.sys no longer loads it
    assert "C:\\ProgramData\\Lifeline\\records\\boot_driver-CSAgent.json" in after["files"]


def test_servicing_refuses_to_revert_pending_actions_online_then_removes_the_newest_update(healthy):
    name = healthy.prepared[0]
    before = failed_over(healthy, name)
    assert MARKER in before["bcd"]["entries"]

    refused = run_role(healthy, name, "servicing_rollback", {"servicing_rollback_revert_pending_actions": True})
    revert = refused.result("lifeline.recovery.servicing_rollback : Revert the pending servicing actions", name)
    assert revert["_status"] == "fatal" and revert["commands_sent"] == 0, revert
    assert (
        "only be reverted in an offline image" in revert["msg"]
        and "not supported on a running Windows" in (revert["msg"])
    )
    untouched = truth(healthy, name)
    assert untouched["packages"] == before["packages"] and untouched["bcd"] == before["bcd"]
    assert untouched["environment"] == "safe_mode_network" and untouched["boots"] == before["boots"]

    run = run_role(healthy, name, "servicing_rollback", {"servicing_rollback_remove_newest_quality_update": True})
    removed = run.result("lifeline.recovery.servicing_rollback : Remove the newest quality update", name)
    assert removed["image"] == "online" and [p["identity"] for p in removed["removed"]] == [ROLLUP], removed
    assert removed["reboot_required"] is True  # dism /Online: Uninstall Pending until the restart
    after = truth(healthy, name)
    assert_back_to_normal(run, name, before, after)
    assert ROLLUP not in {p["identity"] for p in after["packages"]}  # the restart finished the removal


def test_boot_config_repaired_in_the_live_system_store_online(healthy):
    name = healthy.prepared[1]
    shell(healthy, name, "bcdedit /set {default} recoveryenabled No")  # the next incident would not start WinRE
    before = failed_over(healthy, name)
    loader = before["bcd"]["entries"][before["bcd"]["os_entry"]]
    assert (loader["recoveryenabled"], loader["safeboot"]) == ("No", "Network")
    run = run_role(healthy, name, "boot_config_repair", {})
    repaired = run.result("lifeline.recovery.boot_config_repair : Repair the Windows loader entry", name)
    # devices already name C: (the running system): only recoveryenabled differs
    assert repaired["_status"] == "changed" and set(repaired["previous"]) == {"recoveryenabled"}, repaired
    after = truth(healthy, name)
    assert_back_to_normal(run, name, before, after)
    entry = after["bcd"]["entries"][after["bcd"]["os_entry"]]
    assert entry["recoveryenabled"] == "Yes"
    assert entry["device"] == loader["device"] and entry["osdevice"] == loader["osdevice"]
    assert re.fullmatch(r"C:\\ProgramData\\Lifeline\\records\\boot_config-default\.json",
                        next(p for p in after["files"] if "boot_config-" in p))  # fmt: skip
