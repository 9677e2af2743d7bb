"""Get-ChildItem, Get-Item, Test-Path, New-Item, Remove-Item, Move-Item, Copy-Item, Rename-Item on the file system.

Behaviour and messages follow the 5.1 reference pages (windows-tools.md §7) and the FileSystem provider of the
5.1-era PowerShell sources (FileSystemProvider.cs, SessionStateContainer.cs, FileSystemProviderStrings.resx):
- errors are non-terminating (-ErrorAction Stop makes them terminating); a missing path is PathNotFound
  (§7.1); provider errors carry the .NET exception's message and the provider's error id;
- an item's error target is the FileInfo/DirectoryInfo itself, shown by its ToString(): the full path for an
  item named on the command line, the bare name for a child found while recursing;
- Remove-Item -Recurse deletes what it can (a file in use stays, and so does its folder), as Windows does;
- Move-Item, Copy-Item, Remove-Item and Rename-Item write nothing unless -PassThru; New-Item writes the new item.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ....machine import errors as win
from ....machine.filesystem import Node
from ..binding import CmdletInfo, ConversionFailure, Param, convert_string_array
from ..errors import ErrorRecord, PSError, not_implemented
from ..fsobjects import FileSystemItem
from ..operators import wildcard_regex
from ..values import ScriptBlock, to_string
from . import provider as fs

if TYPE_CHECKING:
    from ..commands import CmdletCall

SHARING = "The process cannot access the file because it is being used by another process."
_PART_MISSING = "Could not find a part of the path."
_EXISTS = "Cannot create a file when that file already exists."


def path_inputs(call: CmdletCall, *, path: str = "Path") -> list[tuple[Any, bool]]:
    """(path text, literal) for each -Path / -LiteralPath value or pipeline object (FileInfo binds by PSPath)."""
    if path in call.args:
        return [(value, False) for value in call.args[path]]
    if "LiteralPath" in call.args:
        return [(value, True) for value in call.args["LiteralPath"]]
    inputs: list[tuple[Any, bool]] = []
    for item in call.input:
        if isinstance(item, FileSystemItem):
            inputs.append((item.path, True))
        elif item is not None:
            inputs.append((to_string(item), False))
    return inputs


def _targets(call: CmdletCall, raw: Any, literal: bool, *, force: bool) -> list[tuple[str, Node]] | None:
    """The items a path argument names; None after reporting an error (missing literal path, bad drive)."""
    try:
        target = fs.resolve(call, raw, literal=literal)
    except fs.ResolveError as error:
        call.write_error(error.record)
        return None
    found = fs.expand(call, target, force=force)
    if not found and target.literal:
        call.write_error(fs.path_not_found(call, target.path))
        return None
    return found


def _filter_regex(pattern: str) -> re.Pattern[str]:
    """A -Filter as FindFirstFile reads it: * and ? wildcards, "*.*" matches every name."""
    if pattern in ("*.*", "*"):
        return re.compile(r".*\Z", re.DOTALL)
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern) + r"\Z", re.I)


def _any_match(name: str, patterns: list[str]) -> bool:
    return any(wildcard_regex(pattern, False).match(name) for pattern in patterns)


def _hidden_item_error(call: CmdletCall, path: str) -> ErrorRecord:
    """GetItem on a hidden item without -Force: FileSystemProviderStrings.ItemNotFound."""
    return fs.io_record(call, f"Could not find item {path}.", "ObjectNotFound", "ItemNotFound", path)


# -- Get-ChildItem ----------------------------------------------------------------------------------------
class _Listing:
    """One Get-ChildItem invocation's options."""

    def __init__(self, call: CmdletCall) -> None:
        args = call.args
        self.call = call
        self.recurse = bool(args.get("Recurse")) or "Depth" in args
        self.depth = args.get("Depth", -1)
        self.force = bool(args.get("Force"))
        self.names_only = bool(args.get("Name"))
        self.filter = _filter_regex(args["Filter"]) if args.get("Filter") else None
        self.include = args.get("Include") or []
        self.exclude = args.get("Exclude") or []
        self.only_files = bool(args.get("File"))
        self.only_dirs = bool(args.get("Directory"))
        self.attributes = [name for name in ("Hidden", "ReadOnly", "System") if args.get(name)]

    def wanted(self, node: Node, *, apply_patterns: bool) -> bool:
        if (self.only_files and node.is_dir) or (self.only_dirs and not node.is_dir):
            return False
        if any(name not in node.attributes for name in self.attributes):
            return False
        if self.filter is not None and not self.filter.match(node.name):
            return False
        if apply_patterns:
            if self.include and not _any_match(node.name, self.include):
                return False
            if self.exclude and _any_match(node.name, self.exclude):
                return False
        return True

    def visible(self, node: Node) -> list[Node]:
        force = self.force or "Hidden" in self.attributes
        return fs.children(node, force=force)

    def emit(self, path: str, node: Node, relative: str, *, original: str) -> None:
        if self.names_only:
            self.call.emit(relative)
        else:
            self.call.emit(fs.provider_item(self.call, path, node, original=original))

    def dir(self, path: str, node: Node, prefix: str, depth: int, *, apply_patterns: bool) -> None:
        """FileSystemProvider.Dir: the folder's wanted children, then each subfolder (all of them) in turn."""
        entries = self.visible(node)
        for child in entries:
            if self.wanted(child, apply_patterns=apply_patterns):
                self.emit(_join(path, child.name), child, prefix + child.name, original=child.name)
        if self.recurse and depth != 0:
            for child in entries:
                if child.is_dir:
                    self.dir(_join(path, child.name), child, prefix + child.name + "\\", depth - 1,
                             apply_patterns=apply_patterns)  # fmt: skip


