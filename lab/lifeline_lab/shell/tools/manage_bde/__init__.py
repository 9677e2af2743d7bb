"""manage-bde.exe: BitLocker volumes' status, unlock with a recovery password, lock, key protectors (§3).

Modules: cmdline (parameters), volumes (which volumes BitLocker sees), status (-status), unlock (-unlock, -lock),
protectors (-protectors -get), messages (header, usage, error format, exit codes). A recovery password given on
the command line is never printed back; -protectors -get prints the volume's own password, as Windows does.
"""

from __future__ import annotations

from ....machine.machine import Machine
from ...context import ProcessContext
from . import cmdline
from .messages import EXIT_FAILURE, HEADER, USAGE, ManageBdeError
from .protectors import protectors
from .status import status
from .unlock import lock, unlock

VERBS = {"status": status, "unlock": unlock, "lock": lock, "protectors": protectors}


async def run(argv: list[str], ctx: ProcessContext) -> int:
    """Run manage-bde.exe with argv (argv[0] is the program)."""
    machine = ctx.machine
    if not isinstance(machine, Machine):
        ctx.write_stderr("The lab cannot run manage-bde.exe here: this process has no simulated machine.\r\n")
        return EXIT_FAILURE
    try:
        line = cmdline.parse(argv[1:])
        if line.verb == "help":
            ctx.write_stdout(HEADER + USAGE)
            return 0
        lines, code = VERBS[line.verb](machine, line)
    except ManageBdeError as error:
        ctx.write_stdout(HEADER + "".join(text + "\r\n" for text in error.lines))
        return error.exit_code
    ctx.write_stdout(HEADER + "".join(text + "\r\n" for text in lines))
    return code
