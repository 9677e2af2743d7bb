"""Parse a cmd.exe command line: %VAR% expansion, ^ escapes, quotes, & && || | operators, ( ) and redirections.

Follows the phases cmd.exe is documented to use for a command line ("cmd /?", "Command shell overview" and
"Redirection" on Microsoft Learn): percent expansion happens once for the whole line before it is split, so
`set X=1 & echo %X%` still prints the old value; outside double quotes ^ escapes the next character and
& | < > ( ) are special; inside quotes everything is literal. A line feed ends the command line.
Precedence, loosest first: `&`, then `&&` / `||`, then `|`.
IF is parsed apart, as cmd.exe does (Wine's cmd conformance tests, run on Windows: programs/cmd/tests/
test_builtins.cmd, "Testing chains"): its command is the whole chain that follows the condition, `&`, `&&`,
`||` and `|` included, up to the end of the line or of the enclosing bracket; ELSE is recognised only right
after a closing bracket of that chain ("command arguments are greedy and eat up the 'else'") and belongs to
the closest unmatched IF at the same bracket depth; the ELSE command is again the rest of the chain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .context import env_get

DELIMITERS = " \t,;="


@dataclass
class Redirection:
    """`[n]>target`, `[n]>>target`, `[n]<target` or a handle duplication `n>&m`."""

    handle: int
    mode: str
    target: str


@dataclass
class SimpleCommand:
    """A command's text (escapes removed, quotes kept) and the redirections cut out of it."""

    text: str
    redirections: list[Redirection] = field(default_factory=list)


@dataclass
class Group:
    """`( commands )` with the redirections that follow the closing parenthesis."""

    body: Node
    redirections: list[Redirection] = field(default_factory=list)


@dataclass
class Chain:
    """Two commands joined by `&`, `&&`, `||` or `|`."""

    op: str
    left: Node
    right: Node


COMPARE_OPERATORS = ("equ", "neq", "lss", "leq", "gtr", "geq")
CONDITION_KEYWORDS = ("exist", "errorlevel", "defined", "cmdextversion")


@dataclass
class Condition:
    """One IF condition; `kind` is exist, errorlevel, defined, cmdextversion, == or one of COMPARE_OPERATORS.
    Operands keep their quotes (IF compares `"a"` with `"a"`, quotes included)."""

    kind: str
    operands: tuple[str, ...]
    negate: bool = False
    ignore_case: bool = False


@dataclass
class IfCommand:
    """`IF [/I] [NOT] condition command [ELSE command]`."""

    condition: Condition
    then: Node
    otherwise: Node | None = None


Node = SimpleCommand | Group | Chain | IfCommand


class CmdSyntaxError(Exception):
    """cmd.exe rejects the whole line before running any of it; the message goes to stderr, ERRORLEVEL 255."""


INCORRECT_SYNTAX = "The syntax of the command is incorrect."


def _unexpected(token: str) -> CmdSyntaxError:
    return CmdSyntaxError(f"{token} was unexpected at this time.")


def expand_percent(line: str, env: dict[str, str], errorlevel: int) -> str:
    """Replace %NAME% by its value; an undefined name stays as typed (command-line context, unlike batch files)."""
    out: list[str] = []
    index = 0
    while index < len(line):
        start = line.find("%", index)
        end = line.find("%", start + 1) if start >= 0 else -1
        if end < 0:  # no %NAME% pair left: the rest is as typed
            out.append(line[index:])
            break
        out.append(line[index:start])
        name = line[start + 1 : end]
        value = env_get(env, name) if name else None
        if value is None and name.upper() == "ERRORLEVEL":
            value = str(errorlevel)  # dynamic variable, used only when no real variable has that name
        if value is None:
            out.append("%")  # keep the % and rescan from the next character
            index = start + 1
        else:
            out.append(value)
            index = end + 1
    return "".join(out)


# A run of characters with no meaning to the parser outside quotes (copied in one slice).
_PLAIN_RUN = re.compile(r'[^"^&|<>)]+')


