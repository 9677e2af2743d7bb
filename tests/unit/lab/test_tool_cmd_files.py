"""cmd.exe's file built-ins in the lab: DIR, DEL, COPY, MOVE, REN, MD, RD, TYPE, CD, `D:` and IF EXIST.

Real command lines through cmd.exe (and PowerShell where it starts cmd), on a fresh machine. Expected texts are
windows-tools.md §6 and §0.1 (real en-US transcripts, Microsoft Learn, Wine's conformance tests run on Windows).
"""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from lifeline_lab.machine import Machine, new_machine
from lifeline_lab.machine.bitlocker import BitLocker
from lifeline_lab.shell.capture import Completed
from lifeline_lab.shell.cmd import run_command_line
from lifeline_lab.shell.context import ProcessContext, stdin_from_bytes
from lifeline_lab.shell.wildcards import matches

from .support import locked_in_winre, run

HEADER = " Volume in drive C has no label.\r\n Volume Serial Number is 3005-1E84\r\n\r\n"
MORNING = dt.datetime(2019, 3, 7, 10, 25, tzinfo=dt.UTC)
AFTERNOON = dt.datetime(2019, 4, 9, 13, 6, tzinfo=dt.UTC)
LOCKED = "This drive is locked by BitLocker Drive Encryption. You must unlock this drive from Control Panel.\r\n"


@pytest.fixture
def machine() -> Machine:
    machine = new_machine("WS-0001", 0x30051E84)
    drives = machine.drives
    drives.mkdir(r"C:\Test\Sub", parents=True)
    drives.get(r"C:\Test").modified = AFTERNOON
    drives.get(r"C:\Test\Sub").modified = AFTERNOON
    drives.get("C:\\").modified = MORNING
    drives.write(r"C:\Test\License.txt", b"L" * 5510, modified=MORNING)
    drives.write(r"C:\Test\notes.txt", b"n" * 216, modified=AFTERNOON)
    drives.write(r"C:\Test\Sub\deep.log", b"d" * 1234567, modified=AFTERNOON)
    return machine


def free(machine: Machine) -> str:
    return f"{machine.os_volume.free_bytes():,}"


# --- DIR ------------------------------------------------------------------------------------------------------


def test_dir_of_a_folder_matches_the_real_layout(machine: Machine) -> None:
    result = run(machine, r"dir C:\Test")
    assert result == Completed(
        0,
        HEADER + " Directory of C:\\Test\r\n\r\n"
        "04/09/2019  01:06 PM    <DIR>          .\r\n"
        "03/07/2019  10:25 AM    <DIR>          ..\r\n"
        "03/07/2019  10:25 AM             5,510 License.txt\r\n"
        "04/09/2019  01:06 PM               216 notes.txt\r\n"
        "04/09/2019  01:06 PM    <DIR>          Sub\r\n"
        "               2 File(s)          5,726 bytes\r\n"
        f"               3 Dir(s)  {free(machine):>14} bytes free\r\n",
        "",
    )


def test_dir_bare_sorted_attributes_and_wildcards(machine: Machine) -> None:
    assert run(machine, r"dir /b C:\Test").stdout == "License.txt\r\nnotes.txt\r\nSub\r\n"
    assert run(machine, r"dir C:\Test /b /o:-n").stdout == "Sub\r\nnotes.txt\r\nLicense.txt\r\n"
    assert run(machine, r"dir /b /a:-d C:\Test").stdout == "License.txt\r\nnotes.txt\r\n"
    assert run(machine, r"dir/b/ad C:\Test").stdout == "Sub\r\n"
    assert run(machine, r"dir /b C:\Test\*.txt").stdout == "License.txt\r\nnotes.txt\r\n"
    assert run(machine, r"dir /b /o:s C:\Test\*.txt").stdout == "notes.txt\r\nLicense.txt\r\n"
    assert run(machine, r"dir /s /b C:\Test").stdout == (
        "C:\\Test\\License.txt\r\nC:\\Test\\notes.txt\r\nC:\\Test\\Sub\r\nC:\\Test\\Sub\\deep.log\r\n"
    )
    assert run(machine, r"dir /s /b c:\test\*.log").stdout == "C:\\Test\\Sub\\deep.log\r\n"


