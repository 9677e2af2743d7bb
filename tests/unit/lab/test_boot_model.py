"""The lab's boot model: a machine boots, crashes or lands in WinRE only by what its disks say."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from pathlib import Path

import pytest

from lifeline_lab import failures, scenarios
from lifeline_lab.machine import new_machine
from lifeline_lab.machine.bitlocker import BitLocker, is_valid_recovery_password, new_recovery_password
from lifeline_lab.machine.drives_helpers import os_drive
from lifeline_lab.machine.registry import hive_from_bytes, hive_to_bytes

SYSTEM = r"C:\Windows\System32\config\SYSTEM"


def broken(failure: str):
    machine = new_machine("T-0001", 1)
    failures.FAILURES[failure](machine, random.Random(1))
    return machine


def set_start(machine, service: str, start: int) -> None:
    """Edit the hive file as an offline repair would: the running registry lets go of it first."""
    machine.registry.release_files()
    drives = os_drive(machine)
    root = hive_from_bytes(drives.read(SYSTEM))
    root.path("ControlSet001", "Services", service).set("Start", "REG_DWORD", start)
    drives.write(SYSTEM, hive_to_bytes(root))


def test_a_fresh_machine_boots_normally_with_its_boot_drivers():
    outcome = new_machine("T-0001", 1).boot_outcome()
    assert outcome.environment == "normal"
    assert {"Ntfs", "storport", "Tcpip"} <= set(outcome.loaded)


def test_channel_file_291_crashes_csagent_with_0x50_and_deleting_it_fixes_boot():
    machine = broken("crowdstrike-291")
    outcome = machine.boot_outcome()
    assert (outcome.environment, outcome.bugcheck, outcome.module) == (None, 0x50, "CSAgent.sys")
    os_drive(machine).delete(r"C:\Windows\System32\drivers\CrowdStrike\C-00000291-00000000-00000032.sys")
    assert machine.boot_outcome().environment == "normal"


def test_deleting_only_the_good_channel_files_leaves_the_crash():
    machine = broken("crowdstrike-291")
    drives = os_drive(machine)
    for name in ("C-00000285-00000000-00000052.sys", "C-00000290-00000000-00000107.sys"):
        drives.delete(rf"C:\Windows\System32\drivers\CrowdStrike\{name}")
    assert machine.boot_outcome().bugcheck == 0x50


def test_the_corrected_channel_file_content_boots():
    machine = broken("crowdstrike-291")
    path = r"C:\Windows\System32\drivers\CrowdStrike\C-00000291-00000000-00000032.sys"
    os_drive(machine).write(path, failures.CHANNEL_FILE_HEADER + b"\x01" * 4096)
    assert machine.boot_outcome().environment == "normal"


def test_safe_mode_does_not_load_the_sensor_so_it_boots():
    machine = broken("crowdstrike-291")
    store = machine.system_store()
    store.entries[machine.os_entry_id].elements["safeboot"] = "Network"
    machine.save_system_store(store)
    assert machine.boot_outcome().environment == "safe_mode_network"


def test_a_crashing_filter_driver_boots_once_disabled_but_disabling_storport_gives_0x7b():
    machine = broken("bad-boot-driver")
    assert machine.boot_outcome().bugcheck == 0x7E
    set_start(machine, "ctxflt", 4)
    assert machine.boot_outcome().environment == "normal"
    set_start(machine, "storport", 4)
    outcome = machine.boot_outcome()
    assert outcome.bugcheck == 0x7B
    assert "storport" in outcome.reason


def test_a_bad_update_crashes_even_safe_mode_and_removing_its_file_fixes_boot():
    machine = broken("bad-quality-update")
    assert machine.boot_outcome().bugcheck == 0x7E
    store = machine.system_store()
    store.entries[machine.os_entry_id].elements["safeboot"] = "Minimal"
    machine.save_system_store(store)
    assert machine.boot_outcome().bugcheck == 0x7E
    package = machine.os_volume.servicing.newest_quality_update()
    for path, previous in package.replaced.items():
        os_drive(machine).write("C:\\" + path, previous)
    assert machine.boot_outcome().environment == "safe_mode"


def test_a_broken_boot_entry_fails_before_any_driver_and_repairing_the_devices_boots():
    machine = broken("broken-bcd")
    outcome = machine.boot_outcome()
    assert outcome.environment is None and outcome.bugcheck is None
    assert "0xc000000e" in outcome.reason
    store = machine.system_store()
    for element in ("device", "osdevice"):
        store.entries[machine.os_entry_id].elements[element] = f"partition={machine.os_volume.device}"
    machine.save_system_store(store)
    assert machine.boot_outcome().environment == "normal"


def test_stuck_pending_operations_fail_boot_until_pending_xml_is_gone():
    machine = broken("stuck-pending-actions")
    assert "pending" in machine.boot_outcome().reason
    os_drive(machine).delete(r"C:\Windows\WinSxS\pending.xml")
    assert machine.boot_outcome().environment == "normal"


def test_two_failed_boots_start_winre_and_a_repaired_machine_boots_normally():
    async def scenario():
        machine = broken("crowdstrike-291")
        machine.reboot_seconds = 0.01
        await machine.cycle()
        assert machine.environment == "winre" and machine.power == "running"
        assert [crash.bugcheck for crash in machine.crashes] == [0x50, 0x50]
        assert machine.hostname.startswith("MININT-")
        assert set(machine.drives.letters) == {"X:", "D:"}
        machine.drives.delete(r"D:\Windows\System32\drivers\CrowdStrike\C-00000291-00000000-00000032.sys")
        await machine.cycle()
        assert (machine.environment, machine.failed_boots) == ("normal", 0)
        assert machine.drives.exists(r"C:\Windows\Minidump")

    asyncio.run(scenario())


def test_without_recovery_enabled_the_machine_keeps_crashing():
    async def scenario():
        machine = broken("crowdstrike-291")
        machine.reboot_seconds = 0.01
        store = machine.system_store()
        store.entries[machine.os_entry_id].elements["recoveryenabled"] = "No"
        machine.save_system_store(store)
        machine.restart(0)
        await asyncio.sleep(0.3)
        assert machine.power == "booting"
        assert len(machine.crashes) >= 5
        assert not machine.winrm_reachable()
        machine.cancel_restart()

    asyncio.run(scenario())


def test_bitlocker_locks_the_os_volume_in_winre_only():
    machine = new_machine("T-0001", 1)
    machine.os_volume.bitlocker = BitLocker()
    machine.enter_environment("winre")
    assert machine.os_volume.locked
    with pytest.raises(Exception, match="locked by BitLocker"):
        machine.drives.listdir("D:\\")
    machine.enter_environment("normal")
    assert not machine.os_volume.locked


def test_recovery_passwords_follow_the_documented_format():
    password = new_recovery_password()
    assert is_valid_recovery_password(password)
    assert not is_valid_recovery_password("111111-222222-333333-444444-555555-666666-777777-888888")
    assert not is_valid_recovery_password(password[:-1])


def test_winrm_answers_in_safe_mode_only_when_listed_under_safeboot_network():
    machine = new_machine("T-0001", 1)
    machine.enter_environment("safe_mode_network")
    assert not machine.winrm_reachable()
    failures.prepare_for_remote_recovery(machine)
    machine.enter_environment("safe_mode_network")
    assert machine.winrm_reachable()


def test_winrm_needs_its_dependencies_listed_under_safeboot_network_too():
    # sc qc WinRM: DEPENDENCIES RPCSS, HTTP; the SCM does not start a service whose dependency is not listed
    machine = new_machine("T-0002", 2)
    winrm = machine.registry.open(r"HKLM\SYSTEM\CurrentControlSet\Services\WinRM")
    assert winrm.get("DependOnService").data == ["RPCSS", "HTTP"]
    machine.enter_environment("safe_mode_network")
    network = machine.registry.open(r"HKLM\SYSTEM\CurrentControlSet\Control\SafeBoot\Network")
    network.path("WinRM").set("", "REG_SZ", "Service")
    assert not machine.winrm_reachable()  # HTTP is not listed
    network.path("HTTP").set("", "REG_SZ", "Driver")
    assert machine.winrm_reachable()
    del network.subkeys["rpcss"]
    assert not machine.winrm_reachable()


def test_the_mixed_scenario_builds_every_profile_consistently():
    scenario = scenarios.load("mixed")
    profiles = scenario.assign(200)
    counts = Counter(profiles)
    total = sum(p.share for p in scenario.profiles)
    for profile in scenario.profiles:
        assert abs(counts[profile] - 200 * profile.share / total) <= 1
    failover = (Path(__file__).parents[3] / "roles/winre_failover/files/lifeline-failover.cmd").read_bytes()
    for index, profile in enumerate(profiles[:60]):
        scenarios.apply(new_machine(f"MX-{index:04d}", index), profile, random.Random(index), failover)


def test_a_scenario_that_contradicts_the_boot_model_is_refused():
    profile = scenarios.Profile(failure="bad-quality-update", lands_in="safe_mode_network")
    with pytest.raises(scenarios.ScenarioError, match="also breaks"):
        scenarios.apply(new_machine("T-0001", 1), profile, random.Random(0))


def test_a_boot_window_answers_winrm_briefly_before_each_crash():
    async def scenario():
        machine = broken("crowdstrike-291")
        machine.reboot_seconds = 0.01
        machine.boot_window_seconds = 0.2
        store = machine.system_store()
        store.entries[machine.os_entry_id].elements["recoveryenabled"] = "No"
        machine.save_system_store(store)
        machine.restart(0)
        seen_window = False
        for _ in range(40):
            await asyncio.sleep(0.01)
            seen_window = seen_window or machine.winrm_reachable()
        machine.cancel_restart()
        assert seen_window
        assert machine.crashes and machine.crashes[-1].bugcheck == 0x50

    asyncio.run(scenario())


@pytest.mark.parametrize(("environment", "option_value"), [("safe_mode", 1), ("safe_mode_network", 2)])
def test_safe_mode_is_visible_in_the_live_registry_and_gone_after_a_normal_boot(environment, option_value):
    machine = new_machine("T-0002", 2)
    machine.enter_environment(environment)
    option = machine.registry.open(r"HKLM\SYSTEM\CurrentControlSet\Control\SafeBoot\Option")
    assert option is not None and option.get("OptionValue").data == option_value
    machine.enter_environment("normal")
    assert machine.registry.open(r"HKLM\SYSTEM\CurrentControlSet\Control\SafeBoot\Option") is None
    machine.enter_environment("winre")
    machine.registry.load("HKLM", "OFFLINE", r"D:\Windows\System32\config\SYSTEM")
    assert machine.registry.open(r"HKLM\OFFLINE\ControlSet001\Control\SafeBoot\Option") is None