def _inside(path: str, folder: str) -> bool:
    """Whether `path` is below `folder` (not the folder itself)."""
    return path.casefold().startswith(folder.casefold().rstrip("\\") + "\\")


def _join(base: str, name: str) -> str:
    return base + name if base.endswith("\\") else base + "\\" + name


async def _get_child_item(call: CmdletCall) -> None:
    listing = _Listing(call)
    inputs = path_inputs(call) or [(".", False)]
    for raw, literal in inputs:
        try:
            target = fs.resolve(call, raw, literal=literal)
        except fs.ResolveError as error:
            call.write_error(error.record)
            continue
        if target.literal:
            node = fs.find(fs.drives_of(call), target.path)
            if node is None:
                call.write_error(fs.path_not_found(call, target.path))
                continue
            path = fs.canonical(fs.drives_of(call), target.path)
            # 5.1: -Include/-Exclude qualify the path itself unless it has wildcards or -Recurse is used
            # (Get-ChildItem -Include: "effective only when the command includes the contents of an item").
            patterns = bool(listing.include or listing.exclude)
            if patterns and not listing.recurse and not listing.wanted(node, apply_patterns=True):
                continue
            if node.is_dir:
                listing.dir(path, node, "", listing.depth, apply_patterns=patterns)
            elif "Hidden" in node.attributes and not listing.force:
                call.write_error(_hidden_item_error(call, path))
            elif listing.wanted(node, apply_patterns=False):
                listing.emit(path, node, fs.name_of(path), original=path)
            continue
        if listing.recurse:
            # `dir c:\tem* -rec` is `dir c:\ -include tem* -rec` (SessionStateContainer.GetChildItems)
            parent, pattern = fs.parent_of(target.path), fs.name_of(target.path)
            base = fs.Target(parent, fs.has_wildcards(parent) is False)
            for path, node in fs.expand(call, base, force=listing.force):
                if node.is_dir:
                    _recurse_matching(listing, path, node, "", [pattern, *list(listing.include)])
            continue
        for path, node in fs.expand(call, target, force=listing.force):
            if listing.wanted(node, apply_patterns=True):
                listing.emit(path, node, fs.name_of(path), original=path)


def _recurse_matching(listing: _Listing, path: str, node: Node, prefix: str, include: list[str]) -> None:
    """ProcessPathItems: each child that matches is written, and each folder is searched right after it."""
    for child in listing.visible(node):
        child_path = _join(path, child.name)
        if _any_match(child.name, include) and listing.wanted(child, apply_patterns=True):
            listing.emit(child_path, child, prefix + child.name, original=child.name)
        if child.is_dir:
            _recurse_matching(listing, child_path, child, prefix + child.name + "\\", include)


# -- Get-Item ---------------------------------------------------------------------------------------------
async def _get_item(call: CmdletCall) -> None:
    force = bool(call.args.get("Force"))
    for raw, literal in path_inputs(call):
        found = _targets(call, raw, literal, force=force)
        for path, node in found or []:
            if "Hidden" in node.attributes and not force and len(path) > 3:
                call.write_error(_hidden_item_error(call, path))
                continue
            call.emit(fs.provider_item(call, path, node))


