"""PowerShell 5.1 file system cmdlets in the lab: items, content, hashes, their table view and their errors.

Real script text through `powershell -EncodedCommand` (what pywinrm's run_ps sends) on a fresh Windows Server 2022
machine. Expected texts: windows-tools.md §7 (5.1 error records and captures), the 5.1-era FileSystem provider and
formatter sources, and real 5.1 transcripts (Get-FileHash's Resolve-Path error).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import re

import pytest
from ansible.plugins.shell.powershell import _parse_clixml

from lifeline_lab.machine import Machine, new_machine
from lifeline_lab.shell import ProcessContext, run_command_line
from lifeline_lab.shell.context import stdin_from_bytes

from .support import lines
from .support import run_ps as ps
from .support import run_ps_raw as raw

CHANNEL = r"C:\Windows\System32\drivers\CrowdStrike"
HEADER = bytes.fromhex("AAAAAAAA01002301")
JULY = dt.datetime(2024, 7, 19, 4, 9, tzinfo=dt.UTC)
WIDTH = 79  # an 80-column WinRS host: lines are padded to the buffer width minus one


@pytest.fixture
def machine() -> Machine:
    machine = new_machine("WS-0001", 0x1234)
    machine.drives.mkdir(CHANNEL, parents=True)
    machine.drives.get(CHANNEL).modified = JULY
    machine.drives.write(rf"{CHANNEL}\C-00000291-00000000-00000032.sys", HEADER + bytes(40952), modified=JULY)
    machine.drives.write(rf"{CHANNEL}\C-00000290-00000000-00000107.sys", HEADER + b"good", modified=JULY)
    return machine


def padded(*values: str) -> str:
    return lines(*(value.ljust(WIDTH) for value in values))


HEAD = (
    "Mode                 LastWriteTime         Length Name",
    "----                 -------------         ------ ----",
)


def listing(*groups: tuple[str, list[str]]) -> str:
    """The 5.1 FileSystem table: an empty line (format start), then per folder an empty line, the group label and
    two empty lines, the header and rows, an empty line (group end); an empty line ends the format."""
    text = lines("")
    for directory, rows in groups:
        text += lines("", f"    Directory: {directory}", "", "") + padded(*HEAD, *rows) + lines("")
    return text + lines("")


def table(directory: str, *rows: str) -> str:
    return listing((directory, list(rows)))


# -- Get-ChildItem and the table view ---------------------------------------------------------------------
def test_get_childitem_filter_select_first_three_is_the_51_table(machine: Machine) -> None:
    result = ps(machine, r"Get-ChildItem C:\Windows\System32\drivers -Filter *.sys | Select-Object -First 3")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == table(
        r"C:\Windows\System32\drivers",
        "-a----         3/12/2024   9:30 AM            260 ACPI.sys",
        "-a----         3/12/2024   9:30 AM            260 afd.sys",
        "-a----         3/12/2024   9:30 AM            260 cng.sys",
    )


def test_folders_come_first_long_names_wrap_and_env_paths_resolve(machine: Machine) -> None:
    result = ps(machine, r'dir "$env:SystemRoot\System32\drivers" -Directory; Get-ChildItem ' + CHANNEL)
    assert result.stdout == listing(
        (
            r"C:\Windows\System32\drivers",
            [
                "d-----         7/19/2024   4:09 AM                CrowdStrike",
                "d-----         3/12/2024   9:30 AM                wd",
            ],
        ),
        (
            CHANNEL,
            [
                "-a----         7/19/2024   4:09 AM             12 C-00000290-00000000-00000107.",
                "                                                  sys",
                "-a----         7/19/2024   4:09 AM          40960 C-00000291-00000000-00000032.",
                "                                                  sys",
            ],
        ),
    )


def test_recurse_groups_by_folder_and_name_lists_relative_paths(machine: Machine) -> None:
    machine.drives.mkdir(r"C:\T\sub", parents=True)
    for path in (r"C:\T", r"C:\T\sub"):
        machine.drives.get(path).modified = JULY
    machine.drives.write(r"C:\T\a.txt", b"abc", modified=JULY)
    machine.drives.write(r"C:\T\sub\b.log", b"x" * 1234567, modified=JULY)
    result = ps(machine, r"Get-ChildItem C:\T -Recurse")
    assert result.stdout == listing(
        (
            r"C:\T",
            [
                "d-----         7/19/2024   4:09 AM                sub",
                "-a----         7/19/2024   4:09 AM              3 a.txt",
            ],
        ),
        (r"C:\T\sub", ["-a----         7/19/2024   4:09 AM        1234567 b.log"]),
    )
    assert ps(machine, r"Get-ChildItem C:\T -Recurse -Name").stdout == lines("sub", "a.txt", r"sub\b.log")
    assert ps(machine, r"(Get-ChildItem C:\T -Recurse -File).FullName").stdout == lines(
        r"C:\T\a.txt", r"C:\T\sub\b.log"
    )
    assert ps(machine, r"Get-ChildItem C:\T\*.log -Recurse -Name").stdout == lines(r"sub\b.log")


def test_hidden_items_need_force(machine: Machine) -> None:
    machine.drives.mkdir(r"C:\T")
    machine.drives.write(r"C:\T\shown.txt", b"1")
    machine.drives.write(r"C:\T\secret.txt", b"2").attributes.add("Hidden")
    assert ps(machine, r"Get-ChildItem C:\T -Name").stdout == lines("shown.txt")
    assert ps(machine, r"Get-ChildItem C:\T -Name -Force").stdout == lines("secret.txt", "shown.txt")
    assert ps(machine, r"(Get-ChildItem C:\T -Force | Where-Object { $_.Name -eq 'secret.txt' }).Mode").stdout == (
        lines("-a-h--")
    )
    hidden = ps(machine, r"Get-Item C:\T\secret.txt")
    assert hidden.stderr.splitlines()[0] == r"Get-Item : Could not find item C:\T\secret.txt."
    assert "ItemNotFound,Microsoft.PowerShell.Commands.GetItemCommand" in hidden.stderr


def test_missing_path_error_is_the_documented_record(machine: Machine) -> None:
    result = ps(machine, r"Get-ChildItem C:\x")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == lines(
        r"Get-ChildItem : Cannot find path 'C:\x' because it does not exist.",
        "At line:1 char:1",
        r"+ Get-ChildItem C:\x",
        "+ ~~~~~~~~~~~~~~~~~~",
        r"    + CategoryInfo          : ObjectNotFound: (C:\x:String) [Get-ChildItem], ItemNotFoundException",
        "    + FullyQualifiedErrorId : PathNotFound,Microsoft.PowerShell.Commands.GetChildItemCommand",
        " ",
    )


def test_missing_path_decoded_from_clixml_with_ansible(machine: Machine) -> None:
    result = raw(machine, r"ls src; 'after'", cwd=r"C:\Users\gianf")
    assert result.stdout == lines("after")
    assert result.stderr.startswith("#< CLIXML\r\n<Objs ")
    text = _parse_clixml(result.stderr.encode()).decode()
    assert text.splitlines() == [
        r"ls : Cannot find path 'C:\Users\gianf\src' because it does not exist.",
        "At line:1 char:1",
        "+ ls src; 'after'",
        "+ ~~~~~~",
        r"    + CategoryInfo          : ObjectNotFound: (C:\Users\gianf\src:String) [Get-ChildItem], "
        "ItemNotFoundException",
        "    + FullyQualifiedErrorId : PathNotFound,Microsoft.PowerShell.Commands.GetChildItemCommand",
        " ",
    ]


@pytest.mark.parametrize(
    ("script", "command", "error_id"),
    [
        (r"Get-Item C:\x", "Get-Item", "GetItemCommand"),
        (r"gc C:\x", "Get-Content", "GetContentCommand"),
        (r"rm C:\x", "Remove-Item", "RemoveItemCommand"),
        (r"Move-Item C:\x C:\y", "Move-Item", "MoveItemCommand"),
        (r"Copy-Item C:\x C:\y", "Copy-Item", "CopyItemCommand"),
    ],
)
def test_missing_paths_of_other_cmdlets(machine: Machine, script: str, command: str, error_id: str) -> None:
    shown = script.split()[0]
    result = ps(machine, script)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == rf"{shown} : Cannot find path 'C:\x' because it does not exist."
    assert rf"ObjectNotFound: (C:\x:String) [{command}], ItemNotFoundException" in result.stderr
    assert f"PathNotFound,Microsoft.PowerShell.Commands.{error_id}" in result.stderr


def test_error_action_and_long_targets(machine: Machine) -> None:
    quiet = ps(machine, r"Get-ChildItem C:\x -ErrorAction SilentlyContinue; 'next'")
    assert (quiet.exit_code, quiet.stdout, quiet.stderr) == (0, lines("next"), "")
    stopped = ps(machine, r"Get-ChildItem C:\x -ErrorAction Stop; 'never'")
    assert (stopped.exit_code, stopped.stdout) == (1, "")
    long = ps(machine, r"Get-Item C:\Users\Administrator\Documents\reports\2024\missing.txt")
    assert r"ObjectNotFound: (C:\Users\Admini...024\missing.txt:String) [Get-Item]" in long.stderr


def test_item_properties(machine: Machine) -> None:
    script = rf"""
