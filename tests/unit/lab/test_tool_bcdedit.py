"""bcdedit.exe in the lab: /enum layout, /set and /deletevalue, identifiers, devices by drive letter, /store.

Expected texts come from lab/docs/windows-tools.md §2 and the transcripts cited in
lifeline_lab/shell/tools/bcdedit/messages.py, not from anything Lifeline expects.
"""

from __future__ import annotations

import asyncio
import random

import pytest

from lifeline_lab import failures
from lifeline_lab.machine import new_machine
from lifeline_lab.machine.bcd import BOOTMGR, MEMDIAG, BcdStore
from lifeline_lab.machine.machine import BCD_PATH, Machine
from lifeline_lab.shell.capture import Completed, run_captured

from .support import run

OK = "The operation completed successfully.\r\n"
RUN_HELP = 'Run "bcdedit /?" for command line assistance.\r\n'
REFERENCE_FAILED = (
    "An error occurred while attempting to reference the specified entry.\r\n"
    "The system cannot find the file specified.\r\n"
)
ELEMENT_TYPE_UNKNOWN = (
    "The element data type specified is not recognized, or does not apply to the\r\nspecified entry.\r\n" + RUN_HELP
)
GLOBALSETTINGS = "{7ea2e1ac-2e61-4728-aaa3-896d9d0a9f0e}"
BOOTLOADERSETTINGS = "{6efb52bf-1766-41db-a6b3-0ee5eff72bd7}"


@pytest.fixture
def machine() -> Machine:
    return new_machine("WS-0001", 7)


def store_of(machine: Machine) -> BcdStore:
    store = machine.system_store()
    assert store is not None
    return store


def contents(store: BcdStore) -> dict:
    """What a store holds (its hive bytes carry write times, so compare this instead)."""
    return {entry.identifier: (entry.kind, dict(entry.elements)) for entry in store.entries.values()}


def fresh_enum_text(machine: Machine) -> str:
    """`bcdedit` on a fresh Server 2022 machine, in the layout of [S:T-bcd-packt]."""
    store = store_of(machine)
    bootmgr = store.entries[BOOTMGR].elements
    loader = store.entries[machine.os_entry_id].elements
    lines = [
        "",
        "Windows Boot Manager",
        "--------------------",
        "identifier              {bootmgr}",
        "device                  partition=\\Device\\HarddiskVolume1",
        "path                    \\EFI\\Microsoft\\Boot\\bootmgfw.efi",
        "description             Windows Boot Manager",
        "locale                  en-US",
        "inherit                 {globalsettings}",
        "default                 {current}",
        f"resumeobject            {bootmgr['resumeobject']}",
        "displayorder            {current}",
        "toolsdisplayorder       {memdiag}",
        "timeout                 30",
        "",
        "Windows Boot Loader",
        "-------------------",
        "identifier              {current}",
        "device                  partition=C:",
        "path                    \\Windows\\system32\\winload.efi",
        "description             Windows Server",
        "locale                  en-US",
        "inherit                 {bootloadersettings}",
        f"recoverysequence        {machine.recovery_entry_id}",
        "displaymessageoverride  Recovery",
        "recoveryenabled         Yes",
        "isolatedcontext         Yes",
        "allowedinmemorysettings 0x15000075",
        "osdevice                partition=C:",
        "systemroot              \\Windows",
        f"resumeobject            {loader['resumeobject']}",
        "nx                      OptOut",
        "bootmenupolicy          Standard",
    ]
    return "".join(line + "\r\n" for line in lines)


# --- /enum --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command_line", ["bcdedit", "bcdedit /enum", "BCDEDIT.EXE -ENUM ACTIVE", "bcdedit /enum active"]
)
def test_enum_on_a_fresh_machine(machine: Machine, command_line: str) -> None:
    assert run(machine, command_line) == Completed(0, fresh_enum_text(machine), "")