# -- Test-Path --------------------------------------------------------------------------------------------
def _validate_path_argument(call: CmdletCall, values: list[Any], name: str) -> None:
    """Test-Path's [ValidateNotNullOrEmpty] path: $null and "" fail parameter binding."""
    for value in values:
        if value is None or to_string(value) == "":
            empty = value is not None
            message = f"Cannot bind argument to parameter '{name}' because it is " + (
                "an empty string." if empty else "null."
            )
            error_id = (
                "ParameterArgumentValidationErrorEmptyStringNotAllowed"
                if empty
                else "ParameterArgumentValidationErrorNullNotAllowed"
            )
            raise PSError(call.record(message, "InvalidData", "ParameterBindingValidationException", error_id))


async def _test_path(call: CmdletCall) -> None:
    kind = call.args.get("PathType", "Any")
    for name in ("Path", "LiteralPath"):
        if name in call.args:
            _validate_path_argument(call, call.args[name], name)
    inputs = path_inputs(call)
    if not inputs:
        raise call.missing_mandatory_parameter("Path")
    for raw, literal in inputs:
        if call.args.get("IsValid"):
            call.emit(_valid_syntax(to_string(raw)))
            continue
        try:
            target = fs.resolve(call, raw, literal=literal)
        except fs.ResolveError:
            call.emit(False)
            continue
        if not target.literal:
            found = fs.expand(call, target, force=False)
        else:
            node = fs.find(fs.drives_of(call), target.path)
            found = [] if node is None else [(target.path, node)]
        if kind == "Leaf":
            found = [(path, node) for path, node in found if not node.is_dir]
        elif kind == "Container":
            found = [(path, node) for path, node in found if node.is_dir]
        call.emit(bool(found))


def _valid_syntax(text: str) -> bool:
    return not any(char in text for char in '<>|"') and "\0" not in text


# -- New-Item ---------------------------------------------------------------------------------------------
_ITEM_TYPES = (
    ("directory", "Directory"),
    ("container", "Directory"),
    ("file", "File"),
    ("symboliclink", "SymbolicLink"),
    ("junction", "Junction"),
    ("hardlink", "HardLink"),
)


def _item_type(value: Any) -> str:
    """FileSystemProvider.GetItemType: the argument is a prefix of directory/container, file, ..."""
    text = to_string(value).strip()
    pattern = wildcard_regex(text + "*", False) if text else None
    for name, kind in _ITEM_TYPES:
        if pattern is None or pattern.match(name):
            return kind if pattern is not None else "File"
    return ""


async def _new_item(call: CmdletCall) -> None:
    args = call.args
    force = bool(args.get("Force"))
    paths: list[Any] = list(args.get("Path") or [])
    name = args.get("Name")
    if not paths:
        if name is None:
            raise call.missing_mandatory_parameter("Path")
        paths = ["."]
    kind = _item_type(args["ItemType"]) if "ItemType" in args else "File"
    if kind in ("SymbolicLink", "Junction", "HardLink"):
        raise not_implemented(f"New-Item -ItemType {kind}", call.extent)
    if not kind:
        raise PSError(
            call.record(
                'The type is not a known type for the file system. Only "file","directory" or "symboliclink" can '
                "be specified.",
                "InvalidArgument",
                "PSArgumentException",
                "Argument",
            )
        )
    value = args.get("Value")
    for raw in paths:
        text = to_string(raw)
        if name is not None:
            text = text.rstrip("\\/") + "\\" + to_string(name)
        try:
            target = fs.resolve(call, text, literal=True)
        except fs.ResolveError as error:
            call.write_error(error.record)
            continue
        if _illegal(call, target.path):
            continue
        if kind == "Directory":
            _new_directory(call, target.path, force)
        else:
            _new_file(call, target.path, force, value)


