"""reg.exe: query, add, delete, load, unload, export and import the registry of the machine the process runs on.

The operation is the first argument, in any case (MS Learn "reg"); `reg /?` prints the usage. Every operation
exits 0 on success and 1 on failure; errors go to stderr as `ERROR: ...` (windows-tools.md §0.2, §1.2). One
module per operation: query.py, add.py, delete.py, hive.py (load, unload), transfer.py (export, import);
shared rules in common.py, value display in formatting.py, the .reg format in regfile.py, help in usage.py.
COPY, SAVE, RESTORE, COMPARE and FLAGS are real operations the lab does not simulate: they say so.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from ...context import ProcessContext
from . import add, delete, hive, query, transfer, usage
from .common import RegFailure, invalid_syntax, is_help, write_lines

Operation = Callable[[list[str], ProcessContext], Awaitable[int]]

OPERATIONS: dict[str, Operation] = {
    "QUERY": query.run,
    "ADD": add.run,
    "DELETE": delete.run,
    "LOAD": hive.load,
    "UNLOAD": hive.unload,
    "EXPORT": transfer.export,
    "IMPORT": transfer.import_,
}
UNSIMULATED = ("COPY", "SAVE", "RESTORE", "COMPARE", "FLAGS")


async def run(argv: list[str], ctx: ProcessContext) -> int:
    """Run reg.exe with argv (argv[0] is the program)."""
    args = argv[1:]
    if is_help(args):
        ctx.write_stdout(usage.help_text(None))
        return 0
    operation = args[0].upper() if args else ""
    try:
        if operation in UNSIMULATED:
            raise RegFailure(f"The lab does not implement REG {operation}.")
        if operation not in OPERATIONS:
            raise invalid_syntax("")  # `reg` alone or an unknown operation: the syntax error naming "REG /?"
        if is_help(args[1:]):
            ctx.write_stdout(usage.help_text(operation))
            return 0
        return await OPERATIONS[operation](args[1:], ctx)
    except RegFailure as failure:
        write_lines(ctx.write_stderr, *failure.lines)
        return 1