def test_enum_verbose_shows_guids_for_every_identifier(machine: Machine) -> None:
    result = run(machine, "bcdedit /enum /v")
    os_id = machine.os_entry_id
    assert result.exit_code == 0
    lines = result.stdout.split("\r\n")
    assert f"identifier              {BOOTMGR}" in lines
    assert f"inherit                 {GLOBALSETTINGS}" in lines
    assert f"default                 {os_id}" in lines
    assert f"displayorder            {os_id}" in lines
    assert f"toolsdisplayorder       {MEMDIAG}" in lines
    assert f"identifier              {os_id}" in lines
    assert f"inherit                 {BOOTLOADERSETTINGS}" in lines
    assert not any("{current}" in line or "{bootmgr}" in line for line in lines)
    assert run(machine, "bcdedit /v").stdout == result.stdout


def test_enum_all_lists_the_winre_loader_and_the_memory_tester(machine: Machine) -> None:
    result = run(machine, "bcdedit /enum all")
    lines = result.stdout.split("\r\n")
    titles = [lines[index - 1] for index, line in enumerate(lines) if line and set(line) == {"-"}]
    assert titles == ["Windows Boot Manager", "Windows Boot Loader", "Windows Boot Loader", "Windows Memory Tester"]
    assert (
        "device                  ramdisk=[\\Device\\HarddiskVolume4]\\Recovery\\WindowsRE\\Winre.wim," in result.stdout
    )
    assert "winpe                   Yes\r\n" in result.stdout


def test_enum_of_one_entry_has_a_leading_blank_line_and_no_trailing_one(machine: Machine) -> None:
    result = run(machine, "bcdedit /enum {memdiag}")
    assert result == Completed(
        0,
        "\r\nWindows Memory Tester\r\n---------------------\r\n"
        "identifier              {memdiag}\r\n"
        "device                  partition=\\Device\\HarddiskVolume1\r\n"
        "path                    \\EFI\\Microsoft\\Boot\\memtest.efi\r\n"
        "description             Windows Memory Diagnostic\r\n"
        "locale                  en-US\r\n",
        "",
    )


def test_enum_in_winre_shows_the_os_volume_as_d_and_the_os_entry_as_default(machine: Machine) -> None:
    machine.enter_environment("winre")
    result = run(machine, "bcdedit /enum {default}")
    assert result.exit_code == 0
    lines = result.stdout.split("\r\n")
    assert lines[:4] == ["", "Windows Boot Loader", "-------------------", "identifier              {default}"]
    assert "device                  partition=D:" in lines
    assert "osdevice                partition=D:" in lines
    assert "recoverysequence        {current}" in lines  # {current} is the WinRE loader now
    active = run(machine, "bcdedit").stdout
    assert "default                 {default}\r\n" in active
    assert "displayorder            {default}\r\n" in active


def test_enum_of_an_identifier_the_store_lacks(machine: Machine) -> None:
    absent = "{11111111-2222-3333-4444-555555555555}"
    assert run(machine, f"bcdedit /enum {absent}") == Completed(
        0, "There are no matching objects or the store is empty.\r\n", ""
    )
    assert run(machine, "bcdedit /enum {globalsettings}").stdout.startswith("There are no matching objects")


def test_default_without_a_default_entry_names_nothing(machine: Machine) -> None:
    assert run(machine, "bcdedit /deletevalue {bootmgr} default") == Completed(0, OK, "")
    assert run(machine, "bcdedit /enum {default}") == Completed(
        0, "There are no matching objects or the store is empty.\r\n", ""
    )
    assert run(machine, "bcdedit /set {default} safeboot minimal") == Completed(1, "", REFERENCE_FAILED)


def test_enum_of_something_that_is_neither_a_type_nor_an_identifier(machine: Machine) -> None:
    # PowerShell passes an unquoted {current} without its braces [S:T-bcd-minimal]
    assert run(machine, "bcdedit /enum current") == Completed(
        1, "The specified entry type is invalid.\r\n" + RUN_HELP + "The parameter is incorrect.\r\n", ""
    )


# --- /set and /deletevalue ------------------------------------------------------------------------------------------


def test_set_safeboot_network_then_enum_shows_it_after_nx(machine: Machine) -> None:
    assert run(machine, "bcdedit /set {default} safeboot network") == Completed(0, OK, "")
    lines = run(machine, "bcdedit /enum {default}").stdout.split("\r\n")
    assert "safeboot                Network" in lines
    assert lines.index("nx                      OptOut") + 1 == lines.index("safeboot                Network")
    assert lines.index("safeboot                Network") + 1 == lines.index("bootmenupolicy          Standard")
    assert machine.boot_outcome().environment == "safe_mode_network"


