"""reg.exe in the lab: real command lines through cmd.exe and PowerShell against a fresh machine.

Expected texts come from windows-tools.md §1 (Wine's conformance strings checked on real Windows, MS Learn,
real transcripts), never from what Lifeline expects.
"""

from __future__ import annotations

import pytest

from lifeline_lab.machine import Machine, new_machine
from lifeline_lab.machine.drives_helpers import os_drive
from lifeline_lab.machine.registry import hive_from_bytes
from lifeline_lab.shell.capture import Completed

from .support import encoded_command, locked_in_winre, run

SUCCESS = "The operation completed successfully.\r\n"
NOT_FOUND = "ERROR: The system was unable to find the specified registry key or value.\r\n"
TCPIP = r"HKLM\SYSTEM\CurrentControlSet\Services\Tcpip"
SYSTEM_FILE = r"C:\Windows\System32\config\SYSTEM"


def syntax_error(operation: str) -> str:
    return f'ERROR: Invalid syntax.\r\nType "REG {operation} /?" for usage.\r\n'


@pytest.fixture
def machine() -> Machine:
    return new_machine("WS-0001", 7)


@pytest.fixture
def winre() -> Machine:
    machine = new_machine("WS-0002", 11)
    machine.enter_environment("winre")
    return machine


def powershell(machine: Machine, script: str) -> Completed:
    """pywinrm's run_ps: powershell -EncodedCommand with the script in UTF-16LE base64."""
    return run(machine, f"powershell -NoProfile -NonInteractive -EncodedCommand {encoded_command(script)}")


def system_hive_file(machine: Machine):
    return hive_from_bytes(os_drive(machine).read(SYSTEM_FILE))


# --- query ---------------------------------------------------------------------------------------

TCPIP_START = (
    "\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\r\n    Start    REG_DWORD    0x0\r\n\r\n"
)


def test_query_tcpip_start_on_a_fresh_machine_through_cmd(machine):
    assert run(machine, rf"reg query {TCPIP} /v Start") == Completed(0, TCPIP_START, "")
    assert run(machine, rf"cmd /c reg.exe QUERY {TCPIP} -V Start") == Completed(0, TCPIP_START, "")


def test_query_tcpip_start_through_powershell(machine):
    assert powershell(machine, rf"& reg query {TCPIP} /v Start") == Completed(0, TCPIP_START, "")
    assert powershell(machine, rf"reg query {TCPIP} /v Start").stdout == TCPIP_START
    failed = powershell(machine, rf"& reg query {TCPIP} /v Missing; exit $LASTEXITCODE")
    assert (failed.exit_code, failed.stdout) == (1, "")
    assert "The system was unable to find the specified registry key or value." in failed.stderr


def test_query_of_a_key_lists_values_in_order_then_nothing_else(machine):
    assert run(machine, rf"reg query {TCPIP}").stdout == (
        "\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\r\n"
        "    Type    REG_DWORD    0x1\r\n"
        "    Start    REG_DWORD    0x0\r\n"
        "    ErrorControl    REG_DWORD    0x1\r\n"
        "    Group    REG_SZ    PNP_TDI\r\n"
        "    DisplayName    REG_SZ    TCP/IP Protocol Driver\r\n"
        "    ImagePath    REG_EXPAND_SZ    \\SystemRoot\\System32\\drivers\\tcpip.sys\r\n\r\n"
    )


def test_query_prints_the_typed_case_and_accepts_a_trailing_backslash(machine):
    result = run(machine, r"reg query hklm\system\currentcontrolset\services\tcpip\ /v start")
    assert result.stdout == (
        "\r\nHKEY_LOCAL_MACHINE\\system\\currentcontrolset\\services\\tcpip\r\n    Start    REG_DWORD    0x0\r\n\r\n"
    )


