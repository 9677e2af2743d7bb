"""reagentc.exe in the lab: /info, /disable, /enable, /boottore on a running Windows.

Expected texts: the published en-US `reagentc /info` transcript (windows-tools.md §8), `REAGENTC.EXE: Windows RE
is already disabled.` and `REAGENTC.EXE: The Windows RE image was not found.` (published transcripts). Asserted on
the machine: where Winre.wim is, the BCD link the boot model follows, whether a failed boot reaches WinRE.
"""

from __future__ import annotations

import asyncio

from lifeline_lab.machine import Machine, new_machine
from lifeline_lab.machine.filesystem import Drives
from lifeline_lab.machine.windows_image import STAGED_WINRE_WIM, WINRE_WIM, stock_winre_wim

from .support import lines, run, run_ps

SUCCESS = "REAGENTC.EXE: Operation Successful.\r\n"


def info(status: str, location: str, identifier: str) -> str:
    return lines(
        "Windows Recovery Environment (Windows RE) and system reset configuration",
        "Information:",
        "",
        f"    Windows RE status:         {status}",
        f"    Windows RE location:{location}",
        f"    Boot Configuration Data (BCD) identifier: {identifier}",
        "    Recovery image location:",
        "    Recovery image index:      0",
        "    Custom image location:",
        "    Custom image index:        0",
        "",
        "REAGENTC.EXE: Operation Successful.",
    )


def on_recovery(machine: Machine) -> bytes | None:
    node = Drives({"R:": machine.recovery}).find("R:\\" + WINRE_WIM)
    return node.data if node else None


def staged(machine: Machine) -> bytes | None:
    node = Drives({"C:": machine.os_volume}).find("C:\\" + STAGED_WINRE_WIM)
    return node.data if node else None


def test_info_enabled_prints_the_published_block():
    machine = new_machine("WS-0001", 5)
    result = run(machine, "reagentc /info")
    guid = machine.recovery_entry_id.strip("{}")
    location = r"       \\?\GLOBALROOT\device\harddisk0\partition4\Recovery\WindowsRE"
    assert (result.exit_code, result.stdout, result.stderr) == (0, info("Enabled", location, guid), "")


def test_disable_moves_the_image_to_system32_recovery_and_unlinks_winre():
    machine = new_machine("WS-0001", 5)
    assert run(machine, "reagentc.exe /disable").stdout == SUCCESS
    assert on_recovery(machine) is None
    assert staged(machine) == stock_winre_wim()
    windows = machine.system_store().entries[machine.os_entry_id]
    assert "recoverysequence" not in windows.elements
    assert not machine._winre_allowed()
    xml = Drives({"C:": machine.os_volume}).read(r"C:\Windows\System32\Recovery\ReAgent.xml").decode()
    assert '<WinreBCD id="{00000000-0000-0000-0000-000000000000}"/>' in xml
    result = run(machine, "reagentc /info")
    assert result.stdout == info("Disabled", "", "00000000-0000-0000-0000-000000000000")
    again = run(machine, "reagentc /disable")
    assert (again.exit_code, again.stdout) == (0, "REAGENTC.EXE: Windows RE is already disabled.\r\n")


def test_enable_moves_the_image_back_and_links_winre():
    machine = new_machine("WS-0001", 5)
    run(machine, "reagentc /disable")
    Drives({"C:": machine.os_volume}).write("C:\\" + STAGED_WINRE_WIM, b"MSWIM\x00\x00\x00changed")
    result = run(machine, "reagentc /enable")
    assert (result.exit_code, result.stdout) == (0, SUCCESS)
    assert staged(machine) is None
    assert on_recovery(machine) == b"MSWIM\x00\x00\x00changed"
    windows = machine.system_store().entries[machine.os_entry_id]
    assert windows.elements["recoverysequence"] == machine.recovery_entry_id
    assert machine.winre_image() == b"MSWIM\x00\x00\x00changed"
    assert run(machine, "reagentc /enable").stdout == SUCCESS  # already enabled: nothing moves


def test_enable_without_the_image_fails_and_leaves_winre_disabled():
    machine = new_machine("WS-0001", 5)
    run(machine, "reagentc /disable")
    Drives({"C:": machine.os_volume}).delete("C:\\" + STAGED_WINRE_WIM)
    result = run(machine, "reagentc /enable")
    assert (result.exit_code, result.stdout) == (1, "REAGENTC.EXE: The Windows RE image was not found.\r\n")
    assert not machine._winre_allowed()


def test_enable_recreates_a_deleted_winre_loader():
    machine = new_machine("WS-0001", 5)
    run(machine, "reagentc /disable")
    old = machine.recovery_entry_id
    assert run(machine, f"bcdedit /delete {old}").exit_code == 0
    assert run(machine, "reagentc /enable").exit_code == 0
    assert machine.recovery_entry_id != old
    assert machine._winre_allowed()
    assert machine.winre_image() == stock_winre_wim()


def test_a_disabled_winre_is_not_started_after_failed_boots():
    machine = new_machine("WS-0001", 5)
    machine.reboot_seconds = 0.0
    run(machine, "reagentc /disable")
    machine.failed_boots = 2  # two failed boots: an enabled WinRE would start now
    asyncio.run(machine.cycle())
    assert machine.environment == "normal"


def test_boottore_starts_winre_at_the_next_start():
    machine = new_machine("WS-0001", 5)
    machine.reboot_seconds = 0.0
    assert run(machine, "reagentc /boottore").stdout == SUCCESS

    async def restart() -> None:
        await machine.cycle()
        await machine._winpeshl

    asyncio.run(restart())
    assert machine.environment == "winre"
    assert machine.winpeshl_log[-1]["app"].lower().endswith("recenv.exe")


def test_reagentc_from_powershell_and_not_in_winre():
    machine = new_machine("WS-0001", 5)
    result = run_ps(machine, "& reagentc.exe /info; exit $LASTEXITCODE")
    assert result.exit_code == 0 and "Windows RE status:         Enabled" in result.stdout
    machine.enter_environment("winre")
    assert run(machine, "reagentc /info").exit_code == 9009


def test_unimplemented_commands_are_lab_refusals():
    machine = new_machine("WS-0001", 5)
    result = run(machine, r"reagentc /setreimage /path R:\Recovery\WindowsRE")
    assert result.exit_code == 1 and "lab refusal" in result.stderr and result.stdout == ""