@pytest.mark.parametrize(("typed", "shown"), [("minimal", "Minimal"), ("NETWORK", "Network"), ("DsRepair", "DsRepair")])
def test_safeboot_values_are_shown_by_their_names(machine: Machine, typed: str, shown: str) -> None:
    assert run(machine, f"bcdedit -set {{current}} SAFEBOOT {typed}").exit_code == 0
    assert f"safeboot                {shown}\r\n" in run(machine, "bcdedit /enum {current}").stdout


def test_deletevalue_safeboot_leaves_safe_mode(machine: Machine) -> None:
    run(machine, "bcdedit /set {default} safeboot minimal")
    assert run(machine, "bcdedit /deletevalue {default} safeboot") == Completed(0, OK, "")
    assert "safeboot" not in run(machine, "bcdedit /enum {default}").stdout
    assert machine.boot_outcome().environment == "normal"


def test_deletevalue_of_an_element_that_is_not_set_fails(machine: Machine) -> None:
    before = contents(store_of(machine))
    assert run(machine, "bcdedit /deletevalue {default} safeboot") == Completed(
        1, "", "An error occurred while attempting to delete the specified data element.\r\nElement not found.\r\n"
    )
    assert contents(store_of(machine)) == before


def test_set_without_an_identifier_changes_current(machine: Machine) -> None:
    assert run(machine, "bcdedit /set bootstatuspolicy IgnoreAllFailures").exit_code == 0
    lines = run(machine, "bcdedit /enum {current}").stdout.rstrip("\r\n").split("\r\n")
    assert lines[-1] == "bootstatuspolicy        IgnoreAllFailures"  # 0x250000E0 sorts last [S:T-bcd-all]


@pytest.mark.parametrize(("typed", "shown"), [("off", "No"), ("No", "No"), ("0", "No"), ("on", "Yes"), ("TRUE", "Yes")])
def test_recoveryenabled_takes_the_documented_boolean_words(machine: Machine, typed: str, shown: str) -> None:
    assert run(machine, f"bcdedit /set {{default}} recoveryenabled {typed}").exit_code == 0
    assert f"recoveryenabled         {shown}\r\n" in run(machine, "bcdedit /enum {default}").stdout


def test_an_unknown_identifier_cannot_be_referenced(machine: Machine) -> None:
    before = contents(store_of(machine))
    for identifier in ("{11111111-2222-3333-4444-555555555555}", "[default]", "{nosuchname}"):
        assert run(machine, f"bcdedit /set {identifier} safeboot minimal") == Completed(1, "", REFERENCE_FAILED)
    assert run(machine, "bcdedit /deletevalue {11111111-2222-3333-4444-555555555555} safeboot").stderr == (
        REFERENCE_FAILED
    )
    assert contents(store_of(machine)) == before


def test_an_element_the_entry_does_not_hold_is_refused(machine: Machine) -> None:
    assert run(machine, "bcdedit /set {default} nosuchelement 1") == Completed(1, ELEMENT_TYPE_UNKNOWN, "")
    assert run(machine, "bcdedit /set {bootmgr} safeboot network") == Completed(1, ELEMENT_TYPE_UNKNOWN, "")


def test_a_value_the_element_cannot_take_changes_nothing(machine: Machine) -> None:
    before = contents(store_of(machine))
    assert run(machine, "bcdedit /set {default} safeboot sometimes") == Completed(
        1, "The integer data is not valid as specified.\r\n" + RUN_HELP + "The parameter is incorrect.\r\n", ""
    )
    assert contents(store_of(machine)) == before


def test_set_with_too_few_arguments(machine: Machine) -> None:
    assert run(machine, "bcdedit /set {default}") == Completed(
        1, "The set command specified is not valid.\r\n" + RUN_HELP + "The parameter is incorrect.\r\n", ""
    )


