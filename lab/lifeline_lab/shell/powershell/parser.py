"""Parse a script with the real PowerShell grammar (tree-sitter-powershell) and report syntax errors.

Like powershell.exe, a script with a syntax error does not run at all. Messages and error ids follow the
PowerShell 5.1 parser for the common cases (ParserStrings.resx); any other ERROR node is reported as the
generic "Unexpected token" error, positioned on the offending token.
"""

from __future__ import annotations

from functools import cache, lru_cache

import tree_sitter
import tree_sitter_powershell
from tree_sitter import Node, Tree

from .errors import PSError, parse_error
from .position import Extent, Source

_MISSING = {
    "}": ("Missing closing '}' in statement block or type definition.", "MissingEndCurlyBrace", "{"),
    ")": ("Missing closing ')' in expression.", "MissingEndParenthesisInExpression", "("),
    "]": ("Missing ']' after array index expression.", "MissingEndSquareBracket", "["),
}


@cache
def _parser() -> tree_sitter.Parser:
    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))


# The same scripts run again and again (every probe and module sends the same text): their checked trees are kept.
# A tree-sitter Tree is immutable, so sharing one between runs changes nothing.
_TREE_CACHE_SIZE = 256
# A pipeline chain (PowerShell 7's && and ||) needs one of these tokens; a script without them has none.
_CHAIN_TOKENS = (b"&&", b"||")


def parse(source: Source) -> Tree:
    """The syntax tree of a script; raises PSError (a ParserError record) when the script is not valid."""
    tree = _valid_tree(source.data)
    if tree is not None:
        return tree
    tree = _parser().parse(source.data)
    if tree.root_node.has_error:
        raise _first_error(tree.root_node, source)
    chain = _chain(tree, source.data)
    assert chain is not None  # _valid_tree found the script invalid
    token = source.node_text(chain)
    raise parse_error(
        f"The token '{token}' is not a valid statement separator in this version.",
        "InvalidEndOfLine",
        source.extent(chain),
    )


@lru_cache(maxsize=_TREE_CACHE_SIZE)
def _valid_tree(data: bytes) -> Tree | None:
    """The tree of a valid script; None for one with a syntax error (parse reports it)."""
    tree = _parser().parse(data)
    if tree.root_node.has_error or _chain(tree, data) is not None:
        return None
    return tree


def _chain(tree: Tree, data: bytes) -> Node | None:
    """The first pipeline chain (PowerShell 7's && and ||, not valid in 5.1)."""
    if not any(token in data for token in _CHAIN_TOKENS):
        return None
    return _find(tree.root_node, lambda node: node.type == "pipeline_chain_tail")


def _find(node: Node, predicate: object) -> Node | None:
    """Depth-first, source-order search."""
    stack = [node]
    while stack:
        current = stack.pop()
        if predicate(current):  # type: ignore[operator]
            return current
        stack.extend(reversed(current.children))
    return None


def _deepest_error(node: Node) -> Node:
    """The innermost node flagged has_error (the grammar sometimes flags an empty node, no ERROR/MISSING)."""
    while True:
        child = next((c for c in node.children if c.has_error), None)
        if child is None:
            return node
        node = child


def _empty_element(node: Node, source: Source) -> PSError:
    """An empty node where a command should be: PowerShell names the token that follows it."""
    rest = source.data[node.end_byte :].decode("utf-8", errors="replace")
    stripped = rest.lstrip()
    start = source.char_offset(node.end_byte) + len(rest) - len(stripped)
    token = stripped.split()[0] if stripped.split() else ""
    if token.startswith("|"):
        extent = Extent(source, start, start + 1)
        return parse_error("An empty pipe element is not allowed.", "EmptyPipeElement", extent)
    extent = Extent(source, start, start + len(token))
    return parse_error(f"Unexpected token '{token}' in expression or statement.", "UnexpectedToken", extent)


def _first_error(root: Node, source: Source) -> PSError:
    node = _find(root, lambda n: n.is_missing or n.type == "ERROR")
    if node is None:
        return _empty_element(_deepest_error(root), source)
    if node.is_missing and node.type in _MISSING:
        message, error_id, opener = _MISSING[node.type]
        parent = node.parent
        anchor = next((c for c in parent.children if c.type == opener), node) if parent is not None else node
        return parse_error(message, error_id, source.extent(anchor))
    if node.is_missing:
        return parse_error(f"Missing '{node.type}'.", "MissingToken", source.extent(node))
    text = source.node_text(node)
    if text.rstrip().endswith("|"):
        end = source.char_offset(node.start_byte) + len(text.rstrip())
        return parse_error("An empty pipe element is not allowed.", "EmptyPipeElement", Extent(source, end - 1, end))
    if text[:1] in "\"'" or text[:2] in ('@"', "@'"):
        quote = '"' if '"' in text[:2] else "'"
        return parse_error(
            f"The string is missing the terminator: {quote}{'@' if text.startswith('@') else ''}.",
            "TerminatorExpectedAtEndOfString",
            source.extent(node),
        )
    token = node
    while token.children:
        token = token.children[0]
    return parse_error(
        f"Unexpected token '{source.node_text(token)}' in expression or statement.",
        "UnexpectedToken",
        source.extent(token),
    )
