"""ForEach-Object (alias %, foreach) and Where-Object (alias ?, where) with script blocks.

Their script blocks run in the caller's scope with $_ set to the current input object (about_Automatic_Variables).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..binding import CmdletInfo, Param
from ..errors import not_implemented
from ..streams import ListSink
from ..values import ScriptBlock, collapse, to_bool

if TYPE_CHECKING:
    from ..commands import CmdletCall


def _items(call: CmdletCall) -> list[Any]:
    return [call.args["InputObject"]] if "InputObject" in call.args else list(call.input)


def _blocks(call: CmdletCall, name: str) -> list[ScriptBlock]:
    value = call.args.get(name)
    blocks = value if isinstance(value, list) else ([] if value is None else [value])
    for block in blocks:
        if not isinstance(block, ScriptBlock):
            raise not_implemented(f"{call.info.name} -{name} with a {type(block).__name__} value", call.extent)
    return blocks


async def _with_item(call: CmdletCall, block: ScriptBlock, item: Any, sink: Any) -> None:
    session = call.session
    previous = session.get("_")
    session.set("_", item)
    try:
        await call.interp.invoke_block(block, sink, new_scope=False, args=[])
    finally:
        session.set("_", previous)


async def _foreach_object(call: CmdletCall) -> None:
    if "MemberName" in call.args:
        raise not_implemented("ForEach-Object -MemberName", call.extent)
    process = _blocks(call, "Process")
    if len(process) != 1:
        raise not_implemented("ForEach-Object with several -Process blocks", call.extent)
    sink = _CallSink(call)
    for block in _blocks(call, "Begin"):
        await _with_item(call, block, None, sink)
    for item in _items(call):
        await _with_item(call, process[0], item, sink)
    for block in _blocks(call, "End"):
        await _with_item(call, block, None, sink)


async def _where_object(call: CmdletCall) -> None:
    (block,) = _blocks(call, "FilterScript") or [None]
    if block is None:
        raise not_implemented("Where-Object without a script block", call.extent)
    for item in _items(call):
        result = ListSink()
        await _with_item(call, block, item, result)
        if to_bool(collapse(result.items)):
            call.emit(item)


class _CallSink:
    """Output of a ForEach-Object block goes out through the cmdlet (so `> $null` applies)."""

    def __init__(self, call: CmdletCall) -> None:
        self._call = call

    def emit(self, value: Any) -> None:
        self._call.emit(value)


FOREACH_OBJECT = CmdletInfo(
    "ForEach-Object",
    "ForEachObjectCommand",
    (
        Param("Process", position=0, remaining=True, mandatory=True),
        Param("Begin"),
        Param("End"),
        Param("InputObject", pipeline=True),
        Param("MemberName"),
    ),
    _foreach_object,
    aliases=("%", "foreach"),
)
WHERE_OBJECT = CmdletInfo(
    "Where-Object",
    "WhereObjectCommand",
    (Param("FilterScript", position=0, mandatory=True), Param("InputObject", pipeline=True)),
    _where_object,
    aliases=("?", "where"),
)
