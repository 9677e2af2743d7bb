"""Evaluate PowerShell expressions by walking the tree-sitter syntax tree.

The subset: literals (strings with $var/$env:/$(...) expansion and backtick escapes, here-strings, integers
with kb/mb/gb/tb/pb multipliers, reals), variables, arrays (`a, b`, `@(...)`), hashtables, script blocks,
-not ! - + , unary operators, comparison/like/match/contains/replace/split/join, + - * / %, -and -or -xor,
-band -bor -bxor, -f, ranges, ++/--, property access, indexing, and a few string/hashtable methods.
Type literals, casts, static members and other .NET calls stop the script with a "lab does not implement" error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tree_sitter import Node

from . import methods
from .datetimes import PSDateTime, parse_datetime
from .errors import not_implemented, runtime_error
from .operators import arithmetic, compare, format_operator, join, make_range, to_number, unary_split
from .strings import here_string_body, parse_variable, unescape, verbatim
from .values import (
    MISSING,
    PSCustomObject,
    PSHashtable,
    PSObject,
    PSVariable,
    ScriptBlock,
    collapse,
    to_bool,
    to_string,
)

if TYPE_CHECKING:
    from .interpreter import Interpreter

RANGE_LIMIT = 1_000_000

# Wrapper nodes of the grammar's precedence ladder: with a single child they are just that child.
PASS_THROUGH = frozenset((
    "logical_expression", "bitwise_expression", "comparison_expression", "additive_expression",
    "multiplicative_expression", "format_expression", "range_expression", "array_literal_expression",
    "unary_expression", "pipeline_chain", "left_assignment_expression", "argument_expression",
    "logical_argument_expression", "bitwise_argument_expression", "comparison_argument_expression",
    "additive_argument_expression", "multiplicative_argument_expression", "format_argument_expression",
    "range_argument_expression",
))  # fmt: skip
_ARGUMENT_FORMS = {
    name: name.replace("_argument_expression", "_expression") for name in PASS_THROUGH if "argument" in name
}
_MULTIPLIERS = {"kb": 1024, "mb": 1024**2, "gb": 1024**3, "tb": 1024**4, "pb": 1024**5}


def significant(node: Node) -> list[Node]:
    """Named children without comments."""
    return [child for child in node.named_children if child.type != "comment"]


def unwrap(node: Node) -> Node:
    """Skip single-child precedence wrappers."""
    while node.type in PASS_THROUGH and node.child_count == 1:
        node = node.children[0]
    return node


async def evaluate(interp: Interpreter, node: Node) -> Any:
    """The value of an expression node."""
    node = unwrap(node)
    kind = _ARGUMENT_FORMS.get(node.type, node.type)
    handler = _HANDLERS.get(kind)
    if handler is None:
        raise not_implemented(f"the {kind.replace('_', ' ')} syntax", interp.extent(node))
    return await handler(interp, node)


async def _pipeline(interp: Interpreter, node: Node) -> Any:
    return collapse(await interp.capture(node))


async def _binary_parts(interp: Interpreter, node: Node) -> tuple[Any, str, Any]:
    left, operator, right = node.children[0], node.children[1], node.children[2]
    return await evaluate(interp, left), interp.text(operator), await evaluate(interp, right)


async def _logical(interp: Interpreter, node: Node) -> Any:
    left = to_bool(await evaluate(interp, node.children[0]))
    operator = interp.text(node.children[1]).lower()
    if operator == "-and" and not left:
        return False
    if operator == "-or" and left:
        return True
    right = to_bool(await evaluate(interp, node.children[2]))
    return left != right if operator == "-xor" else right


async def _bitwise(interp: Interpreter, node: Node) -> Any:
    left, operator, right = await _binary_parts(interp, node)
    extent = interp.extent(node)
    a, b = int(to_number(left, extent)), int(to_number(right, extent))
    return {"-band": a & b, "-bor": a | b, "-bxor": a ^ b}[operator.lower()]


async def _comparison(interp: Interpreter, node: Node) -> Any:
    right_node = unwrap(node.children[2])
    operator = interp.text(node.children[1])
    if right_node.type == "type_literal":
        raise not_implemented(f"the {operator} operator with .NET types", interp.extent(node))
    left, _, right = await _binary_parts(interp, node)
    return compare(operator, left, right, interp.extent(node), lambda groups: interp.session.set("Matches", groups))


async def _arithmetic(interp: Interpreter, node: Node) -> Any:
    left, operator, right = await _binary_parts(interp, node)
    return arithmetic(operator, left, right, interp.extent(node))


async def _format(interp: Interpreter, node: Node) -> Any:
    left, _, right = await _binary_parts(interp, node)
    return format_operator(left, right, interp.extent(node))


async def _range(interp: Interpreter, node: Node) -> Any:
    left, _, right = await _binary_parts(interp, node)
    return make_range(left, right, interp.extent(node), RANGE_LIMIT)


async def _array_literal(interp: Interpreter, node: Node) -> Any:
    return [await evaluate(interp, child) for child in significant(node)]


async def _unary(interp: Interpreter, node: Node) -> Any:
    first = node.children[0]
    if first.is_named:  # cast_expression, pre_increment_expression ...
        return await evaluate(interp, first)
    operator = interp.text(first).lower()
    operand = node.children[1]
    if operator in ("++", "--"):
        return await _step(interp, operand, 1 if operator == "++" else -1, prefix=True)
    value = await evaluate(interp, operand)
    extent = interp.extent(node)
    if operator in ("-not", "!"):
        return not to_bool(value)
    if operator == ",":
        return [value]
    if operator == "-":
        return -to_number(value, extent)
    if operator == "+":
        return to_number(value, extent)
    if operator == "-bnot":
        return ~int(to_number(value, extent))
    if operator == "-split":
        return unary_split(value)
    if operator == "-join":
        return join(value, "")
    raise not_implemented(f"the unary operator {operator}", extent)


async def _step(interp: Interpreter, target: Node, delta: int, *, prefix: bool) -> Any:
    """++ and --, on a variable."""
    target = unwrap(target)
    if target.type != "variable":
        raise not_implemented("++/-- on anything but a variable", interp.extent(target))
    path = parse_variable(interp.text(target))
    old = interp.session.read(path, interp.extent(target))
    new = arithmetic("+", to_number(old, interp.extent(target)), delta, interp.extent(target))
    interp.session.write(path, new, interp.extent(target))
    return new if prefix else old


async def _post_increment(interp: Interpreter, node: Node) -> Any:
    return await _step(interp, node.children[0], 1, prefix=False)


async def _post_decrement(interp: Interpreter, node: Node) -> Any:
    return await _step(interp, node.children[0], -1, prefix=False)


async def _pre_increment(interp: Interpreter, node: Node) -> Any:
    return await _step(interp, node.children[1], 1, prefix=True)


async def _pre_decrement(interp: Interpreter, node: Node) -> Any:
    return await _step(interp, node.children[1], -1, prefix=True)


async def _parenthesized(interp: Interpreter, node: Node) -> Any:
    inner = significant(node)
    return collapse(await interp.capture(inner[0])) if inner else None


async def _sub_expression(interp: Interpreter, node: Node) -> Any:
    return collapse(await interp.capture_statements(node.child_by_field_name("statements")))


async def _array_expression(interp: Interpreter, node: Node) -> Any:
    return list(await interp.capture_statements(node.child_by_field_name("statements")))


async def _hashtable(interp: Interpreter, node: Node) -> Any:
    table = PSHashtable()
    body = next((child for child in node.named_children if child.type == "hash_literal_body"), None)
    for entry in significant(body) if body is not None else []:
        key_node, value_node = significant(entry)[:2]
        key_inner = significant(key_node)[0] if key_node.type == "key_expression" else key_node
        key = interp.text(key_inner) if key_inner.type == "simple_name" else await evaluate(interp, key_inner)
        table[key] = await interp.value_of(value_node)
    return table


async def _script_block(interp: Interpreter, node: Node) -> Any:
    inner = next((child for child in node.named_children if child.type == "script_block"), None)
    body = interp.text(node)[1:-1]
    return ScriptBlock(inner if inner is not None else node, interp.source, body)


async def _string(interp: Interpreter, node: Node) -> Any:
    inner = node.named_children[0]
    text = interp.text(inner)
    if inner.type == "verbatim_string_characters":
        return verbatim(text)
    if inner.type == "verbatim_here_string_characters":
        start, end = here_string_body(text)
        return text[start:end]
    return await _expand(interp, inner, here=inner.type == "expandable_here_string_literal")


async def _expand(interp: Interpreter, node: Node, *, here: bool) -> str:
    """A double-quoted string: literal runs with escapes, $variables and $(subexpressions) converted to text."""
    text = interp.text(node)
    start, end = here_string_body(text) if here else (1, len(text) - 1)
    data = interp.source.data
    begin = node.start_byte + len(text[:start].encode("utf-8"))
    finish = node.start_byte + len(text[:end].encode("utf-8"))
    parts: list[str] = []
    cursor = begin
    for child in node.named_children:
        if child.type not in ("variable", "sub_expression"):
            continue
        parts.append(unescape(data[cursor : child.start_byte].decode("utf-8"), doubled_quotes=not here))
        parts.append(to_string(await evaluate(interp, child)))
        cursor = child.end_byte
    parts.append(unescape(data[cursor:finish].decode("utf-8"), doubled_quotes=not here))
    return "".join(parts)


async def _integer(interp: Interpreter, node: Node) -> Any:
    text = interp.text(node).lower()
    multiplier = _MULTIPLIERS.get(text[-2:], 1)
    if multiplier != 1:
        text = text[:-2]
    if text.startswith("0x"):
        return int(text, 16) * multiplier
    if text.endswith("d"):
        return float(text[:-1]) * multiplier
    return int(text.rstrip("l")) * multiplier


async def _real(interp: Interpreter, node: Node) -> Any:
    text = interp.text(node).lower()
    multiplier = _MULTIPLIERS.get(text[-2:], 1)
    if multiplier != 1:
        text = text[:-2]
    return float(text.rstrip("d")) * multiplier


async def _variable(interp: Interpreter, node: Node) -> Any:
    path = parse_variable(interp.text(node))
    if path.name.casefold() == "input" and not path.qualifier and not path.splat and not interp.session.exists("input"):
        return await interp.script_input(interp.extent(node))
    return interp.session.read(path, interp.extent(node))


def _member_name(interp: Interpreter, node: Node) -> str:
    member = next(child for child in node.named_children if child.type == "member_name")
    inner = member.named_children[0] if member.named_children else member
    if inner.type != "simple_name":
        raise not_implemented("computed member names", interp.extent(member))
    return interp.text(inner)


def _static_access(interp: Interpreter, node: Node) -> bool:
    return any(child.type == "::" for child in node.children) or node.children[0].type == "type_literal"


async def _member_access(interp: Interpreter, node: Node) -> Any:
    if _static_access(interp, node):
        raise not_implemented(".NET static members", interp.extent(node))
    target = await evaluate(interp, node.children[0])
    return property_value(interp, target, _member_name(interp, node), node)


def property_value(interp: Interpreter, target: Any, name: str, node: Node) -> Any:
    """`target.name` for the value kinds the lab has (member enumeration over arrays included)."""
    folded = name.casefold()
    if isinstance(target, PSHashtable):
        if name in target:
            return target[name]
        special = {"count": len(target), "keys": list(target.keys()), "values": list(target.values())}
        return special.get(folded)  # a missing key is $null, even under Set-StrictMode
    if isinstance(target, list):
        if folded in ("count", "length"):
            return len(target)
        return collapse([property_value(interp, item, name, node) for item in target])
    if isinstance(target, str) and folded == "length":
        return len(target)
    if isinstance(target, PSVariable) and folded in ("name", "value"):
        return target.name if folded == "name" else target.value
    if isinstance(target, PSObject):
        value = target.get_property(name)
        if value is not MISSING:
            return value
    if folded == "count":
        return 0 if target is None else 1
    if interp.session.strict_version >= 2:
        raise runtime_error(
            f"The property '{name}' cannot be found on this object. Verify that the property exists.",
            "PropertyNotFoundStrict",
            interp.extent(node),
            category="NotSpecified",
            reason="PropertyNotFoundException",
        )
    return None


async def _element_access(interp: Interpreter, node: Node) -> Any:
    target = await evaluate(interp, node.children[0])
    index_node = next(child for child in node.children[1:] if child.is_named)
    index = await evaluate(interp, index_node)
    if isinstance(target, PSHashtable):
        if isinstance(index, list):
            return [target.get(key) for key in index]
        return target.get(index)
    if isinstance(target, str | list):
        positions = index if isinstance(index, list) else [index]
        picked = []
        for position in positions:
            number = int(to_number(position, interp.extent(index_node)))
            if -len(target) <= number < len(target):
                picked.append(target[number])
        return picked if isinstance(index, list) else (picked[0] if picked else None)
    if target is None:
        raise runtime_error("Cannot index into a null array.", "NullArray", interp.extent(node))
    raise not_implemented(f"indexing into {type(target).__name__} values", interp.extent(node))


async def _invocation(interp: Interpreter, node: Node) -> Any:
    if _static_access(interp, node):
        raise not_implemented(".NET static method calls", interp.extent(node))
    target = await evaluate(interp, node.children[0])
    name = _member_name(interp, node)
    argument_list = next(child for child in node.named_children if child.type == "argument_list")
    values = []
    expressions = argument_list.child_by_field_name("argument_expression_list")
    for child in significant(expressions) if expressions is not None else []:
        values.append(await evaluate(interp, child))
    return methods.call(target, name, values, interp.extent(node))


async def _type_literal(interp: Interpreter, node: Node) -> Any:
    raise not_implemented(f"the .NET type {interp.text(node)}", interp.extent(node))


async def _cast(interp: Interpreter, node: Node) -> Any:
    """[PSCustomObject]@{...} (properties in the literal's order) and [datetime]"..."; other casts stop the script."""
    type_text = interp.text(node.children[0])
    target = type_text.strip("[] ").casefold()
    operand_node = next((child for child in node.children[1:] if child.is_named), None)
    if target in ("pscustomobject", "system.management.automation.pscustomobject") and operand_node is not None:
        value = await evaluate(interp, operand_node)
        if isinstance(value, PSHashtable):
            result = PSCustomObject()
            for key, item in value.items():
                result.add_note(to_string(key), item)
            return result
    if target in ("datetime", "system.datetime") and operand_node is not None:
        value = await evaluate(interp, operand_node)
        if isinstance(value, PSDateTime):
            return PSDateTime(value.value, value.kind)
        parsed = parse_datetime(to_string(value)) if isinstance(value, str) else None
        if parsed is not None:
            return parsed
        if isinstance(value, str):
            raise runtime_error(
                f'Cannot convert value "{value}" to type "System.DateTime". Error: "String was not recognized as a '
                'valid DateTime."',
                "InvalidCastParseTargetInvocationWithFormatProvider",
                interp.extent(node),
                category="InvalidArgument",
            )
    raise not_implemented(f"type conversion with {type_text}", interp.extent(node))


_HANDLERS = {
    "pipeline": _pipeline,
    "logical_expression": _logical,
    "bitwise_expression": _bitwise,
    "comparison_expression": _comparison,
    "additive_expression": _arithmetic,
    "multiplicative_expression": _arithmetic,
    "format_expression": _format,
    "range_expression": _range,
    "array_literal_expression": _array_literal,
    "unary_expression": _unary,
    "expression_with_unary_operator": _unary,
    "post_increment_expression": _post_increment,
    "post_decrement_expression": _post_decrement,
    "pre_increment_expression": _pre_increment,
    "pre_decrement_expression": _pre_decrement,
    "parenthesized_expression": _parenthesized,
    "sub_expression": _sub_expression,
    "array_expression": _array_expression,
    "hash_literal_expression": _hashtable,
    "script_block_expression": _script_block,
    "string_literal": _string,
    "integer_literal": _integer,
    "decimal_integer_literal": _integer,
    "hexadecimal_integer_literal": _integer,
    "real_literal": _real,
    "variable": _variable,
    "member_access": _member_access,
    "element_access": _element_access,
    "invokation_expression": _invocation,
    "type_literal": _type_literal,
    "cast_expression": _cast,
}
