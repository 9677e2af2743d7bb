"""cmd.exe's IF conditions: [NOT] EXIST, [NOT] ERRORLEVEL n, [NOT] DEFINED, [/I] s1==s2, [/I] s1 op s2.

Syntax and meaning from Microsoft Learn, "if": EXIST is true when the file (wildcards allowed) or folder exists;
ERRORLEVEL n is true when ERRORLEVEL >= n; op is EQU, NEQ, LSS, LEQ, GTR, GEQ, comparing numbers when both sides
are numbers and strings otherwise; /I ignores case. Parsing (where the command and ELSE end) is in cmd_syntax.
A path on a missing drive or a BitLocker-locked volume does not exist for EXIST.
"""

from __future__ import annotations

import ntpath
import re

from ..machine import errors
from ..machine.paths import BadPath
from .cmd_paths import FileShell, full_path, normalise
from .cmd_syntax import Condition
from .context import ProcessContext, env_get
from .wildcards import has_wildcards, matches

_INTEGER = re.compile(r"^[+-]?(0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*)$", re.IGNORECASE)


def _number(text: str) -> int | None:
    """A whole operand read as C's strtol with base 0 (decimal, 0x hexadecimal, leading-0 octal), else None:
    Wine's tests on Windows have `if 011 EQU 9` and `if 0xA1 EQU 161` true, `if "1" EQU 1` false."""
    if not _INTEGER.match(text):
        return None
    sign = -1 if text.startswith("-") else 1
    body = text.lstrip("+-").lower()
    if body.startswith("0x"):
        return sign * int(body, 16)
    return sign * (int(body, 8) if len(body) > 1 and body.startswith("0") else int(body))


def exists(shell: FileShell, ctx: ProcessContext, typed: str) -> bool:
    machine = ctx.machine
    typed = typed.replace('"', "")
    if machine is None or not typed:
        return False
    try:
        path = normalise(full_path(shell, ctx, typed))
        folder, name = ntpath.split(path)
        if not has_wildcards(name):
            return machine.drives.find(path) is not None
        node = machine.drives.find(folder)
    except (BadPath, errors.WindowsError_):  # a locked volume or a missing drive: nothing exists there
        return False
    return node is not None and node.is_dir and any(matches(name, child.name) for child in node.children.values())


def evaluate(condition: Condition, shell: FileShell, ctx: ProcessContext) -> bool:
    kind, operands = condition.kind, condition.operands
    if kind == "exist":
        result = exists(shell, ctx, operands[0])
    elif kind == "errorlevel":
        wanted = _number(operands[0])
        result = wanted is not None and shell.errorlevel >= wanted
    elif kind == "defined":
        result = env_get(ctx.environment, operands[0]) is not None
    elif kind == "cmdextversion":
        wanted = _number(operands[0])
        result = wanted is not None and wanted <= 2  # command extensions version 2 (Windows 2000 and later)
    else:
        left, right = operands
        if condition.ignore_case:
            left, right = left.lower(), right.lower()
        if kind == "==":
            result = left == right
        else:
            numbers = (_number(left), _number(right))
            a, b = numbers if None not in numbers else (left, right)
            result = {
                "equ": a == b,
                "neq": a != b,
                "lss": a < b,
                "leq": a <= b,
                "gtr": a > b,
                "geq": a >= b,
            }[kind]
    return result != condition.negate
