"""reagentc.exe and DISM image servicing over real WinRM (pywinrm) from PowerShell on a host in normal Windows: the
documented arming flow ("Customize Windows RE"): reagentc /info and /disable, dism /Mount-Image, Copy-Item and
Set-Content into the mount folder, /Unmount-Image /Discard (the .wim unchanged) and /Commit, reagentc /enable; then
reagentc /boottore and a restart, and the lab's ground truth shows WinRE running the new winpeshl.ini."""

from __future__ import annotations

import time

import pytest

from .conftest import sealed_session

pytestmark = pytest.mark.integration

WIM = r"C:\Windows\System32\Recovery\Winre.wim"
MOUNT = r"C:\Lifeline\mount"
INI = MOUNT + r"\Windows\System32\winpeshl.ini"
NEW_INI = (
    "[LaunchApps]\r\n%SYSTEMDRIVE%\\Windows\\System32\\cmd.exe, /c exit 7\r\n"
    "%SYSTEMDRIVE%\\sources\\recovery\\recenv.exe"
)
SCRIPT_IN_IMAGE = MOUNT + r"\Windows\System32\Lifeline\failover.cmd"


def ps(client, script: str) -> tuple[int, str]:
    result = client.run_ps(script + "\nexit $LASTEXITCODE")
    return result.status_code, result.std_out.decode()


def truth(fleet, name: str) -> dict:
    return fleet.show(name)["machine"]


@pytest.mark.fleet_args("--hosts", "1", "--scenario", "healthy", "--reboot-seconds", "0.3")
def test_arming_flow_over_winrm_reaches_the_next_winre_start(small_fleet):
    host = small_fleet.host(0)
    name = host["name"]
    client = sealed_session(host)
    stock = truth(small_fleet, name)["winre_image"]
    assert stock["volume"] == "recovery"

    code, text = ps(client, "& reagentc.exe /info")
    assert code == 0 and "    Windows RE status:         Enabled\r\n" in text
    assert text.endswith("\r\nREAGENTC.EXE: Operation Successful.\r\n")
    assert ps(client, "& reagentc.exe /disable") == (0, "REAGENTC.EXE: Operation Successful.\r\n")
    assert truth(small_fleet, name)["winre_image"] is None  # the WinRE loader no longer finds an image

    mount = f"& dism.exe /English /Mount-Image /ImageFile:{WIM} /Index:1 /MountDir:{MOUNT}"
    code, text = ps(client, f"New-Item -ItemType Directory -Path '{MOUNT}' | Out-Null\n{mount}")
    assert code == 0 and text.endswith(
        "Mounting image\r\n[==========================100.0%==========================]"
        "\r\nThe operation completed successfully.\r\n"
    )
    assert ps(client, f"Set-Content -Path '{INI}' -Value 'discarded'")[0] == 0
    assert ps(client, f"& dism.exe /Unmount-Image /MountDir:{MOUNT} /Discard")[0] == 0
    hashed = f"(Get-FileHash -Algorithm SHA256 -Path '{WIM}').Hash"
    assert ps(client, hashed)[1].strip() == stock["sha256"]

    assert ps(client, mount)[0] == 0
    code, text = ps(client, "& dism.exe /English /Get-MountedImageInfo")
    assert f"Mount Dir : {MOUNT}\r\nImage File : {WIM}\r\nImage Index : 1\r\nMounted Read/Write : Yes\r\n" in text
    script = (
        "Set-Content -Path 'C:\\Lifeline\\failover.cmd' -Value '@echo off'\n"
        f"New-Item -ItemType Directory -Path '{MOUNT}\\Windows\\System32\\Lifeline' | Out-Null\n"
        f"Copy-Item -Path 'C:\\Lifeline\\failover.cmd' -Destination '{SCRIPT_IN_IMAGE}'\n"
        f"Set-Content -Path '{INI}' -Value '{NEW_INI}'\n"
        f"& dism.exe /Unmount-Image /MountDir:{MOUNT} /Commit"
    )
    assert ps(client, script)[0] == 0
    assert ps(client, "& reagentc.exe /enable") == (0, "REAGENTC.EXE: Operation Successful.\r\n")
    armed = truth(small_fleet, name)["winre_image"]
    assert armed["volume"] == "recovery" and armed["sha256"] != stock["sha256"]
    assert armed["winpeshl_ini"] == NEW_INI + "\r\n"

    assert ps(client, "& reagentc.exe /boottore")[0] == 0
    boots = truth(small_fleet, name)["boots"]
    try:
        client.run_cmd("shutdown /r /t 0")
    except Exception:  # the connection may go down with the machine: that is what a restart does
        pass
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        machine = truth(small_fleet, name)
        if machine["boots"] > boots and machine["environment"] == "winre" and len(machine["winpeshl_log"]) == 2:
            break
        time.sleep(0.1)
    assert machine["environment"] == "winre"
    assert [(entry["exit_code"], entry["app"].lower()) for entry in machine["winpeshl_log"]] == [
        (7, r"x:\windows\system32\cmd.exe"),
        (None, r"x:\sources\recovery\recenv.exe"),
    ]