def test_dir_hides_hidden_and_system_files_unless_asked(machine: Machine) -> None:
    machine.drives.get(r"C:\Test\notes.txt").attributes.add("Hidden")
    assert run(machine, r"dir /b C:\Test").stdout == "License.txt\r\nSub\r\n"
    assert run(machine, r"dir /b /a C:\Test").stdout == "License.txt\r\nnotes.txt\r\nSub\r\n"
    assert run(machine, r"dir /b /a:h C:\Test").stdout == "notes.txt\r\n"


def test_dir_recursive_lists_each_folder_then_the_totals(machine: Machine) -> None:
    result = run(machine, r"dir /s C:\Test\*.log")
    assert result == Completed(
        0,
        HEADER + " Directory of C:\\Test\\Sub\r\n\r\n"
        "04/09/2019  01:06 PM         1,234,567 deep.log\r\n"
        "               1 File(s)      1,234,567 bytes\r\n\r\n"
        "     Total Files Listed:\r\n"
        "               1 File(s)      1,234,567 bytes\r\n"
        f"               0 Dir(s)  {free(machine):>14} bytes free\r\n",
        "",
    )


def test_dir_that_matches_nothing_says_file_not_found_on_stderr(machine: Machine) -> None:
    assert run(machine, r"dir C:\Test\*.sys") == Completed(
        1, HEADER + " Directory of C:\\Test\r\n\r\n", "File Not Found\r\n"
    )
    assert run(machine, r"dir /b C:\Test\nothing") == Completed(1, "", "File Not Found\r\n")
    assert run(machine, r"dir C:\Test\*.sys 2>nul & echo next").stdout.endswith("next\r\n")


def test_dir_of_a_drive_that_is_not_there_and_a_locked_volume() -> None:
    machine = locked_in_winre("WS-0002", 5)
    assert run(machine, r"dir D:\Windows", cwd="X:\\windows\\system32") == Completed(1, "", LOCKED)
    assert run(machine, r"dir Q:\ ", cwd="X:\\windows\\system32") == Completed(
        1, "", "The system cannot find the path specified.\r\n"
    )


def test_dir_through_powershell_starting_cmd(machine: Machine) -> None:
    result = run(machine, r'powershell -NoProfile -Command "cmd /c dir /b C:\Test"')
    assert result == Completed(0, "License.txt\r\nnotes.txt\r\nSub\r\n", "")


# --- DEL ------------------------------------------------------------------------------------------------------


def channel_files(machine: Machine) -> list[str]:
    folder = r"C:\Windows\System32\drivers\CrowdStrike"
    machine.drives.mkdir(folder, parents=True)
    names = [
        "C-00000285-00000000-00000052.sys",
        "C-00000290-00000000-00000107.sys",
        "C-00000291-00000000-00000032.sys",
        "C-00000291-00000000-00000033.sys",
    ]
    for name in names:
        machine.drives.write(rf"{folder}\{name}", b"\xaa\xaa\xaa\xaa\x01\x00\x23\x01")
    return names


def test_del_with_wildcards_deletes_only_the_matching_files(machine: Machine) -> None:
    names = channel_files(machine)
    result = run(machine, r"del /F /Q C:\Windows\System32\drivers\CrowdStrike\C-00000291*.sys")
    assert result == Completed(0, "", "")
    left = [node.name for node in machine.drives.listdir(r"C:\Windows\System32\drivers\CrowdStrike")]
    assert left == names[:2]


def test_del_of_nothing_says_could_not_find_and_still_exits_0(machine: Machine) -> None:
    assert run(machine, r"del C:\Test\*.tmp") == Completed(0, "", "Could Not Find C:\\Test\\*.tmp\r\n")
    assert run(machine, r"cd /d C:\Test & del missing.txt") == Completed(
        0, "", "Could Not Find C:\\Test\\missing.txt\r\n"
    )
    assert run(machine, "del") == Completed(1, "", "The syntax of the command is incorrect.\r\n")
    # a folder that cannot be reached fails (Wine's tests on Windows: erase i\dont\exist\at\all.txt gives 1)
    assert run(machine, r"del C:\Nope\x.txt") == Completed(1, "", "The system cannot find the path specified.\r\n")


