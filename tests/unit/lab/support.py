"""Shared by the lab's tool tests: run a command line on a machine as a WinRS shell of its administrator does.

Not a conftest: these are plain functions the tests import (`from .support import run`), so a test reads the
same with or without fixtures.
"""

from __future__ import annotations

import asyncio
import base64

from ansible.plugins.shell.powershell import _replace_stderr_clixml

from lifeline_lab.machine import Machine, new_machine
from lifeline_lab.machine.bitlocker import BitLocker
from lifeline_lab.shell.capture import Completed
from lifeline_lab.shell.cmd import run_command_line
from lifeline_lab.shell.context import ProcessContext, stdin_from_bytes

ADMINISTRATOR_PROFILE = "C:\\Users\\Administrator"
WINRE_SYSTEM32 = "X:\\windows\\system32"


async def launch(machine: Machine | None, command_line: str, stdin: bytes = b"", cwd: str | None = None) -> Completed:
    """Start `command_line` as the lab host's launcher does: the machine's environment, and without `cwd` the
    directory a WinRS shell opens in (the profile; X:\\windows\\system32 in WinRE). `machine` None is a process
    with no machine behind it."""
    out: list[str] = []
    err: list[str] = []
    in_winre = machine is not None and machine.in_winre
    ctx = ProcessContext(
        computer_name=machine.hostname if machine else "WS-0001",
        environment=machine.environment_variables("Administrator") if machine else {},
        stdin=stdin_from_bytes(stdin),
        write_stdout=out.append,
        write_stderr=err.append,
        machine=machine,
        working_directory=cwd or (WINRE_SYSTEM32 if in_winre else ADMINISTRATOR_PROFILE),
    )
    code = await run_command_line(command_line, ctx)
    return Completed(code, "".join(out), "".join(err))


def run(machine: Machine | None, command_line: str, stdin: bytes = b"", cwd: str | None = None) -> Completed:
    """`launch`, waited for."""
    return asyncio.run(launch(machine, command_line, stdin, cwd))


def encoded_command(script: str) -> str:
    """The argument of `powershell -EncodedCommand`: the script in UTF-16LE, base64 (what pywinrm's run_ps sends)."""
    return base64.b64encode(script.encode("utf-16-le")).decode("ascii")


def without_clixml(stderr: str) -> str:
    """stderr as Ansible shows it: PowerShell's CLIXML error stream turned back into text."""
    return _replace_stderr_clixml(stderr.encode("utf-8")).decode("utf-8")


def run_ps_raw(machine: Machine, script: str, cwd: str | None = None) -> Completed:
    """stdout, raw stderr (CLIXML) and the exit code of `powershell -encodedcommand <script>`, as pywinrm's
    run_ps sends it."""
    return run(machine, f"powershell -encodedcommand {encoded_command(script)}", cwd=cwd)


def run_ps(machine: Machine, script: str, cwd: str | None = None) -> Completed:
    """As `run_ps_raw`, with stderr decoded from CLIXML as Ansible does."""
    result = run_ps_raw(machine, script, cwd)
    return Completed(result.exit_code, result.stdout, without_clixml(result.stderr))


def lines(*values: str) -> str:
    """Console lines as Windows writes them (CRLF after each)."""
    return "".join(value + "\r\n" for value in values)


def locked_in_winre(hostname: str, seed: int) -> Machine:
    """A BitLocker-protected machine started into WinRE: the TPM does not unlock there, so D: stays locked."""
    machine = new_machine(hostname, seed)
    machine.os_volume.bitlocker = BitLocker()
    machine.enter_environment("winre")
    return machine