def test_query_of_a_key_with_values_and_subkeys(machine):
    run(machine, r'reg add HKLM\SOFTWARE\Wine\reg_test /v Test1 /d "Hello, World" /f')
    run(machine, r"reg add HKLM\SOFTWARE\Wine\reg_test /v Test2 /t REG_DWORD /d 0x123 /f")
    run(machine, r'reg add HKLM\SOFTWARE\Wine\reg_test\subkey /v Test3 /d "Some string data" /f')
    base = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Wine\\reg_test"
    values = f"{base}\r\n    Test1    REG_SZ    Hello, World\r\n    Test2    REG_DWORD    0x123\r\n\r\n"
    assert run(machine, r"reg query HKLM\SOFTWARE\Wine\reg_test").stdout == f"\r\n{values}{base}\\subkey\r\n"
    assert run(machine, r"reg query HKLM\SOFTWARE\Wine\reg_test /s").stdout == (
        f"\r\n{values}{base}\\subkey\r\n    Test3    REG_SZ    Some string data\r\n\r\n"
    )
    # A key without values is not printed itself: only its subkeys.
    assert run(machine, r"reg query HKLM\SOFTWARE\Wine").stdout == f"\r\n{base}\r\n"
    assert run(machine, r"reg query HKLM\SOFTWARE\Wine /s").stdout == (
        f"\r\n{base}\r\n    Test1    REG_SZ    Hello, World\r\n    Test2    REG_DWORD    0x123\r\n\r\n"
        f"{base}\\subkey\r\n    Test3    REG_SZ    Some string data\r\n\r\n"
    )


def test_query_of_a_missing_value_or_key_fails_on_stderr(machine):
    assert run(machine, rf"reg query {TCPIP} /v NoSuchValue") == Completed(1, "", NOT_FOUND)
    assert run(machine, r"reg query HKLM\SYSTEM\CurrentControlSet\Services\NoSuchDriver") == Completed(1, "", NOT_FOUND)
    # HKCU has no hive in the lab: any key under it is a key that is not found.
    assert run(machine, r"reg query HKCU\Software\Microsoft") == Completed(1, "", NOT_FOUND)


def test_query_of_the_default_value_when_not_set_succeeds(machine):
    assert run(machine, rf"reg query {TCPIP} /ve") == Completed(
        0,
        "\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\r\n"
        "    (Default)    REG_SZ    (value not set)\r\n\r\n",
        "",
    )
    safeboot = r"HKLM\SYSTEM\CurrentControlSet\Control\SafeBoot\Network\WinRM"
    run(machine, rf"reg add {safeboot} /ve /d Service /f")
    assert run(machine, rf"reg query {safeboot} /ve").stdout.splitlines()[2] == "    (Default)    REG_SZ    Service"


def test_query_data_formats(machine):
    key = r"HKLM\SOFTWARE\Lab"
    for command in (
        rf"reg add {key} /v Binary /t REG_BINARY /d 03000000D674D894ED16D801 /f",
        rf'reg add {key} /v Multi /t REG_MULTI_SZ /d "kerberos\0msv1_0\0schannel" /f',
        rf"reg add {key} /v Quad /t REG_QWORD /d 42 /f",
        rf"reg add {key} /v Empty /f",
    ):
        assert run(machine, command) == Completed(0, SUCCESS, "")
    assert run(machine, rf"reg query {key}").stdout == (
        "\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Lab\r\n"
        "    Binary    REG_BINARY    03000000D674D894ED16D801\r\n"
        "    Multi    REG_MULTI_SZ    kerberos\\0msv1_0\\0schannel\r\n"
        "    Quad    REG_QWORD    0x2a\r\n"
        "    Empty    REG_SZ    \r\n\r\n"
    )
    assert run(machine, rf"reg query {key} /v Multi /se #").stdout.splitlines()[2] == (
        "    Multi    REG_MULTI_SZ    kerberos#msv1_0#schannel"
    )


def test_search_by_key_name_value_name_data_and_type(machine):
    services = r"HKLM\SYSTEM\CurrentControlSet\Services"
    shown = "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services"
    assert run(machine, rf"reg query {services} /f tcp /k") == Completed(
        0, f"\r\n{shown}\\Tcpip\r\nEnd of search: 1 match(es) found.\r\n", ""
    )
    assert run(machine, rf"reg query {services} /s /f PNP_TDI /d /e").stdout == (
        f"\r\n{shown}\\AFD\r\n    Group    REG_SZ    PNP_TDI\r\n\r\n"
        f"{shown}\\NetBT\r\n    Group    REG_SZ    PNP_TDI\r\n\r\n"
        f"{shown}\\Tcpip\r\n    Group    REG_SZ    PNP_TDI\r\n\r\n"
        "End of search: 3 match(es) found.\r\n"
    )
    assert run(machine, rf"reg query {services}\WinRM /t REG_EXPAND_SZ").stdout == (
        f"\r\n{shown}\\WinRM\r\n"
        "    ImagePath    REG_EXPAND_SZ    %SystemRoot%\\System32\\svchost.exe -k NetworkService -p\r\n\r\n"
        "End of search: 1 match(es) found.\r\n"
    )
    # No match: the summary says 0 and reg fails (the exit code is NOT FOUND IN SOURCES, see query.py).
    assert run(machine, rf"reg query {services} /s /v Group /f tdi /c") == Completed(
        1, "\r\nEnd of search: 0 match(es) found.\r\n", ""
    )
    assert (
        run(machine, rf"reg query {services} /s /v Group /f TDI /c /e").stdout.count("    Group    REG_SZ    TDI") == 1
    )


