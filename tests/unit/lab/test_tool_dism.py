"""dism.exe in the lab: package servicing of the running Windows and of the offline image seen from WinRE.

Expected texts: windows-tools.md §4 (real captures of DISM 6.1 and 10.0: banner, `Image Version:`,
`Packages listing:`, the field lines, `Error: N` and the log line) and dism.exe's own message table; the
recovery steps are Microsoft's ("Azure VM startup is stuck at Windows update"; windows-recovery.md).
"""

from __future__ import annotations

import asyncio
import random

import pytest

from lifeline_lab import failures
from lifeline_lab.machine import Machine, new_machine
from lifeline_lab.machine.filesystem import Drives
from lifeline_lab.machine.servicing import PENDING_XML
from lifeline_lab.machine.windows_image import placeholder_image
from lifeline_lab.shell.capture import Completed
from lifeline_lab.shell.cmd import run_command_line
from lifeline_lab.shell.context import ProcessContext, stdin_from_bytes

from .support import locked_in_winre, run

BANNER = "\r\nDeployment Image Servicing and Management tool\r\nVersion: 10.0.20348.2227\r\n\r\n"
IMAGE = "Image Version: 10.0.20348.2227\r\n\r\n"
SUCCESS = "The operation completed successfully.\r\n"
WINRE_LOG = "The DISM log file can be found at X:\\windows\\Logs\\DISM\\dism.log\r\n"
ONLINE_LOG = "The DISM log file can be found at C:\\Windows\\Logs\\DISM\\dism.log\r\n"
STACK = "Package_for_ServicingStack_2220~31bf3856ad364e35~amd64~~20348.2220.1.0"
FOUNDATION = "Microsoft-Windows-Foundation-Package~31bf3856ad364e35~amd64~~10.0.20348.1"
ROLLUP = "Package_for_RollupFix~31bf3856ad364e35~amd64~~20348.2227.1.3"
BAD_ROLLUP = "Package_for_RollupFix~31bf3856ad364e35~amd64~~20348.2582.1.8"
PENDING_KB = "Package_for_KB5041160~31bf3856ad364e35~amd64~~20348.2620.1.2"
STOCK_LISTING = (
    "Packages listing:\r\n\r\n"
    f"Package Identity : {STACK}\r\nState : Installed\r\nRelease Type : Update\r\n"
    "Install Time : 3/12/2024 9:30 AM\r\n\r\n"
    f"Package Identity : {FOUNDATION}\r\nState : Installed\r\nRelease Type : Foundation\r\n"
    "Install Time : 3/12/2024 9:30 AM\r\n\r\n"
    f"Package Identity : {ROLLUP}\r\nState : Installed\r\nRelease Type : Security Update\r\n"
    "Install Time : 4/11/2024 9:30 AM\r\n\r\n"
)
STORPORT = r"Windows\System32\drivers\storport.sys"


def in_winre(failure: str | None = None) -> Machine:
    machine = new_machine("WS-0001", 21)
    if failure:
        failures.FAILURES[failure](machine, random.Random(1))
    machine.enter_environment("winre")
    return machine


def error(code: str, message: str, log: str = WINRE_LOG, image: bool = False) -> str:
    return BANNER + (IMAGE if image else "") + f"Error: {code}\r\n\r\n{message}\r\n\r\n" + log


# --- listing ------------------------------------------------------------------------------------------------


def test_get_packages_of_the_offline_image_from_winre() -> None:
    machine = in_winre()
    expected = Completed(0, BANNER + IMAGE + STOCK_LISTING + SUCCESS, "")
    assert run(machine, r"dism /Image:D:\ /Get-Packages") == expected
    assert run(machine, r"DISM.EXE /image:d:\ /get-packages /English") == expected


def test_get_packages_online_through_cmd_and_powershell() -> None:
    machine = new_machine("WS-0002", 3)
    expected = BANNER + IMAGE + STOCK_LISTING + SUCCESS
    assert run(machine, "dism /Online /Get-Packages") == Completed(0, expected, "")
    result = run(machine, 'powershell -NoProfile -Command "dism /Online /Get-Packages; exit $LASTEXITCODE"')
    assert result == Completed(0, expected, "")


