"""What happens when a machine boots, decided only by the state on its disks.

Sources: windows-recovery.md (shared/reference): boot-start (0) and system-start (1) drivers load
before anything else and a crashing one bugchecks every boot; Safe Mode loads only what
Control\\SafeBoot\\Minimal or \\Network lists (by service name or load-order group); losing a
boot-critical storage or file system driver gives 0x7B INACCESSIBLE_BOOT_DEVICE; Windows starts
WinRE after two failed boots in a row when the loader entry has recoveryenabled Yes and a
recoverysequence; pending servicing operations run at boot (pending.xml).
"""

from __future__ import annotations

import fnmatch
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from functools import lru_cache

from . import errors
from .bcd import BcdError, BcdStore
from .filesystem import Drives, Volume
from .registry import Key, NotAHive, current_control_set_name, hive_from_bytes
from .servicing import PENDING_XML
from .windows_image import BOOT_CRITICAL, FILE_SYSTEM_DRIVER, KERNEL_DRIVER

INACCESSIBLE_BOOT_DEVICE = 0x7B
SYSTEM_THREAD_EXCEPTION_NOT_HANDLED = 0x7E
PAGE_FAULT_IN_NONPAGED_AREA = 0x50
CRITICAL_SERVICE_FAILED = 0x5A
BOOT_DEVICE_NOT_FOUND = 0xC000000E  # boot manager status, not a bugcheck
# Decoded SYSTEM hives kept for boots (~150 KiB each): more than the boot-looping machines of a big lab fleet.
SYSTEM_HIVE_CACHE_SIZE = 128


@dataclass(frozen=True)
class DriverFault:
    """A defect in a driver's code: it crashes when it loads a data file with one of these contents.

    This is the driver's property, not the lab's verdict on a file: the CrowdStrike sensor crashed on
    channel file 291's faulty content and loaded the corrected content fine.
    """

    data_folder: str  # under the Windows folder, e.g. System32\drivers\CrowdStrike
    data_pattern: str  # e.g. C-00000291*.sys
    bad_sha256: frozenset[str]
    bugcheck: int
    parameters: tuple[int, int, int, int] = (0, 0, 0, 0)


@dataclass(frozen=True)
class BadImage:
    """A driver image whose code crashes when loaded (a faulty build of a boot driver)."""

    bugcheck: int
    parameters: tuple[int, int, int, int] = (0, 0, 0, 0)


@dataclass
class BootOutcome:
    environment: str | None  # normal, safe_mode, safe_mode_network; None: the boot failed
    bugcheck: int | None = None
    parameters: tuple[int, int, int, int] = (0, 0, 0, 0)
    module: str | None = None
    reason: str = ""
    loaded: list[str] = field(default_factory=list)  # drivers and services started, for ground truth


@dataclass
class BootInputs:
    """What boot reads: the OS volume (as the boot loader sees it), the system store, the machine's defects."""

    os_volume: Volume
    store: BcdStore
    os_entry_id: str
    driver_faults: dict[str, DriverFault]
    bad_images: dict[str, BadImage]


def evaluate(inputs: BootInputs) -> BootOutcome:
    entry = inputs.store.entries.get(inputs.os_entry_id)
    problem = _loader_problem(inputs)
    if problem:
        return BootOutcome(None, reason=problem, bugcheck=None)
    assert entry is not None
    safeboot = str(entry.elements.get("safeboot", "")).lower()
    environment = {"": "normal", "minimal": "safe_mode", "network": "safe_mode_network"}.get(safeboot, "safe_mode")
    drives = Drives({"C:": inputs.os_volume})
    try:
        system = _system_hive(drives.read(r"C:\Windows\System32\config\SYSTEM"))
    except (errors.WindowsError_, NotAHive):
        return BootOutcome(None, bugcheck=0x74, module=None, reason="the SYSTEM hive is missing or corrupt")
    control_set = system.subkey(current_control_set_name(system))
    services = control_set.subkey("Services") if control_set else None
    if services is None:
        return BootOutcome(None, bugcheck=0x74, reason="the SYSTEM hive has no current control set")
    allowed = _safeboot_names(control_set, environment)
    outcome = BootOutcome(environment)
    group_order = _group_order(control_set)
    for start_type in (0, 1):
        if start_type == 1:
            # Between the two phases the kernel mounts the boot volume through the storage stack.
            missing = _missing_boot_critical(services, drives, allowed)
            if missing:
                return _crash(INACCESSIBLE_BOOT_DEVICE, None, missing)
        for service in _load_order(services, start_type, group_order):
            if allowed is not None and not _listed(service, allowed):
                continue
            image = _image_path(service)
            node = drives.find("C:\\" + image) if image else None
            if node is None:
                continue  # a missing non-critical driver is logged and skipped (ErrorControl 1)
            bad = inputs.bad_images.get(node.sha256())
            if bad:
                return _crash(bad.bugcheck, node.name, f"{node.name} crashed while loading", bad.parameters)
            fault = inputs.driver_faults.get(service.name.lower())
            if fault and loads_bad_data(drives, fault):
                return _crash(fault.bugcheck, node.name, f"{node.name} crashed on its data files", fault.parameters)
            outcome.loaded.append(service.name)
    pending = _pending_problem(drives)
    if pending:
        return BootOutcome(None, reason=pending)
    return outcome


@lru_cache(maxsize=SYSTEM_HIVE_CACHE_SIZE)
def _system_hive(data: bytes) -> Key:
    """The SYSTEM hive a boot reads, decoded once per content: a boot-looping machine boots from the same file
    every few seconds. Boot only reads the tree (never changes it), so one decoded tree serves every boot of that
    file; a changed file is other bytes, decoded anew. NotAHive is not cached (raised again each time)."""
    return hive_from_bytes(data)