def _new_directory(call: CmdletCall, path: str, force: bool) -> None:
    drives = fs.drives_of(call)
    existing = fs.find(drives, path)
    if existing is not None and not force:
        call.write_error(
            fs.io_record(
                call,
                f"An item with the specified name {path} already exists.",
                "ResourceExists",
                "DirectoryExist",
                path,
            )
        )
        return
    if existing is not None and not existing.is_dir:
        return  # CreateSubdirectory fails with an IOException that -Force swallows (CreateDirectory)
    try:
        node = existing or drives.mkdir(path, parents=True)
    except win.WindowsError_ as error:
        call.write_error(fs.io_record(call, _win_message(error, path), "WriteError", "CreateDirectoryIOError", path))
        return
    call.emit(fs.provider_item(call, fs.canonical(drives, path), node, original=path))


def _new_file(call: CmdletCall, path: str, force: bool, value: Any) -> None:
    drives = fs.drives_of(call)
    parent = fs.parent_of(path)
    existing = fs.find(drives, path)
    if existing is not None and existing.is_dir:
        call.write_error(
            fs.io_record(
                call,
                f"Access to the path '{path}' is denied.",
                "PermissionDenied",
                "NewItemUnauthorizedAccessError",
                path,
                reason="UnauthorizedAccessException",
            )
        )
        return
    if existing is not None and not force:
        call.write_error(fs.io_record(call, f"The file '{path}' already exists.", "WriteError", "NewItemIOError", path))
        return
    if existing is not None and existing.in_use_by:
        message = f"The process cannot access the file '{path}' because it is being used by another process."
        call.write_error(fs.io_record(call, message, "WriteError", "NewItemIOError", path))
        return
    folder = fs.find(drives, parent)
    if folder is None and force:
        folder = drives.mkdir(parent, parents=True)  # CreateIntermediateDirectories
    if folder is None or not folder.is_dir:
        call.write_error(
            fs.io_record(
                call,
                f"Could not find a part of the path '{path}'.",
                "WriteError",
                "NewItemIOError",
                path,
                reason="DirectoryNotFoundException",
            )
        )
        return
    # New-Item -Value writes a BOM-less UTF-8 file (about_Character_Encoding); existing attributes stay.
    data = b"" if value is None else to_string(value).encode("utf-8")
    if existing is not None and "ReadOnly" in existing.attributes:
        call.write_error(
            fs.io_record(
                call,
                f"Access to the path '{path}' is denied.",
                "PermissionDenied",
                "NewItemUnauthorizedAccessError",
                path,
                reason="UnauthorizedAccessException",
            )
        )
        return
    node = drives.write(path, data)
    call.emit(fs.provider_item(call, fs.canonical(drives, path), node, original=path))


def _win_message(error: win.WindowsError_, path: str) -> str:
    if isinstance(error, win.PathNotFound | win.FileNotFound):
        return f"Could not find a part of the path '{path}'."
    if isinstance(error, win.AccessDenied):
        return f"Access to the path '{path}' is denied."
    return error.message


# -- Remove-Item ------------------------------------------------------------------------------------------
_PROTECTED = ("Hidden", "System", "ReadOnly")


async def _remove_item(call: CmdletCall) -> None:
    force = bool(call.args.get("Force"))
    recurse = bool(call.args.get("Recurse"))
    for raw, literal in path_inputs(call):
        for path, node in _targets(call, raw, literal, force=force) or []:
            if node.is_dir and node.children and not recurse:
                # RemoveItemCommand asks "The item at ... has children and the Recurse parameter was not specified"
                raise not_implemented("Remove-Item's confirmation prompt for a folder with children", call.extent)
            if node.is_dir:
                _remove_directory(call, path, node, path, force=force)
            else:
                _remove_one(call, path, node, path, force=force)


def _remove_directory(call: CmdletCall, path: str, node: Node, shown: str, *, force: bool) -> None:
    """RemoveDirectoryInfoItem: subfolders, then files, then the folder if it is empty by then."""
    for child in fs.ntfs_order([c for c in node.children.values() if c.is_dir]):
        _remove_directory(call, _join(path, child.name), child, child.name, force=force)
    for child in fs.ntfs_order([c for c in node.children.values() if not c.is_dir]):
        _remove_one(call, _join(path, child.name), child, child.name, force=force)
    if node.children and not force:
        message = f"Directory {path} cannot be removed because it is not empty."
        call.write_error(fs.io_record(call, message, "WriteError", "DirectoryNotEmpty", shown, "DirectoryInfo"))
        return
    _remove_one(call, path, node, shown, force=force)