def test_a_pending_package_has_no_install_time() -> None:
    machine = in_winre("stuck-pending-actions")
    listing = run(machine, r"dism /Image:D:\ /Get-Packages").stdout
    assert (
        f"Package Identity : {PENDING_KB}\r\nState : Install Pending\r\nRelease Type : Update\r\nInstall Time :\r\n\r\n"
    ) in listing


def test_get_package_info() -> None:
    machine = in_winre("stuck-pending-actions")
    result = run(machine, rf"dism /Image:D:\ /Get-PackageInfo /PackageName:{PENDING_KB}")
    assert result == Completed(
        0,
        BANNER + IMAGE + "Package information:\r\n\r\n"
        f"Package Identity : {PENDING_KB}\r\n"
        "Applicable : Yes\r\nCopyright : Microsoft Corporation\r\nCompany : Microsoft Corporation\r\n"
        "Creation Time :\r\nDescription : Fix for KB5041160\r\nInstall Client : WindowsUpdateAgent\r\n"
        f"Install Package Name : {PENDING_KB}.mum\r\nInstall Time :\r\nLast Update Time :\r\nName : default\r\n"
        "Product Name : Package_for_KB5041160\r\nProduct Version :\r\nRelease Type : Update\r\n"
        "Restart Required : Possible\r\nSupport Information : http://support.microsoft.com/?kbid=5041160\r\n"
        "State : Install Pending\r\nCompletely offline capable : No\r\nSelf servicing package : No\r\n"
        "Capability Identity :\r\n\r\nCustom Properties:\r\n\r\n(No custom properties found)\r\n\r\n"
        f"Features listing for package : {PENDING_KB}\r\n\r\n(No features found for this package)\r\n\r\n" + SUCCESS,
        "",
    )
    assert run(machine, r"dism /Image:D:\ /Get-PackageInfo /PackageName:Package_for_KB1") == Completed(
        0x800F0805, error("0x800f0805", "The specific package is not valid Windows package.", image=True), ""
    )


# --- removing a package -------------------------------------------------------------------------------------


def test_removing_the_newest_quality_update_offline_restores_what_it_replaced() -> None:
    machine = in_winre("bad-quality-update")
    drives = Drives({"D:": machine.os_volume})
    assert machine.os_volume.servicing.newest_quality_update().identity == BAD_ROLLUP
    result = run(machine, rf"dism /Image:D:\ /Remove-Package /PackageName:{BAD_ROLLUP}")
    assert result == Completed(
        0,
        BANNER + IMAGE + f"Processing 1 of 1 - Removing package {BAD_ROLLUP}\r\n"
        "[==========================100.0%==========================]\r\n" + SUCCESS,
        "",
    )
    assert run(machine, r"dism /Image:D:\ /Get-Packages").stdout == BANNER + IMAGE + STOCK_LISTING + SUCCESS
    assert drives.read("D:\\" + STORPORT) == placeholder_image("storport")
    assert machine.boot_outcome().environment == "normal"


def test_removing_a_package_that_added_a_file_deletes_it() -> None:
    from lifeline_lab.machine.servicing import Package

    machine = in_winre()
    drives = Drives({"D:": machine.os_volume})
    drives.write(r"D:\Windows\System32\drivers\new.sys", b"MZ new")
    name = "Package_for_KB5000001~31bf3856ad364e35~amd64~~20348.2700.1.0"
    machine.os_volume.servicing.packages.append(
        Package(name, "Update", replaced={r"Windows\System32\drivers\new.sys": None})
    )
    assert run(machine, rf"dism /Image:D:\ /Remove-Package /PackageName:{name}").exit_code == 0
    assert drives.find(r"D:\Windows\System32\drivers\new.sys") is None


