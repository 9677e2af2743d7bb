"""Run a command line in the process model without a wire: stdout, stderr and exit code captured.

For tests, benchmarks and a future CLI "try a command on a simulated host" helper.
"""

from __future__ import annotations

from dataclasses import dataclass

from .cmd import run_command_line
from .context import ProcessContext, stdin_from_bytes


@dataclass(frozen=True)
class Completed:
    """A finished process."""

    exit_code: int
    stdout: str
    stderr: str


def sample_environment(computer_name: str = "WS-0001", user: str = "Administrator") -> dict[str, str]:
    """An environment block like a WinRS shell of a local administrator gets on Windows Server 2022."""
    return {
        "ALLUSERSPROFILE": r"C:\ProgramData",
        "COMPUTERNAME": computer_name,
        "ComSpec": r"C:\Windows\system32\cmd.exe",
        "PATHEXT": ".COM;.EXE;.BAT;.CMD;.VBS;.VBE;.JS;.JSE;.WSF;.WSH;.MSC",
        "Path": "C:\\Windows\\system32;C:\\Windows;C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\",
        "SystemDrive": "C:",
        "SystemRoot": r"C:\Windows",
        "TEMP": rf"C:\Users\{user}\AppData\Local\Temp",
        "TMP": rf"C:\Users\{user}\AppData\Local\Temp",
        "USERDOMAIN": computer_name,
        "USERNAME": user,
        "USERPROFILE": rf"C:\Users\{user}",
        "windir": r"C:\Windows",
    }


async def run_captured(
    command_line: str,
    *,
    computer_name: str = "WS-0001",
    environment: dict[str, str] | None = None,
    stdin: bytes = b"",
) -> Completed:
    """Run a WinRS command line with `stdin` (then end of file) and collect what it wrote."""
    out: list[str] = []
    err: list[str] = []
    ctx = ProcessContext(
        computer_name=computer_name,
        environment=environment if environment is not None else sample_environment(computer_name),
        stdin=stdin_from_bytes(stdin),
        write_stdout=out.append,
        write_stderr=err.append,
    )
    code = await run_command_line(command_line, ctx)
    return Completed(code, "".join(out), "".join(err))