def _remove_one(call: CmdletCall, path: str, node: Node, shown: str, *, force: bool) -> None:
    """RemoveFileSystemItem: "Cannot remove item <path>: <reason>" when Windows refuses."""
    kind = fs.item_type_name(node)
    if not force and any(name in node.attributes for name in _PROTECTED):
        message = f"Cannot remove item {path}: You do not have sufficient access rights to perform this operation."
        call.write_error(
            fs.io_record(call, message, "PermissionDenied", "RemoveFileSystemItemUnAuthorizedAccess", shown, kind)
        )
        return
    reason = None
    if node.in_use_by:
        reason = f"The process cannot access the file '{path}' because it is being used by another process."
    elif node.is_dir and node.children:
        reason = "The directory is not empty."
    if reason is not None:
        call.write_error(
            fs.io_record(
                call, f"Cannot remove item {path}: {reason}", "WriteError", "RemoveFileSystemItemIOError", shown, kind
            )
        )
        return
    if force:
        node.attributes.difference_update(_PROTECTED)
    fs.drives_of(call).delete(path, recurse=True)


# -- Move-Item --------------------------------------------------------------------------------------------
def _destination(call: CmdletCall) -> str | None:
    raw = call.args.get("Destination")
    if raw is None:
        raw = "."
    try:
        return fs.resolve(call, raw, literal=True).path
    except fs.ResolveError as error:
        call.write_error(error.record)
        return None


async def _move_item(call: CmdletCall) -> None:
    force = bool(call.args.get("Force"))
    destination = _destination(call)
    if destination is None or _illegal(call, destination):
        return
    drives = fs.drives_of(call)
    for raw, literal in path_inputs(call):
        for path, node in _targets(call, raw, literal, force=force) or []:
            target = destination
            existing = fs.find(drives, target)
            if existing is not None and existing.is_dir:
                target = _join(fs.canonical(drives, target), node.name)
                existing = fs.find(drives, target)
            if node.is_dir and _inside(target, path):
                raise not_implemented("moving a folder into itself", call.extent)
            moved = _move(call, path, node, target, existing, force)
            if moved is not None and call.args.get("PassThru"):
                call.emit(fs.provider_item(call, fs.canonical(drives, target), moved))


def _move(call: CmdletCall, path: str, node: Node, target: str, existing: Node | None, force: bool) -> Node | None:
    """MoveFileInfoItem / MoveDirectoryInfoItem with FileInfo.MoveTo's and Directory.Move's messages."""
    drives = fs.drives_of(call)
    kind = fs.item_type_name(node)
    error_id = "MoveDirectoryItemIOError" if node.is_dir else "MoveFileInfoItemIOError"
    if existing is node:
        return node
    busy = node.in_use_by or any(child.in_use_by for _, child in node.walk(""))
    if busy:
        message = f"Access to the path '{path}' is denied." if node.is_dir else SHARING
        call.write_error(fs.io_record(call, message, "WriteError", error_id, path, kind))
        return None
    if fs.find(drives, fs.parent_of(target)) is None:
        call.write_error(
            fs.io_record(call, _PART_MISSING, "WriteError", error_id, path, kind, reason="DirectoryNotFoundException")
        )
        return None
    if existing is not None:
        if node.is_dir or not force or existing.is_dir:
            call.write_error(fs.io_record(call, _EXISTS, "WriteError", error_id, path, kind))
            return None
        if existing.in_use_by:  # -Force deletes the destination first; a busy one stays (the original error)
            call.write_error(fs.io_record(call, _EXISTS, "WriteError", error_id, target, "FileInfo"))
            return None
        existing.attributes.difference_update(("ReadOnly", "Hidden"))
        drives.delete(target)
    try:
        return drives.move(path, target)
    except win.WindowsError_ as error:
        call.write_error(fs.io_record(call, _win_message(error, path), "WriteError", error_id, path, kind))
        return None


# -- Copy-Item --------------------------------------------------------------------------------------------
def _unhandled(call: CmdletCall, message: str, exception: str) -> None:
    """An exception the provider does not catch: NotSpecified, FullyQualifiedErrorId = the exception type."""
    namespace = "System" if exception == "ArgumentException" else "System.IO"
    record = call.record(message, "NotSpecified", exception, f"{namespace}.{exception}")
    call.write_error(record)


def _illegal(call: CmdletCall, path: str) -> bool:
    """A destination .NET refuses: reported as the ArgumentException the provider lets through."""
    if fs.illegal(path):
        _unhandled(call, "Illegal characters in path.", "ArgumentException")
        return True
    return False


