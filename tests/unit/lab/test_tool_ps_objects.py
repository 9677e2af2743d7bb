"""PowerShell 5.1 object cmdlets in the lab: Get-Date, Get-CimInstance/Get-WmiObject, ConvertTo/From-Json,
Select-Object, Sort-Object, Measure-Object, Join-Path, Split-Path and [PSCustomObject].

Expected texts: windows-tools.md §7.5-7.6 (ConvertTo-Json's 5.1 layout and DateTime forms), Microsoft Learn
reference pages for 5.1, and the 5.1-era formatter and ConvertTo-Json sources.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from lifeline_lab.machine import Machine, new_machine
from lifeline_lab.shell.powershell import datetimes

from .support import lines
from .support import run_ps as ps

BOOT = dt.datetime(2024, 7, 19, 5, 41, 7, 500000, tzinfo=dt.UTC)
NOW = dt.datetime(2024, 7, 19, 6, 2, 3, 250000, tzinfo=dt.UTC)


@pytest.fixture
def machine(monkeypatch: pytest.MonkeyPatch) -> Machine:
    monkeypatch.setattr(datetimes, "utc_now", lambda: NOW)
    machine = new_machine("WS-0001", 0x1234)
    machine.boot_time = BOOT
    return machine


# -- Get-CimInstance / Get-WmiObject ----------------------------------------------------------------------
def test_last_boot_up_time_is_a_datetime_shown_by_its_view(machine: Machine) -> None:
    result = ps(machine, "Get-CimInstance Win32_OperatingSystem | Select-Object -ExpandProperty LastBootUpTime")
    assert (result.exit_code, result.stderr) == (0, "")
    # DateTime's view writes its DateTime property: long date and long time (en-US), between the view's blank lines
    assert result.stdout == lines("", "Friday, July 19, 2024 5:41:07 AM", "", "")


def test_operating_system_properties(machine: Machine) -> None:
    script = r"""
$os = Get-CimInstance -ClassName Win32_OperatingSystem
$os.Caption; $os.Version; $os.BuildNumber; $os.CSName; $os.LastBootUpTime.ToString('o'); $os.SystemDirectory
(Get-WmiObject Win32_OperatingSystem).LastBootUpTime; (gwmi -Class Win32_OperatingSystem).__SERVER
"""
    assert ps(machine, script).stdout == lines(
        "Microsoft Windows Server 2022 Datacenter",
        "10.0.20348",
        "20348",
        "WS-0001",
        "2024-07-19T05:41:07.5000000+00:00",
        r"C:\Windows\system32",
        "20240719054107.500000+000",
        "WS-0001",
    )


def test_volumes_and_logical_disks(machine: Machine) -> None:
    script = r"""
$c = Get-CimInstance Win32_LogicalDisk -Filter "DeviceID = 'C:'"; $c.Size; $c.FreeSpace -gt 0; $c.FileSystem
Get-CimInstance Win32_Volume | Select-Object -ExpandProperty Label
(Get-CimInstance Win32_Volume -Filter "DriveLetter='C:'").Capacity
"""
    volume = machine.os_volume
    assert ps(machine, script).stdout == lines(
        str(volume.size_bytes), "True", "NTFS", "Recovery", str(volume.size_bytes)
    )


def test_unknown_classes(machine: Machine) -> None:
    cim = ps(machine, "Get-CimInstance Win32_NotExistingClass")
    assert cim.stderr.splitlines()[0] == "Get-CimInstance : Invalid class "
    assert "MetadataError: (root\\cimv2:Win32_NotExistingClass:String) [Get-CimInstance], CimException" in cim.stderr
    assert "HRESULT 0x80041010,Microsoft.Management.Infrastructure.CimCmdlets.GetCimInstanceCommand" in cim.stderr
    wmi = ps(machine, "Get-WmiObject Win32_Foo")
    assert wmi.stderr.splitlines()[0] == 'Get-WmiObject : Invalid class "Win32_Foo"'
    assert "GetWMIManagementException,Microsoft.PowerShell.Commands.GetWmiObjectCommand" in wmi.stderr
    shown = ps(machine, "Get-CimInstance Win32_OperatingSystem")
    assert "does not implement the default display of Microsoft.Management.Infrastructure" in shown.stderr


# -- Get-Date ---------------------------------------------------------------------------------------------
def test_get_date_formats_and_display(machine: Machine) -> None:
    script = r"""
