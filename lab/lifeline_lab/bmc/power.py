"""PowerState, BootProgress and the ComputerSystem.Reset action, read from and applied to the machine.

DSP8010 ComputerSystem: PowerState (On, Off, PoweringOn, PoweringOff, Paused); BootProgress.LastState, of
BootProgressTypes: None ("the system is not booting or running, such as the system is powered off"), ...,
SetupEntered, OSBootStarted ("the operating system has started to boot"), OSRunning ("the operating system is
running and shall indicate the final boot progress state"). ResetType (DSP8010 Resource schema): On, ForceOff,
GracefulShutdown, GracefulRestart, ForceRestart, PowerCycle (and Nmi, ForceOn, PushPowerButton, Pause, ...,
which the lab does not offer: ResetType@Redfish.AllowableValues lists what it does).

How a BMC learns the boot progress is the platform's (POST codes, the BIOS); NOT FOUND IN SOURCES for a given
BMC. The lab's choice: powered off -> None; the firmware's setup -> SetupEntered; any boot that has not reached
a running OS (restarting, the BitLocker PIN prompt, a crashing boot, a hang, an unknown medium) ->
OSBootStarted; an OS running (Windows, Safe Mode, WinRE, Windows PE from a CD) -> OSRunning. A BMC cannot tell
WinRE from Windows: both are an operating system the firmware started (the OS-stop events in the log say why
the host is in WinRE).

Graceful resets go through the operating system (the ACPI power button); the lab lets Windows (normal and Safe
Mode) act on them and nothing else (WinRE, Windows PE, a boot in progress: NOT FOUND IN SOURCES what they do,
so the request is accepted and nothing happens).
"""

from __future__ import annotations

from ..machine import Machine
from ..machine.machine import OFF, PIN_PROMPT

RESET_TYPES = ("On", "ForceOff", "GracefulShutdown", "GracefulRestart", "ForceRestart", "PowerCycle")
SETUP = "setup"  # a firmware power state: the BIOS setup utility (BootSourceOverrideTarget BiosSetup)
UNKNOWN_MEDIA = "unknown_media"  # a firmware power state: booted a medium the lab does not know
_WINDOWS = ("normal", "safe_mode", "safe_mode_network")


def power_state(machine: Machine) -> str:
    return "Off" if machine.power == OFF else "On"


def last_state(machine: Machine) -> str:
    if machine.power == OFF:
        return "None"
    if machine.power == SETUP:
        return "SetupEntered"
    if machine.power == "running":
        return "OSRunning"
    if machine.power in ("booting", "hung", "window", PIN_PROMPT, UNKNOWN_MEDIA):
        return "OSBootStarted"
    return "OSBootStarted"


def reset(machine: Machine, reset_type: str) -> None:
    """Carry out a ResetType (already checked against RESET_TYPES)."""
    windows_runs = machine.power == "running" and machine.environment in _WINDOWS
    if reset_type == "On":
        machine.power_on()
    elif reset_type == "ForceOff":
        machine.power_off()
    elif reset_type == "GracefulShutdown":
        if windows_runs:
            machine.power_off()
    elif reset_type == "GracefulRestart":
        if windows_runs:
            machine.restart(0)
    else:  # ForceRestart, PowerCycle: the machine goes down at once and boots (from off too)
        machine.restart(0)