def test_query_switch_syntax(machine):
    assert run(machine, rf"reg query {TCPIP} /v Start /reg:64").stdout == TCPIP_START
    for bad in ("/v Start /v Type", "/v Start /ve", "/s /s", "/reg:32 /reg:64", "/v", "/x", "/", "-", "/t REG_FOO"):
        assert run(machine, rf"reg query {TCPIP} {bad}") == Completed(1, "", syntax_error("QUERY")), bad
    assert run(machine, "reg query") == Completed(1, "", syntax_error("QUERY"))
    for bad_key in (r"HKXX\Software", r"\HKLM\SYSTEM", r"HKLM\SYSTEM\\"):
        assert run(machine, f"reg query {bad_key}") == Completed(
            1, "", 'ERROR: Invalid key name.\r\nType "REG QUERY /?" for usage.\r\n'
        )


def test_usage_texts_exit_0(machine):
    usage = run(machine, "reg /?")
    assert usage.exit_code == 0
    assert usage.stdout.startswith("\r\nREG Operation [Parameter List]\r\n\r\n  Operation  [ QUERY   | ADD    |")
    for spelling in ("/?", "-?", "/h", "-H"):
        query_usage = run(machine, f"reg query {spelling}")
        assert query_usage.exit_code == 0
        assert query_usage.stdout.startswith("\r\nREG QUERY KeyName [/v [ValueName] | /ve] [/s]\r\n")
    assert run(machine, "reg add /?").exit_code == 0
    assert run(machine, "reg") == Completed(1, "", 'ERROR: Invalid syntax.\r\nType "REG /?" for usage.\r\n')


def test_without_a_machine_reg_fails_clearly():
    result = run(None, rf"reg query {TCPIP}")
    assert result.exit_code == 1
    assert "no registry" in result.stderr


# --- add -----------------------------------------------------------------------------------------


def test_add_to_a_live_current_control_set_key_reaches_the_hive_file(machine):
    command = r"reg add HKLM\SYSTEM\CurrentControlSet\Services\WdFilter /v Start /t REG_DWORD /d 4 /f"
    assert run(machine, command) == Completed(0, SUCCESS, "")
    assert run(machine, r"reg query HKLM\SYSTEM\ControlSet001\Services\WdFilter /v Start").stdout.splitlines()[2] == (
        "    Start    REG_DWORD    0x4"
    )
    on_disk = system_hive_file(machine)
    assert on_disk.path("ControlSet001", "Services", "WdFilter").get("Start").data == 4
    assert machine.snapshot()["registry"]["services"]["WdFilter"]["Start"] == 4


def test_add_creates_keys_and_names_with_spaces_in_quotes(machine):
    command = r'reg add "HKLM\SOFTWARE\Lab Vendor\Agent Settings" /v "Poll Interval" /d "every 5 minutes" /f'
    assert run(machine, command) == Completed(0, SUCCESS, "")
    assert run(machine, r'reg query "HKLM\SOFTWARE\Lab Vendor\Agent Settings" /v "Poll Interval"').stdout == (
        "\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Lab Vendor\\Agent Settings\r\n"
        "    Poll Interval    REG_SZ    every 5 minutes\r\n\r\n"
    )
    assert powershell(machine, r"& reg query 'HKLM\SOFTWARE\Lab Vendor\Agent Settings' /v 'Poll Interval'").stdout == (
        "\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Lab Vendor\\Agent Settings\r\n"
        "    Poll Interval    REG_SZ    every 5 minutes\r\n\r\n"
    )


