# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading the JSON object that ``_commands.recovery_probe()`` prints into a ``RecoveryLook``.

The environment comes from documented indicators only: WinPE/WinRE has the ``Control\\MiniNT`` key
and runs from the X: RAM disk; Safe Mode records ``Control\\SafeBoot\\Option`` ``OptionValue`` (1
minimal, 2 with networking). The BitLocker lock state is manage-bde's, read with its own parser.
The latest crash comes from the newest minidump's DUMP_HEADER64: signature ``PAGEDU64`` at 0, the
bugcheck code (32 bits) at 0x38 and its four 64-bit parameters at 0x40 (the layout debuggers read;
the faulting module is not in the header: crash analytics names it, see the signals sources).
Everything here is host-reported data: the caller treats it as untrusted text.
"""

from __future__ import annotations

import datetime
import json
import struct
from dataclasses import dataclass

from ansible_collections.lifeline.recovery.plugins.plugin_utils._parse_manage_bde import (
    BitLockerVolume,
    ManageBdeError,
    parse_manage_bde_status,
)
from ansible_collections.lifeline.recovery.plugins.plugin_utils._parse_reg import parse_reg_query
from ansible_collections.lifeline.recovery.plugins.plugin_utils._parsers import ParseError

__all__ = ["BOOT_ENVIRONMENTS", "CrashDump", "RecoveryLook", "parse_recovery_probe"]

_TOOL = "the recovery probe"
BOOT_ENVIRONMENTS = ("normal", "safe_mode", "safe_mode_network", "winre")
_SAFE_BOOT = {1: "safe_mode", 2: "safe_mode_network"}
_DUMP_SIGNATURE = b"PAGEDU64"
_HEADER_NEEDED = 0x60


@dataclass(frozen=True)
class CrashDump:
    """The newest minidump: file name, when it was written (UTC), bugcheck code and parameters."""

    name: str
    time: datetime.datetime | None
    bugcheck: int | None
    parameters: tuple[int, ...] = ()


@dataclass(frozen=True)
class RecoveryLook:
    """What one authenticated look at a host saw. ``problems`` lists what could not be read, and why."""

    computer_name: str
    system_drive: str
    mini_nt: bool
    safe_boot_option: int | None  # None: no SafeBoot\Option key; 0: a key whose OptionValue is unreadable
    os_volume: str | None
    volumes: tuple[BitLockerVolume, ...] | None
    latest_crash: CrashDump | None
    problems: tuple[str, ...] = ()

    @property
    def boot_environment(self) -> str:
        """normal, safe_mode, safe_mode_network or winre; unknown for a Safe Mode option it cannot read."""
        if self.mini_nt or self.system_drive.upper() == "X:":
            return "winre"
        if self.safe_boot_option is None:
            return "normal"
        return _SAFE_BOOT.get(self.safe_boot_option, "unknown")

    @property
    def bitlocker_locked(self) -> bool | None:
        """Whether the OS volume is locked: the volume Windows was found on, else (in WinRE, where a
        locked volume cannot be read) any locked volume but the system drive; None when unknown."""
        if self.volumes is None:
            return None
        if self.os_volume is not None:
            volume = next((v for v in self.volumes if v.mount_point.upper() == self.os_volume.upper()), None)
            return bool(volume and volume.locked)
        return any(v.locked for v in self.volumes if v.mount_point.upper() != self.system_drive.upper())


def parse_recovery_probe(text: str) -> RecoveryLook:
    """The look printed by the recovery probe script. Raises ParseError when it is not that object;
    a part that cannot be read (manage-bde localized, a minidump cut short) is a ``problem`` instead."""
    try:
        data = json.loads(text.strip().removeprefix("\ufeff"))
    except ValueError as exc:
        raise ParseError(_TOOL, f"not a JSON object ({exc.msg})") from None
    if not isinstance(data, dict):
        raise ParseError(_TOOL, f"not a JSON object but {type(data).__name__}")
    problems: list[str] = []
    system_drive = _string(data, "system_drive", required=True)
    mini_nt = data.get("mini_nt")
    if not isinstance(mini_nt, bool):
        raise ParseError(_TOOL, "mini_nt is not true or false")
    return RecoveryLook(
        computer_name=_string(data, "computer_name", required=True),
        system_drive=system_drive,
        mini_nt=mini_nt,
        safe_boot_option=_safe_boot_option(_string(data, "safe_boot_option"), problems),
        os_volume=_string(data, "os_volume") or None,
        volumes=_volumes(_string(data, "manage_bde"), problems),
        latest_crash=_crash(data, problems),
        problems=tuple(problems),
    )


def _string(data: dict, key: str, required: bool = False) -> str:
    value = data.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise ParseError(_TOOL, f"{key} is not a string")
    return value


def _safe_boot_option(text: str, problems: list[str]) -> int | None:
    if not text.strip():
        return None  # reg query printed nothing: the key does not exist (not Safe Mode)
    try:
        keys = parse_reg_query(text)
    except ParseError as exc:
        problems.append(str(exc))
        return None
    value = keys[0].value("OptionValue") if keys else None
    if value is None or value.type != "REG_DWORD" or not isinstance(value.data, int):
        # The key exists only in Safe Mode; a value we cannot read leaves the kind of Safe Mode unknown.
        shown = "missing" if value is None else f"{value.type} {value.data!r}"[:300]
        problems.append(f"SafeBoot\\Option OptionValue is not a REG_DWORD ({shown})")
        return 0
    return value.data


def _volumes(text: str, problems: list[str]) -> tuple[BitLockerVolume, ...] | None:
    if not text.strip():
        problems.append("manage-bde -status printed nothing")
        return None
    try:
        return tuple(parse_manage_bde_status(text))
    except (ParseError, ManageBdeError) as exc:
        problems.append(str(exc))
        return None


def _crash(data: dict, problems: list[str]) -> CrashDump | None:
    name = _string(data, "minidump_name")
    if not name:
        return None
    time = _time(_string(data, "minidump_time"))
    header = data.get("minidump_header")
    if not isinstance(header, list) or not all(
        isinstance(item, int) and not isinstance(item, bool) and 0 <= item < 256 for item in header
    ):
        problems.append(f"the header of minidump {name!r} is not a list of bytes")
        return CrashDump(name, time, None)
    raw = bytes(header)
    if len(raw) < _HEADER_NEEDED or raw[:8] != _DUMP_SIGNATURE:
        problems.append(f"minidump {name!r} does not start with a PAGEDU64 header")
        return CrashDump(name, time, None)
    (bugcheck,) = struct.unpack_from("<I", raw, 0x38)
    return CrashDump(name, time, bugcheck, struct.unpack_from("<4Q", raw, 0x40))


def _time(text: str) -> datetime.datetime | None:
    if not text:
        return None
    try:
        # DateTime.ToString('o'): 7 fraction digits, which fromisoformat (3.11) reads.
        value = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)
