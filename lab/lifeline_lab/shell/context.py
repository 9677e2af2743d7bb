"""The process context the wire layer hands to a command, and Windows environment-block helpers.

A Windows environment block is case-insensitive but keeps the case a name was created with
(SetEnvironmentVariable docs), so every lookup here ignores case while the dict keeps the original key.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class ProcessContext:
    """What a simulated process sees: its machine, environment and three standard streams."""

    computer_name: str
    environment: dict[str, str]
    stdin: asyncio.StreamReader
    write_stdout: Callable[[str], None]
    write_stderr: Callable[[str], None]
    machine: object | None = None
    # The raw command line of this process as CreateProcess received it. Programs that parse their own
    # command line (cmd.exe does) need it; the wire layer does not have to set it.
    command_line: str = ""
    # The process's current directory (WinRS: the shell's WorkingDirectory, else the user's profile;
    # in WinRE X:\windows\system32). Tools resolve relative paths against it.
    working_directory: str = "C:\\Windows\\System32"


def child_context(ctx: ProcessContext, **changes: object) -> ProcessContext:
    """A child process inherits a COPY of its parent's environment (CreateProcess docs), never the same dict."""
    changes.setdefault("environment", dict(ctx.environment))
    return dataclasses.replace(ctx, **changes)  # type: ignore[arg-type]


def env_key(env: dict[str, str], name: str) -> str | None:
    """The key under which `name` is stored, compared case-insensitively, or None."""
    folded = name.casefold()
    for key in env:
        if key.casefold() == folded:
            return key
    return None


def env_get(env: dict[str, str], name: str) -> str | None:
    """The value of an environment variable, looked up case-insensitively."""
    key = env_key(env, name)
    return None if key is None else env[key]


def env_set(env: dict[str, str], name: str, value: str | None) -> None:
    """Set (keeping an existing key's case) or, for None or "", delete a variable as SetEnvironmentVariable does."""
    key = env_key(env, name)
    if value is None or value == "":
        if key is not None:
            del env[key]
        return
    env[key if key is not None else name] = value


def env_sorted(env: dict[str, str]) -> list[tuple[str, str]]:
    """Variables in the order cmd's SET prints them: sorted case-insensitively by name."""
    return sorted(env.items(), key=lambda item: item[0].casefold())


def empty_stdin() -> asyncio.StreamReader:
    """A standard input that is already at end of file (a child given no input)."""
    reader = asyncio.StreamReader()
    reader.feed_eof()
    return reader


def stdin_from_bytes(data: bytes) -> asyncio.StreamReader:
    """A standard input holding `data` then end of file (a pipe whose writer has finished)."""
    reader = asyncio.StreamReader()
    if data:
        reader.feed_data(data)
    reader.feed_eof()
    return reader