$f = Get-Item '{CHANNEL}\C-00000291-00000000-00000032.sys'
$f.Name; $f.Length; $f.Extension; $f.BaseName; $f.DirectoryName; $f.Directory.Name; $f.Mode; $f.PSIsContainer
$f.Attributes; $f.LastWriteTime.ToString('yyyy-MM-dd HH:mm'); "$f"
(Get-Item C:\Windows).Attributes; (Get-Item C:\).Attributes; (Get-Item C:\Windows\System32).Parent.FullName
(Get-Item C:\).Parent -eq $null
"""
    result = ps(machine, script)
    assert result.stderr == ""
    assert result.stdout == lines(
        "C-00000291-00000000-00000032.sys",
        "40960",
        ".sys",
        "C-00000291-00000000-00000032",
        CHANNEL,
        "CrowdStrike",
        "-a----",
        "False",
        "Archive",
        "2024-07-19 04:09",
        rf"{CHANNEL}\C-00000291-00000000-00000032.sys",
        "Directory",
        "Hidden, System, Directory",
        r"C:\Windows",
        "True",
    )


def test_datetime_property_display(machine: Machine) -> None:
    result = ps(machine, rf"$f = Get-Item {CHANNEL}; $f.LastWriteTimeUtc")
    assert result.stdout == lines("", "Friday, July 19, 2024 4:09:00 AM", "", "")


def test_test_path(machine: Machine) -> None:
    script = rf"""
