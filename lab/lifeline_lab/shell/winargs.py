"""Split a Windows command line into argv the way the Microsoft C runtime does.

A Windows process receives ONE command-line string; console programs (hostname.exe, powershell.exe via .NET)
split it with the C runtime rules documented in "Parsing C++ command-line arguments" (Microsoft Learn):
- arguments are separated by spaces or tabs;
- a double quote starts/ends a quoted region where spaces do not separate;
- 2n backslashes before a quote give n backslashes and the quote toggles quoting;
- 2n+1 backslashes before a quote give n backslashes and a literal quote;
- inside a quoted region, "" gives a literal quote (C runtime since 2008);
- argv[0] (the program) ends at the next space, or at the closing quote if it started with one.
"""

from __future__ import annotations

import re

_BLANKS = " \t"
# Runs of characters that stand for themselves, outside and inside quotes (copied in one slice).
_PLAIN_RUN = re.compile(r'[^ \t"\\]+')
_QUOTED_RUN = re.compile(r'[^"\\]+')


def split_program(command_line: str) -> tuple[str, str]:
    """Split off argv[0] as the C runtime does; return (program, rest-of-line)."""
    line = command_line.lstrip(_BLANKS)
    if line.startswith('"'):
        end = line.find('"', 1)
        if end < 0:
            return line[1:], ""
        return line[1:end], line[end + 1 :]
    index = 0
    while index < len(line) and line[index] not in _BLANKS:
        index += 1
    return line[:index], line[index:]


def split_arguments(tail: str) -> list[str]:
    """Split the part of a command line after the program name into arguments."""
    args: list[str] = []
    index, length = 0, len(tail)
    while True:
        while index < length and tail[index] in _BLANKS:
            index += 1
        if index >= length:
            return args
        current: list[str] = []
        quoted = False
        while index < length and (quoted or tail[index] not in _BLANKS):
            plain = (_QUOTED_RUN if quoted else _PLAIN_RUN).match(tail, index)
            if plain:
                current.append(plain.group())
                index = plain.end()
                continue
            char = tail[index]
            if char == "\\":
                run = index
                while run < length and tail[run] == "\\":
                    run += 1
                count = run - index
                if run < length and tail[run] == '"':
                    current.append("\\" * (count // 2))
                    if count % 2:
                        current.append('"')
                        run += 1
                else:
                    current.append("\\" * count)
                index = run  # an even run leaves the quote for the next turn
            elif char == '"':
                if quoted and index + 1 < length and tail[index + 1] == '"':
                    current.append('"')
                    index += 2
                else:
                    quoted = not quoted
                    index += 1
            else:
                current.append(char)
                index += 1
        args.append("".join(current))


def split_command_line(command_line: str) -> list[str]:
    """The full argv of a command line: program first, then its arguments."""
    program, tail = split_program(command_line)
    return [program, *split_arguments(tail)]
