"""dism.exe /Mount-Image, /Unmount-Image and /Get-MountedImageInfo on the lab's winre.wim (the container in
machine/wim.py), the arming flow of "Customize Windows RE": reagentc /disable, mount, add files, commit,
reagentc /enable; and the next WinRE start runs the new winpeshl.ini.

Expected texts: a published DISM 10.0.26100 transcript (Mounting image / Unmounting image, progress bar, success),
a DISM 10.0.22621 /Get-MountedImageInfo capture, and the published error transcripts (0xc1420114, 0xc1420127).
"""

from __future__ import annotations

import asyncio
import hashlib

from lifeline_lab.machine import Machine, new_machine, wim
from lifeline_lab.machine.filesystem import Drives
from lifeline_lab.machine.windows_image import STAGED_WINRE_WIM, stock_winre_wim

from .support import run, run_ps

BANNER = "\r\nDeployment Image Servicing and Management tool\r\nVersion: 10.0.20348.2227\r\n\r\n"
PROGRESS = "[==========================100.0%==========================]\r\n"
SUCCESS = "The operation completed successfully.\r\n"
LOG = "The DISM log file can be found at C:\\Windows\\Logs\\DISM\\dism.log\r\n"
WIM = r"C:\Windows\System32\Recovery\Winre.wim"
MOUNT = r"C:\mount\winre"
INI = MOUNT + r"\Windows\System32\winpeshl.ini"


def disabled() -> Machine:
    machine = new_machine("WS-0001", 8)
    machine.reboot_seconds = 0.0
    assert run(machine, "reagentc /disable").exit_code == 0
    run(machine, f"mkdir {MOUNT}")
    return machine


def mount(machine: Machine, extra: str = "") -> str:
    result = run(machine, f"dism /Mount-Image /ImageFile:{WIM} /Index:1 /MountDir:{MOUNT}{extra}")
    assert result.exit_code == 0, result.stdout + result.stderr
    return result.stdout


def image(machine: Machine) -> bytes:
    return Drives({"C:": machine.os_volume}).read("C:\\" + STAGED_WINRE_WIM)


def error(code: str, message: str) -> str:
    return BANNER + f"Error: {code}\r\n\r\n{message}\r\n\r\n" + LOG


def test_mount_puts_the_image_files_in_the_folder():
    machine = disabled()
    assert mount(machine) == BANNER + "Mounting image\r\n" + PROGRESS + SUCCESS
    assert run(machine, f"type {INI}").stdout == "[LaunchApps]\r\n%SYSTEMDRIVE%\\sources\\recovery\\recenv.exe\r\n"
    info = run(machine, "dism /English /Get-MountedImageInfo")
    assert info.stdout == BANNER + (
        "Mounted images:\r\n\r\n"
        f"Mount Dir : {MOUNT}\r\nImage File : {WIM}\r\nImage Index : 1\r\nMounted Read/Write : Yes\r\n"
        "Status : Ok\r\n\r\n" + SUCCESS
    )


def test_discard_leaves_the_wim_byte_identical_and_empties_the_folder():
    machine = disabled()
    before = image(machine)
    mount(machine)
    assert run_ps(machine, f"Set-Content -Path '{INI}' -Value changed").exit_code == 0
    result = run(machine, f"dism /Unmount-Image /MountDir:{MOUNT} /Discard")
    assert (result.exit_code, result.stdout) == (0, BANNER + "Unmounting image\r\n" + PROGRESS + SUCCESS)
    assert image(machine) == before
    assert Drives({"C:": machine.os_volume}).listdir(MOUNT) == []
    assert run(machine, "dism /Get-MountedImageInfo").stdout == BANNER + (
        "Mounted images:\r\n\r\nNo mounted images found.\r\n\r\n" + SUCCESS
    )


