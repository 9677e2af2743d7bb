"""Run one command of a pipeline: a cmdlet, a native program, or a script block (`&`, `.`).

Command discovery follows about_Command_Precedence: alias, then cmdlet, then an external program found on the
PATH (`hostname`, `hostname.exe`, or a full path). Anything else is CommandNotFoundException.

Native programs (about_Parsing, Windows PowerShell 5.1 behaviour): arguments are converted to strings and joined
into one command line, an argument containing whitespace is wrapped in double quotes and an empty string is
dropped; $LASTEXITCODE receives the exit code and a non-zero code makes `$?` False. A native program that ends a
pipeline written to the console writes to the real stdout; elsewhere each output line becomes a string object.
Its stderr always goes straight to the process stderr.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING, Any

from tree_sitter import Node

from ..context import stdin_from_bytes
from ..programs import program_path, resolve_program, run_program
from .binding import Argument, Binder, CmdletInfo
from .cmdlets import find_cmdlet
from .errors import ErrorRecord, PSError, command_not_found, not_implemented
from .expressions import RANGE_LIMIT, evaluate, significant
from .operators import make_range
from .position import Extent
from .streams import HostSink, PipelineState, Sink
from .strings import VariablePath, bareword_parts
from .values import ScriptBlock, to_string

if TYPE_CHECKING:
    from .interpreter import Interpreter
    from .session import Session

_REDIRECT_TOKEN = re.compile(r"^([*1-6]?)(>>?)(.*)$", re.DOTALL)
_RANGE_NAME = re.compile(r"^(-?\d+)\.\.(-?\d+)$")


class CmdletCall:
    """What a running cmdlet can do: read its arguments and input, write output, errors, warnings..."""

    def __init__(
        self,
        interp: Interpreter,
        info: CmdletInfo,
        args: dict[str, Any],
        input_objects: list[Any],
        sink: Sink,
        state: PipelineState,
        invocation_name: str,
        extent: Extent,
        discarded: frozenset[str],
    ) -> None:
        self.interp = interp
        self.info = info
        self.args = args
        self.input = input_objects
        self._sink = sink
        self._state = state
        self.invocation_name = invocation_name
        self.extent = extent
        self._discarded = discarded

    @property
    def session(self) -> Session:
        return self.interp.session

    def emit(self, value: Any) -> None:
        if "1" not in self._discarded:
            self._sink.emit(value)

    def _preference(self, parameter: str, variable: str) -> str:
        """The -XxxAction argument if given, else the $XxxPreference variable, as an ActionPreference name."""
        if parameter in self.args:
            return str(self.args[parameter])
        return self.session.preference(variable)

    def _shown(self, switch: str, variable: str) -> bool:
        """-Verbose/-Debug win over $VerbosePreference/$DebugPreference."""
        if switch in self.args:
            return bool(self.args[switch])
        return self.session.preference(variable) == "Continue"

    def record(
        self, message: str, category: str, reason: str, error_id: str, target: Any = None, target_type: str = "String"
    ) -> ErrorRecord:
        """An error record attributed to this cmdlet, as ThrowTerminatingError/WriteError would build it."""
        name, kind = ("", "") if target is None else (to_string(target), target_type)
        return ErrorRecord(
            message,
            category,
            reason,
            f"{error_id},{self.info.error_suffix}",
            name,
            kind,
            activity=self.info.name,
            extent=self.extent,
            invocation_name=self.invocation_name,
        )

    def missing_mandatory_parameter(self, name: str) -> PSError:
        """What a cmdlet raises when it finds a mandatory parameter missing only once it runs (no pipeline input
        came, or the parameter set is not modelled in binding): the record the binder itself would have made."""
        return PSError(
            self.record(
                f"Cannot process command because of one or more missing mandatory parameters: {name}.",
                "InvalidArgument",
                "ParameterBindingException",
                "MissingMandatoryParameter",
            )
        )

    def write_error(self, record: ErrorRecord) -> None:
        """A non-terminating error: -ErrorAction / $ErrorActionPreference decide what happens."""
        self._state.fail()
        action = self._preference("ErrorAction", "ErrorActionPreference")
        if action == "Stop":
            raise PSError(record, script_terminating=True)
        if action in ("Inquire", "Suspend"):
            raise not_implemented(f"-ErrorAction {action}", self.extent)
        if action in ("SilentlyContinue", "Ignore") or "2" in self._discarded:
            return
        self.interp.host.write_error_record(record)

    def write_warning(self, message: str) -> None:
        action = self._preference("WarningAction", "WarningPreference")
        if action in ("SilentlyContinue", "Ignore") or "3" in self._discarded:
            return
        if action != "Continue":
            raise not_implemented(f"-WarningAction {action}", self.extent)
        self.interp.host.write_warning(message)

    def write_verbose(self, message: str) -> None:
        if self._shown("Verbose", "VerbosePreference") and "4" not in self._discarded:
            self.interp.host.write_verbose(message)

    def write_debug(self, message: str) -> None:
        if self._shown("Debug", "DebugPreference") and "5" not in self._discarded:
            self.interp.host.write_debug(message)


async def _arguments(interp: Interpreter, elements: Node | None) -> tuple[list[Argument], list[Node]]:
    """Evaluate command elements into arguments (with `-Name:value` merged) and collect redirections."""
    arguments: list[Argument] = []
    redirections: list[Node] = []
    colon_pending = False
    for child in significant(elements) if elements is not None else []:
        kind = child.type
        if kind == "command_argument_sep":
            colon_pending = interp.text(child) == ":" and bool(arguments) and arguments[-1].parameter is not None
            continue
        if kind == "redirection" or (kind == "generic_token" and _REDIRECT_TOKEN.match(interp.text(child))):
            redirections.append(child)
            continue
        if kind == "stop_parsing":
            raise not_implemented("the stop-parsing token --%", interp.extent(child))
        if kind == "command_parameter":
            arguments.append(Argument(extent=interp.extent(child), parameter=interp.text(child)[1:]))
            continue
        value = await _bareword(interp, child) if kind == "generic_token" else await evaluate(interp, child)
        if colon_pending:
            arguments[-1].value, arguments[-1].colon = value, True
            arguments[-1].extent = arguments[-1].extent.span(interp.extent(child)) if arguments[-1].extent else None
            colon_pending = False
        else:
            arguments.append(Argument(value=value, extent=interp.extent(child)))
    return arguments, redirections


async def _bareword(interp: Interpreter, node: Node) -> Any:
    """An unquoted argument: literal text with $variables expanded (a lone variable keeps its type)."""
    parts = bareword_parts(interp.text(node))
    if parts is None:
        raise not_implemented("a $(...) subexpression inside a bare word", interp.extent(node))
    values = [
        interp.session.read(part, interp.extent(node)) if isinstance(part, VariablePath) else part for part in parts
    ]
    return values[0] if len(values) == 1 else "".join(to_string(value) for value in values)


async def _discarded_streams(interp: Interpreter, redirections: list[Node]) -> frozenset[str]:
    """Streams sent to $null by `> $null`, `2>$null`, `*> $null`; other redirections are not simulated."""
    discarded: set[str] = set()
    for node in redirections:
        text = interp.text(node).strip()
        match = _REDIRECT_TOKEN.match(text)
        target = match.group(3).strip() if match else ""
        if match is None or target.casefold() != "$null":
            raise not_implemented("redirection other than to $null", interp.extent(node))
        stream = match.group(1) or "1"
        discarded.update("123456" if stream == "*" else stream)
    return frozenset(discarded)


async def run_command(
    interp: Interpreter, node: Node, input_objects: list[Any], sink: Sink, state: PipelineState, last: bool
) -> None:
    """Run one `command` node of a pipeline."""
    operator = next((child for child in node.children if child.type == "command_invokation_operator"), None)
    name_node = node.child_by_field_name("command_name")
    if name_node is None:
        raise not_implemented("this command form", interp.extent(node))
    arguments, redirections = await _arguments(interp, node.child_by_field_name("command_elements"))
    discarded = await _discarded_streams(interp, redirections)
    target: Any
    if name_node.type == "command_name_expr":
        inner = name_node.named_children[0]
        if inner.type == "command_name":
            target = interp.text(inner)
        elif inner.type == "path_command_name":
            target = await evaluate(interp, inner.named_children[0])
        else:
            target = await evaluate(interp, inner)
    else:
        target = interp.text(name_node)
    if isinstance(target, ScriptBlock):
        if input_objects:
            raise not_implemented("piping input to a script block ($input)", interp.extent(node))
        values = [a.value if a.parameter is None else "-" + a.parameter for a in arguments]
        dot = operator is not None and interp.text(operator) == "."
        await interp.invoke_block(target, sink, new_scope=not dot, args=values)
        return
    if not isinstance(target, str):
        raise not_implemented(f"invoking a {type(target).__name__} value with &", interp.extent(node))
    name = target
    extent = interp.extent(node)
    range_match = _RANGE_NAME.match(name)
    if range_match and operator is None:
        # tree-sitter-powershell reads `1..3` at the start of a pipeline as a command name: it is a range
        if arguments or redirections:
            raise not_implemented("a range followed by operators at the start of a statement", extent)
        for number in make_range(int(range_match.group(1)), int(range_match.group(2)), extent, RANGE_LIMIT):
            sink.emit(number)
        return
    info = find_cmdlet(name)
    if info is not None:
        binder = Binder(info, name, extent)
        bound = binder.bind(arguments, bool(input_objects))
        call = CmdletCall(interp, info, bound, input_objects, sink, state, name, extent, discarded)
        await info.run(call)
        return
    key = resolve_program(name, interp.session.env)
    if key is None:
        raise command_not_found(name, interp.extent(name_node))
    await _run_native(interp, key, arguments, input_objects, sink, state, last, discarded)


def quote_native_argument(argument: str) -> str:
    """Windows PowerShell 5.1's legacy rule: quote when there is whitespace outside quotes, escape nothing."""
    quotes = 0
    after_backslash = False
    needs_quotes = False
    for char in argument:
        if char == '"' and not after_backslash:
            quotes += 1
        elif char.isspace() and quotes % 2 == 0:
            needs_quotes = True
        after_backslash = char == "\\"
    return f'"{argument}"' if needs_quotes else argument