def test_add_without_a_value_name_initialises_the_default_value(machine):
    assert run(machine, r"reg add HKLM\SOFTWARE\Lab\Empty /f") == Completed(0, SUCCESS, "")
    key = machine.registry.open(r"HKLM\SOFTWARE\Lab\Empty")
    assert [(v.name, v.type, v.data) for v in key.values.values()] == [("", "REG_SZ", "")]
    run(machine, r"reg add HKLM\SOFTWARE\Lab\Named /v Test /d x /f")
    assert machine.registry.open(r"HKLM\SOFTWARE\Lab\Named").get("") is None


def test_add_with_a_bad_type_or_bad_data_changes_nothing(machine):
    before = os_drive(machine).read(r"C:\Windows\System32\config\SOFTWARE")
    for command in (
        r"reg add HKLM\SOFTWARE\Lab /v X /t REG_FOO /d 1 /f",
        r'reg add HKLM\SOFTWARE\Lab /v X /t "" /d 1 /f',
        r"reg add HKLM\SOFTWARE\Lab /v X /t REG_DWORD /f",
        r"reg add HKLM\SOFTWARE\Lab /v X /t REG_BINARY /d 0xDeAdBeEf /f",
        r'reg add HKLM\SOFTWARE\Lab /v X /t REG_MULTI_SZ /d "two\0\0strings" /f',
        r"reg add HKLM\SOFTWARE\Lab /v X /t REG_MULTI_SZ /s ## /d a##b /f",
        r"reg add HKLM\SOFTWARE\Lab /v X /ve /f",
        r"reg add HKLM\SOFTWARE\Lab /v X /d 1 /d 2 /f",
    ):
        assert run(machine, command) == Completed(1, "", syntax_error("ADD")), command
    assert machine.registry.open(r"HKLM\SOFTWARE\Lab") is None
    assert os_drive(machine).read(r"C:\Windows\System32\config\SOFTWARE") == before


@pytest.mark.parametrize(
    ("data", "stored"),
    [("0123", 123), ("0x7B", 123), ("0xffffffff", 0xFFFFFFFF), ("4294967295", 0xFFFFFFFF), ("0", 0)],
)
def test_add_dword_data(machine, data, stored):
    assert run(machine, rf"reg add HKLM\SOFTWARE\Lab /v D /t reg_dword /d {data} /f").exit_code == 0
    assert machine.registry.open(r"HKLM\SOFTWARE\Lab").get("D").data == stored


@pytest.mark.parametrize("data", ["zzz", "deadbeef", "123xyz", "0xabcdefg", "00x123", "-1", "-0x1", "4294967296"])
def test_add_refuses_bad_dword_data(machine, data):
    assert run(machine, rf"reg add HKLM\SOFTWARE\Lab /v D /t REG_DWORD /d {data} /f").exit_code == 1


def test_add_qword_binary_multi_sz_and_none_data(machine):
    key = r"HKLM\SOFTWARE\Lab"
    run(machine, rf"reg add {key} /v Q /t REG_QWORD /d -1 /f")
    run(machine, rf"reg add {key} /v B /t REG_BINARY /d DeAdBeEf0DD /f")
    run(machine, rf"reg add {key} /v M /t REG_MULTI_SZ /s # /d three#little#strings# /f")
    run(machine, rf"reg add {key} /v N /t REG_NONE /d Test /f")
    values = machine.registry.open(key)
    assert values.get("Q").data == 2**64 - 1
    assert values.get("B").data == bytes.fromhex("0deadbeef0dd")
    assert values.get("M").data == ["three", "little", "strings"]
    assert values.get("N").data == "Test\0".encode("utf-16-le")
    assert run(machine, rf"reg add {key} /v Q2 /t REG_QWORD /d -0x1 /f").exit_code == 1


def test_add_outside_a_mounted_hive_is_denied(machine):
    assert run(machine, r"reg add HKLM\NewHive\Key /v X /d 1 /f") == Completed(1, "", "ERROR: Access is denied.\r\n")
    assert run(machine, r"reg add HKLM\ /v X /d 1 /f").exit_code == 1