Test-Path C:\Windows; Test-Path C:\nope; Test-Path '{CHANNEL}\C-00000291*.sys'; Test-Path C:\Windows -PathType Leaf
Test-Path C:\Windows -PathType Container; Test-Path -LiteralPath '{CHANNEL}\C-00000291*.sys'; Test-Path Q:\x
Test-Path 'C:\a|b'; Test-Path Windows
"""
    result = ps(machine, script, cwd="C:\\")
    assert result.stdout == lines("True", "False", "True", "False", "True", "False", "False", "False", "True")
    empty = ps(machine, 'Test-Path ""')
    assert empty.stderr.splitlines()[0] == (
        "Test-Path : Cannot bind argument to parameter 'Path' because it is an empty string."
    )
    assert "ParameterArgumentValidationErrorEmptyStringNotAllowed,Microsoft.PowerShell.Commands.TestPathCommand" in (
        empty.stderr
    )


def test_paths_relative_provider_qualified_and_parent(machine: Machine) -> None:
    script = r"""
(Get-Item drivers\ACPI.sys).FullName; (Get-Item ..\System32\drivers).FullName; (Get-Item \Windows).FullName
(Get-Item FileSystem::C:\Windows).FullName; (Get-Item Microsoft.PowerShell.Core\FileSystem::C:/Windows).Name
"""
    result = ps(machine, script, cwd=r"C:\Windows\System32")
    assert result.stdout == lines(
        r"C:\Windows\System32\drivers\ACPI.sys", r"C:\Windows\System32\drivers", r"C:\Windows", r"C:\Windows", "Windows"
    )
    registry = ps(machine, r"Get-ChildItem HKLM:\SOFTWARE")
    assert registry.exit_code == 1 and "does not implement the Registry provider (HKLM:)" in registry.stderr


# -- Get-Content / Set-Content / Add-Content --------------------------------------------------------------
def test_get_content_byte_total_count_prints_the_header_bytes(machine: Machine) -> None:
    script = rf"Get-Content -Path '{CHANNEL}\C-00000291*.sys' -Encoding Byte -TotalCount 8"
    result = ps(machine, script)
    assert (result.exit_code, result.stdout) == (0, lines("170", "170", "170", "170", "1", "0", "35", "1"))
    whole = ps(
        machine, rf"(Get-Content '{CHANNEL}\C-00000290-00000000-00000107.sys' -Encoding Byte -ReadCount 0).Count"
    )
    assert whole.stdout == lines("12")


def test_get_content_lines_raw_tail_and_encodings(machine: Machine) -> None:
    machine.drives.write(r"C:\t.txt", b"one\r\ntwo\nthree\r\n")
    machine.drives.write(r"C:\u8.txt", b"\xef\xbb\xbfcaf\xc3\xa9\r\n")
    machine.drives.write(r"C:\ansi.txt", b"caf\xe9\r\n")
    script = r"""
