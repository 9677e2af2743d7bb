"""What a simulated Windows machine is. For now: its identity and environment block."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Machine:
    computer_name: str
    os_version: str = "10.0.20348"

    def environment(self, username: str) -> dict[str, str]:
        """The environment a WinRS process sees (a Windows Server 2022 logon of `username`)."""
        profile = f"C:\\Users\\{username}"
        return {
            "ALLUSERSPROFILE": "C:\\ProgramData",
            "APPDATA": f"{profile}\\AppData\\Roaming",
            "COMPUTERNAME": self.computer_name,
            "ComSpec": "C:\\Windows\\system32\\cmd.exe",
            "LOCALAPPDATA": f"{profile}\\AppData\\Local",
            "NUMBER_OF_PROCESSORS": "2",
            "OS": "Windows_NT",
            "Path": "C:\\Windows\\system32;C:\\Windows;C:\\Windows\\System32\\Wbem;"
            "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\",
            "PATHEXT": ".COM;.EXE;.BAT;.CMD;.VBS;.VBE;.JS;.JSE;.WSF;.WSH;.MSC",
            "PROCESSOR_ARCHITECTURE": "AMD64",
            "ProgramData": "C:\\ProgramData",
            "ProgramFiles": "C:\\Program Files",
            "PUBLIC": "C:\\Users\\Public",
            "SystemDrive": "C:",
            "SystemRoot": "C:\\Windows",
            "TEMP": f"{profile}\\AppData\\Local\\Temp",
            "TMP": f"{profile}\\AppData\\Local\\Temp",
            "USERDOMAIN": self.computer_name,
            "USERNAME": username,
            "USERPROFILE": profile,
            "windir": "C:\\Windows",
        }