Get-Date -Format 'yyyy-MM-dd HH:mm:ss'; Get-Date -Format o; Get-Date -Format d; Get-Date -UFormat '%Y%m%d-%H%M'
"$(Get-Date)"; (Get-Date).AddDays(-1).Day; (Get-Date -Date '2024-01-02').DayOfWeek; Get-Date
"""
    result = ps(machine, script)
    assert result.stdout == lines(
        "2024-07-19 06:02:03",
        "2024-07-19T06:02:03.2500000+00:00",
        "7/19/2024",
        "20240719-0602",
        "07/19/2024 06:02:03",  # PowerShell's [string] of a DateTime uses the invariant culture
        "18",
        "Tuesday",
        "",
        "Friday, July 19, 2024 6:02:03 AM",
        "",
        "",
    )


def test_get_date_to_json_carries_the_ets_properties(machine: Machine) -> None:
    # windows-tools.md §7.5: 5.1 serialises Get-Date's PSObject wrapper (value, DisplayHint, DateTime)
    assert ps(machine, "Get-Date | ConvertTo-Json").stdout == lines(
        "{",
        '    "value":  "\\/Date(1721368923250)\\/",',
        '    "DisplayHint":  2,',
        '    "DateTime":  "Friday, July 19, 2024 6:02:03 AM"',
        "}",
    )


# -- ConvertTo-Json / ConvertFrom-Json --------------------------------------------------------------------
def test_convert_to_json_51_layout(machine: Machine) -> None:
    script = r"""
$boot = (Get-CimInstance Win32_OperatingSystem).LastBootUpTime
@{ Eras = @(1); IsReadOnly = $false; Boot = $boot; Name = "it's <b>&" } | ConvertTo-Json
"""
    result = ps(machine, script)
    assert result.stdout == lines(
        "{",
        '    "Eras":  [',
        "                 1",
        "             ],",
        '    "IsReadOnly":  false,',
        '    "Boot":  "\\/Date(1721367667500)\\/",',
        '    "Name":  "it\\u0027s \\u003cb\\u003e\\u0026"',
        "}",
    )
    assert ps(machine, "@{Domain='Domain01'; Account='User01'; Admin='True'} | ConvertTo-Json -Compress").stdout == (
        lines('{"Domain":"Domain01","Account":"User01","Admin":"True"}')
    )


def test_convert_to_json_depth_and_arrays(machine: Machine) -> None:
    script = r"""
@{ a = @{ b = @{ c = @{ d = 1 } } } } | ConvertTo-Json -Compress
1, 'two', $null, 2.5 | ConvertTo-Json -Compress
ConvertTo-Json -InputObject @(@(1, 2), 3) -Compress
@{ a = @{ b = @{ c = 1 } } } | ConvertTo-Json -Depth 1 -Compress
"""
    assert ps(machine, script).stdout == lines(
        '{"a":{"b":{"c":"System.Collections.Hashtable"}}}',
        '[1,"two",2.5]',
        "[[1,2],3]",
        '{"a":{"b":"System.Collections.Hashtable"}}',
    )


def test_get_childitem_to_json_compress_parses_and_matches_the_files(machine: Machine) -> None:
    folder = r"C:\Windows\System32\drivers\wd"
    result = ps(machine, r"Get-ChildItem C:\Windows\System32\drivers | ConvertTo-Json -Compress")
    assert result.exit_code == 0
    items = json.loads(result.stdout)
    nodes = machine.drives.listdir(r"C:\Windows\System32\drivers")
    assert [item["Name"] for item in items] == ["wd", *sorted((n.name for n in nodes if not n.is_dir), key=str.upper)]
    by_name = {item["Name"]: item for item in items}
    for node in nodes:
        item = by_name[node.name]
        stamp = f"/Date({int(node.modified.timestamp() * 1000)})/"
        assert (item["LastWriteTime"], item["LastWriteTimeUtc"]) == (stamp, stamp)
        assert item["PSIsContainer"] is node.is_dir
        if node.is_dir:
            assert (item["FullName"], item["Attributes"], item["Mode"]) == (folder, 16, "d-----")
        else:
            assert item["Length"] == node.size and item["Attributes"] == 32 and item["Mode"] == "-a----"
            assert item["FullName"] == rf"C:\Windows\System32\drivers\{node.name}"
            # the array is level 0, so Directory.Parent is at depth 3: the ToString() of the DirectoryInfo
            assert item["Directory"]["Parent"] == "System32"
            assert item["PSPath"] == rf"Microsoft.PowerShell.Core\FileSystem::C:\Windows\System32\drivers\{node.name}"
    assert list(by_name["ACPI.sys"])[:4] == ["Name", "Length", "DirectoryName", "Directory"]


def test_select_before_convert(machine: Machine) -> None:
    script = r"""
Get-Item C:\Windows\System32\drivers\ACPI.sys | Select-Object 'Name', 'Length', 'LastWriteTimeUtc' | ConvertTo-Json
"""
    assert ps(machine, script).stdout == lines(
        "{",
        '    "Name":  "ACPI.sys",',
        '    "Length":  260,',
        '    "LastWriteTimeUtc":  "\\/Date(1710235800000)\\/"',
        "}",
    )


def test_convert_from_json(machine: Machine) -> None:
    script = r"""