def test_device_partition_letter_is_stored_as_the_volume_it_names_now(machine: Machine) -> None:
    failures.broken_bcd(machine, random.Random(1))
    machine.enter_environment("winre")
    assert "partition=\\Device\\HarddiskVolume2" in run(machine, "bcdedit /enum {default}").stdout
    assert run(machine, "bcdedit /set {default} device partition=D:") == Completed(0, OK, "")
    assert run(machine, "bcdedit /set {default} osdevice partition=d:") == Completed(0, OK, "")
    entry = store_of(machine).entries[machine.os_entry_id]
    assert entry.elements["device"] == "partition=\\Device\\HarddiskVolume3"
    assert entry.elements["osdevice"] == "partition=\\Device\\HarddiskVolume3"
    assert machine.boot_outcome().environment == "normal"


def test_device_on_a_letter_no_volume_has(machine: Machine) -> None:
    assert run(machine, "bcdedit /set {default} device partition=Q:") == Completed(
        1, "", "An error has occurred setting the element data.\r\nThe system cannot find the file specified.\r\n"
    )


# --- command line ---------------------------------------------------------------------------------------------------


def test_an_unknown_command(machine: Machine) -> None:
    assert run(machine, "bcdedit /get safeboot") == Completed(1, "An unknown command was specified.\r\n" + RUN_HELP, "")


def test_an_unknown_switch_after_the_command(machine: Machine) -> None:
    assert run(machine, "bcdedit /enum -encodedCommand") == Completed(
        1, "Invalid command line switch: /encodedCommand\r\n" + RUN_HELP + "The parameter is incorrect.\r\n", ""
    )


def test_documented_commands_the_lab_does_not_simulate_fail_loudly(machine: Machine) -> None:
    assert run(machine, r"bcdedit /export C:\bcd.bak") == Completed(
        1, "", "The lab does not implement bcdedit /export.\r\n"
    )


def test_without_a_machine_bcdedit_says_so() -> None:
    result = asyncio.run(run_captured("bcdedit"))
    assert result.exit_code == 1
    assert "no simulated machine" in result.stderr


# --- /store ---------------------------------------------------------------------------------------------------------


def copy_bcd(machine: Machine, path: str = r"C:\BCDBackup\BCD") -> str:
    machine.drives.mkdir(r"C:\BCDBackup")
    machine.drives.write(path, store_of(machine).to_bytes())
    return path


def test_store_on_a_copy_changes_the_copy_only(machine: Machine) -> None:
    path = copy_bcd(machine)
    system_before = contents(store_of(machine))
    result = run(machine, rf"bcdedit /store {path} /set {{default}} bootstatuspolicy IgnoreAllFailures")
    assert result == Completed(0, OK, "")
    copy = BcdStore.from_bytes(machine.drives.read(path))
    assert copy.entries[machine.os_entry_id].elements["bootstatuspolicy"] == "IgnoreAllFailures"
    assert contents(store_of(machine)) == system_before
    shown = run(machine, rf"bcdedit /store {path} /enum {{default}}").stdout
    assert shown.endswith("bootstatuspolicy        IgnoreAllFailures\r\n")
    assert "bootstatuspolicy" not in run(machine, "bcdedit /enum {default}").stdout


def test_store_alone_enumerates_the_active_entries(machine: Machine) -> None:
    path = copy_bcd(machine)
    assert run(machine, f"bcdedit /store {path}") == Completed(0, fresh_enum_text(machine), "")


def test_store_relative_to_the_working_directory_in_winre(machine: Machine) -> None:
    machine.enter_environment("winre")
    machine.drives.write(r"X:\windows\system32\BCD.copy", store_of(machine).to_bytes())
    assert run(machine, "bcdedit /store BCD.copy /deletevalue {default} nx") == Completed(0, OK, "")
    copy = BcdStore.from_bytes(machine.drives.read(r"X:\windows\system32\BCD.copy"))
    assert "nx" not in copy.entries[machine.os_entry_id].elements


