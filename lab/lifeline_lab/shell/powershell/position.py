"""Script positions and the "At line:N char:M" block PowerShell prints under an error.

The block follows Windows PowerShell 5.1's PositionUtilities.VerboseMessage: the source line (tabs shown as
four spaces) on a "+ " line, then "~" under the extent; a line longer than 69 characters is cut around the
extent (at most 12 characters kept before it, 8 after, "... " / " ..." marking the cuts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tree_sitter import Node

_MAX_LINE = 69


_LINE_BREAK = re.compile("\r\n|\r|\n")


class Source:
    """A script's text with fast byte-offset (tree-sitter) to character-offset (PowerShell) conversion."""

    def __init__(self, text: str, path: str | None = None) -> None:
        self.text = text
        self.path = path  # a script file's path ("At <path>:<line> char:<column>"), None for the command line
        self.data = text.encode("utf-8")
        self._ascii = len(self.data) == len(text)
        # A line ends at CR LF, CR or LF; the next starts after it.
        self.line_starts = [0, *(match.end() for match in _LINE_BREAK.finditer(text))]

    def char_offset(self, byte_offset: int) -> int:
        """Character offset of a UTF-8 byte offset."""
        if self._ascii:
            return byte_offset
        return len(self.data[:byte_offset].decode("utf-8", errors="ignore"))

    def node_text(self, node: Node) -> str:
        """The exact source text of a syntax node."""
        return self.data[node.start_byte : node.end_byte].decode("utf-8", errors="replace")

    def extent(self, node: Node) -> Extent:
        """The extent a syntax node covers."""
        return Extent(self, self.char_offset(node.start_byte), self.char_offset(node.end_byte))

    def line_column(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset."""
        low, high = 0, len(self.line_starts) - 1
        while low < high:
            middle = (low + high + 1) // 2
            if self.line_starts[middle] <= offset:
                low = middle
            else:
                high = middle - 1
        return low + 1, offset - self.line_starts[low] + 1

    def line_text(self, line: int) -> str:
        """The text of a 1-based line without its line break."""
        start = self.line_starts[line - 1]
        end = self.line_starts[line] if line < len(self.line_starts) else len(self.text)
        return self.text[start:end].rstrip("\r\n")


@dataclass(frozen=True)
class Extent:
    """A span of a script, in characters."""

    source: Source
    start: int
    end: int

    @property
    def text(self) -> str:
        return self.source.text[self.start : self.end]

    def span(self, other: Extent) -> Extent:
        """From the start of this extent to the end of another."""
        return Extent(self.source, self.start, other.end)


def position_message(extent: Extent) -> list[str]:
    """The lines of the position block for an extent, e.g. ["At line:1 char:1", "+ foo", "+ ~~~"]."""
    source = extent.source
    start_line, start_column = source.line_column(extent.start)
    end_line, end_column = source.line_column(extent.end)
    where = f"{source.path}:{start_line}" if source.path else f"line:{start_line}"
    header = f"At {where} char:{start_column}"
    line = source.line_text(start_line).rstrip()
    if not line:
        return [header, "+ "]
    before = start_column - 1
    length = end_column - start_column if start_line == end_line else len(line) - start_column + 1
    if "\t" in line:
        head = line[:before].replace("\t", "    ")
        body = line[before : before + length].replace("\t", "    ")
        line = head + body + line[before + length :].replace("\t", "    ")
        before, length = len(head), len(body)
    prefix_dots = suffix_dots = False
    if len(line) > _MAX_LINE:
        kept_before = min(before, 12)
        after_available = len(line) - length - before
        kept_after = min(after_available, 8)
        total = kept_before + length + kept_after
        if total >= _MAX_LINE:
            if kept_before + length >= _MAX_LINE:
                length = _MAX_LINE - kept_before
            suffix_dots = True
        else:
            if before - kept_before > 0:
                kept_before += min(before - kept_before, _MAX_LINE - total)
                total = kept_before + length + kept_after
            if total < _MAX_LINE and after_available > 0:
                kept_after += min(after_available, _MAX_LINE - total)
            suffix_dots = kept_after < after_available
        prefix_dots = kept_before < before
        cut = max(before - kept_before, 0)
        line = line[cut : cut + _MAX_LINE]
        before = min(before, kept_before)
        length = min(length, _MAX_LINE - before)
    shown = ("... " if prefix_dots else "") + line + (" ..." if suffix_dots else "")
    underline = " " * (before + (4 if prefix_dots else 0)) + "~" * (length if length > 0 else 1)
    return [header, "+ " + shown, "+ " + underline]


def module_extent(path: str, line: int, text: str, column: int, length: int) -> Extent:
    """An extent in a script file the lab does not hold, given its line's text (0-based column)."""
    source = Source("\n" * (line - 1) + text + "\n", path=path)
    start = line - 1 + column
    return Extent(source, start, start + length)