def test_del_recursive_names_each_file_and_asks_before_deleting_everything(machine: Machine) -> None:
    assert run(machine, r"del /s /q C:\Test\*.log") == Completed(0, "Deleted file - C:\\Test\\Sub\\deep.log\r\n", "")
    kept = run(machine, r"del C:\Test", stdin=b"n\r\n")
    assert kept.stdout == "C:\\Test\\*, Are you sure (Y/N)? \r\n"
    assert machine.drives.find(r"C:\Test\notes.txt") is not None
    assert run(machine, r"erase C:\Test\*.*", stdin=b"y\r\n").exit_code == 0
    assert [node.name for node in machine.drives.listdir(r"C:\Test")] == ["Sub"]


def test_del_read_only_needs_f_and_a_held_file_is_refused(machine: Machine) -> None:
    machine.drives.get(r"C:\Test\notes.txt").attributes.add("ReadOnly")
    assert run(machine, r"del C:\Test\notes.txt") == Completed(0, "", "C:\\Test\\notes.txt\r\nAccess is denied.\r\n")
    assert run(machine, r"del /f C:\Test\notes.txt") == Completed(0, "", "")
    held = run(machine, r"del C:\Windows\System32\config\SYSTEM")
    assert held.stderr == (
        "C:\\Windows\\System32\\config\\SYSTEM\r\n"
        "The process cannot access the file because it is being used by another process.\r\n"
    )
    assert machine.drives.find(r"C:\Windows\System32\config\SYSTEM") is not None


# --- MOVE, COPY, REN ------------------------------------------------------------------------------------------


def test_move_into_a_new_quarantine_folder_on_the_same_volume(machine: Machine) -> None:
    node = machine.drives.get(r"C:\Test\License.txt")
    result = run(machine, r"mkdir C:\Quarantine\2024 && move C:\Test\License.txt C:\Quarantine\2024\ ")
    assert result == Completed(0, "        1 file(s) moved.\r\n", "")
    assert machine.drives.find(r"C:\Test\License.txt") is None
    moved = machine.drives.get(r"C:\Quarantine\2024\License.txt")
    assert moved is node and moved.data == b"L" * 5510 and moved.modified == MORNING


def test_move_wildcards_rename_and_folders(machine: Machine) -> None:
    assert run(machine, r"move C:\Test\*.txt C:\Test\Sub") == Completed(
        0, "C:\\Test\\License.txt\r\nC:\\Test\\notes.txt\r\n        2 file(s) moved.\r\n", ""
    )
    assert run(machine, r"move C:\Test\Sub\notes.txt C:\Test\renamed.txt").stdout == "        1 file(s) moved.\r\n"
    assert run(machine, r"move C:\Test\Sub C:\Moved").stdout == "        1 dir(s) moved.\r\n"
    assert machine.drives.find(r"C:\Moved\deep.log") is not None
    assert run(machine, r"move C:\Test\gone.txt C:\Moved") == Completed(
        1, "", "The system cannot find the file specified.\r\n"
    )
    assert run(machine, r"move C:\Test\renamed.txt C:\Nowhere\x.txt").exit_code == 1
    assert run(machine, r"move C:\Test\renamed.txt C:\Quarantine\ ") == Completed(
        1, "", "The system cannot find the path specified.\r\n"
    )
    machine.drives.write(r"C:\Test\other.txt", b"o")
    declined = run(machine, r"move /-y C:\Test\other.txt C:\Test\renamed.txt")
    prompt = "Overwrite C:\\Test\\renamed.txt? (Yes/No/All): \r\n"
    assert declined == Completed(1, prompt + "        0 file(s) moved.\r\n", "")


def test_copy_and_its_overwrite_prompt(machine: Machine) -> None:
    assert run(machine, r"copy C:\Test\notes.txt C:\Test\Sub") == Completed(0, "        1 file(s) copied.\r\n", "")
    copied = machine.drives.get(r"C:\Test\Sub\notes.txt")
    assert copied.data == b"n" * 216 and copied.modified == AFTERNOON
    refused = run(machine, r"copy C:\Test\License.txt C:\Test\Sub\notes.txt", stdin=b"n\r\n")
    assert refused == Completed(
        1, "Overwrite C:\\Test\\Sub\\notes.txt? (Yes/No/All): \r\n        0 file(s) copied.\r\n", ""
    )
    assert run(machine, r"copy C:\Test\License.txt C:\Test\notes.txt /-Y").exit_code == 1  # end of input: No
    assert run(machine, r"copy /y C:\Test\License.txt C:\Test\Sub\notes.txt").exit_code == 0
    assert machine.drives.get(r"C:\Test\Sub\notes.txt").size == 5510
    assert run(machine, r"copy C:\Test\none.txt C:\Test\Sub") == Completed(
        1, "        0 file(s) copied.\r\n", "The system cannot find the file specified.\r\n"
    )