def _crash(code: int, module: str | None, reason: str, parameters=(0, 0, 0, 0)) -> BootOutcome:
    return BootOutcome(None, bugcheck=code, parameters=tuple(parameters), module=module, reason=reason)


def _loader_problem(inputs: BootInputs) -> str:
    """Why Windows Boot Manager cannot start the Windows loader (0xc000000e/0xc000000f cases), or ''."""
    entry = inputs.store.entries.get(inputs.os_entry_id)
    default = inputs.store.default_id()
    if entry is None or default != inputs.os_entry_id:
        return "the boot manager's default entry does not name the Windows loader (0xc000000f)"
    expected = f"partition={inputs.os_volume.device}".lower()
    for element in ("device", "osdevice"):
        if str(entry.elements.get(element, "")).lower() != expected:
            return f"the Windows loader's {element} does not name the OS volume (0xc000000e)"
    path = str(entry.elements.get("path", ""))
    root = str(entry.elements.get("systemroot", ""))
    drives = Drives({"C:": inputs.os_volume})
    if not path or drives.find("C:" + path) is None:
        return f"the Windows loader's path {path or '(none)'} does not exist (0xc000000f)"
    if not root or drives.find("C:" + root) is None:
        return f"the Windows loader's systemroot {root or '(none)'} does not exist (0xc000000f)"
    return ""


def _dword(key: Key, name: str, default: int) -> int:
    value = key.get(name)
    return value.data if value is not None and isinstance(value.data, int) else default


def _is_driver(service: Key) -> bool:
    return _dword(service, "Type", 0) in (KERNEL_DRIVER, FILE_SYSTEM_DRIVER)


def _group_order(control_set: Key) -> list[str]:
    control = control_set.subkey("Control")
    order = control.subkey("ServiceGroupOrder") if control else None
    value = order.get("List") if order else None
    return [str(g).lower() for g in value.data] if value is not None and isinstance(value.data, list) else []


def _load_order(services: Key, start_type: int, group_order: list[str]) -> list[Key]:
    """Drivers of one start type in ServiceGroupOrder order, ungrouped ones last, then by name
    (MS Learn, "Specifying Driver Load Order"; the lab ignores Tag order within a group)."""

    def rank(service: Key) -> tuple[int, str]:
        group = service.get("Group")
        name = str(group.data).lower() if group is not None else ""
        return (group_order.index(name) if name in group_order else len(group_order), service.name.lower())

    chosen = [s for s in services.subkeys.values() if _is_driver(s) and _dword(s, "Start", 4) == start_type]
    return sorted(chosen, key=rank)


def _missing_boot_critical(services: Key, drives: Drives, allowed: set[str] | None) -> str:
    """Why the boot volume cannot be mounted: a boot-critical driver disabled, or its image gone; '' if none."""
    for service in services.subkeys.values():
        if service.name.lower() not in BOOT_CRITICAL or not _is_driver(service):
            continue
        if _dword(service, "Start", 4) == 4:
            return f"boot-critical driver {service.name} is disabled"
        image = _image_path(service)
        if _dword(service, "Start", 4) == 0 and drives.find("C:\\" + image) is None:
            return f"boot-critical driver image {image} is missing"
    return ""


def _safeboot_names(control_set: Key, environment: str) -> set[str] | None:
    if environment == "normal":
        return None
    section = control_set.subkey("Control")
    section = section.subkey("SafeBoot") if section else None
    which = section.subkey("Network" if environment == "safe_mode_network" else "Minimal") if section else None
    return {name.lower() for name in which.subkeys} if which else set()


def _listed(service: Key, allowed: set[str]) -> bool:
    group = service.get("Group")
    return service.name.lower() in allowed or (group is not None and str(group.data).lower() in allowed)


def _image_path(service: Key) -> str:
    value = service.get("ImagePath")
    image = str(value.data) if value is not None else f"System32\\drivers\\{service.name}.sys"
    for prefix in ("\\SystemRoot\\", "%SystemRoot%\\", "\\??\\C:\\Windows\\", "C:\\Windows\\"):
        if image.lower().startswith(prefix.lower()):
            return "Windows\\" + image[len(prefix) :]
    if image.lower().startswith("system32\\"):
        return "Windows\\" + image
    return image.lstrip("\\")


def loads_bad_data(drives: Drives, fault: DriverFault) -> bool:
    """Whether the driver's data folder holds content it crashes on (read at load, and as files arrive)."""
    folder = drives.find("C:\\Windows\\" + fault.data_folder)
    if folder is None or not folder.is_dir:
        return False
    return any(
        not node.is_dir and fnmatch.fnmatch(node.name.lower(), fault.data_pattern.lower())
        and node.sha256() in fault.bad_sha256
        for node in folder.children.values()
    )  # fmt: skip


def _pending_problem(drives: Drives) -> str:
    """Pending operations run at boot; one whose source file is missing cannot complete, and the boot fails."""
    node = drives.find("C:\\" + PENDING_XML)
    if node is None:
        return ""
    try:
        document = ET.fromstring(node.data)
    except ET.ParseError:
        return "pending.xml is corrupt; servicing cannot continue"
    for element in document.iter():
        source = element.get("source")
        if source and drives.find("C:\\" + source.lstrip("\\")) is None:
            return f"a pending servicing operation needs {source}, which is missing"
    return ""


def loader_store(data: bytes) -> BcdStore | None:
    try:
        return BcdStore.from_bytes(data)
    except BcdError:
        return None
