"""The element types bcdedit knows: name, BCD element-type value, data format, and accepted values.

Element-type values and formats: Microsoft Learn BcdLibraryElementTypes, BcdOSLoaderElementTypes,
BcdBootMgrElementTypes, BcdResumeElementTypes, BcdMemDiagElementTypes, BcdDeviceObjectElementTypes
[S:MS-bcdosloader] (and bcd.dll's list in winsiderss/phnt ntbcd.h). The format is the type's bits 24-27:
1 device, 2 string, 3 object, 4 object list, 5 integer, 6 boolean, 7 integer list. Names and values as bcdedit
spells them: Microsoft Learn "BCDEdit /set" [S:MS-bcdedit-set] (bootstatuspolicy, nx, pae, bootmenupolicy, ...),
[S:MS-safeboot-enum] (safeboot Minimal|Network|DsRepair). /enum lists an entry's elements in ascending
element-type value (windows-tools.md §2.3 "Element order"): the packt capture's `debug` after `bootmenupolicy`
fits, since `debug` is the OS loader's 0x260000A0.
"""

from __future__ import annotations

from dataclasses import dataclass

DEVICE, STRING, OBJECT, OBJECT_LIST, INTEGER, BOOLEAN, INTEGER_LIST = 1, 2, 3, 4, 5, 6, 7
FORMAT_WORD = {DEVICE: "device", STRING: "string", OBJECT: "object", OBJECT_LIST: "object list",
               INTEGER: "integer", BOOLEAN: "boolean", INTEGER_LIST: "integer list"}  # fmt: skip

# Boolean input words: bcdedit's documentation uses yes/no, on/off and true/false; output is Yes/No.
TRUE_WORDS = ("yes", "on", "true", "1")
FALSE_WORDS = ("no", "off", "false", "0")


@dataclass(frozen=True)
class Element:
    name: str
    type_value: int
    values: tuple[str, ...] = ()  # the names of an enumerated integer, in bcdedit's spelling

    @property
    def data_format(self) -> int:
        return (self.type_value >> 24) & 0xF


def _table(*elements: Element) -> dict[str, Element]:
    return {element.name: element for element in elements}


E = Element
LIBRARY = _table(
    E("device", 0x11000001), E("path", 0x12000002), E("description", 0x12000004), E("locale", 0x12000005),
    E("inherit", 0x14000006), E("truncatememory", 0x15000007), E("recoverysequence", 0x14000008),
    E("recoveryenabled", 0x16000009), E("badmemorylist", 0x1700000A), E("badmemoryaccess", 0x1600000B),
    E("firstmegabytepolicy", 0x1500000C, ("UseNone", "UseAll", "UsePrivate")),
    E("relocatephysical", 0x1500000D), E("avoidlowmemory", 0x1500000E), E("bootdebug", 0x16000010),
    E("debugtype", 0x15000011, ("Serial", "1394", "USB", "Net")), E("debugaddress", 0x15000012),
    E("debugport", 0x15000013), E("baudrate", 0x15000014), E("channel", 0x15000015),
    E("targetname", 0x12000016), E("noumex", 0x16000017),
    E("debugstart", 0x15000018, ("Active", "AutoEnable", "Disable")), E("busparams", 0x12000019),
    E("port", 0x1500001B), E("dhcp", 0x1600001C), E("key", 0x1200001D), E("bootems", 0x16000020),
    E("emsport", 0x15000022), E("emsbaudrate", 0x15000023), E("loadoptions", 0x12000030),
    E("advancedoptions", 0x16000040), E("optionsedit", 0x16000041), E("graphicsmodedisabled", 0x16000046),
    E("configaccesspolicy", 0x15000047, ("Default", "DisallowMmConfig")), E("nointegritychecks", 0x16000048),
    E("testsigning", 0x16000049), E("fontpath", 0x1200004A), E("extendedinput", 0x16000050),
    E("restartonfailure", 0x16000053), E("highestmode", 0x16000054), E("isolatedcontext", 0x16000060),
    E("displaymessage", 0x15000065, ("Default", "Resume", "HyperV", "Recovery", "StartupRepair",
                                     "SystemImageRecovery", "CommandPrompt", "SystemRestore", "PushButtonReset")),
    E("displaymessageoverride", 0x15000066, ("Default", "Resume", "HyperV", "Recovery", "StartupRepair",
                                             "SystemImageRecovery", "CommandPrompt", "SystemRestore",
                                             "PushButtonReset")),
    E("bootuxdisabled", 0x1600006C), E("allowedinmemorysettings", 0x17000077), E("forcefipscrypto", 0x1600007B),
)  # fmt: skip

