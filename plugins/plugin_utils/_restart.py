# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Restarting a host: ``shutdown /r`` in Windows, ``wpeutil reboot`` in Windows PE / WinRE (shutdown, wpeutil;
Microsoft Learn), and the last boot time that shows a restart happened (Win32_OperatingSystem, CimCmdlets).

The restart builders return the call (``NativeCall``): ``native_script`` makes the script that runs it.
"""

from __future__ import annotations

from ansible_collections.lifeline.recovery.plugins.plugin_utils._inputs import integer, shown
from ansible_collections.lifeline.recovery.plugins.plugin_utils._inputs import text as _text
from ansible_collections.lifeline.recovery.plugins.plugin_utils._powershell import NativeCall

__all__ = [
    "last_boot_time",
    "shutdown_restart",
    "wpeutil_reboot",
]

_SHUTDOWN_DELAY_LIMIT = 315360000  # shutdown /t: 0-315360000 seconds (10 years)


def shutdown_restart(delay_seconds: int, comment: str | None = None) -> NativeCall:
    """``shutdown /r /t <delay> /f [/c <comment>]``: restart, closing applications (as /t > 0 implies)."""
    arguments = ["/r", "/t", str(integer(delay_seconds, "restart delay", 0, _SHUTDOWN_DELAY_LIMIT)), "/f"]
    if comment is not None:
        if len(_text(comment, "restart comment")) > 512:
            raise ValueError(f"restart comment {shown(comment)} is longer than shutdown's 512 characters")
        arguments += ["/c", comment]
    return NativeCall("shutdown.exe", *arguments)


def wpeutil_reboot() -> NativeCall:
    """``wpeutil reboot``: restart from Windows PE / WinRE."""
    return NativeCall("wpeutil.exe", "reboot")


def last_boot_time() -> list[str]:
    """The last boot time as an ISO 8601 UTC string (Win32_OperatingSystem.LastBootUpTime)."""
    return ["(Get-CimInstance -ClassName 'Win32_OperatingSystem').LastBootUpTime.ToUniversalTime().ToString('o')"]
