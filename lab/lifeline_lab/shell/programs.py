"""The native programs a simulated host can start, and how a program name or path finds one.

To add a tool (reg.exe, bcdedit.exe, ...): write `shell/tools/<name>.py` with
`async def run(argv: list[str], ctx: ProcessContext) -> int` and add one line to NATIVE_COMMANDS
(plus PROGRAM_DIRECTORIES if it does not live in System32). cmd.exe and PowerShell both find it here.

Resolution follows CreateProcess / the PATH search: a bare name matches with or without `.exe`, case-insensitively;
a path must name the directory the program really lives in under %SystemRoot%.
"""

from __future__ import annotations

import ntpath
from collections.abc import Awaitable, Callable

from .context import ProcessContext, child_context, env_get
from .tools import bcdedit, dism, hostname, manage_bde, reg, shutdown, whoami, wpeutil
from .winargs import split_command_line

NativeCommand = Callable[[list[str], ProcessContext], Awaitable[int]]


async def _cmd_exe(argv: list[str], ctx: ProcessContext) -> int:
    # cmd.exe runs programs from this table and is itself one of them: import at call time to break the cycle.
    from .cmd import run_cmd_exe

    return await run_cmd_exe(argv, ctx)


async def _powershell_exe(argv: list[str], ctx: ProcessContext) -> int:
    # powershell.exe also starts programs from this table (same cycle as cmd.exe).
    from .powershell_host import run_powershell_exe

    return await run_powershell_exe(argv, ctx)


NATIVE_COMMANDS: dict[str, NativeCommand] = {
    "bcdedit": bcdedit.run,
    "cmd": _cmd_exe,
    "dism": dism.run,
    "hostname": hostname.run,
    "manage-bde": manage_bde.run,
    "powershell": _powershell_exe,
    "reg": reg.run,
    "shutdown": shutdown.run,
    "whoami": whoami.run,
    "wpeutil": wpeutil.run,
}

# Install directory relative to %SystemRoot% when it is not System32.
PROGRAM_DIRECTORIES: dict[str, str] = {"powershell": r"System32\WindowsPowerShell\v1.0"}


def program_path(key: str, env: dict[str, str]) -> str:
    """The full path of a registered program, e.g. C:\\Windows\\System32\\hostname.exe."""
    root = env_get(env, "SystemRoot") or r"C:\Windows"
    return ntpath.join(root, PROGRAM_DIRECTORIES.get(key, "System32"), key + ".exe")


# Programs that exist only in WinPE/WinRE, and programs WinPE/WinRE lacks (windows-tools.md §5, §9.2: wpeutil is
# the WinPE utility; WinPE restarts with `wpeutil reboot`; shutdown.exe is not in the WinRE image, windows_image.py).
# PowerShell is the WinPE-PowerShell optional component, which stock winre.wim does not include (Microsoft Learn,
# "WinPE: Adding PowerShell support to Windows PE", "Windows RE": the components Windows RE ships with).
WINPE_ONLY = frozenset({"wpeutil"})
NOT_IN_WINPE = frozenset({"shutdown", "powershell"})


def available(key: str, env: dict[str, str]) -> bool:
    """Whether a registered program exists where the process runs: WinPE/WinRE is the environment whose
    %SystemDrive% is the X: RAM disk (windows-tools.md §9.1); the program search follows the environment block."""
    in_winpe = (env_get(env, "SystemDrive") or "").upper() == "X:"
    if key in WINPE_ONLY:
        return in_winpe
    return not (in_winpe and key in NOT_IN_WINPE)


def resolve_program(name: str, env: dict[str, str]) -> str | None:
    """The NATIVE_COMMANDS key that `name` (bare name or full path, quotes removed) starts, or None."""
    name = name.replace("/", "\\")
    directory, base = ntpath.split(name)
    base = base.lower()
    if base.endswith(".exe"):
        base = base[:-4]
    if base not in NATIVE_COMMANDS or not available(base, env):
        return None
    if directory and ntpath.normcase(name if name.lower().endswith(".exe") else name + ".exe") != ntpath.normcase(
        program_path(base, env)
    ):
        return None
    return base


async def run_program(key: str, command_line: str, ctx: ProcessContext) -> int:
    """Start a registered program with a raw command line; the exit code is a 32-bit unsigned DWORD."""
    child = child_context(ctx, command_line=command_line)
    code = await NATIVE_COMMANDS[key](split_command_line(command_line), child)
    return code & 0xFFFFFFFF