Get-Content C:\t.txt; (Get-Content C:\t.txt).Count; Get-Content C:\t.txt -Tail 1; Get-Content C:\t.txt -First 2
(Get-Content C:\t.txt -Raw).Length; Get-Content C:\u8.txt; Get-Content C:\ansi.txt
"""
    result = ps(machine, script)
    assert result.stdout == lines("one", "two", "three", "3", "three", "one", "two", "16", "café", "café")


def test_get_content_of_a_folder_and_of_a_loaded_hive(machine: Machine) -> None:
    folder = ps(machine, r"Get-Content C:\Windows")
    assert folder.stderr.splitlines()[0] == r"Get-Content : Access to the path 'C:\Windows' is denied."
    assert "GetContentReaderUnauthorizedAccessError,Microsoft.PowerShell.Commands.GetContentCommand" in folder.stderr
    hive = ps(machine, r"type C:\Windows\System32\config\SYSTEM")
    assert hive.stderr.splitlines()[0] == (
        r"type : The process cannot access the file 'C:\Windows\System32\config\SYSTEM' because it is being used by "
        "another process."
    )
    assert r"ReadError: (C:\Windows\System32\config\SYSTEM:String) [Get-Content], IOException" in hive.stderr
    assert "GetContentReaderIOError,Microsoft.PowerShell.Commands.GetContentCommand" in hive.stderr


def test_set_and_add_content_encodings(machine: Machine) -> None:
    script = r"""
Set-Content C:\a.txt 'héllo','world'; Add-Content C:\a.txt 'x'
Set-Content C:\u.txt 'é' -Encoding UTF8; Add-Content C:\u.txt 'ü'
Set-Content C:\w.txt 'A' -Encoding Unicode; Set-Content C:\n.txt 'a','b' -NoNewline
'piped' | Set-Content C:\p.txt
"""
    assert ps(machine, script).stdout == ""
    data = {name: machine.drives.read(rf"C:\{name}.txt") for name in "auwnp"}
    assert data["a"] == b"h\xe9llo\r\nworld\r\nx\r\n"  # ANSI (code page 1252), CRLF after each value
    assert data["u"] == b"\xef\xbb\xbf\xc3\xa9\r\n\xc3\xbc\r\n"  # Add-Content keeps the file's UTF-8 (BOM once)
    assert data["w"] == b"\xff\xfeA\x00\r\x00\n\x00"
    assert data["n"] == b"ab"
    assert data["p"] == b"piped\r\n"
    missing = ps(machine, r"Set-Content C:\nope\x.txt 1")
    assert missing.stderr.splitlines()[0] == r"Set-Content : Could not find a part of the path 'C:\nope\x.txt'."
    assert "GetContentWriterDirectoryNotFoundError,Microsoft.PowerShell.Commands.SetContentCommand" in missing.stderr


# -- Get-FileHash -----------------------------------------------------------------------------------------
def test_get_file_hash_matches_hashlib(machine: Machine) -> None:
    path = rf"{CHANNEL}\C-00000291-00000000-00000032.sys"
    data = machine.drives.read(path)
    script = rf"""