def test_ren_keeps_the_folder_and_refuses_a_duplicate(machine: Machine) -> None:
    assert run(machine, r"ren C:\Test\notes.txt readme.txt") == Completed(0, "", "")
    assert machine.drives.find(r"C:\Test\readme.txt") is not None
    assert run(machine, r"rename C:\Test\readme.txt License.txt") == Completed(
        1, "", "A duplicate file name exists, or the file cannot be found.\r\n"
    )
    assert run(machine, r"ren C:\Test\readme.txt C:\x.txt").stderr == "The syntax of the command is incorrect.\r\n"


# --- MD, RD, TYPE ---------------------------------------------------------------------------------------------


def test_mkdir_creates_intermediate_folders_and_reports_an_existing_one(machine: Machine) -> None:
    assert run(machine, r"md C:\A\B\C") == Completed(0, "", "")
    assert machine.drives.get(r"C:\A\B\C").is_dir
    assert run(machine, r"mkdir c:\a\b") == Completed(1, "", "A subdirectory or file c:\\a\\b already exists.\r\n")
    assert run(machine, r"md C:\bad?name").stderr == (
        "The filename, directory name, or volume label syntax is incorrect.\r\n"
    )


def test_rmdir_errorlevels_follow_the_win32_error(machine: Machine) -> None:
    assert run(machine, r"rd C:\Test") == Completed(145, "", "The directory is not empty.\r\n")
    assert run(machine, r"rd C:\Nope").exit_code == 2
    assert run(machine, r"rd C:\Nope\Deeper").exit_code == 3
    assert run(machine, r"rd @:\cba\abc").exit_code == 3
    assert run(machine, r"rd C:\Test\notes.txt") == Completed(267, "", "The directory name is invalid.\r\n")
    assert run(machine, r"rd /s /q C:\Test") == Completed(0, "", "")
    assert machine.drives.find(r"C:\Test") is None
    assert run(machine, r"rd C:\Windows\System32\config").exit_code == 145  # nothing removed, nothing half-removed


def test_type_prints_the_file(machine: Machine) -> None:
    machine.drives.write(r"C:\Test\hello.txt", b"hello\r\nworld\r\n")
    assert run(machine, r"type C:\Test\hello.txt") == Completed(0, "hello\r\nworld\r\n", "")
    assert run(machine, r"type C:\Test\none.txt") == Completed(1, "", "The system cannot find the file specified.\r\n")
    assert run(machine, r"type C:\Test") == Completed(1, "", "Access is denied.\r\n")


# --- CD, drive changes, IF EXIST ------------------------------------------------------------------------------


def test_cd_changes_the_directory_for_the_rest_of_the_line(machine: Machine) -> None:
    assert run(machine, "cd").stdout == "C:\\Users\\Administrator\r\n"
    result = run(machine, r"cd c:\test\sub & cd & dir /b & cd .. & cd")
    assert result.stdout == "C:\\Test\\Sub\r\ndeep.log\r\nC:\\Test\r\n"
    assert run(machine, r"cd C:\Test\notes.txt") == Completed(1, "", "The directory name is invalid.\r\n")
    assert run(machine, r"cd C:\Nowhere") == Completed(1, "", "The system cannot find the path specified.\r\n")
    assert run(machine, "cd \\ & del notes.txt & cd").stdout == "C:\\\r\n"
    assert run(machine, r"cd C:\Test\Sub & cd.. & cd & cd\ & cd").stdout == "C:\\Test\r\nC:\\\r\n"


