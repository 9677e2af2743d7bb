"""Run PowerShell statements: statement lists, pipelines, assignment, if/elseif/else, foreach, flow control.

Error handling follows about_Preference_Variables: a statement-terminating error is shown (unless
$ErrorActionPreference is SilentlyContinue/Ignore), `$?` becomes False and the next statement runs; with
$ErrorActionPreference = 'Stop' it stops the script. `$?` is set after every pipeline.
"""

from __future__ import annotations

import asyncio
from typing import Any

from tree_sitter import Node

from ..context import ProcessContext
from .binding import ConversionFailure, convert_int32
from .commands import run_command
from .errors import BreakLoop, ContinueLoop, PSError, PSExit, ReturnFromScript, not_implemented, runtime_error
from .expressions import evaluate, significant, unwrap
from .host import Host
from .operators import arithmetic, to_number
from .position import Extent, Source
from .session import Session
from .streams import HostSink, ListSink, PipelineState, Sink
from .strings import parse_variable
from .values import PSHashtable, PSObject, ScriptBlock, collapse, enumerate_value, to_bool, to_string

_SILENT = ("SilentlyContinue", "Ignore")
_STEP_STATEMENTS = frozenset(
    ("post_increment_expression", "post_decrement_expression", "pre_increment_expression", "pre_decrement_expression")
)


