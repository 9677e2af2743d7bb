"""The FileSystem provider's paths for the item and content cmdlets: resolving, globbing, items, errors.

Paths (about_Providers, about_Wildcards, FileSystemProvider.cs of the 5.1-era PowerShell sources): `C:\\x`,
`C:/x`, relative to the process's current directory, `\\x` (root of the current drive), `C:` (the current
directory of that drive: the process's one, or the root), `FileSystem::C:\\x` and
`Microsoft.PowerShell.Core\\FileSystem::C:\\x`. Wildcards (* ? [a-z], ` escapes) may appear in any component of a
-Path; -LiteralPath takes the text as it is. Globbing skips hidden items unless -Force.

Drives: the machine's drive letters. A BitLocker-locked volume has no PowerShell drive: 5.1 creates a file
system drive only when its root directory exists (FileSystemProvider.InitializeDefaultDrives, and the same
check when a new letter is auto-mounted), so its paths give "Cannot find drive" until it is unlocked.
Other providers' drives (HKLM:, Env: ...) are outside this module: the lab stops with "does not implement".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ....machine import errors as win
from ....machine.filesystem import Drives, Node
from ....machine.paths import BadPath, split_drive
from ..errors import ErrorRecord, PSError, not_implemented
from ..fsobjects import FileSystemItem, ProviderContext, split_parent
from ..operators import wildcard_regex

if TYPE_CHECKING:
    from ..commands import CmdletCall

_QUALIFIERS = ("microsoft.powershell.core\\filesystem::", "filesystem::")
_DRIVE = re.compile(r"^([A-Za-z][\w.-]*):(.*)$", re.DOTALL)
_OTHER_PROVIDERS = {
    "hklm": "Registry", "hkcu": "Registry", "env": "Environment", "variable": "Variable", "function": "Function",
    "alias": "Alias", "cert": "Certificate", "wsman": "WSMan",
}  # fmt: skip
_PS_VERSION_BUILD = "5.1.20348"


def has_wildcards(text: str) -> bool:
    """WildcardPattern.ContainsWildcardCharacters: an unescaped * ? or [."""
    escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "`":
            escaped = True
        elif char in "*?[":
            return True
    return False


def unescape_wildcards(text: str) -> str:
    return re.sub(r"`(.)", r"\1", text)


def ntfs_order(nodes: list[Node]) -> list[Node]:
    """NTFS directory order: names compared by their upper-case form."""
    return sorted(nodes, key=lambda node: node.name.upper())


def machine_of(call: CmdletCall) -> Any:
    machine = call.interp.ctx.machine
    if machine is None:
        raise not_implemented(f"{call.info.name} on a process without a machine (no file system)", call.extent)
    return machine


def drives_of(call: CmdletCall) -> Drives:
    return machine_of(call).drives


def provider_context(call: CmdletCall) -> ProviderContext:
    """The session's PSProvider/PSDrive objects (created once per powershell.exe)."""
    session = call.session
    context = getattr(session, "filesystem_provider", None)
    if context is None or context.drives is not drives_of(call):
        machine = machine_of(call)
        ubr = _ubr(machine)
        context = ProviderContext(
            machine.drives, session.env, call.interp.ctx.working_directory, f"{_PS_VERSION_BUILD}.{ubr}"
        )
        session.filesystem_provider = context  # type: ignore[attr-defined]
    return context


def _ubr(machine: Any) -> int:
    """The update build revision from the SOFTWARE hive (PowerShell 5.1's version follows the OS build)."""
    try:
        key = machine.registry.open(r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion")
        value = key.get("UBR") if key is not None else None
        return int(value.data) if value is not None else 0
    except (AttributeError, ValueError, TypeError, win.WindowsError_):
        return 0


# -- errors -----------------------------------------------------------------------------------------------
def path_not_found(call: CmdletCall, path: str) -> ErrorRecord:
    """SessionStateStrings.PathNotFound (windows-tools.md §7.1)."""
    return call.record(
        f"Cannot find path '{path}' because it does not exist.", "ObjectNotFound", "ItemNotFoundException",
        "PathNotFound", target=path,
    )  # fmt: skip


def drive_not_found(call: CmdletCall, name: str) -> ErrorRecord:
    """SessionStateStrings.DriveNotFound, DriveNotFoundException."""
    return call.record(
        f"Cannot find drive. A drive with the name '{name}' does not exist.", "ObjectNotFound",
        "DriveNotFoundException", "DriveNotFound", target=name,
    )  # fmt: skip


def io_record(
    call: CmdletCall, message: str, category: str, error_id: str, target: str, target_type: str = "String",
    reason: str = "IOException",
) -> ErrorRecord:  # fmt: skip
    return call.record(message, category, reason, error_id, target=target, target_type=target_type)


def item_type_name(node: Node) -> str:
    return "DirectoryInfo" if node.is_dir else "FileInfo"


# -- resolution -------------------------------------------------------------------------------------------
@dataclass
class Target:
    """A path as the provider sees it: `path` is absolute ("C:\\x\\y"), `literal` says no globbing."""

    path: str
    literal: bool

    @property
    def drive(self) -> str:
        return self.path[:2].upper()

    @property
    def parts(self) -> list[str]:
        return [part for part in self.path[3:].split("\\") if part]


class ResolveError(Exception):
    """A path that cannot be resolved; `record` is the error to report."""

    def __init__(self, record: ErrorRecord) -> None:
        super().__init__(record.message)
        self.record = record


def volume_available(drives: Drives, letter: str) -> bool:
    """A letter has a PowerShell drive when it maps to a volume that is not BitLocker-locked."""
    volume = drives.letters.get(letter.upper())
    return volume is not None and not volume.locked


def resolve(call: CmdletCall, raw: Any, *, literal: bool) -> Target:
    """The absolute provider path of a -Path/-LiteralPath argument (may raise ResolveError or PSError)."""
    from ..values import to_string

    text = to_string(raw).replace("/", "\\")
    folded = text.casefold()
    for qualifier in _QUALIFIERS:
        if folded.startswith(qualifier):
            text = text[len(qualifier) :]
            break
    cwd = call.interp.ctx.working_directory
    match = _DRIVE.match(text)
    if match is not None:
        name, rest = match.group(1), match.group(2)
        if len(name) != 1:
            provider = _OTHER_PROVIDERS.get(name.casefold())
            if provider is not None:
                raise not_implemented(f"the {provider} provider ({name}:) in {call.info.name}", call.extent)
            raise ResolveError(drive_not_found(call, name))
        letter = name.upper() + ":"
        if not volume_available(drives_of(call), letter):
            raise ResolveError(drive_not_found(call, name))
        if rest.startswith("\\"):
            base, relative = letter + "\\", rest
        else:
            base = cwd if cwd[:2].upper() == letter else letter + "\\"
            relative = rest
    else:
        if text.startswith("\\\\"):
            raise not_implemented("UNC paths", call.extent)
        if text.startswith("\\"):
            base, relative = cwd[:2] + "\\", text
        else:
            base, relative = cwd, text
        if not volume_available(drives_of(call), base[:2]):
            raise ResolveError(drive_not_found(call, base[:1]))
    parts = [part for part in base[3:].split("\\") if part]
    for part in relative.split("\\"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    is_literal = literal or not has_wildcards(text)
    path = base[:2].upper() + "\\" + "\\".join(parts)
    if not literal and is_literal and "`" in path:
        path = unescape_wildcards(path)
    return Target(path, is_literal)


def find(drives: Drives, path: str) -> Node | None:
    """The node at a path, or None (bad names and unreadable volumes read as missing, as Test-Path sees them)."""
    try:
        return drives.find(path)
    except win.WindowsError_:
        return None


def illegal(path: str) -> bool:
    """A path .NET refuses to open or create ("Illegal characters in path.": < > " | and control characters)."""
    try:
        split_drive(path)
    except BadPath:
        return True
    return False


def canonical(drives: Drives, path: str) -> str:
    try:
        return drives.canonical(path)
    except win.WindowsError_:
        return path


def expand(call: CmdletCall, target: Target, *, force: bool) -> list[tuple[str, Node]]:
    """The existing items a target names: itself, or for a wildcard path every match in NTFS order."""
    drives = drives_of(call)
    if target.literal:
        node = find(drives, target.path)
        return [] if node is None else [(canonical(drives, target.path), node)]
    try:
        root = drives.volume(target.drive).root
    except win.WindowsError_:
        return []
    found: list[tuple[str, Node]] = [(target.drive + "\\", root)]
    for part in target.parts:
        following: list[tuple[str, Node]] = []
        for base, node in found:
            if not node.is_dir:
                continue
            if has_wildcards(part):
                pattern = wildcard_regex(part, False)
                for child in ntfs_order(list(node.children.values())):
                    if pattern.match(child.name) and (force or "Hidden" not in child.attributes):
                        following.append((_join(base, child.name), child))
            else:
                child = node.child(unescape_wildcards(part).rstrip(". "))
                if child is not None:
                    following.append((_join(base, child.name), child))
        found = following
    return found


def _join(base: str, name: str) -> str:
    return base + name if base.endswith("\\") else base + "\\" + name


def provider_item(call: CmdletCall, path: str, node: Node, original: str | None = None) -> FileSystemItem:
    """A FileInfo/DirectoryInfo as the provider writes it (with PSPath, PSDrive ... notes)."""
    return FileSystemItem(drives_of(call), path, node, provider=provider_context(call), original=original)


def children(node: Node, *, force: bool) -> list[Node]:
    """Dir(): folders, then files, each in NTFS order; hidden ones only with -Force."""
    visible = [child for child in node.children.values() if force or "Hidden" not in child.attributes]
    return ntfs_order([c for c in visible if c.is_dir]) + ntfs_order([c for c in visible if not c.is_dir])


def name_of(path: str) -> str:
    return split_parent(path)[1]


def parent_of(path: str) -> str:
    return split_parent(path)[0]


def report(call: CmdletCall, error: ResolveError | PSError) -> None:
    """A resolution problem is a non-terminating error of the cmdlet."""
    call.write_error(error.record)
