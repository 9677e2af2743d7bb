"""shutdown.exe and wpeutil.exe in the lab: restarts that take the machine down and bring it back by its disks.

Expected texts: Microsoft Learn ("shutdown", "Wpeutil Command-Line Options") and real captures of shutdown's
errors (`...no shutdown was in progress.(1116)`, `A system shutdown has already been scheduled.(1190)`).
"""

from __future__ import annotations

import asyncio
import random

import pytest

from lifeline_lab import failures
from lifeline_lab.machine import Machine, new_machine
from lifeline_lab.shell.capture import Completed

from .support import launch, run

NOT_RECOGNIZED = "'{}' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n"
NO_SHUTDOWN = "Unable to abort the system shutdown because no shutdown was in progress.(1116)\r\n"
SCHEDULED = "A system shutdown has already been scheduled.(1190)\r\n"


@pytest.fixture
def machine() -> Machine:
    machine = new_machine("WS-0001", 12)
    machine.reboot_seconds = 0.01
    return machine


def test_shutdown_r_t_0_reboots_the_machine(machine: Machine) -> None:
    async def scenario() -> tuple[Completed, int, str]:
        result = await launch(machine, "shutdown /r /t 0")
        boots = machine.boots
        await asyncio.sleep(0.2)
        return result, machine.boots - boots, machine.environment

    result, new_boots, environment = asyncio.run(scenario())
    assert result == Completed(0, "", "")
    assert (new_boots, environment, machine.power) == (1, "normal", "running")


def test_shutdown_waits_for_its_timeout_and_can_be_aborted(machine: Machine) -> None:
    async def scenario() -> list[Completed]:
        results = [await launch(machine, 'shutdown -r -f -t 30 -c "patching" -d p:2:17')]
        results.append(await launch(machine, "shutdown /r /t 5"))
        results.append(await launch(machine, "shutdown /a"))
        results.append(await launch(machine, "shutdown /a"))
        await asyncio.sleep(0.05)
        return results

    boots = machine.boots
    assert asyncio.run(scenario()) == [
        Completed(0, "", ""),
        Completed(1190, "", SCHEDULED),
        Completed(0, "", ""),
        Completed(1116, "", NO_SHUTDOWN),
    ]
    assert machine.boots == boots and not machine.restart_pending


def test_shutdown_a_with_nothing_scheduled(machine: Machine) -> None:
    assert run(machine, "shutdown /a") == Completed(1116, "", NO_SHUTDOWN)


@pytest.mark.parametrize(
    "arguments", ["/r /t 315360001", "/r /t soon", "/r /t", "/r /x", "/r /d 2:99999", '/r /c "' + "x" * 513 + '"']
)
def test_invalid_values_are_error_87(machine: Machine, arguments: str) -> None:
    assert run(machine, f"shutdown {arguments}") == Completed(87, "", "The parameter is incorrect.(87)\r\n")
    assert not machine.restart_pending


def test_power_off_and_other_actions_are_not_simulated(machine: Machine) -> None:
    result = run(machine, "shutdown /s /t 0")
    assert result == Completed(1, "", "The lab does not implement shutdown /s (shut down); it simulates /r and /a.\r\n")
    assert run(machine, "shutdown /p").exit_code == 1
    assert run(machine, "shutdown").exit_code == 1
    assert machine.power == "running" and not machine.restart_pending


def test_shutdown_is_absent_in_winre_and_wpeutil_outside_it() -> None:
    winre = new_machine("WS-0002", 13)
    winre.enter_environment("winre")
    assert run(winre, "shutdown /r /t 0") == Completed(9009, "", NOT_RECOGNIZED.format("shutdown"))
    normal = new_machine("WS-0003", 14)
    assert run(normal, "wpeutil reboot") == Completed(9009, "", NOT_RECOGNIZED.format("wpeutil"))
    via_powershell = run(normal, 'powershell -NoProfile -Command "wpeutil reboot"')
    assert via_powershell.exit_code == 1
    assert "The term 'wpeutil' is not recognized" in via_powershell.stderr


def test_wpeutil_reboot_restarts_winre_and_the_disks_decide_where_it_lands() -> None:
    machine = new_machine("WS-0004", 15)
    failures.bad_boot_driver(machine, random.Random(1))
    machine.enter_environment("winre")
    machine.reboot_seconds = 0.01

    async def scenario() -> Completed:
        result = await launch(machine, "wpeutil reboot")
        await asyncio.sleep(0.3)
        return result

    crashes = len(machine.crashes)
    assert asyncio.run(scenario()) == Completed(0, "", "")
    assert machine.environment == "winre" and len(machine.crashes) == crashes + 2  # still broken: back in WinRE


def test_wpeutil_other_commands_are_not_simulated() -> None:
    machine = new_machine("WS-0005", 16)
    machine.enter_environment("winre")
    assert run(machine, "wpeutil shutdown") == Completed(
        1, "", "The lab does not implement wpeutil shutdown; it simulates wpeutil reboot.\r\n"
    )
    assert run(machine, "wpeutil InitializeNetwork").exit_code == 1
    assert run(machine, "wpeutil").exit_code == 1
    assert machine.power == "running" and not machine.restart_pending
