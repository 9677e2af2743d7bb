"""A fresh Windows Server 2022 installation: the volumes, files, hives and boot store it starts with.

Service names, groups, start types and SafeBoot lists follow a default installation
(HKLM\\SYSTEM\\CurrentControlSet\\Services and Control\\SafeBoot; Microsoft Learn, "Safe mode",
"Service control manager: Start values"). Driver files carry placeholder images ("MZ" + name);
what matters to the boot model is which files exist and their content hashes.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib

from . import wim
from .bcd import BOOTMGR, MEMDIAG, BcdEntry, BcdStore, new_guid
from .filesystem import Node, Volume
from .registry import Key, hive_to_bytes
from .servicing import Package, Servicing

INSTALLED = dt.datetime(2024, 3, 12, 9, 30, tzinfo=dt.UTC)
KERNEL_DRIVER, FILE_SYSTEM_DRIVER, OWN_PROCESS, SHARE_PROCESS = 1, 2, 0x10, 0x20

# name: (type, start, group, image under System32, display name)
SERVICES: dict[str, tuple[int, int, str, str, str]] = {
    "ACPI": (KERNEL_DRIVER, 0, "Core", r"drivers\ACPI.sys", "Microsoft ACPI Driver"),
    "pci": (KERNEL_DRIVER, 0, "Boot Bus Extender", r"drivers\pci.sys", "PCI Bus Driver"),
    "partmgr": (KERNEL_DRIVER, 0, "System Bus Extender", r"drivers\partmgr.sys", "Partition driver"),
    "volmgr": (KERNEL_DRIVER, 0, "System Bus Extender", r"drivers\volmgr.sys", "Volume Manager Driver"),
    "volmgrx": (KERNEL_DRIVER, 0, "System Bus Extender", r"drivers\volmgrx.sys", "Dynamic Volume Manager"),
    "mountmgr": (KERNEL_DRIVER, 0, "System Bus Extender", r"drivers\mountmgr.sys", "Mount Point Manager"),
    "disk": (KERNEL_DRIVER, 0, "SCSI Class", r"drivers\disk.sys", "Disk Driver"),
    "storahci": (KERNEL_DRIVER, 0, "SCSI Miniport", r"drivers\storahci.sys", "Microsoft Standard SATA AHCI Driver"),
    "stornvme": (KERNEL_DRIVER, 0, "SCSI Miniport", r"drivers\stornvme.sys", "Microsoft Standard NVM Express Driver"),
    "storport": (KERNEL_DRIVER, 0, "SCSI Port", r"drivers\storport.sys", "Microsoft Storage Port Driver"),
    "fvevol": (KERNEL_DRIVER, 0, "Filter", r"drivers\fvevol.sys", "BitLocker Drive Encryption Filter Driver"),
    "volsnap": (KERNEL_DRIVER, 0, "Filter", r"drivers\volsnap.sys", "Volume Shadow Copy driver"),
    "Ntfs": (FILE_SYSTEM_DRIVER, 0, "Boot File System", r"drivers\Ntfs.sys", "Ntfs"),
    "ReFS": (FILE_SYSTEM_DRIVER, 3, "Boot File System", r"drivers\ReFS.sys", "ReFS"),
    "FltMgr": (FILE_SYSTEM_DRIVER, 0, "FSFilter Infrastructure", r"drivers\fltmgr.sys", "FltMgr"),
    "CNG": (KERNEL_DRIVER, 0, "Core", r"drivers\cng.sys", "CNG"),
    "ksecdd": (KERNEL_DRIVER, 0, "Base", r"drivers\ksecdd.sys", "KSecDD"),
    "NDIS": (KERNEL_DRIVER, 0, "NDIS Wrapper", r"drivers\ndis.sys", "NDIS System Driver"),
    "Tcpip": (KERNEL_DRIVER, 0, "PNP_TDI", r"drivers\tcpip.sys", "TCP/IP Protocol Driver"),
    "NetBT": (KERNEL_DRIVER, 1, "PNP_TDI", r"drivers\netbt.sys", "NetBT"),
    "AFD": (KERNEL_DRIVER, 1, "PNP_TDI", r"drivers\afd.sys", "Ancillary Function Driver for Winsock"),
    "WdFilter": (
        FILE_SYSTEM_DRIVER,
        0,
        "FSFilter Anti-Virus",
        r"drivers\wd\WdFilter.sys",
        "Microsoft Defender Antivirus Mini-Filter Driver",
    ),
    "HTTP": (KERNEL_DRIVER, 3, "", r"drivers\HTTP.sys", "HTTP Service"),
    "RpcSs": (SHARE_PROCESS, 2, "COM Infrastructure", r"svchost.exe", "Remote Procedure Call (RPC)"),
    "EventLog": (SHARE_PROCESS, 2, "Event Log", r"svchost.exe", "Windows Event Log"),
    "Dhcp": (SHARE_PROCESS, 2, "TDI", r"svchost.exe", "DHCP Client"),
    "Dnscache": (SHARE_PROCESS, 2, "NetworkProvider", r"svchost.exe", "DNS Client"),
    "WinRM": (SHARE_PROCESS, 2, "", r"svchost.exe", "Windows Remote Management (WS-Management)"),
    # Services whose place under SafeBoot\Network Microsoft does not document for WinRM (firewall, key
    # isolation for the HTTPS listener's key, domain logons); Lifeline's readiness may list them. Names,
    # display names and default start types from Microsoft Learn, "Guidance on disabling system services on
    # Windows Server 2016 with Desktop Experience" (the same on 2022); the lab models no behaviour of theirs.
    "BFE": (SHARE_PROCESS, 2, "", r"svchost.exe", "Base Filtering Engine"),
    "MpsSvc": (SHARE_PROCESS, 2, "", r"svchost.exe", "Windows Defender Firewall"),
    "KeyIso": (SHARE_PROCESS, 3, "", r"lsass.exe", "CNG Key Isolation"),
    "LanmanWorkstation": (SHARE_PROCESS, 2, "NetworkProvider", r"svchost.exe", "Workstation"),
    "Netlogon": (SHARE_PROCESS, 3, "RemoteValidation", r"lsass.exe", "Netlogon"),
    "nsi": (SHARE_PROCESS, 2, "", r"svchost.exe", "Network Store Interface Service"),
}

# Drivers whose loss makes the boot volume unreachable (windows-recovery.md: NEVER disable these).
BOOT_CRITICAL = {
    "storport", "stornvme", "storahci", "disk", "partmgr", "volmgr", "volsnap", "mountmgr",
    "fvevol", "ntfs", "refs", "acpi", "pci", "ndis", "tcpip",
}  # fmt: skip

# HKLM\SYSTEM\CurrentControlSet\Control\ServiceGroupOrder\List on Windows Server 2022 (the groups the
# lab's services use keep their relative order; MS Learn, "Specifying Driver Load Order").
SERVICE_GROUP_ORDER = (
    "System Reserved", "EMS", "WdfLoadGroup", "Boot Bus Extender", "System Bus Extender", "SCSI miniport", "Port",
    "Primary Disk", "SCSI Class", "SCSI CDROM Class", "FSFilter Infrastructure", "FSFilter System",
    "FSFilter Bottom", "FSFilter Copy Protection", "FSFilter Security Enhancer", "FSFilter Open File",
    "FSFilter Physical Quota Management", "FSFilter Virtualization", "FSFilter Encryption", "FSFilter Compression",
    "FSFilter Imaging", "FSFilter HSM", "FSFilter Cluster File System", "FSFilter System Recovery",
    "FSFilter Quota Management", "FSFilter Content Screener", "FSFilter Continuous Backup", "FSFilter Replication",
    "FSFilter Anti-Virus", "FSFilter Undelete", "FSFilter Activity Monitor", "FSFilter Top", "Filter",
    "Boot File System", "Base", "Pointer Port", "Keyboard Port", "Pointer Class", "Keyboard Class", "Video Init",
    "Video", "Video Save", "File System", "Streams Drivers", "NDIS Wrapper", "COM Infrastructure", "Event Log",
    "AudioGroup", "ProfSvc_Group", "UIGroup", "MS_WindowsLocalValidation", "PlugPlay", "Cryptography", "PNP_TDI",
    "NDIS", "TDI", "iSCSI", "NetBIOSGroup", "ShellSvcGroup", "SchedulerGroup", "SpoolerGroup", "SmartCardGroup",
    "NetworkProvider", "RemoteValidation", "NetDDEGroup", "Parallel arbitrator", "Extended Base",
    "PCI Configuration", "MS Transactions",
)  # fmt: skip

SAFEBOOT_MINIMAL_GROUPS = [
    "Base", "Boot Bus Extender", "Boot file system", "File system", "Filter", "FSFilter Infrastructure",
    "PNP Filter", "Primary disk", "SCSI Class", "SCSI miniport", "SCSI Port", "System Bus Extender", "Core",
]  # fmt: skip
SAFEBOOT_MINIMAL_SERVICES = ["volmgr", "volmgrx", "partmgr", "disk", "RpcSs", "EventLog", "CNG", "ksecdd"]
SAFEBOOT_NETWORK_EXTRA = ["NDIS Wrapper", "PNP_TDI", "Tcpip", "NetBT", "AFD", "Dhcp", "Dnscache", "NDIS"]
# DependOnService of a default installation: `sc qc WinRM` on Windows Server 2022 lists DEPENDENCIES RPCSS, HTTP.
DEPENDENCIES = {"WinRM": ["RPCSS", "HTTP"]}


def placeholder_image(name: str) -> bytes:
    """A stand-in PE image: the "MZ" signature and a body unique to the file."""
    return b"MZ\x90\x00" + hashlib.sha256(name.encode()).digest() * 8


def system_hive(computer_name: str) -> Key:
    root = Key("SYSTEM")
    select = root.path("Select")
    for name, number in (("Current", 1), ("Default", 1), ("Failed", 0), ("LastKnownGood", 1)):
        select.set(name, "REG_DWORD", number)
    control_set = root.path("ControlSet001")
    for name, (type_, start, group, image, display) in SERVICES.items():
        service = control_set.path("Services", name)
        service.set("Type", "REG_DWORD", type_)
        service.set("Start", "REG_DWORD", start)
        service.set("ErrorControl", "REG_DWORD", 1)
        if group:
            service.set("Group", "REG_SZ", group)
        service.set("DisplayName", "REG_SZ", display)
        if type_ in (KERNEL_DRIVER, FILE_SYSTEM_DRIVER):
            service.set("ImagePath", "REG_EXPAND_SZ", f"\\SystemRoot\\System32\\{image}")
        else:
            service.set("ImagePath", "REG_EXPAND_SZ", "%SystemRoot%\\System32\\svchost.exe -k NetworkService -p")
        if name in DEPENDENCIES:
            service.set("DependOnService", "REG_MULTI_SZ", list(DEPENDENCIES[name]))
    control_set.path("Control", "ServiceGroupOrder").set("List", "REG_MULTI_SZ", list(SERVICE_GROUP_ORDER))
    control_set.path("Control", "ComputerName", "ComputerName").set("ComputerName", "REG_SZ", computer_name)
    control_set.path("Control", "CrashControl").set("CrashDumpEnabled", "REG_DWORD", 7)
    minimal = control_set.path("Control", "SafeBoot", "Minimal")
    network = control_set.path("Control", "SafeBoot", "Network")
    for name in SAFEBOOT_MINIMAL_GROUPS + SAFEBOOT_MINIMAL_SERVICES:
        kind = "Service" if name in SERVICES and SERVICES[name][0] >= OWN_PROCESS else "Driver Group"
        if name in SERVICES and SERVICES[name][0] < OWN_PROCESS:
            kind = "Driver"
        minimal.path(name).set("", "REG_SZ", kind)
        network.path(name).set("", "REG_SZ", kind)
    for name in SAFEBOOT_NETWORK_EXTRA:
        kind = "Driver Group" if name not in SERVICES else ("Service" if SERVICES[name][0] >= OWN_PROCESS else "Driver")
        network.path(name).set("", "REG_SZ", kind)
    return root


def software_hive() -> Key:
    root = Key("SOFTWARE")
    version = root.path("Microsoft", "Windows NT", "CurrentVersion")
    version.set("ProductName", "REG_SZ", "Windows Server 2022 Datacenter")
    version.set("CurrentBuild", "REG_SZ", "20348")
    version.set("CurrentBuildNumber", "REG_SZ", "20348")
    version.set("UBR", "REG_DWORD", 2227)
    version.set("EditionID", "REG_SZ", "ServerDatacenter")
    root.path("Microsoft", "Windows", "CurrentVersion", "Component Based Servicing", "Packages")
    return root


def _folder(parent: Node, *names: str) -> Node:
    node = parent
    for name in names:
        node = node.child(name) or node.add(Node(name, True, created=INSTALLED, modified=INSTALLED))
    return node


def _file(parent: Node, path: str, data: bytes, stamp: dt.datetime = INSTALLED) -> Node:
    *folders, name = path.split("\\")
    return _folder(parent, *folders).add(Node(name, False, data, created=stamp, modified=stamp))


STOCK_FOLDERS = (
    r"Windows\WinSxS",
    r"Windows\servicing\Packages",
    r"Windows\Logs\DISM",
    r"Windows\Temp",
    r"Users\Administrator\AppData\Local\Temp",
    r"Users\Public",
    r"Program Files",
    r"ProgramData",
)


def os_volume(computer_name: str, serial: int) -> Volume:
    volume = Volume(label="", size_bytes=127 * 1024**3, serial=serial, role="os")
    root = volume.root
    for name, (type_, _start, _group, image, _display) in SERVICES.items():
        if type_ in (KERNEL_DRIVER, FILE_SYSTEM_DRIVER):
            _file(root, f"Windows\\System32\\{image}", placeholder_image(name))
    for name in ("ntoskrnl.exe", "hal.dll", "winload.efi", "svchost.exe", "cmd.exe", "reg.exe", "bcdedit.exe"):
        _file(root, f"Windows\\System32\\{name}", placeholder_image(name))
    config = _folder(root, "Windows", "System32", "config")
    _file(root, r"Windows\System32\config\SYSTEM", hive_to_bytes(system_hive(computer_name)))
    _file(root, r"Windows\System32\config\SOFTWARE", hive_to_bytes(software_hive()))
    for hive in ("SYSTEM", "SOFTWARE"):
        for suffix in (".LOG1", ".LOG2"):
            config.add(Node(hive + suffix, False, b"\x00" * 512, created=INSTALLED, modified=INSTALLED))
    for folder in STOCK_FOLDERS:
        _folder(root, *folder.split("\\"))
    return volume


def esp_volume(serial: int) -> Volume:
    volume = Volume(label="", size_bytes=100 * 1024**2, serial=serial, filesystem="FAT32", role="esp")
    _file(volume.root, r"EFI\Microsoft\Boot\bootmgfw.efi", placeholder_image("bootmgfw.efi"))
    _file(volume.root, r"EFI\Boot\bootx64.efi", placeholder_image("bootmgfw.efi"))
    return volume


WINRE_WIM = r"Recovery\WindowsRE\Winre.wim"  # on the recovery partition, where the WinRE loader's ramdisk names it
WINPESHL_INI = r"Windows\System32\winpeshl.ini"
RECENV = r"sources\recovery\recenv.exe"
# Microsoft Learn, "Winpeshl.ini Files": [LaunchApps] names the apps to run, one a line, "path, arguments";
# Windows RE's own winpeshl.ini starts the recovery environment's shell, recenv.exe ("Customize Windows RE").
STOCK_WINPESHL = "[LaunchApps]\r\n%SYSTEMDRIVE%\\sources\\recovery\\recenv.exe\r\n"
# The tools WinRE has (windows-tools.md §9; no powershell.exe, no shutdown.exe: programs.py NOT_IN_WINPE).
WINRE_TOOLS = ("winpeshl.exe", "wpeutil.exe", "cmd.exe", "reg.exe", "bcdedit.exe", "manage-bde.exe", "dism.exe")


def winre_tree() -> Node:
    """What stock winre.wim holds: its Windows folder with the WinRE tools and hives (the MiniNT key marks WinPE),
    winpeshl.ini and the recovery shell recenv.exe."""
    root = Node("", True, created=INSTALLED, modified=INSTALLED)
    system = Key("SYSTEM")
    for name, number in (("Current", 1), ("Default", 1), ("Failed", 0), ("LastKnownGood", 1)):
        system.path("Select").set(name, "REG_DWORD", number)
    system.path("ControlSet001", "Control", "MiniNT")
    _file(root, r"Windows\System32\config\SYSTEM", hive_to_bytes(system))
    _file(root, r"Windows\System32\config\SOFTWARE", hive_to_bytes(Key("SOFTWARE")))
    for name in WINRE_TOOLS:
        _file(root, f"Windows\\System32\\{name}", placeholder_image(name))
    _file(root, WINPESHL_INI, STOCK_WINPESHL.encode())
    _file(root, RECENV, placeholder_image("recenv.exe"))
    return root


@functools.cache
def stock_winre_wim() -> bytes:
    """Stock winre.wim in the lab's container (wim.py), committed when Windows was installed: built once, so
    byte-identical on every machine (the hives inside carry their write times)."""
    return wim.pack(winre_tree(), INSTALLED)


def recovery_volume(serial: int) -> Volume:
    volume = Volume(label="Recovery", size_bytes=600 * 1024**2, serial=serial, role="recovery")
    _file(volume.root, WINRE_WIM, stock_winre_wim())
    return volume


def winre_ramdisk(image: bytes, serial: int) -> Volume:
    """X:, a WinRE image expanded into memory (from winre.wim at each start of WinRE). wim.NotAnImage if the
    bytes are not an image."""
    root, _committed = wim.unpack(image)
    volume = Volume(label="Boot", size_bytes=512 * 1024**2, serial=serial, role="ramdisk")
    volume.root = root
    return volume


def boot_store(os_device: str, recovery_device: str) -> tuple[BcdStore, str, str]:
    """The system BCD store: boot manager, the Windows loader, the WinRE loader. Returns (store, os id, re id)."""
    os_id, re_id, re_device_options = new_guid(), new_guid(), new_guid()
    store = BcdStore(
        [
            BcdEntry(
                BOOTMGR,
                "bootmgr",
                {
                    "device": "partition=\\Device\\HarddiskVolume1",
                    "path": "\\EFI\\Microsoft\\Boot\\bootmgfw.efi",
                    "description": "Windows Boot Manager",
                    "locale": "en-US",
                    "inherit": "{globalsettings}",
                    "default": os_id,
                    "resumeobject": new_guid(),
                    "displayorder": [os_id],
                    "toolsdisplayorder": [MEMDIAG],
                    "timeout": "30",
                },
            ),
            BcdEntry(
                os_id,
                "osloader",
                {
                    "device": f"partition={os_device}",
                    "path": "\\Windows\\system32\\winload.efi",
                    "description": "Windows Server",
                    "locale": "en-US",
                    "inherit": "{bootloadersettings}",
                    "recoverysequence": re_id,
                    "displaymessageoverride": "Recovery",
                    "recoveryenabled": "Yes",
                    "isolatedcontext": "Yes",
                    "allowedinmemorysettings": "0x15000075",
                    "osdevice": f"partition={os_device}",
                    "systemroot": "\\Windows",
                    "resumeobject": new_guid(),
                    "nx": "OptOut",
                    "bootmenupolicy": "Standard",
                },
            ),
            BcdEntry(
                re_id,
                "osloader",
                {
                    "device": f"ramdisk=[{recovery_device}]\\Recovery\\WindowsRE\\Winre.wim,{re_device_options}",
                    "path": "\\windows\\system32\\winload.efi",
                    "description": "Windows Recovery Environment",
                    "locale": "en-US",
                    "inherit": "{bootloadersettings}",
                    "displaymessage": "Recovery",
                    "osdevice": f"ramdisk=[{recovery_device}]\\Recovery\\WindowsRE\\Winre.wim,{re_device_options}",
                    "systemroot": "\\windows",
                    "nx": "OptIn",
                    "bootmenupolicy": "Standard",
                    "winpe": "Yes",
                },
            ),
            BcdEntry(
                MEMDIAG,
                "memdiag",
                {
                    "device": "partition=\\Device\\HarddiskVolume1",
                    "path": "\\EFI\\Microsoft\\Boot\\memtest.efi",
                    "description": "Windows Memory Diagnostic",
                    "locale": "en-US",
                },
            ),
        ]
    )
    return store, os_id, re_id


def cumulative_update_packages() -> Servicing:
    """The servicing stack and the cumulative updates a patched Server 2022 shows in dism /Get-Packages."""
    return Servicing(
        [
            Package(
                "Package_for_ServicingStack_2220~31bf3856ad364e35~amd64~~20348.2220.1.0",
                "Update",
                install_time=INSTALLED,
                permanent=True,
            ),
            Package(
                "Microsoft-Windows-Foundation-Package~31bf3856ad364e35~amd64~~10.0.20348.1",
                "Foundation",
                install_time=INSTALLED,
                permanent=True,
            ),
            Package(
                "Package_for_RollupFix~31bf3856ad364e35~amd64~~20348.2227.1.3",
                "Security Update",
                install_time=INSTALLED + dt.timedelta(days=30),
            ),
        ]
    )