BOOTSTATUSPOLICY = (
    "DisplayAllFailures", "IgnoreAllFailures", "IgnoreShutdownFailures", "IgnoreBootFailures",
    "IgnoreCheckpointFailures", "DisplayShutdownFailures", "DisplayBootFailures", "DisplayCheckpointFailures",
)  # fmt: skip

OSLOADER = _table(
    E("osdevice", 0x21000001), E("systemroot", 0x22000002), E("resumeobject", 0x23000003),
    E("stampdisks", 0x26000004), E("detecthal", 0x26000010), E("kernel", 0x22000011), E("hal", 0x22000012),
    E("dbgtransport", 0x22000013), E("nx", 0x25000020, ("OptIn", "OptOut", "AlwaysOff", "AlwaysOn")),
    E("pae", 0x25000021, ("Default", "ForceEnable", "ForceDisable")), E("winpe", 0x26000022),
    E("nocrashautoreboot", 0x26000024), E("lastknowngood", 0x26000025), E("oslnointegritychecks", 0x26000026),
    E("osltestsigning", 0x26000027), E("nolowmem", 0x26000030), E("removememory", 0x25000031),
    E("increaseuserva", 0x25000032), E("perfmem", 0x25000033), E("vga", 0x26000040), E("quietboot", 0x26000041),
    E("novesa", 0x26000042), E("novga", 0x26000043), E("clustermodeaddressing", 0x25000050),
    E("usephysicaldestination", 0x26000051), E("restrictapiccluster", 0x25000052),
    E("uselegacyapicmode", 0x26000054), E("x2apicpolicy", 0x25000055, ("Default", "Disable", "Enable")),
    E("onecpu", 0x26000060), E("numproc", 0x25000061), E("maxproc", 0x26000062), E("configflags", 0x25000063),
    E("maxgroup", 0x26000064), E("groupaware", 0x26000065), E("groupsize", 0x25000066),
    E("usefirmwarepcisettings", 0x26000070), E("msi", 0x25000071, ("Default", "ForceDisable")),
    E("pciexpress", 0x25000072, ("Default", "ForceDisable")),
    E("safeboot", 0x25000080, ("Minimal", "Network", "DsRepair")), E("safebootalternateshell", 0x26000081),
    E("bootlog", 0x26000090), E("sos", 0x26000091), E("debug", 0x260000A0), E("halbreakpoint", 0x260000A1),
    E("useplatformclock", 0x260000A2), E("forcelegacyplatform", 0x260000A3), E("useplatformtick", 0x260000A4),
    E("disabledynamictick", 0x260000A5), E("tscsyncpolicy", 0x250000A6, ("Default", "Legacy", "Enhanced")),
    E("ems", 0x260000B0), E("driverloadfailurepolicy", 0x250000C1, ("Fatal", "UseErrorControl")),
    E("bootmenupolicy", 0x250000C2, ("Legacy", "Standard")), E("onetimeadvancedoptions", 0x260000C3),
    E("onetimeoptionsedit", 0x260000C4), E("bootstatuspolicy", 0x250000E0, BOOTSTATUSPOLICY),
    E("disableelamdrivers", 0x260000E1), E("hypervisorlaunchtype", 0x250000F0, ("Off", "Auto")),
    E("hypervisordebug", 0x260000F2), E("hypervisordebugtype", 0x250000F3, ("Serial", "1394", "Net")),
    E("hypervisordebugport", 0x250000F4), E("hypervisorbaudrate", 0x250000F5), E("hypervisorchannel", 0x250000F6),
    E("bootux", 0x250000F7, ("Disabled", "Basic", "Standard")), E("hypervisorbusparams", 0x220000F9),
    E("hypervisornumproc", 0x250000FA), E("hypervisorrootprocpernode", 0x250000FB),
    E("hypervisoruselargevtlb", 0x260000FC), E("hypervisorhostport", 0x250000FE),
    E("tpmbootentropy", 0x25000100, ("Default", "ForceDisable", "ForceEnable")),
    E("hypervisorusekey", 0x22000110), E("hypervisordhcp", 0x26000114),
    E("hypervisoriommupolicy", 0x25000115, ("Default", "Enable", "Disable")),
    E("hypervisorloadoptions", 0x22000117), E("xsavedisable", 0x2500012B),
    E("vsmlaunchtype", 0x25000142, ("Off", "Auto")),
)  # fmt: skip

