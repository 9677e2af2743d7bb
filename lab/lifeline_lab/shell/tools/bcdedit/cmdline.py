"""bcdedit's command line: global switches (/store, /v), the command, and the command's own arguments.

`/` and `-` both start a switch, names are case-insensitive (windows-tools.md §2.1). With no command bcdedit runs
`/enum active`; `bcdedit /v` and `bcdedit /store <file>` alone do the same [S:MS-bcdedit] [S:MS-bcdedit-enum].
An unknown first switch gives "An unknown command was specified." (index 7963766481); an unknown later switch
gives "Invalid command line switch: /x" (index 69325104179).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .messages import UNKNOWN_COMMAND, command_not_valid, invalid_switch, lab_refusal, usage_error

IMPLEMENTED = ("enum", "set", "deletevalue", "create", "copy", "delete", "default", "timeout", "displayorder")
# Documented commands the lab does not simulate [S:MS-bcdedit]: they fail loudly.
NOT_SIMULATED = (
    "?", "export", "import", "createstore", "bootsequence", "toolsdisplayorder", "bootems", "ems",
    "emssettings", "bootdebug", "dbgsettings", "debug", "hypervisorsettings", "eventsettings", "event",
    "sysstore", "mirror",
)  # fmt: skip

_SWITCH = re.compile(r"^[/-]([A-Za-z?][A-Za-z0-9]*)$")


def switch_name(token: str) -> str | None:
    """The lower-case name of a switch token (/Set, -enum, /?), or None for a value."""
    match = _SWITCH.match(token)
    return match.group(1).lower() if match else None


@dataclass
class CommandLine:
    command: str = "enum"
    args: list[str] = field(default_factory=list)
    store: str | None = None
    verbose: bool = False


def parse(tokens: list[str]) -> CommandLine:
    line = CommandLine()
    command: str | None = None
    index = 0
    while index < len(tokens):
        token = tokens[index]
        name = switch_name(token)
        if name == "store":
            if index + 1 >= len(tokens):
                raise command_not_valid("store")
            line.store = tokens[index + 1]
            index += 2
            continue
        if name == "v":
            line.verbose = True
        elif command is None:
            if name in IMPLEMENTED:
                command = name
            elif name in NOT_SIMULATED:
                raise lab_refusal("/" + name)
            else:
                raise usage_error(UNKNOWN_COMMAND, parameter_incorrect=False)
        else:
            line.args.append(token)
        index += 1
    line.command = command or "enum"
    return line


@dataclass
class Arguments:
    positional: list[str]
    switches: dict[str, str | None]


def split(command: str, args: list[str], takes_value: dict[str, bool]) -> Arguments:
    """A command's values and its own switches (`/d <text>`, `/addlast`); any other switch is invalid."""
    positional: list[str] = []
    switches: dict[str, str | None] = {}
    index = 0
    while index < len(args):
        name = switch_name(args[index])
        if name is None:
            positional.append(args[index])
            index += 1
            continue
        if name not in takes_value:
            raise invalid_switch(args[index])
        if takes_value[name]:
            if index + 1 >= len(args):
                raise command_not_valid(command)
            switches[name] = args[index + 1]
            index += 2
        else:
            switches[name] = None
            index += 1
    return Arguments(positional, switches)