def native_words(arguments: list[Argument]) -> list[str]:
    """The argument strings a native program receives (arrays spread, `-Name:value` kept as one word)."""
    words: list[str] = []
    for argument in arguments:
        if argument.parameter is not None:
            words.append(f"-{argument.parameter}" + (f":{to_string(argument.value)}" if argument.colon else ""))
            continue
        values = argument.value if isinstance(argument.value, list) else [argument.value]
        words.extend(to_string(value) for value in values)
    return [word for word in words if word != ""]


async def _run_native(
    interp: Interpreter,
    key: str,
    arguments: list[Argument],
    input_objects: list[Any],
    sink: Sink,
    state: PipelineState,
    last: bool,
    discarded: frozenset[str],
) -> None:
    session = interp.session
    command_line = " ".join(
        [f'"{program_path(key, session.env)}"', *(quote_native_argument(word) for word in native_words(arguments))]
    )
    pass_through = last and isinstance(sink, HostSink) and "1" not in discarded
    chunks: list[str] = []
    if input_objects:
        # $OutputEncoding is US-ASCII in Windows PowerShell 5.1: other characters become '?'
        text = "".join(to_string(item) + "\r\n" for item in input_objects)
        stdin = stdin_from_bytes(text.encode("ascii", errors="replace"))
    else:
        stdin = interp.ctx.stdin
    child = dataclasses.replace(
        interp.ctx,
        environment=session.env,
        stdin=stdin,
        write_stdout=interp.host.write if pass_through else chunks.append,
        write_stderr=(lambda text: None) if "2" in discarded else interp.host.write_native_stderr,
    )
    code = await run_program(key, command_line, child)
    session.set("LASTEXITCODE", code - 2**32 if code >= 2**31 else code, scope="global")
    if code != 0:
        state.fail()
    if pass_through or "1" in discarded:
        return
    output = "".join(chunks)
    lines = re.split(r"\r?\n", output)
    if lines and lines[-1] == "":
        lines.pop()
    for line in lines:
        sink.emit(line)
