"""FileInfo and DirectoryInfo as the FileSystem provider returns them, read from the machine's drives.

Properties, in the order .NET reflection and ConvertTo-Json list them (windows-tools.md §7.5, a real
`Get-Item file | ConvertTo-Json` [S:T-json-fileinfo]): FileInfo: Name, Length, DirectoryName, Directory, IsReadOnly,
Exists, FullName, Extension, CreationTime(Utc), LastAccessTime(Utc), LastWriteTime(Utc), Attributes;
DirectoryInfo: Name, Parent, Exists, Root, FullName, Extension, times, Attributes. A provider item (what Get-Item,
Get-ChildItem and New-Item write) also has the note properties PSPath, PSParentPath, PSChildName, PSDrive,
PSProvider, PSIsContainer; every FileInfo/DirectoryInfo has the types.ps1xml members Mode, BaseName, VersionInfo
(files), Target and LinkType. Nested objects (Directory, Parent, Root) are plain .NET objects without those.
The lab does not track access times: LastAccessTime is the last write time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ...machine.filesystem import Drives, Node
from ..context import env_get
from .datetimes import PSDateTime
from .values import PSObject

_SNAPIN_DESCRIPTION = (
    "This Windows PowerShell snap-in contains cmdlets used to manage components of Windows PowerShell."
)
PROVIDER_PREFIX = "Microsoft.PowerShell.Core\\FileSystem::"
# System.IO.FileAttributes
ATTRIBUTE_FLAGS = (("ReadOnly", 1), ("Hidden", 2), ("System", 4), ("Directory", 16), ("Archive", 32))


class EnumValue(PSObject):
    """A .NET enum value: shown by name, serialised by number (ConvertTo-Json writes enums as integers)."""

    def __init__(self, type_name: str, number: int, text: str) -> None:
        super().__init__()
        self.type_names = (type_name, "System.Enum", "System.ValueType", "System.Object")
        self.number = number
        self.text = text

    def to_string(self) -> str:
        return self.text


def file_attributes(node: Node, is_root: bool) -> EnumValue:
    """FileAttributes of a node: files carry Archive, folders Directory; a volume root is Hidden, System."""
    names = set(node.attributes)
    if node.is_dir:
        names.add("Directory")
        if is_root:
            names.update(("Hidden", "System"))
    else:
        names.add("Archive")
    number = sum(value for name, value in ATTRIBUTE_FLAGS if name in names)
    text = ", ".join(name for name, _ in ATTRIBUTE_FLAGS if name in names)
    return EnumValue("System.IO.FileAttributes", number, text)


def mode(node: Node, is_root: bool) -> str:
    """FileSystemProvider.Mode: d a r h s l, "-" for each flag not set."""
    attributes = file_attributes(node, is_root).text.split(", ")
    flags = (("d", "Directory"), ("a", "Archive"), ("r", "ReadOnly"), ("h", "Hidden"), ("s", "System"))
    return "".join(letter if name in attributes else "-" for letter, name in flags) + "-"


def split_parent(path: str) -> tuple[str, str]:
    """("C:\\Windows", "System32") for C:\\Windows\\System32; ("C:\\", "Windows") for C:\\Windows; ("", "C:\\")."""
    trimmed = path.rstrip("\\")
    if len(trimmed) <= 2:
        return "", trimmed + "\\"
    parent, _, name = trimmed.rpartition("\\")
    return (parent + "\\" if len(parent) == 2 else parent), name


class FileSystemItem(PSObject):
    """A FileInfo or DirectoryInfo for one path of a machine's drives."""

    def __init__(self, drives: Drives, path: str, node: Node, *, provider: Any = None, original: str | None = None):
        super().__init__()
        self.drives = drives
        self.path = path
        self.node = node
        self.provider = provider  # a ProviderContext when written by a provider cmdlet, else None
        self.original = path if original is None else original
        self.is_root = len(path.rstrip("\\")) <= 2
        self.type_names = (
            ("System.IO.DirectoryInfo", "System.IO.FileSystemInfo", "System.MarshalByRefObject", "System.Object")
            if node.is_dir
            else ("System.IO.FileInfo", "System.IO.FileSystemInfo", "System.MarshalByRefObject", "System.Object")
        )
        for name, getter in self._members():
            self.add_property(name, getter)

    # -- .NET properties -----------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.path if self.is_root else split_parent(self.path)[1]

    @property
    def parent_path(self) -> str:
        return split_parent(self.path)[0]

    @property
    def extension(self) -> str:
        name = self.name
        dot = name.rfind(".")
        return "" if dot < 0 or self.is_root else name[dot:]

    def _nested(self, path: str) -> FileSystemItem | None:
        node = self.drives.find(path) if path else None
        return None if node is None else FileSystemItem(self.drives, path, node, original=split_parent(path)[1])

    def _time(self, stamp: dt.datetime, kind: str) -> PSDateTime:
        return PSDateTime.from_utc(stamp, kind)

    def dotnet_names(self) -> list[str]:
        times = [
            "CreationTime", "CreationTimeUtc", "LastAccessTime", "LastAccessTimeUtc", "LastWriteTime",
            "LastWriteTimeUtc", "Attributes",
        ]  # fmt: skip
        if self.node.is_dir:
            return ["Name", "Parent", "Exists", "Root", "FullName", "Extension", *times]
        return [
            "Name", "Length", "DirectoryName", "Directory", "IsReadOnly", "Exists", "FullName", "Extension", *times,
        ]  # fmt: skip

    def note_names(self) -> list[str]:
        if self.provider is None:
            return []
        return ["PSPath", "PSParentPath", "PSChildName", "PSDrive", "PSProvider", "PSIsContainer"]

    def type_member_names(self) -> list[str]:
        if self.node.is_dir:
            return ["BaseName", "Target", "LinkType", "Mode"]
        return ["VersionInfo", "BaseName", "Target", "LinkType", "Mode"]

    def _members(self) -> list[tuple[str, Any]]:
        node = self.node
        members: dict[str, Any] = {
            "Name": lambda: self.name,
            "Length": lambda: node.size,
            "DirectoryName": lambda: self.parent_path,
            "Directory": lambda: self._nested(self.parent_path),
            "Parent": lambda: self._nested(self.parent_path),
            "Root": lambda: self._nested(self.path[:3]),
            "IsReadOnly": lambda: "ReadOnly" in node.attributes,
            "Exists": lambda: self.drives.exists(self.path),
            "FullName": lambda: self.path,
            "Extension": lambda: self.extension,
            "CreationTime": lambda: self._time(node.created, "Local"),
            "CreationTimeUtc": lambda: self._time(node.created, "Utc"),
            "LastAccessTime": lambda: self._time(node.modified, "Local"),
            "LastAccessTimeUtc": lambda: self._time(node.modified, "Utc"),
            "LastWriteTime": lambda: self._time(node.modified, "Local"),
            "LastWriteTimeUtc": lambda: self._time(node.modified, "Utc"),
            "Attributes": lambda: file_attributes(node, self.is_root),
            "PSPath": lambda: PROVIDER_PREFIX + self.path,
            "PSParentPath": lambda: PROVIDER_PREFIX + self.parent_path if self.parent_path else "",
            "PSChildName": lambda: self.name,
            "PSDrive": lambda: self.provider.drive(self.path[:2]),
            "PSProvider": lambda: self.provider.provider_info(),
            "PSIsContainer": lambda: node.is_dir,
            "Mode": lambda: mode(node, self.is_root),
            "BaseName": lambda: self.name if node.is_dir or not self.extension else self.name[: -len(self.extension)],
            "VersionInfo": lambda: VersionInfo(self.path),
            # InternalSymbolicLinkLinkCodeMethods.GetTarget: the other hard links of a file (none here); for a
            # folder FindFirstFileNameW fails and the property reads as $null.
            "Target": lambda: None if node.is_dir else [],
            "LinkType": lambda: None,
        }
        order = self.note_names() + self.type_member_names() + self.dotnet_names()
        return [(name, members[name]) for name in order]

    def json_members(self) -> list[str]:
        """ConvertTo-Json's order: .NET properties, then (provider items) notes, then type members."""
        if self.provider is None:
            return self.dotnet_names()
        return self.dotnet_names() + self.note_names() + self.type_member_names()

    def display_names(self) -> list[str]:
        return ["LastWriteTime", "Length", "Name"] if not self.node.is_dir else ["Name"]

    def to_string(self) -> str:
        """FileSystemInfo.ToString(): the path it was created with (a bare name for enumerated children)."""
        return self.original


