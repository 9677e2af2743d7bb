"""The environment block a WinRS process sees on a running Windows, and in WinRE."""

from __future__ import annotations


def windows_environment(computer_name: str, username: str) -> dict[str, str]:
    """A Windows Server 2022 logon of `username`."""
    profile = f"C:\\Users\\{username}"
    return {
        "ALLUSERSPROFILE": "C:\\ProgramData",
        "APPDATA": f"{profile}\\AppData\\Roaming",
        "COMPUTERNAME": computer_name,
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
        "USERDOMAIN": computer_name,
        "USERNAME": username,
        "USERPROFILE": profile,
        "windir": "C:\\Windows",
    }


def winre_environment(hostname: str) -> dict[str, str]:
    """WinRE runs as SYSTEM from the X: RAM disk (windows-recovery.md; Microsoft Learn, "WinPE")."""
    return {
        "ALLUSERSPROFILE": "X:\\ProgramData",
        "APPDATA": "X:\\windows\\system32\\config\\systemprofile\\AppData\\Roaming",
        "COMPUTERNAME": hostname,
        "ComSpec": "X:\\windows\\system32\\cmd.exe",
        "LOCALAPPDATA": "X:\\windows\\system32\\config\\systemprofile\\AppData\\Local",
        "OS": "Windows_NT",
        "Path": "X:\\windows\\system32;X:\\windows;X:\\windows\\System32\\Wbem;"
        "X:\\windows\\System32\\WindowsPowerShell\\v1.0\\",
        "PATHEXT": ".COM;.EXE;.BAT;.CMD;.VBS;.VBE;.JS;.JSE;.WSF;.WSH;.MSC",
        "PROCESSOR_ARCHITECTURE": "AMD64",
        "ProgramData": "X:\\ProgramData",
        "ProgramFiles": "X:\\Program Files",
        "SystemDrive": "X:",
        "SystemRoot": "X:\\windows",
        "TEMP": "X:\\windows\\TEMP",
        "TMP": "X:\\windows\\TEMP",
        "USERDOMAIN": "WORKGROUP",
        "USERNAME": "SYSTEM",
        "USERPROFILE": "X:\\windows\\system32\\config\\systemprofile",
        "windir": "X:\\windows",
    }