def test_a_permanent_or_unknown_package_is_not_removed() -> None:
    machine = in_winre()
    result = run(machine, rf"dism /Image:D:\ /Remove-Package /PackageName:{FOUNDATION}")
    message = (
        "Package Microsoft-Windows-Foundation-Package may have failed due to pending updates to servicing "
        "components in the image. "
    )
    assert result == Completed(0x800F0825, error("0x800f0825", message, image=True), "")
    both = run(machine, rf"dism /Image:D:\ /Remove-Package /PackageName:{ROLLUP} /PackageName:Package_for_KB1")
    assert both.exit_code == 0x800F0805
    assert machine.os_volume.servicing.find(ROLLUP) is not None  # validated first: nothing was removed


def test_removing_online_marks_uninstall_pending_and_needs_a_restart() -> None:
    machine = new_machine("WS-0003", 4)
    machine.reboot_seconds = 0.01
    result = run(machine, f"dism /Online /Remove-Package /PackageName:{ROLLUP} /NoRestart")
    assert result == Completed(
        3010,
        BANNER + IMAGE + f"Processing 1 of 1 - Removing package {ROLLUP}\r\n"
        "[==========================100.0%==========================]\r\n" + SUCCESS,
        "",
    )
    assert machine.os_volume.servicing.find(ROLLUP).state == "Uninstall Pending"
    assert f'package="{ROLLUP}"' in machine.drives.read("C:\\" + PENDING_XML).decode()
    asyncio.run(machine.cycle())
    assert machine.os_volume.servicing.find(ROLLUP) is None
    assert machine.environment == "normal"


def test_removing_online_asks_to_restart() -> None:
    machine = new_machine("WS-0004", 5)
    prompt = "Restart Windows to complete this operation.\r\nDo you want to restart the computer now? (Y/N) "
    declined = run(machine, f"dism /Online /Remove-Package /PackageName:{ROLLUP}", stdin=b"N\r\n")
    assert declined.exit_code == 3010 and declined.stdout.endswith(SUCCESS + prompt)

    async def accept() -> tuple[int, bool]:
        out: list[str] = []
        ctx = ProcessContext(
            machine.hostname,
            machine.environment_variables("Administrator"),
            stdin_from_bytes(b"Y\r\n"),
            out.append,
            out.append,
            machine=machine,
        )
        code = await run_command_line(f"dism /Online /Remove-Package /PackageName:{ROLLUP}", ctx)
        return code, machine.restart_pending

    assert asyncio.run(accept()) == (1641, True)


# --- reverting pending actions --------------------------------------------------------------------------------


def test_revert_pending_actions_deletes_pending_xml_and_the_install_pending_package() -> None:
    machine = in_winre("stuck-pending-actions")
    drives = Drives({"D:": machine.os_volume})
    assert drives.find("D:\\" + PENDING_XML) is not None
    assert machine.boot_outcome().environment is None
    result = run(machine, r"dism /Image:D:\ /Cleanup-Image /RevertPendingActions")
    assert result == Completed(0, BANNER + IMAGE + SUCCESS, "")
    assert drives.find("D:\\" + PENDING_XML) is None
    assert machine.os_volume.servicing.find(PENDING_KB) is None
    assert machine.boot_outcome().environment == "normal"


def test_revert_puts_an_uninstall_pending_package_back_and_works_with_nothing_pending() -> None:
    machine = in_winre()
    machine.os_volume.servicing.find(ROLLUP).state = "Uninstall Pending"
    assert run(machine, r"dism /image:D:\ /cleanup-image /revertpendingactions").exit_code == 0
    assert machine.os_volume.servicing.find(ROLLUP).state == "Installed"
    assert run(machine, r"dism /Image:D:\ /Cleanup-Image /RevertPendingActions") == Completed(
        0, BANNER + IMAGE + SUCCESS, ""
    )


def test_revert_is_for_offline_images_only() -> None:
    machine = new_machine("WS-0005", 6)
    result = run(machine, "dism /Online /Cleanup-Image /RevertPendingActions")
    unknown = (
        "The RevertPendingActions option is unknown. \r\n"
        "For more information, refer to the help by running DISM.exe /?."
    )
    assert result == Completed(87, error("87", unknown, ONLINE_LOG, image=True), "")