(Get-FileHash '{path}').Hash; (Get-FileHash '{path}' -Algorithm sha1).Algorithm
(Get-FileHash '{path}' -Algorithm MD5).Hash; (Get-FileHash '{path}').Path
Get-ChildItem {CHANNEL} | Get-FileHash | Select-Object -ExpandProperty Hash
"""
    result = ps(machine, script)
    assert result.stdout == lines(
        hashlib.sha256(data).hexdigest().upper(),
        "SHA1",
        hashlib.md5(data).hexdigest().upper(),
        path,
        hashlib.sha256(HEADER + b"good").hexdigest().upper(),
        hashlib.sha256(data).hexdigest().upper(),
    )


def test_get_file_hash_table_on_an_80_column_host(machine: Machine) -> None:
    digest = hashlib.sha256(machine.drives.read(r"C:\Windows\System32\drivers\ACPI.sys")).hexdigest().upper()
    result = ps(machine, r"Get-FileHash C:\Windows\System32\drivers\ACPI.sys")
    # Algorithm (15) + Hash (70) leave no room for Path in 79 columns: Path is dropped, Hash cut to 63.
    assert result.stdout == lines("") + padded(
        "Algorithm       Hash", "---------       ----", f"SHA256          {digest[:60]}..."
    ) + lines("", "")


def test_get_file_hash_missing_path_is_resolve_paths_error_in_the_module(machine: Machine) -> None:
    result = ps(machine, r"Get-FileHash C:\Users\Administrator\Downloads\documento.pdf")
    module = r"C:\Windows\system32\WindowsPowerShell\v1.0\Modules\Microsoft.PowerShell.Utility"
    assert result.exit_code == 1
    assert result.stderr == lines(
        r"Resolve-Path : Cannot find path 'C:\Users\Administrator\Downloads\documento.pdf' because it does not exist.",
        rf"At {module}\Microsoft.PowerShell.Utility.psm1:110 char:36",
        "+                 $pathsToProcess += Resolve-Path $Path | Foreach-Objec ...",
        "+                                    ~~~~~~~~~~~~~~~~~~",
        r"    + CategoryInfo          : ObjectNotFound: (C:\Users\Admini...s\documento.pdf:String) [Resolve-Path], "
        "ItemNotFoundException",
        "    + FullyQualifiedErrorId : PathNotFound,Microsoft.PowerShell.Commands.ResolvePathCommand",
        " ",
    )
    literal = ps(machine, r"Get-FileHash -LiteralPath C:\nope.bin")
    assert "psm1:106 char:36" in literal.stderr
    assert "+ ...     $pathsToProcess += Resolve-Path -LiteralPath $LiteralPath | Forea ..." in literal.stderr


def test_get_file_hash_of_a_file_in_use_and_a_bad_algorithm(machine: Machine) -> None:
    result = ps(machine, r"Get-FileHash C:\Windows\System32\config\SYSTEM")
    assert result.stderr.splitlines()[0] == (
        r"Get-FileHash : The file 'C:\Windows\System32\config\SYSTEM' cannot be read: Exception calling "
        r'"OpenRead" with "1" argument(s): "The process cannot access the file '
        r"'C:\Windows\System32\config\SYSTEM' because it is being used by another process." + '"'
    )
    assert r"ReadError: (C:\Windows\System32\config\SYSTEM:String) [Write-Error], WriteErrorException" in result.stderr
    assert "FullyQualifiedErrorId : FileReadError,Get-FileHash" in result.stderr
    bad = ps(machine, r"Get-FileHash C:\Windows\win.ini -Algorithm SHA3")
    assert 'The argument "SHA3" does not belong to the set "SHA1,SHA256,SHA384,SHA512,MACTripleDES,MD5,' in bad.stderr
    assert "ParameterArgumentValidationError,Get-FileHash" in bad.stderr


# -- New-Item, Move-Item, Copy-Item, Remove-Item, Rename-Item ---------------------------------------------
def test_move_channel_file_into_a_new_quarantine_folder(machine: Machine) -> None:
    bad = rf"{CHANNEL}\C-00000291-00000000-00000032.sys"
    data = machine.drives.read(bad)
    script = rf"""
