"""The lab's test control hold-boot (not a Windows behaviour): a restart that stays down until released."""

from __future__ import annotations

import asyncio

from lifeline_lab.host import FAULTS
from lifeline_lab.machine import new_machine
from lifeline_lab.machine.machine import HELD

FAST = 0.01


async def settle(machine, until, limit: float = 2.0) -> None:
    for _ in range(int(limit / FAST)):
        if until(machine):
            return
        await asyncio.sleep(FAST)
    raise AssertionError(f"still {machine.power}/{machine.environment} after {limit} s")


def test_a_held_restart_stays_down_until_released_then_boots_once():
    async def scenario():
        machine = new_machine("T-0001", 1)
        machine.reboot_seconds = FAST
        assert not machine.release_boot()  # nothing held
        machine.hold_next_boot = True
        boots = machine.boots
        machine.restart()
        await settle(machine, lambda m: m.power == HELD)
        await asyncio.sleep(10 * FAST)
        assert (machine.power, machine.boots, machine.winrm_reachable()) == (HELD, boots, False)
        assert machine.release_boot()
        await settle(machine, lambda m: m.power == "running")
        assert (machine.environment, machine.boots) == ("normal", boots + 1)

        machine.restart()  # only the next restart was held
        await settle(machine, lambda m: m.power == "running" and m.boots == boots + 2)

        machine.hold_next_boot = True
        assert not machine.release_boot()  # released before the restart: that restart is not held
        machine.restart()
        await settle(machine, lambda m: m.power == "running" and m.boots == boots + 3)

    asyncio.run(scenario())


def test_hold_boot_is_a_fault_the_cli_offers():
    assert "hold-boot" in FAULTS and "cleared" in FAULTS["hold-boot"]
