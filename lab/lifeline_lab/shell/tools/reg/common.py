"""What every reg.exe operation shares: messages, key names, switches, the Yes/No prompt, the machine's registry.

Sources (windows-tools.md §1): MS Learn "reg query/add/delete/load/unload/export/import" for syntax and exit
codes (0 success, 1 failure); Wine's programs/reg conformance tests, which run on real Windows, for switch
spelling and key-name rules (§1.1, §1.5); real transcripts for the exact messages (§1.4). Errors go to stderr,
success messages to stdout (§0.2).
"""

from __future__ import annotations

from dataclasses import dataclass

from ....machine import errors
from ....machine.registry import ROOT_ALIASES, Key, Registry
from ...context import ProcessContext

SUCCESS = "The operation completed successfully."
NOT_FOUND = "ERROR: The system was unable to find the specified registry key or value."
ACCESS_DENIED = "ERROR: Access is denied."
DEFAULT_NAME = "(Default)"
VIEW_SWITCHES = frozenset({"reg:32", "reg:64"})  # WOW64 registry views: one 64-bit view in the lab


class RegFailure(Exception):
    """Ends an operation: its lines go to stderr and reg exits 1."""

    def __init__(self, *lines: str) -> None:
        super().__init__("\r\n".join(lines))
        self.lines = lines


def invalid_syntax(operation: str) -> RegFailure:
    # windows-tools.md §1.4: the second line names the operation in upper case ("REG ADD /?").
    command = f"REG {operation}" if operation else "REG"
    return RegFailure("ERROR: Invalid syntax.", f'Type "{command} /?" for usage.')


def invalid_key(operation: str) -> RegFailure:
    return RegFailure("ERROR: Invalid key name.", f'Type "REG {operation} /?" for usage.')


def system_text(exc: errors.WindowsError_) -> str:
    """FormatMessage's text for a Win32 error (reg prints `ERROR: <system message>`, §1.4)."""
    return type(exc).message or str(exc)


def system_error(exc: errors.WindowsError_) -> RegFailure:
    return RegFailure(f"ERROR: {system_text(exc)}")


def lab_limit(text: str) -> RegFailure:
    """Something real reg.exe does that the lab does not simulate: say so instead of pretending."""
    return RegFailure(f"The lab does not implement {text}.")


def write_lines(write, *lines: str) -> None:
    for line in lines:
        write(line + "\r\n")


# --- key names ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyName:
    """A key as typed: the root's long name and the rest as the user spelled it (reg prints it that way)."""

    root: str  # HKEY_LOCAL_MACHINE, HKEY_USERS, ...
    rest: str  # "SYSTEM\\CurrentControlSet\\Services\\Tcpip", no leading or trailing backslash

    @property
    def display(self) -> str:
        """Long root + the typed case of the rest: `hklm\\system\\x` prints `HKEY_LOCAL_MACHINE\\system\\x` (§1.3)."""
        return f"{self.root}\\{self.rest}" if self.rest else self.root

    @property
    def parts(self) -> list[str]:
        return [part for part in self.rest.split("\\") if part]


def parse_key(text: str, operation: str) -> KeyName:
    """The key argument. Rules from Wine's tests on Windows (§1.5): `\\HKCU\\...` and `\\\\HKCU\\...` fail, a
    trailing `\\\\` fails, one trailing `\\` is accepted, the root is a short or long name in any case."""
    if text.startswith("\\\\") and len(text) > 2 and text[2] not in "\\":
        head = text[2:].split("\\", 1)[0]
        if head.upper() not in ROOT_ALIASES and head != ".":
            raise lab_limit(f"remote registry access (\\\\{head})")
        if head == ".":  # \\.\HKLM\... is the local computer (MS Learn: omitting \\computer defaults to it)
            text = text[4:]
    if text.startswith("\\") or text.endswith("\\\\"):
        raise invalid_key(operation)
    if text.endswith("\\"):
        text = text[:-1]
    head, _, rest = text.partition("\\")
    root = ROOT_ALIASES.get(head.upper())
    if root is None:
        raise invalid_key(operation)
    return KeyName(root, rest)


# --- switches -----------------------------------------------------------------------------------


def switch_name(arg: str) -> str | None:
    """`/V`, `-v` -> "v"; None when the argument is not a switch (§1.1: `/` or `-`, any case)."""
    if len(arg) >= 2 and arg[0] in "/-":
        return arg[1:].lower()
    return None


def parse_switches(
    args: list[str],
    operation: str,
    with_argument: frozenset[str],
    flags: frozenset[str],
    optional_argument: frozenset[str] = frozenset(),
) -> dict[str, str | None]:
    """Switches after the positional arguments. A duplicate, an unknown switch, a lone `/` or `-`, a missing
    argument, or both registry views exit 1 with the syntax error (Wine's tests on Windows, §1.1)."""
    known = with_argument | flags | optional_argument
    found: dict[str, str | None] = {}
    index = 0
    while index < len(args):
        name = switch_name(args[index])
        if name is None or name not in known or name in found:
            raise invalid_syntax(operation)
        value: str | None = None
        if name in with_argument:
            if index + 1 >= len(args):
                raise invalid_syntax(operation)
            value = args[index + 1]
            index += 2
        elif name in optional_argument:
            following = args[index + 1] if index + 1 < len(args) else None
            if following is not None and switch_name(following) not in known:
                value = following
                index += 2
            else:
                index += 1
        else:
            index += 1
        found[name] = value
    if found.keys() >= VIEW_SWITCHES:
        raise invalid_syntax(operation)
    return found


def is_help(args: list[str]) -> bool:
    """`/?`, `-?`, `/h`, `-H` alone after the operation ask for its usage (Wine's tests on Windows)."""
    return len(args) == 1 and args[0].lower() in ("/?", "-?", "/h", "-h")


# --- the registry and the console ---------------------------------------------------------------


def registry_of(ctx: ProcessContext) -> Registry:
    machine = ctx.machine
    if machine is None:
        raise RegFailure("The lab has no machine behind this process: reg.exe has no registry to work on.")
    return machine.registry  # type: ignore[attr-defined]


def open_key(registry: Registry, key: KeyName) -> Key | None:
    try:
        return registry.open(key.display)
    except errors.InvalidName:
        return None


def has_mount(registry: Registry, key: KeyName) -> bool:
    """Whether `key` lies inside a mounted hive, where keys can be created (HKLM\\NewHive cannot)."""
    parts = key.parts
    return bool(parts) and (key.root, parts[0].lower()) in registry.mounts


def subkeys(key: Key) -> list[Key]:
    """Subkeys in registry order: the hive keeps them sorted by their upper-case names."""
    return sorted(key.subkeys.values(), key=lambda sub: sub.name.upper())


def flush(registry: Registry) -> None:
    """Write changed hives to their files at once, so the files on disk are never behind (registry.py)."""
    try:
        registry.flush()
    except errors.WindowsError_ as exc:
        raise system_error(exc) from None


async def confirm(ctx: ProcessContext, prompt: str) -> bool:
    """Ask `prompt` (no line break: the answer follows it, §1.4) and read the answer from stdin.

    An answer starting with Y is yes, with N is no; anything else asks again. Over WinRS there is no console:
    what reg does at the end of stdin is NOT FOUND IN SOURCES, and windows-tools.md §1.4 tells the lab to treat
    it as "not confirmed".
    """
    while True:
        ctx.write_stdout(prompt)
        line = await ctx.stdin.readline()
        if not line:
            return False
        answer = line.decode("utf-8", errors="replace").strip().lower()
        if answer.startswith("y"):
            return True
        if answer.startswith("n"):
            return False
