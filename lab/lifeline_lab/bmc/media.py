"""Virtual media: a Manager's remote CD (DSP8010 VirtualMedia schema) and the images the lab knows.

VirtualMedia properties: Image (the URI of the attached image), ImageName, Inserted, WriteProtected,
MediaTypes (CD, DVD, USBStick, ...), ConnectedVia (NotConnected, URI, Applet, Oem), TransferProtocolType.
Actions: #VirtualMedia.InsertMedia (parameters Image, required; Inserted and WriteProtected, default true;
TransferProtocolType, TransferMethod, UserName, Password, optional) and #VirtualMedia.EjectMedia (none).

The lab fetches nothing: a real BMC reads the image from its URI. The lab knows one image, by the file name
at the end of the URI's path (RECOVERY_IMAGE_NAME, any scheme of ALLOWED_SCHEMES, case-insensitive): the
Lifeline recovery image, a Windows PE CD as MakeWinPEMedia /ISO builds it (Microsoft Learn, "WinPE: Create
bootable media": \\sources\\boot.wim and the EFI boot files) whose boot.wim carries the script given to
`lifeline-lab up --oob-image-script` as Windows\\System32\\lifeline-oob.cmd and a winpeshl.ini whose
[LaunchApps] starts it with cmd.exe /c ("Winpeshl.ini Files"; "WinPE: Create Apps": winpeshl.exe runs the
[LaunchApps] instead of cmd.exe and startnet.cmd). Any other image boots nothing the lab can run
(firmware.py). Without --oob-image-script the lab knows no image.
"""

from __future__ import annotations

import functools
import posixpath
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..machine import wim, windows_image
from ..machine.filesystem import Node, Volume
from . import messages

RECOVERY_IMAGE_NAME = "lifeline-recovery.iso"
OOB_SCRIPT = r"Windows\System32\lifeline-oob.cmd"
OOB_LAUNCH = r"%SYSTEMDRIVE%\Windows\System32\cmd.exe, /c %SYSTEMDRIVE%\Windows\System32\lifeline-oob.cmd"
ALLOWED_SCHEMES = {"http": "HTTP", "https": "HTTPS", "nfs": "NFS", "cifs": "CIFS", "smb": "CIFS"}
MEDIA_ID = "CD1"
INSERT = "VirtualMedia.InsertMedia"


@dataclass
class VirtualMedia:
    image: str | None = None
    inserted: bool = False
    write_protected: bool = True
    transfer_protocol: str | None = None

    @property
    def image_name(self) -> str | None:
        return image_file_name(self.image) if self.image else None

    def insert(self, body: dict) -> None:
        """InsertMedia's parameters checked, then the image attached (all or nothing)."""
        image = body.get("Image")
        if image is None:
            raise messages.missing_parameter("Image", INSERT)
        if not isinstance(image, str) or not _is_image_uri(image):
            raise messages.RedfishError(
                400,
                "ActionParameterValueFormatError",
                f"The value {image} for the parameter Image in the action {INSERT} is of a different format.",
                [str(image), "Image", INSERT],
            )
        for flag in ("Inserted", "WriteProtected"):
            if flag in body and not isinstance(body[flag], bool):
                raise messages.RedfishError(
                    400,
                    "ActionParameterValueTypeError",
                    f"The value for the parameter {flag} in the action {INSERT} is of a different type.",
                    [str(body[flag]), flag, INSERT],
                )
        protocol = body.get("TransferProtocolType", ALLOWED_SCHEMES[urlsplit(image).scheme.lower()])
        if protocol not in set(ALLOWED_SCHEMES.values()):
            raise messages.parameter_not_supported(str(protocol), "TransferProtocolType", INSERT)
        if self.inserted:
            raise messages.RedfishError(
                409, "ResourceInUse", "The virtual media already has an image inserted; eject it first."
            )
        self.image = image
        self.inserted = body.get("Inserted", True)
        self.write_protected = body.get("WriteProtected", True)
        self.transfer_protocol = protocol

    def eject(self) -> None:
        self.image, self.inserted, self.transfer_protocol = None, False, None

    def document(self, manager: str) -> dict:
        base = f"{manager}/VirtualMedia/{MEDIA_ID}"
        return {
            "Id": MEDIA_ID,
            "Name": "Virtual CD",
            "MediaTypes": ["CD", "DVD"],
            "Image": self.image,
            "ImageName": self.image_name,
            "Inserted": self.inserted,
            "WriteProtected": self.write_protected,
            "ConnectedVia": "URI" if self.image else "NotConnected",
            "TransferProtocolType": self.transfer_protocol,
            "TransferMethod": "Stream",
            "Actions": {
                "#VirtualMedia.InsertMedia": {
                    "target": f"{base}/Actions/VirtualMedia.InsertMedia",
                    "TransferProtocolType@Redfish.AllowableValues": sorted(set(ALLOWED_SCHEMES.values())),
                },
                "#VirtualMedia.EjectMedia": {"target": f"{base}/Actions/VirtualMedia.EjectMedia"},
            },
        }


def image_file_name(uri: str) -> str:
    return posixpath.basename(urlsplit(uri).path)


def _is_image_uri(uri: str) -> bool:
    parts = urlsplit(uri)
    return parts.scheme.lower() in ALLOWED_SCHEMES and bool(parts.netloc) and bool(image_file_name(uri))


def is_recovery_image(uri: str | None) -> bool:
    return uri is not None and image_file_name(uri).lower() == RECOVERY_IMAGE_NAME


@functools.cache
def recovery_boot_wim(script: bytes) -> bytes:
    """boot.wim of the Lifeline recovery image: Windows PE's tools and hives (the lab's WinRE tree without the
    recovery shell), the script, and a winpeshl.ini that starts it."""
    root = windows_image.winre_tree()
    root.children.pop("sources", None)  # recenv.exe is WinRE's, not Windows PE's
    system32 = root.child("Windows").child("System32")
    system32.add(Node("lifeline-oob.cmd", False, script))
    system32.child("winpeshl.ini").data = f"[LaunchApps]\r\n{OOB_LAUNCH}\r\n".encode()
    return wim.pack(root, windows_image.INSTALLED)


def recovery_cd(boot_wim: bytes, serial: int) -> Volume:
    """The CD's file system (D: in the Windows PE it starts): \\sources\\boot.wim and the EFI boot loader."""
    volume = Volume(label="LIFELINE_OOB", size_bytes=len(boot_wim) + 4 * 1024**2, serial=serial, role="media")
    volume.filesystem = "UDF"
    media = Node("sources", True)
    media.add(Node("boot.wim", False, boot_wim))
    volume.root.add(media)
    efi = volume.root.add(Node("EFI", True))
    efi_boot = efi.add(Node("Boot", True))
    efi_boot.add(Node("bootx64.efi", False, windows_image.placeholder_image("bootmgfw.efi")))
    return volume