async def _copy_item(call: CmdletCall) -> None:
    force = bool(call.args.get("Force"))
    recurse = bool(call.args.get("Recurse"))
    destination = _destination(call)
    if destination is None or _illegal(call, destination):
        return
    for raw, literal in path_inputs(call):
        for path, node in _targets(call, raw, literal, force=force) or []:
            if path.casefold() == destination.casefold():
                call.write_error(
                    fs.io_record(
                        call, f"Cannot overwrite the item {path} with itself.", "WriteError", "CopyError", path
                    )
                )
                continue
            if node.is_dir:
                if _inside(destination, path):
                    raise not_implemented("copying a folder into itself", call.extent)
                _copy_directory(call, path, node, destination, recurse, force)
            else:
                _copy_file(call, path, node, destination, force)


def _copy_file(call: CmdletCall, path: str, node: Node, destination: str, force: bool) -> None:
    drives = fs.drives_of(call)
    existing = fs.find(drives, destination)
    if existing is not None and existing.is_dir:
        destination = _join(fs.canonical(drives, destination), node.name)
        existing = fs.find(drives, destination)
    if destination.casefold() == path.casefold():
        call.write_error(
            fs.io_record(
                call, f"Cannot overwrite the item {destination} with itself.", "WriteError", "CopyError", destination
            )
        )
        return
    if node.in_use_by:
        _unhandled(call, f"The process cannot access the file '{path}' because it is being used by another process.",
                   "IOException")  # fmt: skip
        return
    folder = fs.find(drives, fs.parent_of(destination))
    if folder is None or not folder.is_dir:
        _unhandled(call, f"Could not find a part of the path '{destination}'.", "DirectoryNotFoundException")
        return
    if existing is not None and existing.in_use_by:
        _unhandled(
            call, f"The process cannot access the file '{destination}' because it is being used by another process.",
            "IOException",
        )  # fmt: skip
        return
    if existing is not None and "ReadOnly" in existing.attributes:
        if not force:
            call.write_error(
                fs.io_record(
                    call,
                    f"Access to the path '{destination}' is denied.",
                    "PermissionDenied",
                    "CopyFileInfoItemUnauthorizedAccessError",
                    path,
                    "FileInfo",
                    reason="UnauthorizedAccessException",
                )
            )
            return
        existing.attributes.difference_update(("ReadOnly", "Hidden"))
    copied = drives.copy(path, destination, overwrite=True)
    if call.args.get("PassThru"):
        call.emit(fs.provider_item(call, fs.canonical(drives, destination), copied, original=destination))


def _copy_directory(call: CmdletCall, path: str, node: Node, destination: str, recurse: bool, force: bool) -> None:
    """CopyDirectoryInfoItem: create the folder (an existing one is an error, and the copy goes on), then files
    and subfolders when recursing."""
    drives = fs.drives_of(call)
    existing = fs.find(drives, destination)
    if existing is not None and existing.is_dir:
        destination = _join(fs.canonical(drives, destination), node.name)
        existing = fs.find(drives, destination)
    if existing is not None and not force:
        call.write_error(
            fs.io_record(
                call,
                f"An item with the specified name {destination} already exists.",
                "ResourceExists",
                "DirectoryExist",
                destination,
            )
        )
    elif existing is None:
        try:
            created = drives.mkdir(destination, parents=True)
        except win.WindowsError_ as error:
            call.write_error(
                fs.io_record(
                    call, _win_message(error, destination), "WriteError", "CreateDirectoryIOError", destination
                )
            )
            return
        if call.args.get("PassThru"):
            call.emit(fs.provider_item(call, fs.canonical(drives, destination), created, original=destination))
    if fs.find(drives, destination) is None or not recurse:
        return
    for child in fs.ntfs_order([c for c in node.children.values() if not c.is_dir]):
        _copy_file(call, _join(path, child.name), child, destination, force)
    for child in fs.ntfs_order([c for c in node.children.values() if c.is_dir]):
        _copy_directory(call, _join(path, child.name), child, destination, recurse, force)