def test_add_over_an_existing_value_asks_on_stdin(machine):
    command = r"reg add HKLM\SYSTEM\CurrentControlSet\Services\WdFilter /v Start /t REG_DWORD /d 4"
    prompt = "Value Start exists, overwrite(Yes/No)? "
    assert run(machine, command, stdin=b"No\r\n") == Completed(1, prompt, "")
    assert run(machine, command) == Completed(1, prompt, "")  # end of input: not confirmed
    assert system_hive_file(machine).path("ControlSet001", "Services", "WdFilter").get("Start").data == 0
    assert run(machine, command, stdin=b"maybe\r\nYes\r\n") == Completed(0, prompt + prompt + SUCCESS, "")
    assert system_hive_file(machine).path("ControlSet001", "Services", "WdFilter").get("Start").data == 4
    # Piped input is not echoed: the success message follows the prompt on its line (a real transcript).
    piped = run(machine, command.replace("/d 4", "/d 1").join(["echo Yes| ", ""]))
    assert piped == Completed(0, prompt + SUCCESS, "")


# --- delete --------------------------------------------------------------------------------------


def test_delete_a_key_asks_first_then_deletes(machine):
    run(machine, r"reg add HKLM\SOFTWARE\Lab\Sub /v X /d 1 /f")
    prompt = "Permanently delete the registry key HKEY_LOCAL_MACHINE\\SOFTWARE\\lab (Yes/No)? "
    assert run(machine, r"reg delete HKLM\SOFTWARE\lab", stdin=b"n\r\n") == Completed(1, prompt, "")
    assert machine.registry.open(r"HKLM\SOFTWARE\Lab\Sub") is not None
    assert run(machine, r"reg delete HKLM\SOFTWARE\lab", stdin=b"Yes\r\n") == Completed(
        0, prompt + "\r\n" + SUCCESS, ""
    )
    assert machine.registry.open(r"HKLM\SOFTWARE\Lab") is None
    assert run(machine, r"reg delete HKLM\SOFTWARE\Lab /f") == Completed(1, "", NOT_FOUND)


def test_delete_values(machine):
    key = r"HKLM\SOFTWARE\Lab"
    run(machine, rf"reg add {key} /v A /d 1 /f")
    run(machine, rf"reg add {key} /v B /d 2 /f")
    run(machine, rf"reg add {key} /ve /d 3 /f")
    run(machine, rf"reg add {key}\Sub /v C /d 4 /f")
    assert run(machine, rf"reg delete {key} /v A", stdin=b"y\r\n").stdout == (
        "Delete the registry value A (Yes/No)? \r\n" + SUCCESS
    )
    assert run(machine, rf"reg delete {key} /v A /f") == Completed(1, "", NOT_FOUND)
    assert run(machine, rf"reg delete {key} /ve /f") == Completed(0, SUCCESS, "")
    assert run(machine, rf"reg delete {key} /va /f") == Completed(0, SUCCESS, "")
    assert machine.registry.open(key).values == {}
    assert machine.registry.open(rf"{key}\Sub").get("C").data == "4"  # /va leaves subkeys alone
    for bad in ("/v A /ve", "/ve /va", "/v A /va", "/f /f"):
        assert run(machine, rf"reg delete {key} {bad}") == Completed(1, "", syntax_error("DELETE"))


def test_deleting_a_hive_root_is_denied(machine):
    assert run(machine, r"reg delete HKLM\SYSTEM /f") == Completed(1, "", "ERROR: Access is denied.\r\n")


# --- load / unload -------------------------------------------------------------------------------


def test_offline_repair_in_winre_load_add_unload_reaches_the_hive_file(winre):
    assert winre.in_winre
    assert run(winre, r"reg load HKLM\OFFLINE_SYSTEM D:\Windows\System32\config\SYSTEM") == Completed(0, SUCCESS, "")
    current = run(winre, r"reg query HKLM\OFFLINE_SYSTEM\Select /v Current")
    assert current.stdout == "\r\nHKEY_LOCAL_MACHINE\\OFFLINE_SYSTEM\\Select\r\n    Current    REG_DWORD    0x1\r\n\r\n"
    change = r"reg add HKLM\OFFLINE_SYSTEM\ControlSet001\Services\WdFilter /v Start /t REG_DWORD /d 4 /f"
    assert run(winre, change) == Completed(0, SUCCESS, "")
    assert run(winre, r"reg unload HKLM\OFFLINE_SYSTEM") == Completed(0, SUCCESS, "")
    assert system_hive_file(winre).path("ControlSet001", "Services", "WdFilter").get("Start").data == 4
    assert run(winre, r"reg query HKLM\OFFLINE_SYSTEM") == Completed(1, "", NOT_FOUND)
    # The WinRE image's own SYSTEM hive (X:) is untouched.
    assert winre.registry.open(r"HKLM\SYSTEM\ControlSet001\Services") is None