BOOTMGR = _table(
    E("displayorder", 0x24000001), E("bootsequence", 0x24000002), E("default", 0x23000003),
    E("timeout", 0x25000004), E("resume", 0x26000005), E("resumeobject", 0x23000006),
    E("toolsdisplayorder", 0x24000010), E("displaybootmenu", 0x26000020), E("noerrordisplay", 0x26000021),
    E("bcddevice", 0x21000022), E("bcdfilepath", 0x22000023), E("persistbootsequence", 0x26000031),
)  # fmt: skip

RESUME = _table(
    E("filedevice", 0x21000001), E("filepath", 0x22000002), E("customsettings", 0x26000003),
    E("debugoptionenabled", 0x26000006), E("bootmenupolicy", 0x25000008, ("Legacy", "Standard")),
)  # fmt: skip

MEMDIAG = _table(E("passcount", 0x25000001), E("testmix", 0x25000002, ("Basic", "Extended")))

DEVICE_OPTIONS = _table(
    E("ramdiskimageoffset", 0x35000001), E("ramdisksdidevice", 0x31000003), E("ramdisksdipath", 0x32000004),
    E("exportascd", 0x36000006),
)  # fmt: skip

BY_KIND = {"osloader": OSLOADER, "bootmgr": BOOTMGR, "resume": RESUME, "memdiag": MEMDIAG,
           "device": DEVICE_OPTIONS}  # fmt: skip


def element_for(kind: str, name: str) -> Element | None:
    """The element `name` (case-insensitive) as it applies to an entry of this kind, or None."""
    wanted = name.lower()
    own = BY_KIND.get(kind, {})
    return own.get(wanted) or LIBRARY.get(wanted)


def sort_key(kind: str, name: str, position: int) -> tuple[int, int]:
    """Known elements by element-type value; names the table does not know keep their stored order, last."""
    element = element_for(kind, name)
    return (element.type_value, position) if element else (0x7FFFFFFF, position)


class BadValue(Exception):
    """A value the element's data format cannot take."""

    def __init__(self, data_format: int) -> None:
        super().__init__(FORMAT_WORD[data_format])
        self.word = FORMAT_WORD[data_format]


def parse_boolean(text: str) -> str:
    lowered = text.lower()
    if lowered in TRUE_WORDS:
        return "Yes"
    if lowered in FALSE_WORDS:
        return "No"
    raise BadValue(BOOLEAN)


def parse_integer(element: Element, text: str) -> str:
    """An enumerated integer by its name (canonical spelling kept), else a number in decimal or 0x hex."""
    if element.values:
        for value in element.values:
            if value.lower() == text.lower():
                return value
        raise BadValue(INTEGER)
    try:
        number = int(text, 16) if text.lower().startswith("0x") else int(text, 10)
    except ValueError:
        raise BadValue(INTEGER) from None
    if number < 0:
        raise BadValue(INTEGER)
    return str(number)
