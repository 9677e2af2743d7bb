"""cmd.exe: runs a command line (the way WinRS runs every command) and is itself a program (`cmd /c ...`).

Sources: `cmd /?` (the /C quote rule, switches), "Command shell overview" and "Redirection" (Microsoft Learn).
An unknown program prints the two-line "is not recognized" message and sets ERRORLEVEL 9009; the process exit
code of `cmd /c` is the final ERRORLEVEL.

Batch files (Microsoft Learn, "Command shell overview", "exit", "rem", "echo"): a command naming a .cmd or .bat
file runs its lines in order in the same cmd.exe, each expanded and parsed like a command line; `exit /b N` ends
the batch with ERRORLEVEL N, `exit` ends cmd.exe; lines starting with `:` are labels (and `::` comments). The lab
does not echo commands as `echo on` would (every lab batch starts with @echo off), does not pass batch parameters
(%1, %~dp0) and does not implement GOTO or CALL (they fail as unimplemented built-ins).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from ..machine import errors
from ..machine.paths import BadPath, absolute
from .cmd_builtins import CMD_BUILTINS, CmdExit, match_builtin
from .cmd_if import evaluate
from .cmd_syntax import (
    DELIMITERS,
    Chain,
    CmdSyntaxError,
    Group,
    IfCommand,
    Node,
    Redirection,
    SimpleCommand,
    expand_percent,
    parse_line,
    split_first_word,
    unquote,
)
from .context import ProcessContext, child_context, empty_stdin, stdin_from_bytes
from .programs import resolve_program, run_program
from .winargs import split_program

BATCH_EXTENSIONS = (".cmd", ".bat")
NOT_RECOGNIZED = "'{}' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n"
EXIT_NOT_RECOGNIZED = 9009
EXIT_SYNTAX_ERROR = 255
_SPECIAL_BETWEEN_QUOTES = set("&<>()@^|")


def _discard(text: str) -> None:
    """The NUL device."""


class _UnsupportedRedirection(Exception):
    """Redirection to a real file: the lab has no file system yet."""


class CmdShell:
    """One cmd.exe process: its environment (in ctx) and ERRORLEVEL."""

    def __init__(self, ctx: ProcessContext) -> None:
        self.ctx = ctx
        self.errorlevel = 0
        self.exited = False  # EXIT ran: a batch file stops at it

    async def run_line(self, line: str) -> int:
        """Expand, parse and run one command line; return the final ERRORLEVEL."""
        expanded = expand_percent(line, self.ctx.environment, self.errorlevel)
        try:
            node = parse_line(expanded)
        except CmdSyntaxError as error:
            self.ctx.write_stderr(f"{error}\r\n")
            self.errorlevel = EXIT_SYNTAX_ERROR
            return self.errorlevel
        if node is not None:
            try:
                await self._run(node, self.ctx)
            except CmdExit as stop:
                self.exited = True
                if stop.code is not None:
                    self.errorlevel = stop.code
        return self.errorlevel

    async def run_batch(self, text: str) -> int:
        """Run a batch file's lines in order until one of them runs EXIT (module docstring)."""
        for line in text.replace("\r\n", "\n").split("\n"):
            if line.lstrip(" \t@").startswith(":"):
                continue
            await self.run_line(line)
            if self.exited:
                break
        self.exited = False
        return self.errorlevel

    async def _run(self, node: Node, ctx: ProcessContext) -> bool:
        """Run a node; True when it succeeded (what && and || test)."""
        if isinstance(node, Chain):
            return await self._chain(node, ctx)
        if isinstance(node, IfCommand):  # IF leaves ERRORLEVEL alone; a false IF without ELSE succeeds
            branch = node.then if evaluate(node.condition, self, ctx) else node.otherwise
            return True if branch is None else await self._run(branch, ctx)
        try:
            redirected = _redirect(node.redirections, ctx)
        except _UnsupportedRedirection as error:
            ctx.write_stderr(f"The lab does not implement redirection to '{error}'.\r\n")
            self.errorlevel = 1
            return False
        if isinstance(node, Group):
            return await self._run(node.body, redirected)
        return await self._simple(node, redirected)

    async def _chain(self, node: Chain, ctx: ProcessContext) -> bool:
        if node.op == "|":
            chunks: list[str] = []
            await self._run(node.left, dataclasses.replace(ctx, write_stdout=chunks.append))
            piped = stdin_from_bytes("".join(chunks).encode("utf-8"))
            return await self._run(node.right, dataclasses.replace(ctx, stdin=piped))
        ok = await self._run(node.left, ctx)
        if node.op == "&" or (node.op == "&&" and ok) or (node.op == "||" and not ok):
            return await self._run(node.right, ctx)
        return ok

    async def _simple(self, node: SimpleCommand, ctx: ProcessContext) -> bool:
        text = node.text.lstrip(DELIMITERS + "@")
        if not text.strip():
            return True
        # CD and drive changes set the process's directory for the rest of the line (cmd_cd.py)
        ctx = dataclasses.replace(ctx, working_directory=self.ctx.working_directory)
        builtin = match_builtin(text)
        if builtin is not None:
            name, args = builtin
            if name in CMD_BUILTINS:
                code = await CMD_BUILTINS[name](self, args, ctx)
            else:
                ctx.write_stderr(f"The lab does not implement the cmd.exe command '{name.upper()}'.\r\n")
                code = 1
            if code is None:
                return True
            self.errorlevel = code
            return code == 0
        program = unquote(split_first_word(text)[0])
        key = resolve_program(program, ctx.environment)
        if key is None and program.lower().endswith(BATCH_EXTENSIONS):
            batch = _read_batch(program, ctx)
            if batch is not None:
                inner = CmdShell(ctx)  # the same process: its environment, this command's redirections
                inner.errorlevel = self.errorlevel
                self.errorlevel = await inner.run_batch(batch)
                return self.errorlevel == 0
        if key is None:
            ctx.write_stderr(NOT_RECOGNIZED.format(program))
            self.errorlevel = EXIT_NOT_RECOGNIZED
            return False
        self.errorlevel = await run_program(key, text, ctx)
        return self.errorlevel == 0


