"""The failures a scenario puts on a machine, each as Windows would have it on disk.

Each function installs what the failure needs (software, files, registry values, packages) and the
defect that makes boot fail; it never decides the outcome itself: the boot model does, from the disks.
Sources: windows-recovery.md (shared/reference): the July 2024 channel file 291 incident, offline
registry repair of boot drivers, servicing rollback, BCD repair, pending.xml.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Callable

from .machine import Machine, wim
from .machine.boot import PAGE_FAULT_IN_NONPAGED_AREA, SYSTEM_THREAD_EXCEPTION_NOT_HANDLED, BadImage, DriverFault
from .machine.drives_helpers import os_drive
from .machine.filesystem import Drives, Node
from .machine.registry import hive_from_bytes, hive_to_bytes
from .machine.servicing import PENDING_XML, Package
from .machine.windows_image import FILE_SYSTEM_DRIVER, placeholder_image

CHANNEL_FILE_HEADER = bytes.fromhex("AAAAAAAA01002301")  # CrowdStrike's tool deletes only files starting so
BAD_CHANNEL_FILE_TIME = dt.datetime(2024, 7, 19, 4, 9, tzinfo=dt.UTC)
CROWDSTRIKE_FOLDER = r"System32\drivers\CrowdStrike"


def _edit_system_hive(machine: Machine, change: Callable) -> None:
    """Change the SYSTEM hive file on the OS volume (as an installer would, before the failing boot)."""
    drives = os_drive(machine)
    path = r"C:\Windows\System32\config\SYSTEM"
    machine.registry.release_files()
    root = hive_from_bytes(drives.read(path))
    change(root)
    drives.write(path, hive_to_bytes(root))


def _install_driver(machine: Machine, name: str, image: str, group: str, start: int, display: str) -> None:
    def add(root):
        service = root.path("ControlSet001", "Services", name)
        service.set("Type", "REG_DWORD", FILE_SYSTEM_DRIVER)
        service.set("Start", "REG_DWORD", start)
        service.set("ErrorControl", "REG_DWORD", 1)
        service.set("Group", "REG_SZ", group)
        service.set("ImagePath", "REG_EXPAND_SZ", f"\\SystemRoot\\{image}")
        service.set("DisplayName", "REG_SZ", display)

    _edit_system_hive(machine, add)


def crowdstrike_291(machine: Machine, rng: random.Random) -> None:
    """Falcon sensor 7.11 with the faulty channel file 291 of 04:09 UTC 19 July 2024 beside good channel files."""
    drives = os_drive(machine)
    folder = rf"C:\Windows\{CROWDSTRIKE_FOLDER}"
    drives.mkdir(folder, parents=True)
    installed = dt.datetime(2024, 5, 2, 14, 0, tzinfo=dt.UTC)
    drives.write(rf"{folder}\CSAgent.sys", placeholder_image("csagent.sys 7.11"), modified=installed)
    good = {
        "C-00000285-00000000-00000052.sys": dt.datetime(2024, 7, 16, 21, 43, tzinfo=dt.UTC),
        "C-00000289-00000000-00000157.sys": dt.datetime(2024, 7, 18, 11, 2, tzinfo=dt.UTC),
        "C-00000290-00000000-00000107.sys": dt.datetime(2024, 7, 18, 23, 51, tzinfo=dt.UTC),
    }
    for name, stamp in good.items():
        drives.write(rf"{folder}\{name}", CHANNEL_FILE_HEADER + rng.randbytes(4096), modified=stamp)
    bad = CHANNEL_FILE_HEADER + bytes(40952)  # the faulty content: header, then the zeroed body seen in the field
    drives.write(rf"{folder}\C-00000291-00000000-00000032.sys", bad, modified=BAD_CHANNEL_FILE_TIME)
    _install_driver(
        machine, "CSAgent", rf"{CROWDSTRIKE_FOLDER}\CSAgent.sys", "FSFilter Activity Monitor", 1, "CrowdStrike Falcon"
    )
    machine.driver_faults["csagent"] = DriverFault(
        data_folder=CROWDSTRIKE_FOLDER,
        data_pattern="C-00000291*.sys",
        bad_sha256=frozenset({hashlib.sha256(bad).hexdigest().upper()}),
        bugcheck=PAGE_FAULT_IN_NONPAGED_AREA,
        parameters=(0xFFFF840500000074, 0, 0xFFFFF8022F8D4A47, 2),
    )


def bad_boot_driver(machine: Machine, rng: random.Random) -> None:
    """A third-party file system filter (boot start) whose new build crashes with 0x7E when it loads."""
    image = placeholder_image("ctxflt.sys 4.2.1 faulty build")
    os_drive(machine).write(r"C:\Windows\System32\drivers\ctxflt.sys", image)
    _install_driver(machine, "ctxflt", r"System32\drivers\ctxflt.sys", "FSFilter Activity Monitor", 0,
                    "Contoso Endpoint Filter")  # fmt: skip
    machine.bad_images[hashlib.sha256(image).hexdigest().upper()] = BadImage(
        SYSTEM_THREAD_EXCEPTION_NOT_HANDLED, (0xFFFFFFFFC0000005, 0xFFFFF80561A31B2C, 0xFFFFF58A6B2A6F48, 0)
    )


def bad_quality_update(machine: Machine, rng: random.Random) -> None:
    """A cumulative update that replaced storport.sys with a build that crashes on this hardware."""
    drives = os_drive(machine)
    path = r"Windows\System32\drivers\storport.sys"
    previous = drives.read("C:\\" + path)
    faulty = placeholder_image("storport.sys 10.0.20348.2582")
    drives.write("C:\\" + path, faulty)
    machine.os_volume.servicing.packages.append(
        Package(
            "Package_for_RollupFix~31bf3856ad364e35~amd64~~20348.2582.1.8",
            "Security Update",
            install_time=dt.datetime(2024, 7, 9, 18, 12, tzinfo=dt.UTC),
            files={path: faulty},
            replaced={path: previous},
        )
    )
    machine.bad_images[hashlib.sha256(faulty).hexdigest().upper()] = BadImage(
        SYSTEM_THREAD_EXCEPTION_NOT_HANDLED, (0xFFFFFFFFC0000005, 0xFFFFF8054A2E11D0, 0xFFFF8B0C7E1F4A28, 0)
    )


def broken_bcd(machine: Machine, rng: random.Random) -> None:
    """The Windows loader entry lost its devices (a disk clone or partition change): 0xc000000e at boot."""
    store = machine.system_store()
    entry = store.entries[machine.os_entry_id]
    entry.elements["device"] = "partition=\\Device\\HarddiskVolume2"
    entry.elements["osdevice"] = "partition=\\Device\\HarddiskVolume2"
    machine.save_system_store(store)


def stuck_pending_actions(machine: Machine, rng: random.Random) -> None:
    """An update left pending.xml naming a component payload that is gone: servicing cannot finish at boot."""
    identity = "Package_for_KB5041160~31bf3856ad364e35~amd64~~20348.2620.1.2"
    machine.os_volume.servicing.packages.append(
        Package(
            identity, "Update", state="Install Pending", install_time=dt.datetime(2024, 8, 13, 19, 4, tzinfo=dt.UTC)
        )
    )
    source = r"Windows\WinSxS\amd64_microsoft-windows-servicingstack_31bf3856ad364e35_10.0.20348.2620_none\wcp.dll"
    pending = (
        '<?xml version="1.0" encoding="utf-8"?>\r\n'
        '<PendingTransaction Version="3.1" WcpVersion="10.0.20348.2620" Identifier="916ae75edb30da0146730000b008a40a">'
        f'<Transactions><Install source="\\{source}" package="{identity}"/></Transactions></PendingTransaction>\r\n'
    )
    os_drive(machine).write("C:\\" + PENDING_XML, pending.encode())


def prepare_for_remote_recovery(machine: Machine) -> None:
    """List WinRM and what it depends on (sc qc WinRM: RPCSS, HTTP) under SafeBoot\\Network so it runs in Safe Mode
    with Networking (windows-recovery.md). RpcSs is listed there by default; HTTP is a driver."""

    def listed(root):
        network = root.path(r"ControlSet001\Control\SafeBoot\Network")
        for name, kind in (("WinRM", "Service"), ("RpcSs", "Service"), ("HTTP", "Driver")):
            network.path(name).set("", "REG_SZ", kind)

    _edit_system_hive(machine, listed)


FAILOVER_SCRIPT = r"Windows\System32\Lifeline\failover.cmd"
FAILOVER_LAUNCH = r"%SYSTEMDRIVE%\Windows\System32\cmd.exe, /c %SYSTEMDRIVE%\Windows\System32\Lifeline\failover.cmd"


def arm_winre_failover(machine: Machine, script: bytes) -> None:
    """Install a failover script into the machine's winre.wim as the documented servicing steps leave it
    (Microsoft Learn, "Customize Windows RE": mount winre.wim, add files, edit Windows\\System32\\winpeshl.ini,
    commit): the script as Windows\\System32\\Lifeline\failover.cmd and a [LaunchApps] line starting it with
    cmd.exe /c before the stock recenv.exe line ("Winpeshl.ini Files"). The image is committed now, so its bytes
    differ from the stock image's."""
    location = machine.winre_image_location()
    image = machine.winre_image()
    if location is None or image is None:
        raise ValueError(f"{machine.computer_name}: no winre.wim to arm")
    volume, path = location
    root, _committed = wim.unpack(image)
    folder = root
    for name in FAILOVER_SCRIPT.split("\\")[:-1]:
        folder = folder.child(name) or folder.add(Node(name, True))
    folder.add(Node("failover.cmd", False, script))
    ini = root.child("Windows").child("System32").child("winpeshl.ini")
    lines = ini.data.decode("utf-8").replace("\r\n", "\n").split("\n")
    at = lines.index("[LaunchApps]") + 1
    lines.insert(at, FAILOVER_LAUNCH)
    ini.data = "\r\n".join(lines).encode()
    Drives({"R:": volume}).write("R:\\" + path, wim.pack(root, dt.datetime.now(dt.UTC)))


FAILURES: dict[str, Callable[[Machine, random.Random], None] | None] = {
    "healthy": None,
    "crowdstrike-291": crowdstrike_291,
    "bad-boot-driver": bad_boot_driver,
    "bad-quality-update": bad_quality_update,
    "broken-bcd": broken_bcd,
    "stuck-pending-actions": stuck_pending_actions,
}
