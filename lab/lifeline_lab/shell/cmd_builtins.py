"""cmd.exe internal commands: ECHO, SET, VER, EXIT, REM (texts and codes from "cmd /?", "echo /?", ...); the file
commands (DIR, DEL, COPY, MOVE, REN, MD, RD, TYPE, CD, `D:`) are in cmd_files.py, IF in cmd_syntax.py and cmd_if.py.

A built-in receives the text after its name (starting with the delimiter that ended the name) and returns
the new ERRORLEVEL, or None when it succeeded without touching ERRORLEVEL (ECHO, VER and a successful SET do
not reset it, which is why `cmd /c "foo & echo x"` still exits 9009).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from .cmd_cd import DRIVE_CHANGE, is_drive_change
from .cmd_files import FILE_BUILTINS
from .cmd_syntax import DELIMITERS
from .context import ProcessContext, env_key, env_set, env_sorted

WINDOWS_VERSION = "10.0.20348.2113"  # Windows Server 2022, as `ver` prints it
INCORRECT_SYNTAX = "The syntax of the command is incorrect.\r\n"


class CmdExit(Exception):
    """EXIT: stop the command line; `code` None keeps the current ERRORLEVEL."""

    def __init__(self, code: int | None) -> None:
        super().__init__(code)
        self.code = code


class Shell(Protocol):
    """What a built-in may read from the running cmd.exe."""

    errorlevel: int


Builtin = Callable[[Shell, str, ProcessContext], Awaitable[int | None]]


async def echo(shell: Shell, args: str, ctx: ProcessContext) -> int | None:
    """ECHO text; `echo.`/`echo:` etc. print the rest even if empty; bare ECHO reports the echo state."""
    if not args or (args[0] in " \t" and not args.strip()):
        ctx.write_stdout("ECHO is on.\r\n")
        return None
    text = args[1:]
    if args[0] in " \t,;=" and text.strip().lower() in ("on", "off"):
        return None  # changes the echo state of an interactive prompt; prints nothing
    ctx.write_stdout(text + "\r\n")
    return None


async def set_(shell: Shell, args: str, ctx: ProcessContext) -> int | None:
    """SET, SET prefix, SET name=value, SET "name=value" (SET /A and /P are not simulated)."""
    env = ctx.environment
    args = args.lstrip(DELIMITERS)
    if args[:2].lower() in ("/a", "/p"):
        ctx.write_stderr(f"The lab does not implement SET {args[:2].upper()}.\r\n")
        return 1
    if args.startswith('"'):
        last = args.rfind('"')
        args = args[1:last] if last > 0 else args[1:]
    if "=" not in args:
        shown = [(k, v) for k, v in env_sorted(env) if k.casefold().startswith(args.casefold())]
        if not shown:
            ctx.write_stderr(f"Environment variable {args} not defined\r\n")
            return 1
        ctx.write_stdout("".join(f"{k}={v}\r\n" for k, v in shown))
        return None
    name, value = args.split("=", 1)
    if not name:
        ctx.write_stderr(INCORRECT_SYNTAX)
        return 1
    if not value and env_key(env, name) is None:
        return 1  # deleting a variable that does not exist sets ERRORLEVEL 1 silently
    env_set(env, name, value)
    return None


async def ver(shell: Shell, args: str, ctx: ProcessContext) -> int | None:
    """VER prints an empty line, then the version line."""
    ctx.write_stdout(f"\r\nMicrosoft Windows [Version {WINDOWS_VERSION}]\r\n")
    return None


async def exit_(shell: Shell, args: str, ctx: ProcessContext) -> int | None:
    """EXIT [/B] [exitCode]: ends the command line (under cmd /c both forms end the process)."""
    words = [w for w in args.replace("/", " /").split() if w.lower() != "/b"]
    if not words:
        raise CmdExit(None)
    digits = words[0]
    sign = -1 if digits.startswith("-") else 1
    digits = digits.lstrip("+-")
    number = ""
    for char in digits:
        if not char.isdigit():
            break
        number += char
    raise CmdExit(sign * int(number) if number else 0)


async def rem(shell: Shell, args: str, ctx: ProcessContext) -> int | None:
    """REM: a comment."""
    return None


CMD_BUILTINS: dict[str, Builtin] = {"echo": echo, "exit": exit_, "rem": rem, "set": set_, "ver": ver, **FILE_BUILTINS}

# Real internal commands the lab does not simulate: they fail loudly instead of being "not recognized".
UNIMPLEMENTED_BUILTINS = frozenset((
    "assoc", "break", "call", "cls", "color", "date", "endlocal", "for", "ftype", "goto", "mklink", "path", "pause",
    "popd", "prompt", "pushd", "setlocal", "shift", "start", "time", "title", "verify", "vol",
))  # fmt: skip


def match_builtin(text: str) -> tuple[str, str] | None:
    """(name, argument text) when `text` starts with an internal command, e.g. `echo.` or `exit/b 3`."""
    if is_drive_change(text):
        return DRIVE_CHANGE, text
    lower = text.lower()
    for name in sorted(CMD_BUILTINS.keys() | UNIMPLEMENTED_BUILTINS, key=len, reverse=True):
        if not lower.startswith(name):
            continue
        rest = text[len(name) :]
        if (
            not rest
            or rest[0] in DELIMITERS + "/"
            or (name == "echo" and rest[0] in ".:\\([+]")
            or (name in ("cd", "chdir") and rest[0] in ".\\")  # `cd..` and `cd\` (Wine's cmd tests on Windows)
        ):
            return name, rest
    return None
