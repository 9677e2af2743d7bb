"""cmd.exe's file built-ins over real WinRM (pywinrm, cmd and PowerShell): quarantine a file, delete by
wildcard, and check the disk through DIR and through the lab's ground truth."""

from __future__ import annotations

import json

import pytest

from .conftest import lab, sealed_session

pytestmark = pytest.mark.integration

LOG = r"C:\Windows\System32\config\SYSTEM.LOG1"


@pytest.mark.fleet_args("--hosts", "1", "--scenario", "healthy")
def test_quarantine_and_wildcard_delete_over_winrm(small_fleet):
    host = small_fleet.host(0)
    client = sealed_session(host)
    made = client.run_cmd(rf"md C:\Lab\Quarantine && copy {LOG} C:\Lab\a-1.tmp && copy {LOG} C:\Lab\a-2.tmp")
    assert (made.status_code, made.std_out) == (0, b"        1 file(s) copied.\r\n        1 file(s) copied.\r\n")
    assert client.run_cmd(rf"copy {LOG} C:\Lab\keep.txt").status_code == 0

    moved = client.run_cmd(r"cd /d C:\Lab && move keep.txt Quarantine\ ")
    assert (moved.status_code, moved.std_out) == (0, b"        1 file(s) moved.\r\n")
    deleted = client.run_cmd(r"del /f /q C:\Lab\a-*.tmp")
    assert (deleted.status_code, deleted.std_err) == (0, b"")
    again = client.run_cmd(r"del C:\Lab\a-*.tmp")
    assert (again.status_code, again.std_err) == (0, b"Could Not Find C:\\Lab\\a-*.tmp\r\n")

    listing = client.run_ps(r"cmd /c dir /s /b C:\Lab")
    assert listing.std_out == b"C:\\Lab\\Quarantine\r\nC:\\Lab\\Quarantine\\keep.txt\r\n"
    missing = client.run_cmd(r"dir C:\Lab\*.tmp")
    assert (missing.status_code, missing.std_err) == (1, b"File Not Found\r\n")

    truth = json.loads(lab("show", host["name"], "--fleet-file", str(small_fleet.fleet_file), "--json").stdout)
    files = truth["machine"]["files"]
    assert "C:\\Lab\\Quarantine\\keep.txt" in files and files["C:\\Lab\\Quarantine\\keep.txt"]["size"] == 512
    assert not any(path.startswith("C:\\Lab\\a-") for path in files)
