# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one model of a Windows host: what one survey of it reports, and the rules Lifeline judges it by.

One script (``_recovery_survey.recovery_environment_survey``) is read by one parser (``_recovery_survey.
parse_environment_survey``) into the dataclasses below. The fleet inventory (``_probe.py``, ``_classify.py``),
win_recovery_facts, win_recovery_reboot and the rollout (``_rollout.py``) decide with the rules below only, so
one host is judged the same way by each of them. Everything here is host-reported data: treat it as untrusted text.

Environment, from the live registry and environment of the running system:
- ``winre`` when ``HKLM\\SYSTEM\\CurrentControlSet\\Control\\MiniNT`` exists: the key of Windows PE, which WinRE
  is, and what Microsoft's own code tests (PowerShell/PowerShell, src/System.Management.Automation/engine/Utils.cs,
  ``IsWinPEHost``: "The existence of the following registry confirms that the host machine is a WinPE"). The
  system drive does not decide: WinPE started from read-only media runs from X: (Microsoft Learn, "What's new in
  Windows PE": "Windows PE automatically creates a writable RAM disk (drive X)"), but WinPE applied to a disk runs
  from that disk's letter ("WinPE: Install on a Hard Drive (Flat Boot or Non-RAM)");
- ``unknown`` when the system drive is X: without the MiniNT key: WinPE's RAM disk without WinPE's key, two
  indicators that disagree; Lifeline does not guess;
- else ``...\\Control\\SafeBoot\\Option`` value ``OptionValue`` (the key exists only in Safe Mode): 1 is
  ``safe_mode``, 2 is ``safe_mode_network`` (the SM_CLEANBOOT codes, GetSystemMetrics on Microsoft Learn); any
  other value, or one that cannot be read, is ``unknown`` with the value in the evidence;
- ``normal`` when there is neither key.

The failover marker: Lifeline's WinRE failover (roles/winre_failover/files/lifeline-failover.cmd) creates the BCD
object ``FAILOVER_MARKER`` in the system store before it sets ``safeboot network`` and restarts; it acts only when
the object does not exist yet, and role exit_recovery deletes it once Safe Mode is cleared. So the object present
means the failover put the host in Safe Mode with Networking (and has not been re-armed since); a host in WinRE with
it present has been through Safe Mode already and needs hands or the out-of-band path.

Crashes: each minidump's bugcheck code and parameters come from its kernel dump header, as the Windows SDK's
``mindumpdef.h`` defines it: DUMP_HEADER64 (``PAGEDU64``) on 64-bit Windows, DUMP_HEADER32 (``PAGEDUMP``) on
32-bit Windows (``_recovery_survey.dump_bugcheck``). The faulting module is not in the header: the signals name it.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from ansible_collections.lifeline.recovery.plugins.plugin_utils._bcdedit import BcdEntry
from ansible_collections.lifeline.recovery.plugins.plugin_utils._manage_bde import BitLockerVolume

__all__ = [
    "ENVIRONMENTS",
    "FAILOVER_MARKER",
    "MININT_KEY",
    "SAFEBOOT_OPTION_KEY",
    "EnvironmentSurvey",
    "Minidump",
    "SurveyVolume",
    "WindowsLocation",
    "default_entry",
    "environment_of",
    "expected_environment",
    "failure_signature",
    "latest_crash",
    "locate_windows",
    "normalise_signature",
]

# The indicators of where a host is: the MiniNT key of Windows PE (WinRE), SafeBoot\Option of Safe Mode.
MININT_KEY = r"HKLM\SYSTEM\CurrentControlSet\Control\MiniNT"
SAFEBOOT_OPTION_KEY = r"HKLM\SYSTEM\CurrentControlSet\Control\SafeBoot\Option"

# The BCD object lifeline-failover.cmd creates (bcdedit /create <id> /d ... /device); the same identifier there,
# in role exit_recovery's defaults and here (tests/unit/collection/test_failover_marker.py checks all three).
FAILOVER_MARKER = "{07b12ddd-c467-4140-8aab-3313b0711336}"

ENVIRONMENTS = ("normal", "safe_mode", "safe_mode_network", "winre", "unknown")
SAFE_BOOT_OPTIONS = {1: "safe_mode", 2: "safe_mode_network"}
WINPE_RAM_DISK = "X:"
_LETTER = re.compile(r"[A-Za-z]:")
_PARTITION = re.compile(r"partition=(?P<letter>[A-Za-z]:)", re.IGNORECASE)
_HEX_CODE = re.compile(r"0x[0-9a-f]+")
_MODULE_CHARS = re.compile(r"[^a-z0-9._-]+")


@dataclass(frozen=True)
class Minidump:
    """A file in ``<volume>\\Windows\\Minidump``: its name, size, time, and what its kernel dump header holds:
    ``header`` ``PAGEDU64`` or ``PAGEDUMP`` with the bugcheck code and parameters, or None (no such header: a dump
    cut off while it was written, or another kind of file) with ``bugcheck`` None."""

    name: str
    size: int
    time: datetime.datetime
    header: str | None
    bugcheck: int | None
    parameters: tuple[int, ...]

    def to_fact(self) -> dict:
        """As win_recovery_facts and win_recovery_reboot return it: the codes as hex text, 0x00000050."""
        digits = 16 if self.header == "PAGEDU64" else 8
        return {
            "file": self.name,
            "size": self.size,
            "time": self.time.isoformat(),
            "bugcheck": None if self.bugcheck is None else f"0x{self.bugcheck:08X}",
            "parameters": [f"0x{parameter:0{digits}X}" for parameter in self.parameters],
        }


@dataclass(frozen=True)
class SurveyVolume:
    letter: str
    file_system: str | None
    system_hive: bool  # <letter>\Windows\System32\config\SYSTEM exists
    pending_xml: bool
    minidumps: tuple[Minidump, ...] | None  # None: not asked for


@dataclass(frozen=True)
class EnvironmentSurvey:
    """What one survey of a host reported. ``safe_boot_option``: None when there is no SafeBoot\\Option key, the
    REG_DWORD OptionValue, or (text) what stood there instead."""

    computer_name: str
    system_drive: str
    system_root: str | None
    mini_nt: bool
    safe_boot_option: int | str | None
    last_boot_time: datetime.datetime
    host_time: datetime.datetime
    volumes: tuple[SurveyVolume, ...]
    bitlocker: tuple[BitLockerVolume, ...] | None  # None: not asked for, or unreadable (see bitlocker_error)
    bitlocker_error: str | None
    boot: tuple[BcdEntry, ...] | None
    boot_error: str | None
    failover_marker: bool | None = None  # FAILOVER_MARKER in the system store; None: not asked for, or unreadable
    failover_marker_error: str | None = None

    @property
    def environment(self) -> str:
        return environment_of(self.mini_nt, self.system_drive, self.safe_boot_option)

    @property
    def environment_evidence(self) -> str:
        """One sentence: the environment and the indicators it comes from."""
        drive, option = self.system_drive, self.safe_boot_option
        if self.mini_nt:
            return f"environment winre: MiniNT key present, system drive {drive}"
        if drive == WINPE_RAM_DISK:
            return f"environment unknown: system drive {drive}, WinPE's RAM disk, but no MiniNT key"
        if option is None:
            return f"environment normal: no MiniNT key, no SafeBoot\\Option, system drive {drive}"
        if option in SAFE_BOOT_OPTIONS:
            return f"environment {SAFE_BOOT_OPTIONS[option]}: SafeBoot\\Option OptionValue {option}"
        return (
            f"environment unknown: SafeBoot\\Option OptionValue {option}: neither 1 (Safe Mode) "
            "nor 2 (Safe Mode with Networking)"
        )

    @property
    def problems(self) -> tuple[str, ...]:
        """What the survey could not read (a tool's output it did not understand)."""
        problems = (self.bitlocker_error, self.boot_error, self.failover_marker_error)
        return tuple(problem for problem in problems if problem)

    def volume(self, letter: str | None) -> SurveyVolume | None:
        return next((v for v in self.volumes if letter and v.letter == letter.upper()), None)

    def bitlocker_volume(self, letter: str | None) -> BitLockerVolume | None:
        return next((v for v in self.bitlocker or () if letter and v.mount_point == letter.upper()), None)


def environment_of(mini_nt: bool, system_drive: str, safe_boot_option: int | str | None) -> str:
    """normal, safe_mode, safe_mode_network, winre or unknown (the module docstring's rules)."""
    if mini_nt:
        return "winre"
    if system_drive.upper() == WINPE_RAM_DISK:
        return "unknown"
    if safe_boot_option is None:
        return "normal"
    return SAFE_BOOT_OPTIONS.get(safe_boot_option, "unknown") if isinstance(safe_boot_option, int) else "unknown"


def default_entry(entries: tuple[BcdEntry, ...] | None) -> BcdEntry | None:
    """The loader the boot manager starts by default: the entry its ``default`` element names."""
    if not entries:
        return None
    manager = next((e for e in entries if e.identifier == "{bootmgr}"), None)
    wanted = manager.get("default") if manager else None
    for entry in entries:
        if entry.identifier == wanted or (wanted is None and entry.title == "Windows Boot Loader"):
            return entry
    return None


def expected_environment(safeboot: str | None) -> str:
    """The environment the default loader starts with this ``safeboot`` value (bcdedit: Minimal, Network)."""
    if safeboot is None:
        return "normal"
    return {"minimal": "safe_mode", "network": "safe_mode_network"}.get(str(safeboot).lower(), "safe_mode")


@dataclass(frozen=True)
class WindowsLocation:
    """Where the Windows installation is. ``locked``: BitLocker locks ``os_volume``; None when that cannot be told
    (no volume holds Windows and manage-bde could not be read)."""

    os_volume: str | None
    locked: bool | None
    offline: bool
    system_root: str | None
    candidates: tuple[str, ...]
    reason: str


def locate_windows(survey: EnvironmentSurvey) -> WindowsLocation:
    """The running Windows; in WinRE the offline one: the lettered volume other than the system drive that has
    ``\\Windows\\System32\\config\\SYSTEM`` (the default loader's ``osdevice`` chooses among several). A volume
    BitLocker locks cannot be read: it is Windows' when that ``osdevice`` names it or when it is the only locked
    one. Otherwise ``os_volume`` is None: Lifeline does not guess, nor where it cannot tell WinPE from Windows."""
    if survey.environment == "unknown" and survey.system_drive == WINPE_RAM_DISK:
        return WindowsLocation(None, None, False, None, (), "neither WinPE nor Windows can be told (X: without MiniNT)")
    if survey.environment != "winre":
        root = survey.system_root or survey.system_drive + "\\Windows"
        return WindowsLocation(survey.system_drive, False, False, root, (survey.system_drive,), "the running system")
    readable = tuple(v.letter for v in survey.volumes if v.system_hive and v.letter != survey.system_drive)
    entry = default_entry(survey.boot)
    osdevice = _PARTITION.fullmatch(str(entry.get("osdevice", ""))) if entry else None
    named = osdevice.group("letter").upper() if osdevice else None
    if len(readable) == 1:
        root = readable[0] + "\\Windows"
        return WindowsLocation(readable[0], False, True, root, readable, "the volume with a SYSTEM hive")
    if len(readable) > 1:
        if named in readable:
            return WindowsLocation(named, False, True, named + "\\Windows", readable, "the default loader's osdevice")
        return WindowsLocation(None, False, True, None, readable, "several volumes hold Windows; none is the default")
    locked = tuple(
        v.mount_point
        for v in survey.bitlocker or ()
        if v.locked and _LETTER.fullmatch(v.mount_point) and v.mount_point != survey.system_drive
    )
    if named in locked:
        return WindowsLocation(named, True, True, None, locked, "locked; the default loader's osdevice names it")
    if len(locked) == 1:
        return WindowsLocation(locked[0], True, True, None, locked, "locked; the only locked volume")
    known = bool(locked) if survey.bitlocker is not None else None
    return WindowsLocation(None, known, True, None, locked, "no readable volume holds Windows")


def latest_crash(survey: EnvironmentSurvey, where: WindowsLocation) -> Minidump | None:
    """The newest minidump on the Windows volume (None when there is none, or the volume cannot be read)."""
    volume = survey.volume(where.os_volume) if not where.locked else None
    dumps = volume.minidumps if volume is not None else None
    return max(dumps, key=lambda dump: dump.time) if dumps else None


def normalise_signature(value: object) -> str:
    """A failure signature in its one form, ``0x50:csagent.sys``: the bugcheck in lower-case hex without leading
    zeros, then the faulting module's file name in lower case (characters outside a-z 0-9 . _ - become ``_``);
    either part alone when only it is known (``0x50``, ``unknown:csagent.sys``). A name without a colon (the
    rollout's ``pending_servicing``) is kept in lower case; surrounding blanks go; "" for nothing."""
    text = str(value or "").strip().lower()
    code, colon, module = text.partition(":")
    code = code.strip()
    if _HEX_CODE.fullmatch(code):
        code = f"0x{int(code, 16):x}"
    if not colon:
        return code
    name = _MODULE_CHARS.sub("_", module.replace("/", "\\").rsplit("\\", 1)[-1].strip()).strip("_")
    return f"{code or 'unknown'}:{name}" if name else code


def failure_signature(bugcheck: int | None, module: str | None) -> str | None:
    """The signature of a crash with this bugcheck code and faulting module; None when neither is known."""
    code = "" if bugcheck is None else f"0x{bugcheck:x}"
    return normalise_signature(f"{code}:{module or ''}") or None