def test_load_resolves_a_relative_path_and_a_quoted_path_with_spaces(winre):
    config = r"D:\Windows\System32\config"
    assert run(winre, r"reg load HKLM\OFF SOFTWARE", cwd=config) == Completed(0, SUCCESS, "")
    build = run(winre, r'reg query "HKLM\OFF\Microsoft\Windows NT\CurrentVersion" /v CurrentBuild')
    assert build.stdout.splitlines()[2] == "    CurrentBuild    REG_SZ    20348"
    assert run(winre, r"reg unload HKLM\OFF").exit_code == 0
    winre.drives.mkdir(r"D:\Hive Backups")
    winre.drives.copy(rf"{config}\SYSTEM", r"D:\Hive Backups\SYSTEM copy")
    assert run(winre, r'reg load HKU\Backup "D:\Hive Backups\SYSTEM copy"') == Completed(0, SUCCESS, "")
    assert run(winre, r"reg query HKU\Backup\Select /v Current").exit_code == 0
    assert run(winre, r"reg unload HKU\Backup").exit_code == 0


def test_loading_an_already_loaded_hive_fails(winre):
    hive = r"D:\Windows\System32\config\SYSTEM"
    assert run(winre, rf"reg load HKLM\OFFLINE_SYSTEM {hive}").exit_code == 0
    assert run(winre, rf"reg load HKLM\SECOND {hive}") == Completed(
        1, "", "ERROR: The process cannot access the file because it is being used by another process.\r\n"
    )
    other = r"D:\Windows\System32\config\SOFTWARE"
    assert run(winre, rf"reg load HKLM\OFFLINE_SYSTEM {other}") == Completed(1, "", "ERROR: Access is denied.\r\n")
    # The running system's own hive is held open too.
    live = r"X:\Windows\System32\config\SYSTEM"
    assert run(winre, rf"reg load HKLM\LIVE {live}").stderr.startswith("ERROR: The process cannot access the file")


def test_load_errors(winre, machine):
    assert run(winre, r"reg load HKLM\X D:\Windows\System32\config\NOHIVE") == Completed(
        1, "", "ERROR: The system cannot find the file specified.\r\n"
    )
    assert run(winre, r"reg load HKLM\X D:\Windows\System32\drivers\tcpip.sys") == Completed(
        1,
        "",
        "ERROR: The system has attempted to load or restore a file into the registry, but the specified file is "
        "not in a registry file format.\r\n",
    )
    invalid = 'ERROR: Invalid key name.\r\nType "REG LOAD /?" for usage.\r\n'
    assert run(winre, r"reg load HKCU\X D:\Windows\System32\config\SYSTEM") == Completed(1, "", invalid)
    assert run(winre, r"reg load HKLM\A\B D:\Windows\System32\config\SYSTEM") == Completed(1, "", invalid)
    assert run(winre, r"reg load HKLM\X") == Completed(1, "", syntax_error("LOAD"))
    # In normal mode C:'s SYSTEM hive is the live one.
    assert run(machine, rf"reg load HKLM\X {SYSTEM_FILE}").stderr.startswith("ERROR: The process cannot access")


def test_load_from_a_bitlocker_locked_volume_fails_with_bitlockers_error():
    machine = locked_in_winre("WS-0003", 13)  # WinRE cannot unlock with the TPM: D: stays locked
    assert run(machine, r"reg load HKLM\OFFLINE D:\Windows\System32\config\SYSTEM") == Completed(
        1,
        "",
        "ERROR: This drive is locked by BitLocker Drive Encryption. You must unlock this drive from Control Panel.\r\n",
    )


def test_unloading_what_is_not_a_loaded_hive_fails(winre):
    assert run(winre, r"reg unload HKLM\NOT_LOADED") == Completed(1, "", "ERROR: The parameter is incorrect.\r\n")
    assert run(winre, r"reg unload HKLM\SYSTEM") == Completed(1, "", "ERROR: Access is denied.\r\n")
    run(winre, r"reg load HKLM\OFFLINE_SYSTEM D:\Windows\System32\config\SYSTEM")
    assert run(winre, r"reg unload HKLM\OFFLINE_SYSTEM\Select") == Completed(
        1, "", "ERROR: The parameter is incorrect.\r\n"
    )
    assert run(winre, r"reg unload HKLM\offline_system") == Completed(0, SUCCESS, "")


