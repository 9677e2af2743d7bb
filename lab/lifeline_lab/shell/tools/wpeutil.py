"""wpeutil.exe, the Windows PE utility: `wpeutil reboot` restarts WinPE/WinRE now.

Microsoft Learn, "Wpeutil Command-Line Options": `Wpeutil {command} [argument]`, one command per line;
`Reboot` "Restarts the current Windows PE session", `Shutdown` shuts it down; other commands initialise the
network, the firewall, keyboard and language settings, page files and boot information. CrowdStrike's recovery
tool ends with `wpeutil reboot` (lower case). Its output and exit codes are NOT FOUND IN SOURCES: the lab prints
nothing and exits 0 for `reboot`. NOT simulated, with a lab note on stderr and exit 1: `shutdown` (the host would
never come back: the lab has no power button) and every other command. wpeutil exists only in WinPE/WinRE
(programs.py).
"""

from __future__ import annotations

from ..context import ProcessContext

DOCUMENTED = {
    "createpagefile", "disableextendedcharactersforvolume", "disablefirewall", "enableextendedcharactersforvolume",
    "enablefirewall", "initializenetwork", "listkeyboardlayouts", "reboot", "saveprofile", "setkeyboardlayout",
    "setmuilanguage", "setuserlocale", "shutdown", "updatebootinfo", "waitfornetwork", "waitforremovablestorage",
}  # fmt: skip


async def run(argv: list[str], ctx: ProcessContext) -> int:
    """Run wpeutil.exe with argv (argv[0] is the program)."""
    machine = ctx.machine
    if machine is None:
        ctx.write_stderr("The lab has no machine behind this process: WPEUTIL needs one to restart.\r\n")
        return 1
    command = argv[1].lower() if len(argv) > 1 else ""
    if command == "reboot" and len(argv) == 2:
        machine.restart(0)
        return 0
    if command in DOCUMENTED:
        ctx.write_stderr(f"The lab does not implement wpeutil {argv[1]}; it simulates wpeutil reboot.\r\n")
    else:
        ctx.write_stderr("The lab does not reproduce wpeutil's usage text; it simulates wpeutil reboot.\r\n")
    return 1