New-Item -ItemType Directory C:\Quarantine | Out-Null
Move-Item -Path '{CHANNEL}\C-00000291*.sys' -Destination C:\Quarantine
Get-ChildItem C:\Quarantine -Name; Test-Path '{bad}'
"""
    result = ps(machine, script)
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        lines("C-00000291-00000000-00000032.sys", "False"),
        "",
    )
    assert machine.drives.find(bad) is None
    moved = machine.drives.get(r"C:\Quarantine\C-00000291-00000000-00000032.sys")
    assert moved.data == data and moved.modified == JULY  # MoveFile keeps the file as it was


def test_new_item_writes_the_new_item_and_refuses_duplicates(machine: Machine) -> None:
    result = ps(machine, r"New-Item -ItemType Directory -Path C:\Lab; New-Item C:\Lab\n.txt -Value 'né'")
    rows = result.stdout.splitlines()
    assert rows[:3] == ["", "", "    Directory: C:\\"]
    assert re.fullmatch(r"d-----\s+\d+/\d+/\d{4}\s+\d+:\d\d [AP]M\s{16}Lab\s*", rows[7])
    assert re.fullmatch(r"-a----\s+\d+/\d+/\d{4}\s+\d+:\d\d [AP]M\s+3 n\.txt\s*", rows[-3])
    assert machine.drives.read(r"C:\Lab\n.txt") == "né".encode()  # New-Item -Value: UTF-8 without a BOM
    again = ps(
        machine,
        r"New-Item -ItemType Directory C:\Lab; New-Item C:\Lab\n.txt; New-Item C:\Lab -ItemType Directory -Force",
    )
    assert again.stderr.splitlines()[0] == r"New-Item : An item with the specified name C:\Lab already exists."
    assert r"ResourceExists: (C:\Lab:String) [New-Item], IOException" in again.stderr
    assert "DirectoryExist,Microsoft.PowerShell.Commands.NewItemCommand" in again.stderr
    assert r"New-Item : The file 'C:\Lab\n.txt' already exists." in again.stderr
    assert "NewItemIOError,Microsoft.PowerShell.Commands.NewItemCommand" in again.stderr
    assert "Lab" in again.stdout  # -Force on an existing folder writes it


def test_move_item_failures(machine: Machine) -> None:
    machine.drives.write(r"C:\a.txt", b"a")
    machine.drives.write(r"C:\b.txt", b"b")
    hive = ps(machine, r"Move-Item C:\Windows\System32\config\SYSTEM C:\ ")
    assert hive.stderr.splitlines()[0] == (
        "Move-Item : The process cannot access the file because it is being used by another process."
    )
    assert r"WriteError: (C:\Windows\System32\config\SYSTEM:FileInfo) [Move-Item], IOException" in hive.stderr
    assert "MoveFileInfoItemIOError,Microsoft.PowerShell.Commands.MoveItemCommand" in hive.stderr
    exists = ps(machine, r"Move-Item C:\a.txt C:\b.txt")
    assert exists.stderr.splitlines()[0] == "Move-Item : Cannot create a file when that file already exists."
    nowhere = ps(machine, r"Move-Item C:\a.txt C:\nope\a.txt")
    assert nowhere.stderr.splitlines()[0] == "Move-Item : Could not find a part of the path."
    assert "DirectoryNotFoundException" in nowhere.stderr
    forced = ps(machine, r"Move-Item C:\a.txt C:\b.txt -Force; Get-Content C:\b.txt; Test-Path C:\a.txt")
    assert (forced.stdout, forced.stderr) == (lines("a", "False"), "")


def test_copy_item_files_and_folders(machine: Machine) -> None:
    script = r"""