# --- export / import -----------------------------------------------------------------------------

WINE_KEY = r"HKLM\SOFTWARE\Wine\reg_test"
WINE_PATH = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Wine\\reg_test"
# Wine's complex_data_test (export.c, checked on Windows) without its two values of types the lab cannot hold.
WINE_EXPORT = (
    "\ufeffWindows Registry Editor Version 5.00\r\n\r\n"
    f"[{WINE_PATH}]\r\n"
    '"DWORD"=dword:00000100\r\n'
    '"String"="Your text here..."\r\n\r\n'
    f"[{WINE_PATH}\\Subkey1]\r\n"
    '"Binary"=hex:11,22,33,44\r\n\r\n'
    f"[{WINE_PATH}\\Subkey2a]\r\n"
    '"double\\"quote"="\\"Hello, World!\\""\r\n'
    '"single\'quote"=dword:00000008\r\n\r\n'
    f"[{WINE_PATH}\\Subkey2a\\Subkey2b]\r\n"
    '@="Default value name"\r\n'
    '"Multiple strings"=hex(7):4c,00,69,00,6e,00,65,00,31,00,00,00,4c,00,69,00,6e,\\\r\n'
    "  00,65,00,32,00,00,00,4c,00,69,00,6e,00,65,00,33,00,00,00,00,00\r\n\r\n"
    f"[{WINE_PATH}\\Subkey3a]\r\n"
    '"Backslash"="Use \\\\\\\\ to escape a backslash"\r\n\r\n'
    f"[{WINE_PATH}\\Subkey3a\\Subkey3b]\r\n\r\n"
    f"[{WINE_PATH}\\Subkey3a\\Subkey3b\\Subkey3c]\r\n"
    '"String expansion"=hex(2):25,00,48,00,4f,00,4d,00,45,00,25,00,5c,00,25,00,50,\\\r\n'
    "  00,41,00,54,00,48,00,25,00,00,00\r\n"
    '"Zero data type"=hex(0):56,61,6c,75,65,00\r\n\r\n'
    f"[{WINE_PATH}\\Subkey4]\r\n"
    "@=dword:12345678\r\n\r\n"
)


def wine_test_key(machine: Machine) -> None:
    """The keys and values of Wine's export test, written through the registry API as Wine's test does."""
    root = machine.registry.create(WINE_KEY)
    root.set("DWORD", "REG_DWORD", 0x100)
    root.set("String", "REG_SZ", "Your text here...")
    root.path("Subkey1").set("Binary", "REG_BINARY", b"\x11\x22\x33\x44")
    root.path("Subkey2a").set('double"quote', "REG_SZ", '"Hello, World!"')
    root.path("Subkey2a").set("single'quote", "REG_DWORD", 8)
    root.path("Subkey2a", "Subkey2b").set("", "REG_SZ", "Default value name")
    root.path("Subkey2a", "Subkey2b").set("Multiple strings", "REG_MULTI_SZ", ["Line1", "Line2", "Line3"])
    root.path("Subkey3a").set("Backslash", "REG_SZ", r"Use \\ to escape a backslash")
    root.path("Subkey3a", "Subkey3b", "Subkey3c").set("String expansion", "REG_EXPAND_SZ", r"%HOME%\%PATH%")
    root.path("Subkey3a", "Subkey3b", "Subkey3c").set("Zero data type", "REG_NONE", b"Value\0")
    root.path("Subkey4").set("", "REG_DWORD", 0x12345678)


def test_export_writes_utf16_reg_files_like_windows(machine):
    wine_test_key(machine)
    assert run(machine, rf"reg export {WINE_KEY} C:\Users\Administrator\wine.reg") == Completed(0, SUCCESS, "")
    assert os_drive(machine).read(r"C:\Users\Administrator\wine.reg") == WINE_EXPORT.encode("utf-16-le")


