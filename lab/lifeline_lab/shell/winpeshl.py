"""winpeshl.exe at each start of WinRE: run the [LaunchApps] of the image's Windows\\System32\\winpeshl.ini in order.

Microsoft Learn, "Winpeshl.ini Files": [LaunchApps] lists applications one a line, each a path and, after a comma,
its arguments; environment variables such as %SYSTEMDRIVE% are expanded; the applications run in the order listed,
each started when the one before it has ended. "Customize Windows RE": Windows RE's own winpeshl.ini starts
%SYSTEMDRIVE%\\sources\\recovery\\recenv.exe, the recovery environment that waits for a person (the lab does not
simulate its screens: once recenv.exe starts the machine stays in WinRE). Programs run with WinRE's environment
(X: as %SYSTEMDRIVE%) and only the programs WinRE has (programs.py). A line whose program the lab cannot start is
recorded with exit code 9009 and skipped (what winpeshl does then is NOT FOUND IN SOURCES). [LaunchApp] AppPath=
(the single-app form) is not simulated.
"""

from __future__ import annotations

import ntpath

from .cmd_syntax import expand_percent
from .context import ProcessContext, empty_stdin
from .programs import resolve_program, run_program

WINPESHL_INI = r"X:\Windows\System32\winpeshl.ini"
RECENV = "recenv.exe"
NOT_STARTED = 9009


def launch_apps(ini_text: str) -> list[tuple[str, str]]:
    """(path, arguments) of each [LaunchApps] line, unexpanded."""
    apps: list[tuple[str, str]] = []
    section = ""
    for raw in ini_text.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if not line or line.startswith(";"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip().lower()
            continue
        if section == "launchapps":
            path, _, arguments = line.partition(",")
            apps.append((path.strip(), arguments.strip()))
    return apps


async def run_winpeshl(machine) -> list[dict]:
    """Run the LaunchApps of the running WinRE; stop at recenv.exe, or when an app restarts the machine."""
    environment = machine.environment_variables("SYSTEM")
    log: list[dict] = []
    node = machine.drives.find(WINPESHL_INI)
    if node is None:
        return log
    for path, arguments in launch_apps(node.data.decode("utf-8", errors="replace")):
        program = expand_percent(path, environment, 0)
        if ntpath.basename(program).lower() == RECENV:
            log.append({"app": program, "arguments": "", "exit_code": None, "note": "waits for a person"})
            break
        expanded = expand_percent(arguments, environment, 0)
        key = resolve_program(program, environment)
        if key is None:
            log.append({"app": program, "arguments": expanded, "exit_code": NOT_STARTED})
            continue
        ctx = ProcessContext(
            computer_name=machine.hostname,
            environment=dict(environment),
            stdin=empty_stdin(),
            write_stdout=lambda text: None,  # winpeshl's apps write to a console nobody reads
            write_stderr=lambda text: None,
            machine=machine,
            command_line=f"{program} {expanded}".strip(),
            working_directory=r"X:\windows\system32",
        )
        code = await run_program(key, ctx.command_line, ctx)
        log.append({"app": program, "arguments": expanded, "exit_code": code})
        if machine.restart_pending:
            break
    return log
