"""bcdedit.exe: reads and changes Boot Configuration Data stores (windows-tools.md §2).

Commands: /enum, /set, /deletevalue, /create, /copy, /default, /timeout, /displayorder, with /store <file> and
/v; without /store the system store, also in WinRE. Identifiers: GUIDs, the well-known names, {current} (the
loader this environment started from: the OS loader in Windows, the WinRE loader in WinRE) and {default}.
Devices show with the letters volumes have in the running environment. Modules: cmdline (arguments),
store_access (which store), session (lookups), enumerate (/enum), edit (/set, /deletevalue), entries (the
other commands), elements, identifiers, devices (value rules), messages (texts, streams, exit codes).
"""

from __future__ import annotations

from ....machine.machine import Machine
from ...context import ProcessContext
from . import cmdline
from .edit import delete_value, set_value
from .entries import copy_entry, create_entry, delete_entry, set_default, set_display_order, set_timeout
from .enumerate import enum
from .messages import EXIT_FAILURE, BcdeditError
from .session import Session
from .store_access import open_store, save_store

COMMANDS = {
    "enum": enum,
    "set": set_value,
    "deletevalue": delete_value,
    "create": create_entry,
    "copy": copy_entry,
    "delete": delete_entry,
    "default": set_default,
    "timeout": set_timeout,
    "displayorder": set_display_order,
}


async def run(argv: list[str], ctx: ProcessContext) -> int:
    """Run bcdedit.exe with argv (argv[0] is the program)."""
    machine = ctx.machine
    if not isinstance(machine, Machine):
        ctx.write_stderr("The lab cannot run bcdedit.exe here: this process has no simulated machine.\r\n")
        return EXIT_FAILURE
    try:
        line = cmdline.parse(argv[1:])
        opened = open_store(machine, line.store, ctx.working_directory)
        session = Session(machine, opened, line.verbose)
        output, changed = COMMANDS[line.command](session, line.args)
        if changed:
            save_store(machine, opened)
    except BcdeditError as error:
        (ctx.write_stdout if error.stream == "stdout" else ctx.write_stderr)(error.text())
        return EXIT_FAILURE
    ctx.write_stdout(output)
    return 0
