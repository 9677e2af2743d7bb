"""hostname.exe: prints the computer name.

Behaviour of the real program (Windows Server 2022): no argument prints the name and exits 0; `/?` prints its
usage on stdout and exits 1; any other argument is taken as a new name, refused on stderr, exit 1.
"""

from __future__ import annotations

from ..context import ProcessContext

USAGE = "\r\nPrints the name of the current host.\r\n\r\nhostname\r\n\r\n"
REFUSAL = "sethostname: Use the Network Control Panel Applet to set hostname.\r\nhostname -s is not supported.\r\n"


async def run(argv: list[str], ctx: ProcessContext) -> int:
    """Run hostname.exe with argv (argv[0] is the program)."""
    if len(argv) == 1:
        ctx.write_stdout(ctx.computer_name + "\r\n")
        return 0
    if argv[1] == "/?":
        ctx.write_stdout(USAGE)
        return 1
    ctx.write_stderr(REFUSAL)
    return 1