# -- Rename-Item ------------------------------------------------------------------------------------------
async def _rename_item(call: CmdletCall) -> None:
    if isinstance(call.args["NewName"], ScriptBlock):
        raise not_implemented("Rename-Item -NewName with a script block (delay-bind)", call.extent)
    new_name = to_string(call.args["NewName"])
    drives = fs.drives_of(call)
    for raw, literal in path_inputs(call):
        try:
            target = fs.resolve(call, raw, literal=literal)
        except fs.ResolveError as error:
            call.write_error(error.record)
            continue
        found = fs.expand(call, target, force=bool(call.args.get("Force")))
        if not found:
            # NavigationResources.RenameItemDoesntExist (RenameItemCommand), not the provider's PathNotFound
            record = call.record(
                f"Cannot rename because item at '{to_string(raw)}' does not exist.",
                "InvalidOperation", "PSInvalidOperationException", "InvalidOperation",
            )  # fmt: skip
            call.write_error(record)
            continue
        for path, node in found:
            name = _new_name(call, path, new_name)
            if name is None:
                continue
            destination = _join(fs.parent_of(path), name)
            if _illegal(call, destination):
                continue
            existing = fs.find(drives, destination)
            if existing is node:  # a change of case only
                node.name = name
                parent = fs.find(drives, fs.parent_of(path))
                if parent is not None:
                    parent.children[name.lower()] = node
                moved: Node | None = node
            else:
                moved = _rename(call, path, node, destination, existing)
            if moved is not None and call.args.get("PassThru"):
                call.emit(fs.provider_item(call, destination, moved))


def _new_name(call: CmdletCall, path: str, new_name: str) -> str | None:
    """FileSystemProvider.RenameItem: ".\\name" is a name; a path elsewhere is RenameError."""
    name = new_name.replace("/", "\\")
    if name.startswith(".\\"):
        name = name[2:]
    elif "\\" in name and fs.parent_of(name).casefold().rstrip("\\") == fs.parent_of(path).casefold().rstrip("\\"):
        name = fs.name_of(name)
    if "\\" in name or ":" in name:
        raise PSError(
            call.record(
                "Cannot rename the specified target, because it represents a path or device name.",
                "InvalidArgument",
                "PSArgumentException",
                "Argument",
            )
        )
    return name


def _rename(call: CmdletCall, path: str, node: Node, destination: str, existing: Node | None) -> Node | None:
    if node.in_use_by or any(child.in_use_by for _, child in node.walk("")):
        message = f"Access to the path '{path}' is denied." if node.is_dir else SHARING
        call.write_error(fs.io_record(call, message, "WriteError", "RenameItemIOError", path))
        return None
    if existing is not None:
        call.write_error(fs.io_record(call, _EXISTS, "WriteError", "RenameItemIOError", path))
        return None
    return fs.drives_of(call).move(path, destination)


# -- parameters -------------------------------------------------------------------------------------------
def _should_process(run: Any) -> Any:
    async def guarded(call: CmdletCall) -> None:
        if call.args.get("WhatIf") or call.args.get("Confirm"):
            raise not_implemented(f"{call.info.name} -WhatIf/-Confirm", call.extent)
        await run(call)

    return guarded


def _path_type(value: Any) -> str:
    text = to_string(value).strip()
    for name in ("Any", "Container", "Leaf"):
        if name.casefold() == text.casefold():
            return name
    raise ConversionFailure(
        f"Unable to match the identifier name {text} to a valid enumerator name. Specify one of the following "
        "enumerator names and try again:\r\nAny, Container, Leaf"
    )


def _depth(value: Any) -> int:
    from ..binding import convert_int32

    return convert_int32(value)


def _path_params(position_path: bool = True) -> tuple[Param, ...]:
    return (
        Param("Path", "System.String[]", convert_string_array, position=0 if position_path else None, pipeline=True),
        Param("LiteralPath", "System.String[]", convert_string_array, aliases=("PSPath",)),
    )


_SWITCH = "System.Management.Automation.SwitchParameter"
# ShouldProcess common parameters: accepted, and refused when used (the lab prints no "What if:" lines).
_SHOULD_PROCESS = (
    Param("WhatIf", _SWITCH, switch=True, aliases=("wi",)),
    Param("Confirm", _SWITCH, switch=True, aliases=("cf",)),
)
_FILTERS = (
    Param("Filter", "System.String", to_string),
    Param("Include", "System.String[]", convert_string_array),
    Param("Exclude", "System.String[]", convert_string_array),
)