# --- which image --------------------------------------------------------------------------------------------


def test_online_in_winre_and_the_running_image_are_refused() -> None:
    machine = in_winre()
    assert run(machine, "dism /Online /Get-Packages") == Completed(
        50, error("50", "DISM does not support servicing Windows PE with the /Online option."), ""
    )
    running = (
        "The /Image option that is specified points to a running Windows installation. \r\nTo service the running "
        "operating system, use the /Online option. For more information, refer to the help by running "
        "DISM.exe /Online /?."
    )
    assert run(machine, r"dism /Image:X:\ /Get-Packages") == Completed(87, error("87", running), "")


@pytest.mark.parametrize("path", [r"D:\Windows", "C:\\", "Q:"])
def test_a_path_without_a_windows_image(path: str) -> None:
    unable = (
        "Unable to access the image. \r\nMake sure that the image path and the Windows directory for the image "
        "exist and you have Read permissions on the folder."
    )
    assert run(in_winre(), f"dism /Image:{path} /Get-Packages") == Completed(2, error("2", unable), "")


def test_a_bitlocker_locked_image() -> None:
    machine = locked_in_winre("WS-0006", 8)
    locked = "This drive is locked by BitLocker Drive Encryption. You must unlock this drive from Control Panel."
    assert run(machine, r"dism /Image:D:\ /Get-Packages") == Completed(0x80310000, error("0x80310000", locked), "")


# --- the command line ---------------------------------------------------------------------------------------


def test_an_option_without_an_image_is_unknown_as_in_the_real_transcript() -> None:
    unknown = "The restorehealth option is unknown. \r\nFor more information, refer to the help by running DISM.exe /?."
    assert run(new_machine("WS-0007", 9), "dism /restorehealth") == Completed(87, error("87", unknown, ONLINE_LOG), "")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            r"/Online /Image:D:\ /Get-Packages",
            "Do not use the /Image or /WinDir option when using the /Online option to specify a running operating "
            "system. \r\nFor more information, refer to the help by running DISM.exe /Online /?.",
        ),
        (
            "/Online /Online /Get-Packages",
            "The /Online option has been duplicated on the command-line. \r\n"
            "Remove the duplicate option and try the command again.",
        ),
        (
            "/Online /Remove-Package",
            "The /Remove-Package option is missing a required argument. \r\n"
            "For more information, refer to the help by running DISM /Remove-Package /?.",
        ),
        (
            "/Online",
            "The command-line is missing a required servicing command. \r\n"
            "For more information, refer to the help by running DISM.exe /Online /?.",
        ),
        (
            "/Online /LogLevel:7 /Get-Packages",
            "An invalid log level was specified. \r\nFor more information, refer to the help by running "
            "DISM.exe /LogLevel /?. ",
        ),
        (
            "/Online /Get-Packages /PackageName:x",
            "The PackageName option is unknown. \r\nFor more information, refer to the help by running DISM.exe /?.",
        ),
    ],
)
def test_bad_command_lines_exit_87(arguments: str, message: str) -> None:
    assert run(new_machine("WS-0008", 10), f"dism {arguments}") == Completed(87, error("87", message, ONLINE_LOG), "")


def test_quiet_and_what_the_lab_does_not_simulate() -> None:
    machine = in_winre()
    assert run(machine, r"dism /Image:D:\ /Get-Packages /Quiet") == Completed(0, "", "")
    assert run(machine, r"dism /Image:D:\ /Quiet /Cleanup-Image /RestoreHealth") == Completed(
        1, "", "The lab does not implement DISM /Cleanup-Image /RestoreHealth.\r\n"
    )
    assert run(machine, r"dism /Image:D:\ /Add-Package /PackagePath:D:\x.cab").exit_code == 1
    assert run(machine, r"dism /Image:D:\ /Get-Packages /Format:Table").exit_code == 1