class _Parser:
    """Recursive descent over the expanded line."""

    def __init__(self, line: str) -> None:
        newline = line.find("\n")
        self.text = (line if newline < 0 else line[:newline]).replace("\r", "")
        self.pos = 0
        self.depth = 0
        self.open_ifs: list[int] = []  # bracket depth of each IF whose command is being parsed (ELSE matching)

    def parse(self) -> Node | None:
        self._skip_blanks()
        if self.pos >= len(self.text):
            return None
        node = self._list()
        if self.pos < len(self.text):  # a stray ")" at depth 0 cannot happen; anything left is unexpected
            raise _unexpected(self.text[self.pos])
        return node

    def _peek_op(self) -> str | None:
        for op in ("&&", "||", "&", "|"):
            if self.text.startswith(op, self.pos):
                return op
        return None

    def _list(self) -> Node:
        node = self._and_or()
        while self._peek_op() == "&":
            self.pos += 1
            self._skip_blanks()
            if self._at_end_of_list():
                return node  # "a &" at the end of a line is accepted by cmd.exe
            node = Chain("&", node, self._and_or())
        return node

    def _and_or(self) -> Node:
        node = self._pipe()
        while (op := self._peek_op()) in ("&&", "||"):
            self.pos += len(op)
            node = Chain(op, node, self._pipe())
        return node

    def _pipe(self) -> Node:
        node = self._command()
        while self._peek_op() == "|":
            self.pos += 1
            node = Chain("|", node, self._command())
        return node

    def _at_end_of_list(self) -> bool:
        return self.pos >= len(self.text) or (self.depth > 0 and self.text[self.pos] == ")")

    def _skip_blanks(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t":
            self.pos += 1

    def _command(self) -> Node:
        self._skip_blanks()
        while self.pos < len(self.text) and self.text[self.pos] in DELIMITERS + "@":
            self.pos += 1
        if self.pos >= len(self.text):
            raise CmdSyntaxError(INCORRECT_SYNTAX)
        op = self._peek_op()
        if op is not None or self.text[self.pos] == ")":
            raise _unexpected(op or ")")
        if self._at_word("if"):
            return self._if()
        if self.text[self.pos] == "(":
            self.pos += 1
            self.depth += 1
            self._skip_blanks()
            body = self._list()
            if self.pos >= len(self.text) or self.text[self.pos] != ")":
                raise _unexpected("(")
            self.pos += 1
            self.depth -= 1
            group = Group(body)
            if self.open_ifs and self.open_ifs[-1] == self.depth:
                self._skip_blanks()
                if self._at_word("else"):
                    return group  # the IF command ends here; its ELSE follows
            tail = self._simple()
            if tail.text.strip():
                raise _unexpected(tail.text.strip().split()[0])
            group.redirections = tail.redirections
            return group
        return self._simple()

    def _at_word(self, word: str) -> bool:
        end = self.pos + len(word)
        if self.text[self.pos : end].lower() != word:
            return False
        return end >= len(self.text) or self.text[end] in DELIMITERS + "("

    def _if(self) -> IfCommand:
        self.pos += 2
        negate = ignore_case = False
        token = self._condition_token()
        if token.lower() == "/i":
            ignore_case, token = True, self._condition_token()
        if token.lower() == "not":
            negate, token = True, self._condition_token()
        if token.lower() in CONDITION_KEYWORDS:
            operand = self._condition_token()
            if not operand:
                raise CmdSyntaxError(INCORRECT_SYNTAX)
            condition = Condition(token.lower(), (operand,), negate, ignore_case)
        else:
            condition = self._comparison(token, negate, ignore_case)
        self._skip_blanks()
        if self.pos >= len(self.text) or (self.depth > 0 and self.text[self.pos] == ")"):
            raise CmdSyntaxError(INCORRECT_SYNTAX)
        self.open_ifs.append(self.depth)
        then = self._list()
        self.open_ifs.pop()
        otherwise = None
        if self.pos < len(self.text) and self._at_word("else"):
            self.pos += 4
            self._skip_blanks()
            if self.pos >= len(self.text) or (self.depth > 0 and self.text[self.pos] == ")"):
                raise CmdSyntaxError(INCORRECT_SYNTAX)
            otherwise = self._list()
        return IfCommand(condition, then, otherwise)

    def _comparison(self, left: str, negate: bool, ignore_case: bool) -> Condition:
        """`left==right` (blanks allowed around ==) or `left OP right`."""
        self._skip_blanks()
        if self.text.startswith("==", self.pos):
            self.pos += 2
            while self.text.startswith("=", self.pos):
                self.pos += 1
            right = self._condition_token()
            if not left or not right:
                raise CmdSyntaxError(INCORRECT_SYNTAX)
            return Condition("==", (left, right), negate, ignore_case)
        operator = self._condition_token().lower()
        if operator not in COMPARE_OPERATORS:
            raise _unexpected(operator or left)
        right = self._condition_token()
        if not right:
            raise CmdSyntaxError(INCORRECT_SYNTAX)
        return Condition(operator, (left, right), negate, ignore_case)

    def _condition_token(self) -> str:
        """One word of an IF condition: quotes kept, ^ escapes removed; it ends at a blank or at `==`."""
        while self.pos < len(self.text) and self.text[self.pos] in " \t,;":
            self.pos += 1
        out: list[str] = []
        quoted = False
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if quoted:
                out.append(char)
                quoted = char != '"'
            elif char == '"':
                quoted = True
                out.append(char)
            elif char == "^" and self.pos + 1 < len(self.text):
                self.pos += 1
                out.append(self.text[self.pos])
            elif char in " \t,;&|<>" or (out and (char == "(" or self.text.startswith("==", self.pos))):
                break
            else:
                out.append(char)
            self.pos += 1
        return "".join(out)

    def _simple(self) -> SimpleCommand:
        out: list[str] = []
        redirections: list[Redirection] = []
        quoted = False
        text = self.text
        while self.pos < len(text):
            if quoted:  # everything up to and with the closing quote is literal
                close = text.find('"', self.pos)
                end = len(text) if close < 0 else close + 1
                out.append(text[self.pos : end])
                quoted = close < 0
                self.pos = end
                continue
            run = _PLAIN_RUN.match(text, self.pos)
            if run:
                out.append(run.group())
                self.pos = run.end()
                continue
            char = text[self.pos]
            if char == '"':
                quoted = True
                out.append(char)
                self.pos += 1
            elif char == "^":
                if self.pos + 1 < len(text):
                    out.append(text[self.pos + 1])
                self.pos += 2
            elif char in "&|" or (char == ")" and self.depth > 0):
                break
            elif char in "<>":
                redirections.append(self._redirection(out))
            else:
                out.append(char)
                self.pos += 1
        return SimpleCommand("".join(out), redirections)

    def _redirection(self, out: list[str]) -> Redirection:
        char = self.text[self.pos]
        handle = 0 if char == "<" else 1
        # a single digit right before the operator, itself after a delimiter, names the handle ("2>nul")
        before = "".join(out)
        if before[-1:].isdigit() and (len(before) == 1 or before[-2] in " \t"):
            handle = int(before[-1])
            out[:] = [before[:-1]]
        mode = char
        self.pos += 1
        if char == ">" and self.pos < len(self.text) and self.text[self.pos] == ">":
            mode = ">>"
            self.pos += 1
        if self.text.startswith("&", self.pos) and self.pos + 1 < len(self.text) and self.text[self.pos + 1].isdigit():
            target = self.text[self.pos : self.pos + 2]
            self.pos += 2
            return Redirection(handle, mode, target)
        self._skip_blanks()
        start = self.pos
        quoted = False
        while self.pos < len(self.text):
            current = self.text[self.pos]
            if current == '"':
                quoted = not quoted
            elif not quoted and (current in " \t&|<>" or (current == ")" and self.depth > 0)):
                break
            self.pos += 1
        target = self.text[start : self.pos]
        if not target:
            raise CmdSyntaxError(INCORRECT_SYNTAX)
        return Redirection(handle, mode, target)


def parse_line(line: str) -> Node | None:
    """Parse an already percent-expanded command line; None for an empty line."""
    return _Parser(line).parse()


def split_first_word(text: str) -> tuple[str, str]:
    """The program word (quotes kept) and the rest; the word ends at an unquoted delimiter."""
    quoted = False
    for index, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif not quoted and char in DELIMITERS:
            return text[:index], text[index:]
    return text, ""


def unquote(word: str) -> str:
    """A program word as CreateProcess looks it up: double quotes removed."""
    return word.replace('"', "")
