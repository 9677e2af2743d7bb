"""shutdown.exe: /r schedules a restart, /a aborts a scheduled one.

Microsoft Learn, "shutdown": `shutdown [/r | /a | ...] [/f] [/m \\\\computer] [/t xxx] [/d [p|u:]xx:yy [/c "comment"]]`;
/t is 0-315360000 seconds, default 30, and greater than 0 implies /f; /c is at most 512 characters; /d takes
`[p|u:]xx:yy` with xx < 256 and yy < 65536. Switches also work with `-` (`shutdown -r -f -t 4` in real scripts).
Real behaviour (transcripts, windows-tools.md §5 sources and a captured session): success prints nothing and exits
0; `shutdown /a` with nothing scheduled prints `Unable to abort the system shutdown because no shutdown was in
progress.(1116)` and exits 1116; scheduling while one is pending prints `A system shutdown has already been
scheduled.(1190)` and exits 1190; errors take the form `<Win32 message>(<code>)` on stderr, e.g.
`The parameter is incorrect.(87)`. An invalid switch or value gets that ERROR_INVALID_PARAMETER form here: the
real tool prints its usage text, which the lab does not reproduce (NOT FOUND IN SOURCES verbatim).
NOT simulated, with a lab note on stderr and exit 1: /s, /p, /sg, /g, /h, /hybrid (powering off would take the
host away for good, and the lab has no power button), /l, /i, /e, /o, /fw, remote /m. shutdown.exe is absent in
WinPE/WinRE (programs.py), where `wpeutil reboot` restarts.
"""

from __future__ import annotations

import re

from ..context import ProcessContext

NO_SHUTDOWN_IN_PROGRESS = "Unable to abort the system shutdown because no shutdown was in progress.(1116)\r\n"
ALREADY_SCHEDULED = "A system shutdown has already been scheduled.(1190)\r\n"
INVALID_PARAMETER = "The parameter is incorrect.(87)\r\n"
MAX_TIMEOUT = 315360000
NOT_SIMULATED = {
    "s": "/s (shut down)",
    "p": "/p (turn off)",
    "sg": "/sg (shut down)",
    "g": "/g (shut down and restart applications)",
    "h": "/h (hibernate)",
    "hybrid": "/hybrid",
    "l": "/l (log off)",
    "i": "/i (the Remote Shutdown dialog)",
    "e": "/e (document an unexpected shutdown)",
    "o": "/o (restart into the advanced boot options menu)",
    "fw": "/fw (restart into the firmware)",
    "m": "/m (a remote computer)",
}
_REASON = re.compile(r"^(?:[pu]:)?(\d+):(\d+)$", re.IGNORECASE)


class _Invalid(Exception):
    pass


def _parse(args: list[str]) -> dict[str, str | None]:
    switches: dict[str, str | None] = {}
    index = 0
    while index < len(args):
        arg = args[index]
        if len(arg) < 2 or arg[0] not in "/-":
            raise _Invalid(arg)
        name = arg[1:].lower()
        value: str | None = None
        if name in ("t", "c", "d", "m"):
            if index + 1 >= len(args):
                raise _Invalid(arg)
            index += 1
            value = args[index]
        if name in switches:
            raise _Invalid(arg)
        switches[name] = value
        index += 1
    return switches


def _validate(switches: dict[str, str | None]) -> None:
    allowed = {"r", "a", "f", "t", "c", "d", "soft", *NOT_SIMULATED}
    if set(switches) - allowed:
        raise _Invalid(next(iter(set(switches) - allowed)))
    timeout = switches.get("t")
    if timeout is not None and (not timeout.isdigit() or int(timeout) > MAX_TIMEOUT):
        raise _Invalid(timeout)
    comment = switches.get("c")
    if comment is not None and len(comment) > 512:
        raise _Invalid("/c")
    reason = switches.get("d")
    if reason is not None:
        match = _REASON.match(reason)
        if not match or int(match.group(1)) >= 256 or int(match.group(2)) >= 65536:
            raise _Invalid(reason)


async def run(argv: list[str], ctx: ProcessContext) -> int:
    """Run shutdown.exe with argv (argv[0] is the program)."""
    machine = ctx.machine
    if machine is None:
        ctx.write_stderr("The lab has no machine behind this process: SHUTDOWN needs one to restart.\r\n")
        return 1
    try:
        switches = _parse(argv[1:])
        _validate(switches)
    except _Invalid:
        ctx.write_stderr(INVALID_PARAMETER)
        return 87
    unsupported = [NOT_SIMULATED[name] for name in switches if name in NOT_SIMULATED]
    if unsupported:
        ctx.write_stderr(f"The lab does not implement shutdown {', '.join(unsupported)}; it simulates /r and /a.\r\n")
        return 1
    if "a" in switches:
        if len(switches) > 1:
            ctx.write_stderr(INVALID_PARAMETER)
            return 87
        if not machine.restart_pending or not machine.cancel_restart():
            ctx.write_stderr(NO_SHUTDOWN_IN_PROGRESS)
            return 1116
        return 0
    if "r" not in switches:
        ctx.write_stderr("The lab does not reproduce shutdown's usage text; it simulates /r [/t xxx] and /a.\r\n")
        return 1
    if machine.restart_pending:
        ctx.write_stderr(ALREADY_SCHEDULED)
        return 1190
    machine.restart(float(switches.get("t") or 30))
    return 0