Copy-Item C:\Windows\System32\drivers\ACPI.sys C:\Users\Administrator
New-Item -ItemType Directory C:\Backup | Out-Null
Copy-Item C:\Windows\System32\drivers\CrowdStrike C:\Backup -Recurse
Get-ChildItem C:\Backup -Recurse -Name; Test-Path C:\Users\Administrator\ACPI.sys
"""
    result = ps(machine, script)
    assert result.stdout == lines(
        "CrowdStrike",
        r"CrowdStrike\C-00000290-00000000-00000107.sys",
        r"CrowdStrike\C-00000291-00000000-00000032.sys",
        "True",
    )
    busy = ps(machine, r"Copy-Item C:\Windows\System32\config\SYSTEM C:\SYSTEM.bak")
    assert busy.stderr.splitlines()[0] == (
        r"Copy-Item : The process cannot access the file 'C:\Windows\System32\config\SYSTEM' because it is being "
        "used by another process."
    )
    assert "NotSpecified: (:) [Copy-Item], IOException" in busy.stderr
    assert "System.IO.IOException,Microsoft.PowerShell.Commands.CopyItemCommand" in busy.stderr
    nowhere = ps(machine, r"Copy-Item C:\Windows\System32\drivers\ACPI.sys C:\nope\a.sys")
    assert nowhere.stderr.splitlines()[0] == r"Copy-Item : Could not find a part of the path 'C:\nope\a.sys'."
    assert "System.IO.DirectoryNotFoundException,Microsoft.PowerShell.Commands.CopyItemCommand" in nowhere.stderr


def test_remove_item_deletes_what_windows_lets_it(machine: Machine) -> None:
    config = r"C:\Windows\System32\config"
    result = ps(machine, rf"Remove-Item {config} -Recurse; Get-ChildItem {config} -Name")
    assert result.stdout == lines("SOFTWARE", "SYSTEM")  # the hive logs went, the loaded hives stay
    errors = result.stderr.split(" \r\n")
    assert errors[0].splitlines()[0] == (
        rf"Remove-Item : Cannot remove item {config}\SOFTWARE: The process cannot access the file "
        rf"'{config}\SOFTWARE' because it is being used by another process."
    )
    assert "WriteError: (SOFTWARE:FileInfo) [Remove-Item], IOException" in errors[0]
    assert "RemoveFileSystemItemIOError,Microsoft.PowerShell.Commands.RemoveItemCommand" in errors[0]
    assert errors[2].splitlines()[0] == rf"Remove-Item : Directory {config} cannot be removed because it is not empty."
    assert rf"WriteError: ({config}:DirectoryInfo) [Remove-Item], IOException" in errors[2]
    machine.drives.write(r"C:\ro.txt", b"r").attributes.add("ReadOnly")
    refused = ps(machine, r"Remove-Item C:\ro.txt")
    assert refused.stderr.splitlines()[0] == (
        r"Remove-Item : Cannot remove item C:\ro.txt: You do not have sufficient access rights to perform this "
        "operation."
    )
    assert "RemoveFileSystemItemUnAuthorizedAccess" in refused.stderr
    assert ps(machine, r"Remove-Item C:\ro.txt -Force; Test-Path C:\ro.txt").stdout == lines("False")
    prompt = ps(machine, rf"Remove-Item {CHANNEL}")
    assert "does not implement Remove-Item's confirmation prompt" in prompt.stderr
    assert machine.drives.find(CHANNEL) is not None


def test_rename_item(machine: Machine) -> None:
    machine.drives.write(r"C:\a.txt", b"a")
    result = ps(
        machine, r"Rename-Item C:\a.txt b.txt; Test-Path C:\b.txt; Rename-Item C:\b.txt B.TXT; (gci C:\*.txt).Name"
    )
    assert (result.stdout, result.stderr) == (lines("True", "B.TXT"), "")
    missing = ps(machine, r"Rename-Item C:\nope x")
    assert missing.stderr.splitlines()[0] == r"Rename-Item : Cannot rename because item at 'C:\nope' does not exist."
    assert "InvalidOperation: (:) [Rename-Item], PSInvalidOperationException" in missing.stderr
    elsewhere = ps(machine, r"Rename-Item C:\B.TXT C:\Windows\b.txt")
    assert elsewhere.stderr.splitlines()[0] == (
        "Rename-Item : Cannot rename the specified target, because it represents a path or device name."
    )


def test_what_if_is_refused_rather_than_ignored(machine: Machine) -> None:
    result = ps(machine, rf"Remove-Item {CHANNEL} -Recurse -WhatIf")
    assert result.exit_code == 1 and "does not implement Remove-Item -WhatIf/-Confirm" in result.stderr
    assert machine.drives.find(CHANNEL) is not None


def test_no_machine_fails_clearly() -> None:
    async def launch() -> int:
        ctx = ProcessContext("WS-0001", {"SystemRoot": "C:\\Windows"}, stdin_from_bytes(b""), print, print)
        return await run_command_line("powershell -Command Get-ChildItem C:\\", ctx)

    assert asyncio.run(launch()) == 1
