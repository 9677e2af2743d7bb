"""A simulated Windows machine: its disks, where it is in the boot cycle, and what each boot sees.

Environments: normal, safe_mode, safe_mode_network, winre. Between them the machine reboots, which
takes `reboot_seconds`; a boot that fails is recorded in the crash history and retried, and after
two failed boots in a row Windows starts WinRE (windows-recovery.md). A TPM And PIN BitLocker volume makes
every Windows boot wait at the pre-boot PIN prompt (power "pin_prompt": powered, nothing runs, no WinRM) until a
person types the PIN (`enter_pin`); WinRE starts without it (bitlocker.py).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from . import boot, wim, windows_image
from .bcd import BcdStore
from .boot import BadImage, BootInputs, DriverFault
from .environment import windows_environment, winre_environment
from .filesystem import Drives, Volume
from .registry import Registry
from .servicing import PENDING_XML

BCD_PATH = r"EFI\Microsoft\Boot\BCD"
FAILED_BOOTS_BEFORE_WINRE = 2
CRASH_HISTORY = 50  # like Windows' MinidumpsCount default: older records and dumps are dropped
SAFE_BOOT_OPTION = r"HKLM\SYSTEM\CurrentControlSet\Control\SafeBoot\Option"
ENVIRONMENTS = ("normal", "safe_mode", "safe_mode_network", "winre", "winpe")
WINPE = "winpe"  # Windows PE started from other media (a BMC's virtual media): firmware.py
OFF = "off"  # a power state: the machine is powered off (a BMC's ForceOff, GracefulShutdown)
PIN_PROMPT = "pin_prompt"  # a power state: the boot manager waits for the BitLocker PIN
HELD = "held"  # a power state of the lab's test control hold-boot: down, nothing boots until released


@dataclass
class Crash:
    time: dt.datetime
    bugcheck: int | None  # None: the boot failed without a bugcheck (boot manager error, servicing)
    parameters: tuple[int, int, int, int]
    module: str | None
    reason: str

    def to_dict(self) -> dict:
        return {
            "time": self.time.isoformat(),
            "bugcheck": f"0x{self.bugcheck:08X}" if self.bugcheck is not None else None,
            "parameters": [f"0x{p:016X}" for p in self.parameters],
            "module": self.module,
            "reason": self.reason,
        }


@dataclass
class RecoveryImage:
    """How WinRE letters the disks: the offline Windows volume is D: there (windows-recovery.md). Stock WinRE
    has no WinRM and no PowerShell (Microsoft Learn, "Windows Recovery Environment (Windows RE)": the
    optional components it includes; WinPE-PowerShell and WinPE-WMI are optional components not in winre.wim)."""

    os_letter: str = "D:"


@dataclass
class Machine:
    computer_name: str
    os_volume: Volume
    esp: Volume
    recovery: Volume
    ramdisk: Volume
    os_entry_id: str
    recovery_entry_id: str
    recovery_image: RecoveryImage = field(default_factory=RecoveryImage)
    driver_faults: dict[str, DriverFault] = field(default_factory=dict)
    bad_images: dict[str, BadImage] = field(default_factory=dict)
    reboot_seconds: float = 5.0
    boot_window_seconds: float = 0.0  # a crashing boot answers WinRM this long before it bugchecks
    hang_next_reboot: bool = False  # fault injection: the next restart never comes back
    hold_next_boot: bool = False  # test control: the next restart stays down until `release_boot`
    # The firmware's say in each boot (a BMC's boot override, bmc/firmware.py): awaited before the disk boots;
    # True when it started something else. None: the firmware boots the disk's boot manager.
    firmware: Callable[[Machine], Awaitable[bool]] | None = None
    media: Volume | None = None  # the CD a BMC's virtual media presents (D: in Windows PE started from it)
    boot_to_winre: bool = False  # reagentc /boottore: the next start goes to WinRE (if WinRE is allowed)

    # running, booting, hung, held, window (a crashing boot's first seconds), pin_prompt, off, or a firmware state
    # (bmc/firmware.py: setup, unknown_media)
    power: str = "running"
    environment: str = "normal"
    boot_time: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    failed_boots: int = 0
    crashes: list[Crash] = field(default_factory=list)
    boots: int = 0
    drives: Drives = field(init=False)
    registry: Registry = field(init=False)
    on_power_change: list[Callable[[Machine], None]] = field(default_factory=list)
    winpeshl_log: list[dict] = field(default_factory=list)  # what the last WinRE start ran ([LaunchApps])
    image_mounts: list = field(default_factory=list)  # DISM's mounted images (dism/mounts.py); gone at restart
    _restart: asyncio.Task | None = None
    _winpeshl: asyncio.Task | None = None
    _pin_typed: asyncio.Event | None = None
    _released: asyncio.Event | None = None

    def __post_init__(self) -> None:
        self._enter("normal")

    # --- what a process sees ------------------------------------------------------------------

    @property
    def in_winre(self) -> bool:
        return self.environment == "winre"

    @property
    def in_winpe(self) -> bool:
        """WinRE, or Windows PE started from other media: X: is the system drive (windows-tools.md §9.1)."""
        return self.environment in ("winre", WINPE)

    @property
    def hostname(self) -> str:
        """WinPE names itself MININT-… at every start (Microsoft Learn, "WinPE: Network drivers")."""
        if self.in_winpe:
            return "MININT-" + hashlib.sha256(self.computer_name.encode()).hexdigest()[:7].upper()
        return self.computer_name

    def environment_variables(self, username: str) -> dict[str, str]:
        if self.in_winpe:
            return winre_environment(self.hostname)
        return windows_environment(self.computer_name, username)

    def current_entry_id(self) -> str | None:
        """What {current} names: the loader this environment was started from (none in the system store for
        Windows PE started from other media: its loader is in the media's own store)."""
        if self.environment == WINPE:
            return None
        return self.recovery_entry_id if self.in_winre else self.os_entry_id

    def winrm_reachable(self) -> bool:
        """Whether the WinRM service answers in the current state (boot windows included)."""
        if self.power == "window":
            return True
        if self.power != "running":
            return False
        if self.environment == "normal":
            return True
        if self.environment == "safe_mode_network":
            return self._runs_in_safe_mode("WinRM")
        return False  # Safe Mode without networking; WinRE, which runs no WinRM service

    def _runs_in_safe_mode(self, name: str, seen: frozenset[str] = frozenset()) -> bool:
        """Whether the SCM starts service ``name`` in Safe Mode with Networking: it must be listed under
        SafeBoot\\Network by name or load-order group (otherwise StartService fails with 1084
        ERROR_NOT_SAFEBOOT_SERVICE; Microsoft Learn, BcdLibrary_SafeBoot "Load the drivers and services specified
        by name or group under ...SafeBoot\\Network", and "Te.Service: Safe Mode installation"), and so must every
        service in its DependOnService, since a service whose dependency cannot start fails with 1068
        ERROR_SERVICE_DEPENDENCY_FAIL (Microsoft Learn, "Service startup" / System Error Codes)."""
        control_set = r"HKLM\SYSTEM\CurrentControlSet"
        network = self.registry.open(control_set + r"\Control\SafeBoot\Network")
        service = self.registry.open(control_set + "\\Services\\" + name)
        if network is None or service is None:
            return False
        group = service.get("Group")
        listed = {key.lower() for key in network.subkeys}
        if name.lower() not in listed and (group is None or str(group.data).lower() not in listed):
            return False
        depends = service.get("DependOnService")
        dependencies = depends.data if depends is not None and isinstance(depends.data, list) else []
        seen = seen | {name.lower()}
        return all(d.lower() in seen or self._runs_in_safe_mode(d, seen) for d in dependencies)

    # --- the boot store -----------------------------------------------------------------------

    def system_store(self) -> BcdStore | None:
        node = Drives({"S:": self.esp}).find("S:\\" + BCD_PATH)
        return boot.loader_store(node.data) if node is not None else None

    def save_system_store(self, store: BcdStore) -> None:
        Drives({"S:": self.esp}).write("S:\\" + BCD_PATH, store.to_bytes())

    # --- the WinRE image -----------------------------------------------------------------------

    def winre_image_location(self) -> tuple[Volume, str] | None:
        """The volume and path of the winre.wim the WinRE loader's ramdisk device names (BCD: `device
        ramdisk=[\\Device\\HarddiskVolumeN]\\Recovery\\WindowsRE\\Winre.wim,{options}`), or None."""
        store = self.system_store()
        entry = store.entries.get(self.recovery_entry_id) if store else None
        device = str(entry.elements.get("device", "")) if entry else ""
        if not device.lower().startswith("ramdisk=[") or "]" not in device:
            return None
        volume_device, _, rest = device[len("ramdisk=[") :].partition("]")
        path = rest.split(",")[0].lstrip("\\")
        for volume in (self.recovery, self.os_volume, self.esp):
            if volume.device.lower() == volume_device.lower():
                return volume, path
        return None

    def winre_image(self) -> bytes | None:
        """The bytes of the winre.wim WinRE would start from now, or None when there is none to read."""
        location = self.winre_image_location()
        if location is None:
            return None
        volume, path = location
        node = _raw_find(volume, path)  # read by the boot manager (a BitLocker OS volume is unlocked by the TPM)
        return node.data if node is not None and not node.is_dir else None

    def _expand_winre(self) -> Volume:
        """X: built from the winre.wim the loader names, at each start of WinRE (Microsoft Learn, "Windows RE":
        Windows RE boots from winre.wim into a RAM disk)."""
        image = self.winre_image()
        if image is None:
            raise ValueError(f"{self.computer_name}: no winre.wim where the WinRE loader names it")
        return windows_image.winre_ramdisk(image, self.ramdisk.serial)

    def _winre_image_usable(self) -> bool:
        image = self.winre_image()
        if image is None:
            return False
        try:
            wim.unpack(image)
        except wim.NotAnImage:
            return False
        return True

    # --- power --------------------------------------------------------------------------------

    def enter_environment(self, environment: str) -> None:
        """Start directly in an environment (normal, safe_mode, safe_mode_network, winre), as a scenario
        or a test sets a machine up; reboots go through `restart`, which decides by the disks instead."""
        if environment not in ENVIRONMENTS:
            raise ValueError(f"unknown environment {environment!r}; one of {', '.join(ENVIRONMENTS)}")
        self.registry.release_files()
        self._enter(environment)

    def restart(self, delay: float = 0.0) -> None:
        """shutdown /r, wpeutil reboot: after `delay` the machine goes down and boots again."""
        if self._restart and not self._restart.done():
            self._restart.cancel()
        self._restart = asyncio.get_running_loop().create_task(self._restart_after(delay))

    def cancel_restart(self) -> bool:
        if self._restart and not self._restart.done():
            self._restart.cancel()
            return True
        return False

    @property
    def restart_pending(self) -> bool:
        """A restart is scheduled and has not begun: the machine still runs (what shutdown /a can abort)."""
        task = self._restart
        return task is not None and not task.done() and not task.cancelling() and self.power == "running"

    async def _restart_after(self, delay: float) -> None:
        await asyncio.sleep(delay)
        await self.cycle()

    async def cycle(self) -> None:
        """Go down, then boot until the machine runs somewhere (or loops forever)."""
        self._go_down("booting")
        if self.hang_next_reboot:
            self.hang_next_reboot = False
            self._go_down("hung")
            return
        if self.hold_next_boot:
            await self._hold()
        while True:
            if self.firmware is not None and await self.firmware(self):
                return  # the firmware started another device (a BMC's boot override)
            if self.os_volume.bitlocker and self.os_volume.bitlocker.pin_at_boot and not self._winre_next():
                await self._wait_for_pin()
            await asyncio.sleep(self.reboot_seconds)
            to_winre = self._winre_next()
            self.boot_to_winre = False
            if to_winre:
                # Leaving WinRE restarts the count: the next boot tries Windows again.
                self.failed_boots = 0
                self._enter("winre")
                self._winpeshl = asyncio.get_running_loop().create_task(self._run_winpeshl())
                return
            outcome = self.boot_outcome()
            if outcome.environment is not None:
                self._finish_pending_servicing()
                self.failed_boots = 0
                self._enter(outcome.environment)
                return
            if self.boot_window_seconds > 0:
                self._enter("normal", power="window")
                await asyncio.sleep(self.boot_window_seconds)
            self.record_crash(outcome)
            self._go_down("booting")

    def power_off(self) -> None:
        """Power removed (a BMC's ForceOff; Windows that shut down): every process ends, nothing boots until
        `power_on`."""
        task = self._restart
        if task is not None and not task.done() and task is not asyncio.current_task():
            task.cancel()
        self._go_down(OFF)

    def power_on(self) -> bool:
        """Power applied to a machine that is off: it boots. False if it was not off."""
        if self.power != OFF:
            return False
        self.restart(0)
        return True

    def stay_in_firmware(self, state: str) -> None:
        """The firmware stays where a boot took it (its setup utility, a medium the lab cannot run): powered,
        nothing of Windows runs, until the machine is reset (bmc/firmware.py)."""
        self._go_down(state)

    def start_winpe(self, image: bytes, media: Volume) -> None:
        """Windows PE started by the firmware from other media (a CD): its boot.wim expanded to the X: RAM disk
        (Microsoft Learn, "WinPE: Create Apps": winpeshl.exe runs first and starts the [LaunchApps] of
        winpeshl.ini), the CD as D:, the OS volume as C: (the lab's letters: "WinPE: Identify drive letters with
        a script" says letters vary and scripts should find volumes by their files). A BitLocker OS volume stays
        locked there: no TPM unseals its key for another boot (bitlocker.py)."""
        self.registry.release_files()
        self.ramdisk = windows_image.winre_ramdisk(image, self.ramdisk.serial)
        self.media = media
        self._enter(WINPE)
        self._winpeshl = asyncio.get_running_loop().create_task(self._run_winpeshl())

    async def _run_winpeshl(self) -> None:
        from ..shell.winpeshl import run_winpeshl  # the shell runs on machines: import at call time

        self.winpeshl_log = await run_winpeshl(self)

    async def start_winre(self) -> None:
        """Start WinRE now, as after two failed boots, and run its [LaunchApps] to their end (tests, scenarios)."""
        self.registry.release_files()
        self.failed_boots = 0
        self._enter("winre")
        await self._run_winpeshl()

    def _winre_next(self) -> bool:
        """Whether the next start is WinRE: after two failed boots, or once after reagentc /boottore."""
        return (self.boot_to_winre or self.failed_boots >= FAILED_BOOTS_BEFORE_WINRE) and self._winre_allowed()

    async def _wait_for_pin(self) -> None:
        """The pre-boot PIN prompt: the machine stays here, powered and unreachable, until `enter_pin`."""
        typed = self._pin_typed = asyncio.Event()
        self._go_down(PIN_PROMPT)
        try:
            await typed.wait()
        finally:
            if self._pin_typed is typed:
                self._pin_typed = None
        self._go_down("booting")

    def enter_pin(self) -> bool:
        """A person types the BitLocker PIN at the pre-boot prompt: the boot continues. False if not at the prompt."""
        if self.power != PIN_PROMPT or self._pin_typed is None:
            return False
        self._pin_typed.set()
        return True

    async def _hold(self) -> None:
        """The lab's test control hold-boot, not a Windows behaviour: the machine stays down (powered, nothing
        runs, no WinRM) until `release_boot`, so a test can order what happens elsewhere meanwhile."""
        self.hold_next_boot = False
        released = self._released = asyncio.Event()
        self._go_down(HELD)
        try:
            await released.wait()
        finally:
            if self._released is released:
                self._released = None
        self._go_down("booting")

    def release_boot(self) -> bool:
        """End hold-boot: a held machine boots on; one not held yet will not be. False if it was not held."""
        self.hold_next_boot = False
        if self._released is None:
            return False
        self._released.set()
        return True

    def boot_outcome(self) -> boot.BootOutcome:
        store = self.system_store()
        if store is None:
            return boot.BootOutcome(None, reason="the boot configuration data store is missing (0xc000000f)")
        if self.os_volume.bitlocker:
            self.os_volume.bitlocker.lock_for_boot(tpm_can_unlock=True)  # the boot manager unseals with the TPM
        return boot.evaluate(BootInputs(self.os_volume, store, self.os_entry_id, self.driver_faults, self.bad_images))

    def record_crash(self, outcome: boot.BootOutcome, failed_boot: bool = True) -> None:
        """Record a crash; a failed boot counts towards WinRE, a crash of a Windows that had booted does not."""
        crash = Crash(dt.datetime.now(dt.UTC), outcome.bugcheck, outcome.parameters, outcome.module, outcome.reason)
        self.crashes = [*self.crashes[-(CRASH_HISTORY - 1) :], crash]
        if failed_boot:
            self.failed_boots += 1
        if outcome.bugcheck is not None:
            self._write_minidump(crash)

    def crash_while_running(self, outcome: boot.BootOutcome) -> None:
        """A bugcheck while Windows runs: recorded with its minidump (not a failed boot: this boot had completed),
        then the machine restarts: CrashControl\\AutoReboot, "System will automatically reboot during a recovery
        operation" (Microsoft Learn, "Win32_OSRecoveryConfiguration class"). That it is on by default is not in
        what was read (NOT FOUND IN SOURCES); the crashes of July 2024 restarted by themselves."""
        self.record_crash(outcome, failed_boot=False)
        self._go_down("booting")
        self.restart()

    def _winre_allowed(self) -> bool:
        store = self.system_store()
        entry = store.entries.get(self.os_entry_id) if store else None
        if entry is None:
            return True  # bootmgr falls back to the recovery sequence it can still read from firmware
        enabled = str(entry.elements.get("recoveryenabled", "Yes")).lower() != "no"
        sequenced = entry.elements.get("recoverysequence") == self.recovery_entry_id
        return enabled and sequenced and self._winre_image_usable()

    def _go_down(self, power: str) -> None:
        task = self._winpeshl
        if task is not None and not task.done() and task is not asyncio.current_task():
            task.cancel()  # going down ends every process, winpeshl's apps too
        self._drop_volatile_keys()
        self.registry.release_files()
        self.image_mounts.clear()  # the lab drops DISM's mounts at restart; their files stay in the folders
        self.power = power
        for listener in list(self.on_power_change):
            listener(self)

    def _enter(self, environment: str, power: str = "running") -> None:
        """Start an environment: assign drive letters, unlock or lock BitLocker, mount the hives."""
        self.environment = environment
        self.power = power
        self.boot_time = dt.datetime.now(dt.UTC)
        self.boots += 1
        if environment in ("winre", WINPE):
            if self.os_volume.bitlocker:
                self.os_volume.bitlocker.lock_for_boot(tpm_can_unlock=False)
            self.winpeshl_log = []
            if environment == WINPE:
                letters = {"X:": self.ramdisk, "C:": self.os_volume}
                if self.media is not None:
                    letters["D:"] = self.media
                self.drives = Drives(letters)
            else:
                self.ramdisk = self._expand_winre()
                self.drives = Drives({"X:": self.ramdisk, self.recovery_image.os_letter: self.os_volume})
            self.registry = Registry(self.drives)
            self.registry.load("HKLM", "SYSTEM", r"X:\Windows\System32\config\SYSTEM", in_use_by="System")
            self.registry.load("HKLM", "SOFTWARE", r"X:\Windows\System32\config\SOFTWARE", in_use_by="System")
        else:
            if self.os_volume.bitlocker:
                self.os_volume.bitlocker.lock_for_boot(tpm_can_unlock=True)
            self.drives = Drives({"C:": self.os_volume})
            self.registry = Registry(self.drives)
            self.registry.load("HKLM", "SYSTEM", r"C:\Windows\System32\config\SYSTEM", in_use_by="System")
            self.registry.load("HKLM", "SOFTWARE", r"C:\Windows\System32\config\SOFTWARE", in_use_by="System")
            self._record_safe_boot_option()
        for listener in list(self.on_power_change):
            listener(self)

    def _record_safe_boot_option(self) -> None:
        """Safe Mode leaves its mark in the live SYSTEM hive: Control\\SafeBoot\\Option, value OptionValue
        (REG_DWORD 1 = minimal, 2 = network), created at each safe boot and absent after a normal one
        (Windows Internals 7th ed., part 2, ch. 12 "Safe mode"; the same codes as GetSystemMetrics
        SM_CLEANBOOT on Microsoft Learn). The key is volatile on Windows; the lab rewrites it at each start."""
        self._drop_volatile_keys()
        codes = {"safe_mode": 1, "safe_mode_network": 2}
        if self.environment in codes and self.registry.open(r"HKLM\SYSTEM\CurrentControlSet\Control\SafeBoot"):
            self.registry.create(SAFE_BOOT_OPTION).set("OptionValue", "REG_DWORD", codes[self.environment])

    def _drop_volatile_keys(self) -> None:
        """Volatile keys never reach the hive file (RegCreateKeyEx REG_OPTION_VOLATILE, Microsoft Learn)."""
        if not self.in_winpe and self.registry.open(SAFE_BOOT_OPTION) is not None:
            self.registry.delete_key(SAFE_BOOT_OPTION)

    def _finish_pending_servicing(self) -> None:
        drives = Drives({"C:": self.os_volume})
        if drives.find("C:\\" + PENDING_XML) is not None:
            drives.delete("C:\\" + PENDING_XML)
        for package in list(self.os_volume.servicing.packages if self.os_volume.servicing else []):
            if package.state == "Install Pending":
                package.state = "Installed"
            elif package.state == "Uninstall Pending":
                # The uninstall completes at boot: the files it replaced come back, the ones it added go.
                for path, previous in package.replaced.items():
                    if previous is None:
                        if drives.find("C:\\" + path) is not None:
                            drives.delete("C:\\" + path)
                    else:
                        drives.write("C:\\" + path, previous)
                self.os_volume.servicing.packages.remove(package)

    def _write_minidump(self, crash: Crash) -> None:
        """A minidump with the DUMP_HEADER64 fields debuggers read first: signature, bugcheck code, parameters."""
        drives = Drives({"C:": self.os_volume})
        if drives.find(r"C:\Windows\Minidump") is None:
            drives.mkdir(r"C:\Windows\Minidump")
        header = bytearray(0x2000)
        header[0:8] = b"PAGEDU64"
        struct.pack_into("<II", header, 0x08, 15, 20348)  # MajorVersion (free build), MinorVersion (build)
        struct.pack_into("<I", header, 0x30, 0x8664)  # MachineImageType: AMD64
        struct.pack_into("<I", header, 0x34, 2)  # NumberProcessors
        struct.pack_into("<I", header, 0x38, crash.bugcheck or 0)
        struct.pack_into("<4Q", header, 0x40, *crash.parameters)
        stamp = crash.time.strftime("%m%d%y")
        folder = drives.get(r"C:\Windows\Minidump")
        while len(folder.children) >= CRASH_HISTORY:
            oldest = min(folder.children.values(), key=lambda node: node.modified)
            del folder.children[oldest.name.lower()]
        index = self.boots + len(self.crashes)
        drives.write(rf"C:\Windows\Minidump\{stamp}-{index:05d}-01.dmp", bytes(header), modified=crash.time)

    # --- ground truth -------------------------------------------------------------------------

    def snapshot(self) -> dict:
        from .ground_truth import snapshot

        return snapshot(self)


def _raw_find(volume: Volume, path: str):
    node = volume.root
    for part in path.split("\\"):
        node = node.child(part) if node is not None and node.is_dir else None
    return node


def new_machine(computer_name: str, serial_seed: int) -> Machine:
    """A healthy Windows Server 2022 machine with a GPT disk: ESP, OS, recovery partition."""
    os_volume = windows_image.os_volume(computer_name, serial_seed)
    os_volume.device = "\\Device\\HarddiskVolume3"
    os_volume.servicing = windows_image.cumulative_update_packages()
    esp = windows_image.esp_volume(serial_seed + 1)
    esp.device = "\\Device\\HarddiskVolume1"
    recovery = windows_image.recovery_volume(serial_seed + 2)
    recovery.device = "\\Device\\HarddiskVolume4"
    ramdisk = windows_image.winre_ramdisk(windows_image.stock_winre_wim(), serial_seed + 3)
    store, os_id, re_id = windows_image.boot_store(os_volume.device, recovery.device)
    Drives({"S:": esp}).write("S:\\" + BCD_PATH, store.to_bytes())
    Drives({"C:": os_volume}).mkdir("C:\\" + windows_image.RECOVERY_FOLDER, parents=True)
    Drives({"C:": os_volume}).write("C:\\" + windows_image.REAGENT_XML, windows_image.reagent_xml(re_id))
    return Machine(computer_name, os_volume, esp, recovery, ramdisk, os_id, re_id)
