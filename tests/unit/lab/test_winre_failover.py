"""WinRE starts from winre.wim and runs its winpeshl.ini [LaunchApps]; an image armed with the collection's failover
script (read here by path: the lab never imports the collection) sends a crowdstrike-291 machine with WinRM listed
under SafeBoot\\Network to Safe Mode with Networking, and a machine whose Safe Mode fails too ends and stays in
WinRE. Asserted on the machine's state (environment, BCD, winpeshl's log), not on anything a tool prints."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

from lifeline_lab import failures
from lifeline_lab.machine import Machine, new_machine, wim
from lifeline_lab.machine.windows_image import STOCK_WINPESHL, stock_winre_wim

from .support import run

SCRIPT = Path(__file__).resolve().parents[3] / "roles" / "winre_failover" / "files" / "lifeline-failover.cmd"
MARKER = "{07b12ddd-c467-4140-8aab-3313b0711336}"


def armed(failure: str, seed: int) -> Machine:
    machine = new_machine(f"CS-{seed:04d}", seed)
    machine.reboot_seconds = 0.0
    failures.FAILURES[failure](machine, random.Random(seed))
    failures.prepare_for_remote_recovery(machine)
    failures.arm_winre_failover(machine, SCRIPT.read_bytes())
    return machine


async def boot_loop_until_settled(machine: Machine, rounds: int = 400) -> None:
    """Crash twice (the failure is on disk), then let the machine restart as it decides, until it rests."""
    machine.restart(0)
    quiet = 0
    for _ in range(rounds):
        await asyncio.sleep(0)
        busy = (machine._restart and not machine._restart.done()) or (
            machine._winpeshl and not machine._winpeshl.done()
        )
        quiet = 0 if busy else quiet + 1
        if quiet > 5 and machine.power == "running":
            return
    raise AssertionError(f"{machine.computer_name} did not settle: {machine.power} {machine.environment}")


def test_stock_winre_wim_is_deterministic_and_names_recenv():
    assert stock_winre_wim() == stock_winre_wim()
    assert stock_winre_wim()[:8] == b"MSWIM\x00\x00\x00"
    root, _ = wim.unpack(stock_winre_wim())
    ini = root.child("Windows").child("System32").child("winpeshl.ini")
    assert ini.data.decode() == STOCK_WINPESHL
    assert root.child("Windows").child("System32").child("powershell.exe") is None


def test_x_is_built_from_the_winre_wim_the_loader_names_at_each_start():
    machine = new_machine("WS-0001", 3)
    machine.enter_environment("winre")
    assert run(machine, r"dir X:\Windows\System32\Lifeline").exit_code == 1
    failures.arm_winre_failover(machine, b"@echo off\r\n")
    assert run(machine, r"dir X:\Windows\System32\Lifeline").exit_code == 1  # X: is this start's copy
    machine.enter_environment("winre")
    assert run(machine, r"dir X:\Windows\System32\Lifeline\failover.cmd").exit_code == 0


def test_stock_winre_runs_recenv_and_waits_unreachable():
    machine = new_machine("CS-0009", 9)
    machine.reboot_seconds = 0.0
    failures.crowdstrike_291(machine, random.Random(9))
    asyncio.run(boot_loop_until_settled(machine))
    assert (machine.environment, machine.power, machine.winrm_reachable()) == ("winre", "running", False)
    assert [entry["app"] for entry in machine.winpeshl_log] == [r"X:\sources\recovery\recenv.exe"]


def test_armed_crowdstrike_machine_fails_over_to_safe_mode_with_networking():
    machine = armed("crowdstrike-291", 11)
    asyncio.run(boot_loop_until_settled(machine))
    assert (machine.environment, machine.power, machine.winrm_reachable()) == ("safe_mode_network", "running", True)
    truth = machine.snapshot()["bcd"]
    assert truth["entries"][MARKER]["kind"] == "device"
    assert truth["entries"][truth["os_entry"]]["safeboot"] == "Network"


def test_a_second_failed_safe_mode_ends_and_stays_in_winre():
    machine = armed("bad-quality-update", 12)
    asyncio.run(boot_loop_until_settled(machine))
    assert (machine.environment, machine.power, machine.winrm_reachable()) == ("winre", "running", False)
    assert MARKER in machine.snapshot()["bcd"]["entries"]
    # the last start found the marker: the script exited 0 and recenv.exe waits for a person
    apps = [(entry["app"], entry["exit_code"]) for entry in machine.winpeshl_log]
    assert apps == [(r"X:\Windows\System32\cmd.exe", 0), (r"X:\sources\recovery\recenv.exe", None)]


def test_an_armed_profile_lands_where_the_boot_cycle_takes_it_and_needs_the_script():
    from lifeline_lab import scenarios

    profile = scenarios.Profile(failure="crowdstrike-291", lands_in="safe_mode_network", armed=True, bitlocker=True)
    machine = new_machine("CS-0021", 21)
    scenarios.apply(machine, profile, random.Random(21), SCRIPT.read_bytes())
    assert (machine.environment, machine.power, machine.winrm_reachable()) == ("safe_mode_network", "running", True)
    assert MARKER in machine.snapshot()["bcd"]["entries"]

    wrong = scenarios.Profile(failure="bad-quality-update", lands_in="safe_mode_network", armed=True)
    try:
        scenarios.apply(new_machine("QU-0001", 22), wrong, random.Random(22), SCRIPT.read_bytes())
    except scenarios.ScenarioError as error:
        assert "lands in winre" in str(error)
    else:
        raise AssertionError("an armed bad-quality-update host cannot land in Safe Mode")
    try:
        scenarios.apply(new_machine("CS-0023", 23), profile, random.Random(23), None)
    except scenarios.ScenarioError as error:
        assert "--winre-failover" in str(error)
    else:
        raise AssertionError("an armed profile without the script must be refused")