def test_drive_changes_in_winre() -> None:
    machine = new_machine("WS-0003", 9)
    machine.enter_environment("winre")
    cwd = "X:\\windows\\system32"
    assert (
        run(machine, r"D: & cd & dir /b", cwd=cwd).stdout
        == "D:\\\r\nProgram Files\r\nProgramData\r\nUsers\r\nWindows\r\n"
    )
    assert run(machine, r"cd /d D:\Windows & cd", cwd=cwd).stdout == "D:\\Windows\r\n"
    assert run(machine, r"cd D:\Windows & cd & D: & cd", cwd=cwd).stdout == "X:\\windows\\system32\r\nD:\\Windows\r\n"
    assert run(machine, "C:", cwd=cwd) == Completed(1, "", "The system cannot find the drive specified.\r\n")
    assert run(machine, "1:", cwd=cwd).exit_code == 1
    assert run(machine, "exit /b 7 & D:", cwd=cwd).exit_code == 7  # a drive change leaves ERRORLEVEL alone
    machine.os_volume.bitlocker = BitLocker(locked=True)
    assert run(machine, "D:", cwd=cwd) == Completed(1, "", LOCKED)
    assert run(machine, r"del D:\Windows\x.sys", cwd=cwd) == Completed(1, "", LOCKED)
    assert run(machine, r"md D:\Quarantine", cwd=cwd) == Completed(1, "", LOCKED)


def test_if_exist_runs_the_rest_of_the_chain_and_else(machine: Machine) -> None:
    assert run(machine, r"if exist C:\Test\notes.txt echo yes & echo also").stdout == "yes \r\nalso\r\n"
    assert run(machine, r"if exist C:\Test\none.txt echo yes & echo also").stdout == ""
    assert run(machine, r"if not exist C:\Test\none.txt echo missing").stdout == "missing\r\n"
    assert run(machine, r"if exist C:\Test\*.txt (echo some) else (echo none)").stdout == "some\r\n"
    assert run(machine, r"if exist C:\Test\*.sys (echo some) else echo none & echo end").stdout == "none \r\nend\r\n"
    assert run(machine, r'if exist "C:\Test\Sub" echo folder').stdout == "folder\r\n"
    assert run(machine, r"(if exist C:\Nope echo x) & echo after").stdout == "after\r\n"
    assert run(machine, "if 1==1 if 2==2 (echo a1) else (echo a2) else echo a3").stdout == "a1\r\n"
    assert run(machine, "if 1==0 echo a1 else echo a2").stdout == ""
    assert run(machine, "if /i A==a echo same").stdout == "same\r\n"
    assert run(machine, "if 10 GTR 9 echo bigger").stdout == "bigger\r\n"
    assert run(machine, "if 011 EQU 9 echo octal & if 0xA1 EQU 161 echo hex").stdout == "octal \r\nhex\r\n"
    assert run(machine, 'if "1" EQU 1 (echo same) else echo differ').stdout == "differ\r\n"
    assert run(machine, "foo 2>nul & if errorlevel 9009 echo missing").stdout == "missing\r\n"
    assert run(machine, "if exist") == Completed(255, "", "The syntax of the command is incorrect.\r\n")


def test_if_exist_on_a_locked_volume_is_false() -> None:
    machine = locked_in_winre("WS-0004", 3)
    result = run(machine, r"if exist D:\Windows (echo yes) else (echo no)", cwd="X:\\windows\\system32")
    assert result == Completed(0, "no\r\n", "")


def test_a_process_without_a_machine_says_so() -> None:
    async def launch() -> Completed:
        out: list[str] = []
        err: list[str] = []
        ctx = ProcessContext("WS-0001", {}, stdin_from_bytes(b""), out.append, err.append)
        return Completed(await run_command_line(r"dir C:\ ", ctx), "".join(out), "".join(err))

    result = asyncio.run(launch())
    assert result == Completed(1, "", "The lab has no machine behind this process: DIR needs its file system.\r\n")


# --- wildcards ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "name", "expected"),
    [
        ("read???.txt", "Read.txt", True),  # the examples of Microsoft Learn, "dir"
        ("read???.txt", "Read123.txt", True),
        ("read???.txt", "Readme1.txt", True),
        ("read???.txt", "Readme12.txt", False),
        ("*.*", "README", True),
        ("*.", "README", True),
        ("*.", "a.txt", False),
        ("C-00000291*.sys", "C-00000291-00000000-00000032.sys", True),
        ("C-00000291*.sys", "c-00000291-00000000-00000032.SYS", True),
        ("C-00000291*.sys", "C-00000290-00000000-00000107.sys", False),
        ("*.c", "a.b.c", True),
        ("*.b", "a.b.c", False),
        ("a.*", "a", True),
        ("?", "ab", False),
    ],
)
def test_windows_wildcard_matching(pattern: str, name: str, expected: bool) -> None:
    assert matches(pattern, name) is expected