class VersionInfo(PSObject):
    """System.Diagnostics.FileVersionInfo of a file without a version resource (the lab's placeholder images)."""

    type_names = ("System.Diagnostics.FileVersionInfo", "System.Object")

    def __init__(self, path: str) -> None:
        super().__init__()
        values: list[tuple[str, Any]] = [
            ("Comments", None), ("CompanyName", None), ("FileBuildPart", 0), ("FileDescription", None),
            ("FileMajorPart", 0), ("FileMinorPart", 0), ("FileName", path), ("FilePrivatePart", 0),
            ("FileVersion", None), ("InternalName", None), ("IsDebug", False), ("IsPatched", False),
            ("IsPrivateBuild", False), ("IsPreRelease", False), ("IsSpecialBuild", False), ("Language", None),
            ("LegalCopyright", None), ("LegalTrademarks", None), ("OriginalFilename", None), ("PrivateBuild", None),
            ("ProductBuildPart", 0), ("ProductMajorPart", 0), ("ProductMinorPart", 0), ("ProductName", None),
            ("ProductPrivatePart", 0), ("ProductVersion", None), ("SpecialBuild", None),
            ("FileVersionRaw", VersionValue()), ("ProductVersionRaw", VersionValue()),
        ]  # fmt: skip
        self.path = path
        for name, value in values:
            self.add_property(name, lambda value=value: value)

    def to_string(self) -> str:
        return f"File:             {self.path}"


