"""DISM's image mounting: /Mount-Image, /Unmount-Image and /Get-MountedImageInfo on the lab's .wim container.

Syntax: Microsoft Learn, "DISM Image Management Command-Line Options" and "Customize Windows RE":
`Dism /Mount-Image /ImageFile:<wim> /Index:1 /MountDir:<dir> [/ReadOnly]`, `Dism /Unmount-Image /MountDir:<dir>
{/Commit | /Discard}`, `Dism /Get-MountedImageInfo`. "DismMountImage function" (Microsoft Learn): "This mount path
must already exist", the image "can be mounted to an empty folder on an NTFS formatted drive", "You cannot mount an
image to the root of the existing drive". "DismMountedImageInfo structure": mount path, image file, index, mount
mode (read-write or read-only), status (Ok, NeedsRemount, Invalid).

What the lab does: mounting copies the image's tree (machine/wim.py, the lab's own container) into the mount
folder as ordinary files, so any tool can read and change them; /Commit packs the folder's tree back into the .wim
with a new commit time (the bytes always change; real DISM rewrites the WIM), /Discard leaves the .wim as it was;
both empty the folder. Mounts are kept on the running machine (Machine.image_mounts) and dropped when it restarts
(the files stay in the folder; Windows' "Needs Remount" state after a restart is NOT simulated). The lab does not
stop writes into a read-only mount.

Texts: the banner, `Mounting image` / `Unmounting image`, the 100% progress bar and `The operation completed
successfully.` from a published transcript of DISM 10.0.26100 (windows-tools.md [S:T-reagentc-bn]; no `Image
Version:` line for these commands). Whether /Commit prints more (such as a "Saving image" line): NOT FOUND, the lab
prints what /Discard prints. /Get-MountedImageInfo: `Mounted images:` and per image `Mount Dir :`, `Image File :`,
`Image Index :`, `Mounted Read/Write :` and `Status : Ok` (a published DISM 10.0.22621 capture); with no mount,
`No mounted images found.` (quoted by third-party scripts; its place in the layout: NOT FOUND, the lab puts it
where the first image would be). Errors (published transcripts): 0xc1420114 "The user attempted to mount to a
directory that is not empty.  This is not supported." (two spaces, as captured), 0xc1420113 for a folder that
already holds a mounted image (third-party quote of the message), 0xc1420127 "The specified image in the
specified wim is already mounted for read/write access.". A missing image file gives Win32 error 2 with its
system text (INFERRED: DISM shows Win32 errors as `Error: N` with their text, windows-tools.md §4.3). NOT FOUND,
so lab refusals (stderr, exit 1): a mount folder that does not exist or is a drive's root, an index other than 1,
a file that is not a lab image, /Unmount-Image of a folder with no mount, /Commit of a read-only mount.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ....machine import errors, wim
from ....machine.filesystem import Node, now
from ....machine.paths import BadPath, absolute, split_drive
from . import messages as m
from .messages import DismError, LabNotImplemented
from .options import Option, split_option

IMAGING_COMMANDS = {"mount-image", "unmount-image", "get-mountedimageinfo"}
GLOBAL = {"english": False, "quiet": False, "logpath": True, "loglevel": True, "scratchdir": True}
TAKES = {
    "mount-image": {"imagefile": True, "index": True, "mountdir": True, "readonly": False},
    "unmount-image": {"mountdir": True, "commit": False, "discard": False},
    "get-mountedimageinfo": {},
}
UNSIMULATED = {"name", "optimize", "checkintegrity", "append", "supportea", "wimboot", "scratchdir"}

ERROR_NOT_EMPTY = 0xC1420114
ERROR_HOLDS_A_MOUNT = 0xC1420113
ERROR_ALREADY_MOUNTED = 0xC1420127
NOT_EMPTY = "The user attempted to mount to a directory that is not empty.  This is not supported."
HOLDS_A_MOUNT = (
    "The user attempted to mount to a directory that already contained a mounted image. This is not supported."
)
ALREADY_MOUNTED = "The specified image in the specified wim is already mounted for read/write access."
FILE_NOT_FOUND = "The system cannot find the file specified."
MOUNTING = "Mounting image\r\n"
UNMOUNTING = "Unmounting image\r\n"
NO_MOUNTS = "No mounted images found.\r\n\r\n"


@dataclass
class Mount:
    mount_dir: str  # absolute, as the running environment letters it
    image_file: str
    index: int
    read_only: bool
    committed: dt.datetime  # the image's commit time when it was mounted

    def shown(self) -> str:
        return (
            f"Mount Dir : {self.mount_dir}\r\nImage File : {self.image_file}\r\nImage Index : {self.index}\r\n"
            f"Mounted Read/Write : {'No' if self.read_only else 'Yes'}\r\nStatus : Ok\r\n\r\n"
        )


def requested(args: list[str]) -> bool:
    """Whether the command line names one of the imaging commands this module runs."""
    return any(arg.startswith("/") and split_option(arg).name in IMAGING_COMMANDS for arg in args)


def log_path_option(args: list[str]) -> str | None:
    return next((o.value for o in map(split_option, args) if o.name == "logpath" and o.value), None)


def _parse(args: list[str]) -> tuple[Option, dict[str, Option]]:
    options: dict[str, Option] = {}
    command: Option | None = None
    for arg in args:
        if not arg.startswith("/"):
            raise DismError(m.ERROR_INVALID_PARAMETER, m.NOT_RECOGNIZED.format(arg))
        option = split_option(arg)
        if option.name in options or (option.name in IMAGING_COMMANDS and command is not None):
            raise DismError(m.ERROR_INVALID_PARAMETER, m.DUPLICATED.format(option.shown))
        if option.name in IMAGING_COMMANDS:
            command = option
            continue
        options[option.name] = option
    assert command is not None
    allowed = TAKES[command.name]
    for option in options.values():
        if option.name in UNSIMULATED:
            raise LabNotImplemented(f"The lab does not implement DISM /{option.typed} with /{command.typed}.")
        takes_value = allowed.get(option.name, GLOBAL.get(option.name))
        if takes_value is None:
            raise DismError(m.ERROR_INVALID_PARAMETER, m.UNKNOWN_OPTION.format(option.typed))
        if takes_value and not option.value:
            raise DismError(m.ERROR_INVALID_PARAMETER, m.MISSING_ARGUMENT.format(option.shown))
        if not takes_value and option.value is not None:
            raise DismError(m.ERROR_INVALID_PARAMETER, m.TAKES_NO_ARGUMENT.format(option.shown))
    required = [name for name, value in allowed.items() if value]
    if any(name not in options for name in required):
        raise DismError(m.ERROR_INVALID_PARAMETER, m.MISSING_ARGUMENT.format(command.shown))
    if command.name == "unmount-image" and ("commit" in options) == ("discard" in options):
        raise DismError(m.ERROR_INVALID_PARAMETER, m.MISSING_ARGUMENT.format(command.shown))
    return command, options


def run_imaging(machine, args: list[str], working_directory: str) -> str:
    """Run one imaging command; the text after the banner. DismError / LabNotImplemented on failure."""
    command, options = _parse(args)
    if command.name == "get-mountedimageinfo":
        mounts = machine.image_mounts
        return "Mounted images:\r\n\r\n" + ("".join(x.shown() for x in mounts) if mounts else NO_MOUNTS) + m.SUCCESS
    mount_dir = _path(machine, options["mountdir"].value or "", working_directory)
    if command.name == "mount-image":
        return _mount(machine, options, mount_dir, working_directory)
    return _unmount(machine, mount_dir, commit="commit" in options)


def _path(machine, typed: str, working_directory: str) -> str:
    try:
        path = absolute(typed.strip('"'), working_directory)
        drive, _parts = split_drive(path)
    except BadPath:
        raise DismError(m.ERROR_INVALID_PARAMETER, m.NOT_RECOGNIZED.format(typed)) from None
    try:
        return machine.drives.canonical(path).rstrip("\\") or drive
    except errors.WindowsError_:
        return path


def _find(machine, path: str) -> Node | None:
    try:
        return machine.drives.find(path)
    except errors.VolumeLocked:
        raise DismError(m.FVE_E_LOCKED_VOLUME, m.VOLUME_LOCKED) from None
    except errors.WindowsError_:
        return None


def _mounted_at(machine, mount_dir: str) -> Mount | None:
    return next((x for x in machine.image_mounts if x.mount_dir.lower() == mount_dir.lower()), None)


def _mount(machine, options: dict[str, Option], mount_dir: str, working_directory: str) -> str:
    image_file = _path(machine, options["imagefile"].value or "", working_directory)
    node = _find(machine, image_file)
    if node is None or node.is_dir:
        raise DismError(m.ERROR_FILE_NOT_FOUND, FILE_NOT_FOUND)
    if options["index"].value != "1":
        raise LabNotImplemented(f"Lab refusal: the lab's images hold index 1 only (/Index:{options['index'].value}).")
    try:
        root, committed = wim.unpack(node.data)
    except wim.NotAnImage:
        raise LabNotImplemented(f"Lab refusal: {image_file} is not an image in the lab's container.") from None
    read_only = "readonly" in options
    if any(x.image_file.lower() == image_file.lower() and not x.read_only for x in machine.image_mounts):
        raise DismError(ERROR_ALREADY_MOUNTED, ALREADY_MOUNTED)
    folder = _find(machine, mount_dir)
    if len(split_drive(mount_dir)[1]) == 0:
        raise LabNotImplemented("Lab refusal: an image cannot be mounted to the root of a drive.")
    if folder is None or not folder.is_dir:
        raise LabNotImplemented(f"Lab refusal: the mount directory {mount_dir} does not exist.")
    if _mounted_at(machine, mount_dir) is not None:
        raise DismError(ERROR_HOLDS_A_MOUNT, HOLDS_A_MOUNT)
    if folder.children:
        raise DismError(ERROR_NOT_EMPTY, NOT_EMPTY)
    for child in root.children.values():
        folder.add(child.copy())
    machine.image_mounts.append(Mount(mount_dir, image_file, 1, read_only, committed))
    return MOUNTING + m.PROGRESS_DONE + m.SUCCESS


def _unmount(machine, mount_dir: str, commit: bool) -> str:
    mount = _mounted_at(machine, mount_dir)
    if mount is None:
        raise LabNotImplemented(f"Lab refusal: no image is mounted at {mount_dir}.")
    if commit and mount.read_only:
        raise LabNotImplemented(f"Lab refusal: the image at {mount_dir} is mounted read-only; use /Discard.")
    folder = _find(machine, mount_dir)
    if commit:
        tree = Node("", True)
        for child in folder.children.values() if folder is not None and folder.is_dir else []:
            tree.add(child.copy())
        stamp = max(now(), mount.committed + dt.timedelta(microseconds=1))
        try:
            machine.drives.write(mount.image_file, wim.pack(tree, stamp))
        except errors.WindowsError_ as error:
            raise LabNotImplemented(f"Lab refusal: the image file cannot be written ({error}).") from None
    if folder is not None and folder.is_dir:
        folder.children.clear()
    machine.image_mounts.remove(mount)
    return UNMOUNTING + m.PROGRESS_DONE + m.SUCCESS