def test_export_needs_y_to_overwrite_and_an_existing_key(machine):
    wine_test_key(machine)
    assert run(machine, rf"reg export {WINE_KEY} out.reg").exit_code == 0  # relative to the current directory
    assert os_drive(machine).read(r"C:\Users\Administrator\out.reg").startswith(b"\xff\xfeW\x00")
    refused = run(machine, rf"reg export {WINE_KEY} out.reg")
    assert refused.exit_code == 1 and refused.stdout == ""
    assert run(machine, rf"reg export {WINE_KEY} out.reg /y") == Completed(0, SUCCESS, "")
    assert run(machine, rf"reg export {WINE_KEY} /y out.reg") == Completed(1, "", syntax_error("EXPORT"))
    assert run(machine, rf"reg export {WINE_KEY}") == Completed(1, "", syntax_error("EXPORT"))
    assert run(machine, r"reg export HKLM\SOFTWARE\Missing out2.reg") == Completed(1, "", NOT_FOUND)


def test_import_restores_an_export_and_reports_success_on_stderr(machine):
    wine_test_key(machine)
    run(machine, rf"reg export {WINE_KEY} C:\backup.reg")
    run(machine, rf"reg delete {WINE_KEY} /f")
    assert machine.registry.open(WINE_KEY) is None
    assert run(machine, r"reg import C:\backup.reg") == Completed(0, "", SUCCESS)
    assert run(machine, rf"reg export {WINE_KEY} C:\again.reg") == Completed(0, SUCCESS, "")
    assert os_drive(machine).read(r"C:\again.reg") == WINE_EXPORT.encode("utf-16-le")


def test_import_of_a_regedit4_script_with_deletions(machine):
    run(machine, r"reg add HKLM\SOFTWARE\Lab\Old /v X /d 1 /f")
    run(machine, r"reg add HKLM\SOFTWARE\Lab /v Gone /d 1 /f")
    script = (
        "REGEDIT4\r\n\r\n"
        "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Lab]\r\n"
        '"Wine1"=dword:00000782\r\n'
        '"Wine3"=hex(7):4c,69,6e,65,20,\\\r\n'
        "  63,6f,6e,63,61,74,65,6e,61,74,69,6f,6e,00,00\r\n"
        ";comment\r\n"
        '@="Test"\r\n'
        '"Gone"=-\r\n'
        '"Broken"=dword:1234567890\r\n\r\n'
        "[-HKEY_LOCAL_MACHINE\\SOFTWARE\\Lab\\Old]\r\n"
    )
    os_drive(machine).write(r"C:\Users\Administrator\fix.reg", script.encode("ascii"))
    assert run(machine, "reg import fix.reg") == Completed(0, "", SUCCESS)
    key = machine.registry.open(r"HKLM\SOFTWARE\Lab")
    assert [(v.name, v.type, v.data) for v in key.values.values()] == [
        ("Wine1", "REG_DWORD", 0x782),
        ("Wine3", "REG_MULTI_SZ", ["Line concatenation"]),
        ("", "REG_SZ", "Test"),
    ]
    assert machine.registry.open(r"HKLM\SOFTWARE\Lab\Old") is None


def test_import_failures_change_nothing(machine):
    drive = os_drive(machine)
    assert run(machine, r"reg import C:\missing.reg") == Completed(
        1, "", "ERROR: Error opening the file. There may be a disk or file system error.\r\n"
    )
    drive.write(r"C:\notreg.txt", b"Windows Registry Editor Version 4.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\A]\r\n")
    assert run(machine, r"reg import C:\notreg.txt") == Completed(1, "", "ERROR: Error accessing the registry.\r\n")
    outside = (
        "Windows Registry Editor Version 5.00\r\n\r\n"
        '[HKEY_LOCAL_MACHINE\\SOFTWARE\\Lab]\r\n"A"="1"\r\n\r\n'
        '[HKEY_CURRENT_USER\\Software\\Lab]\r\n"B"="2"\r\n'
    )
    drive.write(r"C:\outside.reg", b"\xff\xfe" + outside.encode("utf-16-le"))
    assert run(machine, r"reg import C:\outside.reg") == Completed(1, "", "ERROR: Error accessing the registry.\r\n")
    assert machine.registry.open(r"HKLM\SOFTWARE\Lab") is None
    assert run(machine, "reg import") == Completed(1, "", syntax_error("IMPORT"))


def test_operations_the_lab_does_not_simulate_say_so(machine):
    result = run(machine, r"reg save HKLM\SYSTEM C:\system.hiv")
    assert result == Completed(1, "", "The lab does not implement REG SAVE.\r\n")