def test_store_that_cannot_be_opened(machine: Machine) -> None:
    assert run(machine, r"bcdedit /store C:\nothere\BCD /enum") == Completed(
        1,
        "",
        "The boot configuration data store could not be opened.\r\nThe system cannot find the path specified.\r\n",
    )
    machine.drives.write(r"C:\notastore", b"hello")
    assert run(machine, r"bcdedit /store C:\notastore").stderr.startswith(
        "The boot configuration data store could not be opened.\r\n"
    )


def test_the_system_store_missing(machine: Machine) -> None:
    from lifeline_lab.machine.filesystem import Drives

    Drives({"S:": machine.esp}).delete("S:\\" + BCD_PATH)
    assert run(machine, "bcdedit /enum") == Completed(
        1,
        "",
        "The boot configuration data store could not be opened.\r\nThe system cannot find the file specified.\r\n",
    )


# --- entries and the boot manager -----------------------------------------------------------------------------------


def test_copy_makes_a_new_entry_and_adds_it_to_the_menu(machine: Machine) -> None:
    result = run(machine, 'bcdedit /copy {current} /d "Windows Server (safe)"')
    assert result.exit_code == 0
    assert result.stdout.startswith("The entry was successfully copied to {") and result.stdout.endswith("}.\r\n")
    new_id = result.stdout[len("The entry was successfully copied to ") : -len(".\r\n")]
    store = store_of(machine)
    assert store.entries[new_id].elements["description"] == "Windows Server (safe)"
    assert store.entries[new_id].elements["osdevice"] == store.entries[machine.os_entry_id].elements["osdevice"]
    assert store.entries[BOOTMGR].elements["displayorder"] == [machine.os_entry_id, new_id]
    assert run(machine, f"bcdedit /set {new_id} safeboot minimal").exit_code == 0
    assert "safeboot" not in run(machine, "bcdedit /enum {current}").stdout


def test_copy_needs_a_description(machine: Machine) -> None:
    assert run(machine, "bcdedit /copy {current}").stdout.startswith("The copy command specified is not valid.\r\n")


def test_create_an_os_loader(machine: Machine) -> None:
    result = run(machine, "bcdedit /create /d Rescue /application osloader")
    assert result.exit_code == 0
    assert result.stdout.startswith("The entry {") and result.stdout.endswith("} was successfully created.\r\n")
    new_id = result.stdout.split("{", 1)[1].split("}", 1)[0]
    assert store_of(machine).entries["{" + new_id + "}"].kind == "osloader"


def test_default_timeout_and_displayorder(machine: Machine) -> None:
    new_id = run(machine, "bcdedit /copy {current} /d Other").stdout.split(" ")[-1].rstrip(".\r\n")
    assert run(machine, f"bcdedit /default {new_id}") == Completed(0, OK, "")
    assert run(machine, "bcdedit /timeout 5") == Completed(0, OK, "")
    assert run(machine, f"bcdedit /displayorder {new_id} /addfirst") == Completed(0, OK, "")
    bootmgr = store_of(machine).entries[BOOTMGR].elements
    assert bootmgr["default"] == new_id
    assert bootmgr["timeout"] == "5"
    assert bootmgr["displayorder"] == [new_id, machine.os_entry_id]
    lines = run(machine, "bcdedit /enum {bootmgr}").stdout.split("\r\n")
    assert "default                 {default}" in lines  # the new default is not the running OS
    assert lines[lines.index("displayorder            {default}") + 1] == " " * 24 + "{current}"
    assert run(machine, "bcdedit /timeout soon").exit_code == 1
    assert run(machine, "bcdedit /default {11111111-2222-3333-4444-555555555555}").stderr == REFERENCE_FAILED


# --- through PowerShell ---------------------------------------------------------------------------------------------


def test_powershell_with_quoted_braces(machine: Machine) -> None:
    script = "bcdedit /set '{default}' safeboot network; exit $LASTEXITCODE"
    assert run(machine, f'powershell -NoProfile -Command "{script}"') == Completed(0, OK, "")
    twice = "bcdedit /deletevalue '{default}' nx; bcdedit /deletevalue '{default}' nx; exit $LASTEXITCODE"
    failed = run(machine, f'powershell -NoProfile -Command "{twice}"')
    assert failed.exit_code == 1
    assert failed.stdout == OK
    assert "Element not found." in failed.stderr