def _read_batch(program: str, ctx: ProcessContext) -> str | None:
    """The text of the batch file `program` names (relative to the current directory), or None if there is none."""
    machine = ctx.machine
    if machine is None:
        return None
    try:
        node = machine.drives.find(absolute(program, ctx.working_directory))
    except (errors.WindowsError_, BadPath):
        return None
    if node is None or node.is_dir:
        return None
    return node.data.decode("utf-8", errors="replace")


def _redirect(redirections: list[Redirection], ctx: ProcessContext) -> ProcessContext:
    """Apply `>nul`, `2>nul`, `2>&1`, `1>&2`, `<nul` left to right, as cmd.exe does."""
    if not redirections:
        return ctx
    handles: dict[int, Callable[[str], None]] = {1: ctx.write_stdout, 2: ctx.write_stderr}
    stdin = ctx.stdin
    for redirection in redirections:
        target = unquote(redirection.target)
        if target.startswith("&"):
            source = handles.get(int(target[1:]))
            if source is not None and redirection.handle in handles:
                handles[redirection.handle] = source
        elif target.lower().rstrip(":") == "nul":
            if redirection.handle == 0:
                stdin = empty_stdin()
            elif redirection.handle in handles:
                handles[redirection.handle] = _discard
        else:
            raise _UnsupportedRedirection(target)
    return dataclasses.replace(ctx, write_stdout=handles[1], write_stderr=handles[2], stdin=stdin)


def strip_c_quotes(text: str, keep_quotes_switch: bool, env: dict[str, str]) -> str:
    """The /C quote rule of `cmd /?`: keep the quotes only around one executable name with a space in it;
    otherwise drop the first character if it is a quote, and the last quote of the line."""
    text = text.lstrip(" \t")
    quotes = [index for index, char in enumerate(text) if char == '"']
    if not keep_quotes_switch and len(quotes) == 2:
        inner = text[quotes[0] + 1 : quotes[1]]
        if (
            not _SPECIAL_BETWEEN_QUOTES.intersection(inner)
            and (" " in inner or "\t" in inner)
            and resolve_program(inner, env) is not None
        ):
            return text
    if text.startswith('"'):
        last = text.rfind('"')
        return text[1:last] + text[last + 1 :] if last > 0 else text[1:]
    return text


async def run_command_line(command_line: str, ctx: ProcessContext) -> int:
    """Run a WinRS command line the way cmd.exe /c would, return the process exit code."""
    shell = CmdShell(child_context(ctx, command_line=f"cmd.exe /c {command_line}"))
    code = await shell.run_line(strip_c_quotes(command_line, False, shell.ctx.environment))
    return code & 0xFFFFFFFF


async def run_cmd_exe(argv: list[str], ctx: ProcessContext) -> int:
    """cmd.exe as a program: parse its switches from the raw command line, then run /C's command."""
    tail = split_program(ctx.command_line)[1] if ctx.command_line else " ".join(argv[1:])
    keep_quotes_switch = False
    index = 0
    while True:
        while index < len(tail) and tail[index] in " \t":
            index += 1
        if index + 1 >= len(tail) or tail[index] != "/":
            ctx.write_stderr("The lab does not implement an interactive cmd.exe (use cmd /c).\r\n")
            return 1
        switch = tail[index + 1].lower()
        if switch == "c":
            break
        if switch == "k":
            ctx.write_stderr("The lab does not implement cmd /k (it keeps reading commands from stdin).\r\n")
            return 1
        end = index + 2
        while end < len(tail) and tail[end] not in " \t/":
            end += 1
        option = tail[index + 1 : end].lower()
        if option == "v:on":
            ctx.write_stderr("The lab does not implement delayed expansion (cmd /v:on).\r\n")
            return 1
        keep_quotes_switch = keep_quotes_switch or option == "s"
        index = end
    shell = CmdShell(ctx)
    return await shell.run_line(strip_c_quotes(tail[index + 2 :], keep_quotes_switch, ctx.environment))
