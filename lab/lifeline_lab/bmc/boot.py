"""The boot override of a ComputerSystem (DSP8010 ComputerSystem schema, `Boot`).

BootSourceOverrideEnabled: Disabled, Once ("the system boots one time to the boot source override target; then
BootSourceOverrideEnabled is set to Disabled"), Continuous. BootSourceOverrideTarget: the device to boot
instead of the normal boot order; the lab allows None, Pxe, Cd, Hdd, UefiHttp and BiosSetup
(BootSourceOverrideTarget@Redfish.AllowableValues, DSP0266 "Allowable values"). BootSourceOverrideMode: UEFI
only (the lab's machines are GPT/UEFI, machine.new_machine). A PATCH of these properties changes them
(DSP0266 "Modification requests": PATCH updates the properties given; an unknown property or a value outside
the allowable values is refused with 400 and nothing changes).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import messages

ENABLED_VALUES = ("Disabled", "Once", "Continuous")
TARGET_VALUES = ("None", "Pxe", "Cd", "Hdd", "UefiHttp", "BiosSetup")
MODE_VALUES = ("UEFI",)
WRITABLE = {
    "BootSourceOverrideEnabled": ENABLED_VALUES,
    "BootSourceOverrideTarget": TARGET_VALUES,
    "BootSourceOverrideMode": MODE_VALUES,
}


@dataclass
class BootOverride:
    enabled: str = "Disabled"
    target: str = "None"
    mode: str = "UEFI"

    def document(self) -> dict:
        return {
            "BootSourceOverrideEnabled": self.enabled,
            "BootSourceOverrideEnabled@Redfish.AllowableValues": list(ENABLED_VALUES),
            "BootSourceOverrideTarget": self.target,
            "BootSourceOverrideTarget@Redfish.AllowableValues": list(TARGET_VALUES),
            "BootSourceOverrideMode": self.mode,
            "BootSourceOverrideMode@Redfish.AllowableValues": list(MODE_VALUES),
        }

    def patch(self, boot: object) -> None:
        """Apply a PATCH's `Boot` object, all or nothing."""
        if not isinstance(boot, dict):
            raise messages.RedfishError(
                400, "PropertyValueTypeError", "The value for the property Boot is of a different type.", ["Boot"]
            )
        for name, value in boot.items():
            if name not in WRITABLE:
                if name.startswith("BootSourceOverride") or name in ("BootOrder", "UefiTargetBootSourceOverride"):
                    raise messages.property_read_only(f"Boot/{name}")
                raise messages.property_unknown(f"Boot/{name}")
            if value not in WRITABLE[name]:
                raise messages.property_value(str(value), f"Boot/{name}")
        self.enabled = boot.get("BootSourceOverrideEnabled", self.enabled)
        self.target = boot.get("BootSourceOverrideTarget", self.target)
        self.mode = boot.get("BootSourceOverrideMode", self.mode)

    def take(self) -> str | None:
        """The target this boot goes to, consuming a Once override; None when the normal boot order applies."""
        if self.enabled == "Disabled" or self.target == "None":
            return None
        if self.enabled == "Once":
            self.enabled = "Disabled"
        return self.target