class VersionValue(PSObject):
    """System.Version 0.0.0.0."""

    type_names = ("System.Version", "System.Object")

    def __init__(self, text: str = "0.0.0.0") -> None:
        super().__init__()
        parts = [int(part) for part in text.split(".")] + [0, 0, 0, 0]
        for name, value in (
            ("Major", parts[0]),
            ("Minor", parts[1]),
            ("Build", parts[2]),
            ("Revision", parts[3]),
            ("MajorRevision", 0),
            ("MinorRevision", parts[3]),
        ):
            self.add_property(name, lambda value=value: value)
        self.text = text

    def to_string(self) -> str:
        return self.text


class SimpleObject(PSObject):
    """An object with fixed properties and a fixed ToString()."""

    def __init__(self, type_name: str, text: str, values: list[tuple[str, Any]]) -> None:
        super().__init__()
        self.type_names = (type_name, "System.Object")
        self.text = text
        for name, value in values:
            self.add_property(name, lambda value=value: value)

    def to_string(self) -> str:
        return self.text


class ProviderContext:
    """The FileSystem PSProvider and PSDrive objects of one PowerShell session on one machine.

    PSDriveInfo and ProviderInfo follow the 5.0 capture in [S:T-json-fileinfo]. The lab does not model
    System.Type: ProviderInfo.ImplementingType is the type's name, where PowerShell would serialise its
    reflection members (Module, Assembly, DeclaredMethods ...) at depth 2.
    """

    def __init__(self, drives: Drives, environment: dict[str, str], working_directory: str, ps_version: str):
        self.drives = drives
        self.environment = environment
        self.working_directory = working_directory
        self.ps_version = ps_version
        self._drive_objects: dict[str, SimpleObject] = {}
        self._provider: SimpleObject | None = None

    def drive(self, letter: str) -> SimpleObject:
        letter = letter[0].upper()
        if letter not in self._drive_objects:
            volume = self.drives.letters.get(letter + ":")
            current = ""
            if self.working_directory[:1].upper() == letter:
                current = self.working_directory[3:].rstrip("\\")
            credential = SimpleObject(
                "System.Management.Automation.PSCredential",
                "System.Management.Automation.PSCredential",
                [("UserName", None), ("Password", None)],
            )
            self._drive_objects[letter] = SimpleObject(
                "System.Management.Automation.PSDriveInfo",
                letter,
                [
                    ("CurrentLocation", current),
                    ("Name", letter),
                    ("Provider", self.provider_info()),
                    ("Root", letter + ":\\"),
                    ("Description", volume.label if volume is not None else ""),
                    ("Credential", credential),
                    ("DisplayRoot", None),
                ],
            )
        return self._drive_objects[letter]

    def provider_info(self) -> SimpleObject:
        if self._provider is None:
            home = env_get(self.environment, "USERPROFILE") or ""
            root = (env_get(self.environment, "SystemRoot") or "C:\\Windows").rstrip("\\")
            base = root + "\\System32\\WindowsPowerShell\\v1.0"
            snapin = SimpleObject(
                "System.Management.Automation.PSSnapInInfo",
                "Microsoft.PowerShell.Core",
                [
                    ("Name", "Microsoft.PowerShell.Core"),
                    ("IsDefault", True),
                    ("ApplicationBase", base),
                    (
                        "AssemblyName",
                        "System.Management.Automation, Version=3.0.0.0, Culture=neutral, "
                        "PublicKeyToken=31bf3856ad364e35, ProcessorArchitecture=MSIL",
                    ),
                    ("ModuleName", base + "\\System.Management.Automation.dll"),
                    ("PSVersion", VersionValue(self.ps_version)),
                    ("Version", VersionValue("3.0.0.0")),
                    ("Types", ["types.ps1xml", "typesv3.ps1xml"]),
                    (
                        "Formats",
                        [
                            "Certificate.format.ps1xml",
                            "DotNetTypes.format.ps1xml",
                            "FileSystem.format.ps1xml",
                            "Help.format.ps1xml",
                            "HelpV3.format.ps1xml",
                            "PowerShellCore.format.ps1xml",
                            "PowerShellTrace.format.ps1xml",
                            "Registry.format.ps1xml",
                        ],
                    ),
                    ("Description", _SNAPIN_DESCRIPTION),
                    ("Vendor", "Microsoft Corporation"),
                    ("LogPipelineExecutionDetails", False),
                ],
            )
            self._provider = SimpleObject(
                "System.Management.Automation.ProviderInfo",
                "Microsoft.PowerShell.Core\\FileSystem",
                [
                    ("ImplementingType", "Microsoft.PowerShell.Commands.FileSystemProvider"),
                    ("HelpFile", "System.Management.Automation.dll-Help.xml"),
                    ("Name", "FileSystem"),
                    ("PSSnapIn", snapin),
                    ("ModuleName", "Microsoft.PowerShell.Core"),
                    ("Module", None),
                    ("Description", ""),
                    (
                        "Capabilities",
                        EnumValue(
                            "System.Management.Automation.Provider.ProviderCapabilities",
                            52,
                            "Filter, ShouldProcess, Credentials",
                        ),
                    ),
                    ("Home", home),
                ],
            )
            self._provider.add_property("Drives", lambda: [self.drive(name) for name in sorted(self.drives.letters)])
        return self._provider