class Interpreter:
    """Executes one script in one session, writing to one host."""

    def __init__(self, source: Source, session: Session, host: Host, ctx: ProcessContext) -> None:
        self.source = source
        self.session = session
        self.host = host
        self.ctx = ctx
        self.states: list[PipelineState] = []
        self.script_texts: list[str] = [source.text]
        self.input_spent = False
        self.try_depth = 0
        self.handling: list[PSError] = []  # the errors whose catch blocks are running, innermost last

    # -- helpers ------------------------------------------------------------------------------------------
    def text(self, node: Node) -> str:
        return self.source.node_text(node)

    def extent(self, node: Node) -> Extent:
        return self.source.extent(node)

    def report(self, error: PSError) -> None:
        """Show a non-script-terminating error according to $ErrorActionPreference (Stop escalates it)."""
        action = self.session.preference("ErrorActionPreference")
        if action == "Stop":
            raise PSError(error.record, script_terminating=True)
        if action not in _SILENT:
            self.host.write_error_record(error.record)

    # -- entry --------------------------------------------------------------------------------------------
    async def run_script(self, root: Node) -> None:
        """Run a whole script; a script-terminating error is shown and ends it. PSExit propagates."""
        sink = HostSink(self.host)
        try:
            for child in significant(root):
                if child.type != "statement_list":
                    raise not_implemented(f"a script-level {child.type.replace('_', ' ')}", self.extent(child))
            await self.run_statements(_first(root, "statement_list"), sink)
        except (ReturnFromScript, BreakLoop, ContinueLoop):
            pass
        except PSError as error:
            self.session.last_success = False
            self.host.write_error_record(error.record)
        finally:
            try:
                sink.close()  # the script's one Out-Default ends its last view (also on exit)
            except PSError as error:
                self.session.last_success = False
                self.host.write_error_record(error.record)

    # -- statements ---------------------------------------------------------------------------------------
    async def run_statements(self, node: Node | None, sink: Sink) -> None:
        if node is None:
            return
        for statement in significant(node):
            await self.run_statement(statement, sink)

    async def run_statement(self, node: Node, sink: Sink) -> None:
        await asyncio.sleep(0)  # keep long scripts cancellable by the terminate signal
        try:
            await self._statement(node, sink)
        except PSError as error:
            if error.record.extent is None:
                error.record.extent = self.extent(node)  # e.g. raised while formatting output
            if error.script_terminating or self.try_depth:
                raise  # a try statement catches statement-terminating errors too
            self.session.last_success = False
            if self.states:
                self.states[-1].fail()
            self.report(error)

    async def _statement(self, node: Node, sink: Sink) -> None:
        kind = node.type
        if kind == "empty_statement":
            return
        if kind == "pipeline":
            await self.run_pipeline(node, sink)
        elif kind == "if_statement":
            await self._if(node, sink)
        elif kind == "foreach_statement":
            await self._foreach(node, sink)
        elif kind == "flow_control_statement":
            await self._flow(node, sink)
        elif kind == "try_statement":
            await self._try(node, sink)
        else:
            raise not_implemented(f"the {kind.replace('_', ' ')}", self.extent(node))

    async def _if(self, node: Node, sink: Sink) -> None:
        clauses = [(node.child_by_field_name("condition"), _first(node, "statement_block"))]
        elseifs = node.child_by_field_name("elseif_clauses")
        for clause in significant(elseifs) if elseifs is not None else []:
            clauses.append((clause.child_by_field_name("condition"), _first(clause, "statement_block")))
        for condition, block in clauses:
            if condition is not None and _truth(await self.capture(condition)):
                await self._block(block, sink)
                return
        otherwise = node.child_by_field_name("else_clause")
        if otherwise is not None:
            await self._block(_first(otherwise, "statement_block"), sink)

    async def _try(self, node: Node, sink: Sink) -> None:
        """about_Try_Catch_Finally: a terminating error in the try block runs the first catch block with
        the error record in $_ (a bare `throw` in it throws that error again); the finally block runs on every
        way out (errors, exit, break, return). Typed catch clauses are not implemented (no .NET exception types)."""
        clauses = _first(node, "catch_clauses")
        catches = [clause for clause in significant(clauses)] if clauses is not None else []
        for clause in catches:
            if _first(clause, "catch_type_list") is not None:
                raise not_implemented("catch with an exception type", self.extent(clause))
        finally_clause = _first(node, "finally_clause")
        try:
            self.try_depth += 1
            try:
                await self._block(_first(node, "statement_block"), sink)
            finally:
                self.try_depth -= 1
        except PSError as error:
            if not catches or error.record.error_id == "LabNotImplemented":
                raise  # a lab limit is not a PowerShell error: a catch block must not hide it
            self.session.last_success = False
            self.session.set("_", error.record)
            self.handling.append(error)
            try:
                await self._block(_first(catches[0], "statement_block"), sink)
            finally:
                self.handling.pop()
        finally:
            if finally_clause is not None:
                await self._block(_first(finally_clause, "statement_block"), sink)

    async def script_input(self, extent) -> list[str]:
        """$input in a script run by powershell.exe -Command/-EncodedCommand: an enumerator over the lines
        of standard input (about_Automatic_Variables), spent once read. Decoded as code page 437, the OEM
        code page of en-US Windows (the lab does not follow WINRS_CODEPAGE here: keep stdin ASCII)."""
        if len(self.session.scopes) > 1:
            raise not_implemented("$input inside a function or script block", extent)
        if self.input_spent:
            return []
        self.input_spent = True
        data = await self.ctx.stdin.read()
        return data.decode("cp437").splitlines()

    async def _block(self, block: Node | None, sink: Sink) -> None:
        if block is not None:
            await self.run_statements(block.child_by_field_name("statement_list"), sink)

    async def _foreach(self, node: Node, sink: Sink) -> None:
        if _first(node, "foreach_parameter") is not None:
            raise not_implemented("foreach -parallel", self.extent(node))
        variable = _first(node, "variable")
        collection = _first(node, "pipeline")
        if variable is None or collection is None:
            raise not_implemented("this form of foreach", self.extent(node))
        path = parse_variable(self.text(variable))
        for item in await self.capture(collection):
            await asyncio.sleep(0)
            self.session.write(path, item, self.extent(variable))
            try:
                await self._block(_first(node, "statement_block"), sink)
            except ContinueLoop:
                continue
            except BreakLoop:
                break

    async def _flow(self, node: Node, sink: Sink) -> None:
        keyword = self.text(node.children[0]).lower()
        if _first(node, "label") is not None:
            raise not_implemented(f"{keyword} with a label", self.extent(node))
        argument = _first(node, "pipeline")
        value = collapse(await self.capture(argument)) if argument is not None else None
        if keyword == "exit":
            try:
                code = 0 if value is None else convert_int32(value)
            except ConversionFailure:
                raise runtime_error(
                    f'Cannot convert value "{to_string(value)}" to type "System.Int32". '
                    'Error: "Input string was not in a correct format."',
                    "InvalidCastFromStringToInteger",
                    self.extent(node),
                    category="InvalidArgument",
                ) from None
            raise PSExit(code & 0xFFFFFFFF)
        if keyword == "return":
            for item in enumerate_value(value):
                sink.emit(item)
            raise ReturnFromScript()
        if keyword == "break":
            raise BreakLoop()
        if keyword == "continue":
            raise ContinueLoop()
        if keyword == "throw" and argument is None and self.handling and _in_catch_block(node):
            # about_Throw: "If the Throw keyword is used in a Catch block without an expression, it throws the
            # current RuntimeException again" (the error being handled, as it was).
            raise PSError(self.handling[-1].record, script_terminating=True)
        if keyword == "throw":
            message = to_string(value) if value is not None else "ScriptHalted"
            error = runtime_error(message, message, self.extent(node), category="OperationStopped", target=value)
            raise PSError(error.record, script_terminating=True)
        raise not_implemented(f"the {keyword} statement", self.extent(node))

    # -- pipelines ----------------------------------------------------------------------------------------
    async def run_pipeline(self, node: Node, sink: Sink) -> None:
        """Run a pipeline to `sink`; afterwards `$?` tells whether it succeeded."""
        state = PipelineState(parent=self.states[-1] if self.states else None)
        self.states.append(state)
        try:
            await self._pipeline(node, sink, state)
        finally:
            self.states.pop()
        self.session.last_success = not state.failed

    async def _pipeline(self, node: Node, sink: Sink, state: PipelineState) -> None:
        stages = significant(node)
        if len(stages) == 1 and stages[0].type == "pipeline_chain":
            stages = significant(stages[0])
        if len(stages) == 1 and stages[0].type == "assignment_expression":
            await self.assign(stages[0])
            return
        if len(stages) == 1 and unwrap(stages[0]).type in _STEP_STATEMENTS:
            await evaluate(self, stages[0])  # `$i++` as a statement writes nothing
            return
        objects: list[Any] = []
        for index, stage in enumerate(stages):
            last = index == len(stages) - 1
            out: Sink = sink if last else ListSink()
            if stage.type == "command":
                await run_command(self, stage, objects, out, state, last)
            elif index == 0:
                for item in enumerate_value(await evaluate(self, stage)):
                    out.emit(item)
            else:
                raise not_implemented("an expression after '|'", self.extent(stage))
            if isinstance(out, ListSink):
                objects = out.items

    async def capture(self, node: Node) -> list[Any]:
        """Run a pipeline or a statement and return its output objects."""
        collected = ListSink()
        if node.type == "pipeline":
            await self.run_pipeline(node, collected)
        else:
            await self._statement(node, collected)
        return collected.items

    async def capture_statements(self, node: Node | None) -> list[Any]:
        """Run a statement list (as in `$(...)` or `@(...)`) and return its output objects."""
        collected = ListSink()
        await self.run_statements(node, collected)
        return collected.items

    async def value_of(self, node: Node) -> Any:
        """The value of the right side of `=` (a pipeline or a statement such as `if`).

        A lone expression keeps its value (`$a = @(1)` is an array of one); a pipeline's output is collapsed.
        """
        stages = significant(node) if node.type == "pipeline" else []
        if len(stages) == 1 and stages[0].type == "pipeline_chain":
            stages = significant(stages[0])
        lone = len(stages) == 1 and stages[0].type not in ("command", "assignment_expression")
        if lone and unwrap(stages[0]).type not in _STEP_STATEMENTS:
            return await evaluate(self, stages[0])
        return collapse(await self.capture(node))

    async def invoke_block(self, block: ScriptBlock, sink: Sink, *, new_scope: bool, args: list[Any]) -> None:
        """Run a script block's body; `&` gives it a child scope, `.` and ForEach-Object do not."""
        body = block.node.child_by_field_name("script_block_body") if block.node.type == "script_block" else None
        for child in significant(block.node) if block.node.type == "script_block" else []:
            if child.type != "script_block_body":
                raise not_implemented(f"script block {child.type.replace('_', ' ')}", self.extent(child))
        if body is not None and body.child_by_field_name("statement_list") is None and significant(body):
            raise not_implemented("named blocks (begin/process/end)", self.extent(body))
        if new_scope:
            self.session.push_scope()
            self.session.set("args", args)
        self.script_texts.append(block.text)
        try:
            await self.run_statements(body.child_by_field_name("statement_list") if body else None, sink)
        except ReturnFromScript:
            pass
        finally:
            self.script_texts.pop()
            if new_scope:
                self.session.pop_scope()

    # -- assignment ---------------------------------------------------------------------------------------
    async def assign(self, node: Node) -> None:
        target = unwrap(node.children[0])
        operator = self.text(_first(node, "assignement_operator") or node.children[1]).strip()
        value = await self.value_of(node.child_by_field_name("value"))
        if operator != "=":
            if operator[:-1] not in ("+", "-", "*", "/", "%"):
                raise not_implemented(f"the {operator} operator", self.extent(node))
            value = arithmetic(operator[:-1], await evaluate(self, target), value, self.extent(node))
        await self._store(target, value)

    async def _store(self, target: Node, value: Any) -> None:
        extent = self.extent(target)
        if target.type == "variable":
            path = parse_variable(self.text(target))
            if path.name.casefold() == "null" and path.qualifier in ("", "global", "script", "local", "private"):
                # `$null = <expression>` discards the value (Microsoft Learn, "Everything you wanted to know about
                # $null", Suppressing output); only Set-Variable null fails as read-only.
                return
            self.session.write(path, value, extent)
            return
        if target.type == "member_access":
            if target.children[1].type == "::" or target.children[0].type == "type_literal":
                raise not_implemented(".NET static members", extent)
            owner = await evaluate(self, target.children[0])
            member = self.text(_first(target, "member_name"))
            if isinstance(owner, PSHashtable):
                owner[member] = value
                return
            if isinstance(owner, PSObject) and owner.set_property(member, value):
                return
        if target.type == "element_access":
            owner = await evaluate(self, target.children[0])
            index = await evaluate(self, next(child for child in target.children[1:] if child.is_named))
            if isinstance(owner, PSHashtable):
                owner[index] = value
                return
            if isinstance(owner, list):
                position = int(to_number(index, extent))
                if not -len(owner) <= position < len(owner):
                    raise runtime_error(
                        "Index was outside the bounds of the array.",
                        "System.IndexOutOfRangeException",
                        extent,
                        category="OperationStopped",
                        reason="IndexOutOfRangeException",
                    )
                owner[position] = value
                return
        raise not_implemented(f"assignment to {self.text(target)}", extent)


def _first(node: Node, kind: str) -> Node | None:
    return next((child for child in node.children if child.type == kind), None)


def _in_catch_block(node: Node) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.type == "catch_clause":
            return True
        parent = parent.parent
    return False


def _truth(items: list[Any]) -> bool:
    """A condition's output as a boolean (LanguagePrimitives.IsTrue on the collapsed result)."""
    return to_bool(collapse(items))