GET_CHILD_ITEM = CmdletInfo(
    "Get-ChildItem",
    "GetChildItemCommand",
    (
        Param("Path", "System.String[]", convert_string_array, position=0, pipeline=True),
        Param("LiteralPath", "System.String[]", convert_string_array, aliases=("PSPath",)),
        Param("Filter", "System.String", to_string, position=1),
        Param("Include", "System.String[]", convert_string_array),
        Param("Exclude", "System.String[]", convert_string_array),
        Param("Recurse", _SWITCH, switch=True, aliases=("s",)),
        Param("Depth", "System.UInt32", _depth),
        Param("Force", _SWITCH, switch=True),
        Param("Name", _SWITCH, switch=True),
        Param("File", _SWITCH, switch=True),
        Param("Directory", _SWITCH, switch=True, aliases=("ad", "d")),
        Param("Hidden", _SWITCH, switch=True, aliases=("ah", "h")),
        Param("ReadOnly", _SWITCH, switch=True, aliases=("ar",)),
        Param("System", _SWITCH, switch=True, aliases=("as",)),
    ),
    _get_child_item,
    aliases=("gci", "dir", "ls"),
)
GET_ITEM = CmdletInfo(
    "Get-Item",
    "GetItemCommand",
    (*_path_params(), *_FILTERS, Param("Force", _SWITCH, switch=True)),
    _get_item,
    aliases=("gi",),
)
TEST_PATH = CmdletInfo(
    "Test-Path",
    "TestPathCommand",
    (
        *_path_params(),
        *_FILTERS,
        Param("PathType", "Microsoft.PowerShell.Commands.TestPathType", _path_type, aliases=("Type",)),
        Param("IsValid", _SWITCH, switch=True),
    ),
    _test_path,
)
NEW_ITEM = CmdletInfo(
    "New-Item",
    "NewItemCommand",
    (
        Param("Path", "System.String[]", convert_string_array, position=0),
        Param("Name", "System.String", to_string),
        Param("ItemType", "System.String", to_string, aliases=("Type",)),
        Param("Value", "System.Object", pipeline=True),
        Param("Force", _SWITCH, switch=True),
        *_SHOULD_PROCESS,
    ),
    _should_process(_new_item),
    aliases=("ni",),
)
REMOVE_ITEM = CmdletInfo(
    "Remove-Item",
    "RemoveItemCommand",
    (
        *_path_params(),
        *_FILTERS,
        Param("Recurse", _SWITCH, switch=True),
        Param("Force", _SWITCH, switch=True),
        *_SHOULD_PROCESS,
    ),
    _should_process(_remove_item),
    aliases=("ri", "rm", "rmdir", "del", "erase", "rd"),
)
MOVE_ITEM = CmdletInfo(
    "Move-Item",
    "MoveItemCommand",
    (
        *_path_params(),
        Param("Destination", "System.String", to_string, position=1),
        *_FILTERS,
        Param("Force", _SWITCH, switch=True),
        Param("PassThru", _SWITCH, switch=True),
        *_SHOULD_PROCESS,
    ),
    _should_process(_move_item),
    aliases=("mi", "move", "mv"),
)
COPY_ITEM = CmdletInfo(
    "Copy-Item",
    "CopyItemCommand",
    (
        *_path_params(),
        Param("Destination", "System.String", to_string, position=1),
        *_FILTERS,
        Param("Recurse", _SWITCH, switch=True),
        Param("Force", _SWITCH, switch=True),
        Param("PassThru", _SWITCH, switch=True),
        *_SHOULD_PROCESS,
    ),
    _should_process(_copy_item),
    aliases=("copy", "cp", "cpi"),
)
RENAME_ITEM = CmdletInfo(
    "Rename-Item",
    "RenameItemCommand",
    (
        Param("Path", "System.String", lambda v: [to_string(v)], position=0, pipeline=True),
        Param("LiteralPath", "System.String", lambda v: [to_string(v)], aliases=("PSPath",)),
        Param("NewName", "System.String", position=1, mandatory=True),
        Param("Force", _SWITCH, switch=True),
        Param("PassThru", _SWITCH, switch=True),
        *_SHOULD_PROCESS,
    ),
    _should_process(_rename_item),
    aliases=("ren", "rni"),
)
CMDLETS = (GET_CHILD_ITEM, GET_ITEM, TEST_PATH, NEW_ITEM, REMOVE_ITEM, MOVE_ITEM, COPY_ITEM, RENAME_ITEM)