def test_commit_writes_the_folder_back_with_a_new_commit_time():
    machine = disabled()
    mount(machine)
    run(machine, rf"mkdir {MOUNT}\Windows\System32\Lifeline")
    script = rf"Set-Content -Path '{MOUNT}\Windows\System32\Lifeline\failover.cmd' -Value '@echo off'"
    assert run_ps(machine, script).exit_code == 0
    assert run(machine, f"dism /Unmount-Image /MountDir:{MOUNT} /Commit").exit_code == 0
    root, committed = wim.unpack(image(machine))
    assert root.child("Windows").child("System32").child("Lifeline").child("failover.cmd").data == b"@echo off\r\n"
    assert committed > wim.unpack(stock_winre_wim())[1]
    mount(machine)  # an unchanged tree committed again still changes the bytes
    first = image(machine)
    run(machine, f"dism /Unmount-Image /MountDir:{MOUNT} /Commit")
    assert hashlib.sha256(image(machine)).digest() != hashlib.sha256(first).digest()


def test_mount_errors():
    machine = disabled()
    run(machine, r"mkdir C:\full")
    run_ps(machine, r"Set-Content -Path C:\full\file.txt -Value x")
    full = run(machine, rf"dism /Mount-Image /ImageFile:{WIM} /Index:1 /MountDir:C:\full")
    not_empty = "The user attempted to mount to a directory that is not empty.  This is not supported."
    assert (full.exit_code, full.stdout) == (0xC1420114, error("0xc1420114", not_empty))
    missing = run(machine, rf"dism /Mount-Image /ImageFile:C:\nope.wim /Index:1 /MountDir:{MOUNT}")
    assert (missing.exit_code, missing.stdout) == (2, error("2", "The system cannot find the file specified."))
    mount(machine)
    run(machine, r"mkdir C:\second")
    twice = run(machine, rf"dism /Mount-Image /ImageFile:{WIM} /Index:1 /MountDir:C:\second")
    already = "The specified image in the specified wim is already mounted for read/write access."
    assert (twice.exit_code, twice.stdout) == (0xC1420127, error("0xc1420127", already))
    nowhere = run(machine, r"dism /Unmount-Image /MountDir:C:\second /Commit")
    assert nowhere.exit_code == 1 and "Lab refusal" in nowhere.stderr
    neither = run(machine, f"dism /Unmount-Image /MountDir:{MOUNT}")
    assert neither.exit_code == 87


def test_read_only_mount_cannot_commit():
    machine = disabled()
    before = image(machine)
    mount(machine, " /ReadOnly")
    assert "Mounted Read/Write : No\r\n" in run(machine, "dism /Get-MountedImageInfo").stdout
    refused = run(machine, f"dism /Unmount-Image /MountDir:{MOUNT} /Commit")
    assert refused.exit_code == 1 and "read-only" in refused.stderr
    assert run(machine, f"dism /Unmount-Image /MountDir:{MOUNT} /Discard").exit_code == 0
    assert image(machine) == before


def test_mounts_are_dropped_at_restart():
    machine = disabled()
    mount(machine)
    asyncio.run(machine.cycle())
    assert machine.image_mounts == []
    assert "No mounted images found." in run(machine, "dism /Get-MountedImageInfo").stdout


def test_armed_over_powershell_the_next_winre_start_runs_the_new_winpeshl():
    machine = new_machine("WS-0001", 8)
    machine.reboot_seconds = 0.0
    ini = (
        "[LaunchApps]\r\n%SYSTEMDRIVE%\\Windows\\System32\\cmd.exe, /c exit 7\r\n"
        "%SYSTEMDRIVE%\\sources\\recovery\\recenv.exe\r\n"
    )
    script = (
        "& reagentc.exe /disable\n"
        "New-Item -ItemType Directory -Path 'C:\\mount\\winre' | Out-Null\n"
        f"& dism.exe /Mount-Image /ImageFile:{WIM} /Index:1 /MountDir:C:\\mount\\winre\n"
        f"Set-Content -Path '{INI}' -Value '{ini.rstrip()}'\n"
        f"& dism.exe /Unmount-Image /MountDir:C:\\mount\\winre /Commit\n"
        "& reagentc.exe /enable\n"
        "exit $LASTEXITCODE\n"
    )
    result = run_ps(machine, script)
    assert result.exit_code == 0, result.stdout + result.stderr
    asyncio.run(machine.start_winre())
    assert [entry["exit_code"] for entry in machine.winpeshl_log] == [7, None]