$o = '{"Name":"x","Items":[1,2],"When":"\/Date(1721368923250)\/","Inner":{"A":true}}' | ConvertFrom-Json
$o.Name; $o.Items.Count; $o.When.Year; $o.Inner.A
('[1,2,3]' | ConvertFrom-Json | Measure-Object).Count
'{"a":' | ConvertFrom-Json
"""
    result = ps(machine, script)
    assert result.stdout == lines("x", "2", "2024", "True", "1")  # 5.1 writes an array as one object
    assert result.stderr.splitlines()[0].startswith("ConvertFrom-Json : Invalid JSON primitive")
    assert "System.ArgumentException,Microsoft.PowerShell.Commands.ConvertFromJsonCommand" in result.stderr


# -- Select-Object, Sort-Object, Measure-Object, [PSCustomObject] ------------------------------------------
def test_pscustomobject_and_select_object_tables(machine: Machine) -> None:
    script = r"""
[PSCustomObject]@{ Name = 'csagent'; Start = 1; Enabled = $true }
"""
    assert ps(machine, script).stdout == lines(
        "", "Name    Start Enabled", "----    ----- -------", "csagent     1    True", "", ""
    )
    five = ps(machine, "[pscustomobject]@{ a = 1; bb = 'x'; c = $null; d = 4; e = 5 }")
    assert five.stdout == lines("", "", "a  : 1", "bb : x", "c  : ", "d  : 4", "e  : 5", "", "", "")


def test_select_object(machine: Machine) -> None:
    script = r"""
Get-ChildItem C:\Windows\System32\drivers -File | Select-Object -First 2 -ExpandProperty Name
1..10 | Select-Object -Last 2 -Skip 1
$kb = @{ Name = 'KB'; Expression = { $_.Length / 10 } }
(Get-Item C:\Windows\System32\drivers\ACPI.sys | Select-Object -Property $kb).KB
Get-Item C:\Windows | Select-Object -ExpandProperty Nope
"""
    result = ps(machine, script)
    assert result.stdout == lines("ACPI.sys", "afd.sys", "8", "9", "26")  # -Skip counts from the end with -Last
    assert result.stderr.splitlines()[0] == 'Select-Object : Property "Nope" cannot be found.'
    assert "ExpandPropertyNotFound,Microsoft.PowerShell.Commands.SelectObjectCommand" in result.stderr


def test_sort_and_measure(machine: Machine) -> None:
    script = r"""
'b', 'A', 'c' | Sort-Object; 3, 10, 2 | Sort-Object -Descending
(Get-ChildItem C:\Windows\System32\drivers -File | Sort-Object -Property Name -Descending | Select-Object -First 1).Name
(Get-ChildItem C:\Windows\System32\drivers -File | Measure-Object).Count
(Get-ChildItem C:\Windows\System32\drivers -File | Measure-Object -Property Length -Sum).Sum
1, 2, 3 | Measure-Object
"""
    files = [n for n in new_machine("WS-0001", 0x1234).drives.listdir(r"C:\Windows\System32\drivers") if not n.is_dir]
    result = ps(machine, script)
    assert result.stdout == lines(
        "A", "b", "c", "10", "3", "2",
        max((n.name for n in files), key=str.casefold),
        str(len(files)),
        str(sum(n.size for n in files)),
        "", "",
        "Count    : 3", "Average  : ", "Sum      : ", "Maximum  : ", "Minimum  : ", "Property : ",
        "", "", "",
    )  # fmt: skip


# -- Join-Path / Split-Path -------------------------------------------------------------------------------
def test_join_and_split_path(machine: Machine) -> None:
    script = r"""
Join-Path C:\Windows System32; Join-Path 'C:\Windows\' '\System32'; Join-Path $env:SystemRoot 'System32\drivers'
Split-Path C:\Windows\System32\drivers\ACPI.sys; Split-Path C:\Windows\System32\drivers\ACPI.sys -Leaf
Split-Path C:\Windows -Parent; Split-Path C:\Windows\System32 -Qualifier; Split-Path C:\Windows\System32 -NoQualifier
Split-Path relative\file.txt; Split-Path C:\Windows -IsAbsolute
Join-Path Q:\x y
"""
    result = ps(machine, script)
    assert result.stdout == lines(
        r"C:\Windows\System32",
        r"C:\Windows\System32",
        r"C:\Windows\System32\drivers",
        r"C:\Windows\System32\drivers",
        "ACPI.sys",
        "C:\\",
        "C:",
        r"\Windows\System32",
        "relative",
        "True",
    )
    assert result.stderr.splitlines()[0] == "Join-Path : Cannot find drive. A drive with the name 'Q' does not exist."
