"""Tables and lists laid out as Windows PowerShell 5.1's formatter writes them (text, one string per line).

Ported from the formatter of PowerShell 6.0.0-alpha (2016), which is Windows PowerShell 5.1's code: TableWriter
(every column padded to its width, a one-space separator, cut values end in "..."), ColumnWidthManager (columns
without a width share what is left; columns that do not fit are dropped from the right), ListWriter
("Label : value", labels padded to the longest) and StringManipulationHelper.GenerateLinesWithWordWrap (en-US
cultures wrap at spaces, a word longer than the line is cut at the width). Only single-cell characters are
modelled.
"""

from __future__ import annotations

from dataclasses import dataclass

LEFT, RIGHT = "left", "right"
_ELLIPSIS = "..."


def wrap_lines(text: str, first_width: int, following_width: int) -> list[str]:
    """GenerateLinesWithWordWrap: break at spaces/tabs, cut words longer than a line, honour embedded newlines."""
    if not text:
        return [text]
    result: list[str] = []
    for line in text.replace("\r", "").split("\n"):
        if len(line) <= first_width:
            result.append(line)
            continue
        spaces_left = line_width = first_width
        first = True
        current: list[str] = []
        for word in _words(line):
            if line_width == 0:
                if first:
                    first = False
                    line_width = following_width
                if line_width == 0:
                    break
                spaces_left = line_width
            if len(word) > line_width:
                for char in word:
                    if spaces_left < 1:
                        result.append("".join(current))
                        current = [char]
                        if first:
                            first = False
                            line_width = following_width
                        spaces_left = line_width - 1
                    else:
                        current.append(char)
                        spaces_left -= 1
            elif len(word) > spaces_left:
                result.append("".join(current))
                current = [word]
                if first:
                    first = False
                    line_width = following_width
                spaces_left = line_width - len(word)
            else:
                current.append(word)
                spaces_left -= len(word)
        result.append("".join(current))
    return result


def _words(line: str) -> list[str]:
    """GetWords: each word keeps the space or tab that ends it."""
    words: list[str] = []
    current: list[str] = []
    for char in line:
        current.append(char)
        if char in " \t":
            words.append("".join(current))
            current = []
    words.append("".join(current))
    return words


def column_widths(widths: list[int], table_width: int) -> list[int]:
    """ColumnWidthManager.CalculateColumnWidths: 0 = share the free space; -1 = column hidden."""
    widths = list(widths)
    if all(width > 0 for width in widths):
        if sum(widths) + len(widths) - 1 <= table_width:
            return widths
    else:
        fixed = [width > 0 for width in widths]
        widths = [width if width > 0 else 1 for width in widths]
        available = table_width - _table_width(widths)
        if available >= 0:
            while available > 0 and not all(fixed):
                for index in range(len(widths)):
                    if fixed[index]:
                        continue
                    widths[index] += 1
                    available -= 1
                    if available == 0:
                        break
            return widths
    while True:  # TrimToFit
        excess = _table_width(widths) - table_width
        if excess <= 0:
            return widths
        last = next((index - 1 for index, width in enumerate(widths) if width < 0), len(widths) - 1)
        if last < 0:
            return widths
        if widths[last] - excess < 1:
            widths[last] = -1
        else:
            widths[last] -= excess


def _table_width(widths: list[int]) -> int:
    visible = [width for width in widths if width > 0]
    return sum(visible) + len(visible) - 1


def _field(value: str, width: int, alignment: str) -> str:
    """TableWriter.GenerateRowField: pad, or cut with "..." (from the left for right-aligned columns)."""
    value = value.replace("\r", "").split("\n")[0]
    if len(value) < width:
        return value.rjust(width) if alignment == RIGHT else value.ljust(width)
    if len(value) > width:
        keep = width - len(_ELLIPSIS)
        if keep > 0:
            return _ELLIPSIS + value[len(value) - keep :] if alignment == RIGHT else value[:keep] + _ELLIPSIS
        return value[len(value) - width :] if alignment == RIGHT else value[:width]
    return value


@dataclass
class Column:
    label: str
    width: int = 0  # 0: share the free space
    alignment: str = LEFT


class TableWriter:
    """One table: the header once, then rows (wrapped when the view says so)."""

    def __init__(self, columns: list[Column], screen_width: int) -> None:
        self.columns = columns
        self.widths = column_widths([column.width for column in columns], screen_width)

    def _visible(self) -> list[int]:
        return [index for index, width in enumerate(self.widths) if width > 0]

    def header(self) -> list[str]:
        labels = [column.label for column in self.columns]
        lines = self.row(labels, [column.alignment for column in self.columns], wrap=True)
        dashes = [
            "-" * min(self.widths[index], len(labels[index]) or self.widths[index]) if self.widths[index] > 0 else ""
            for index in range(len(labels))
        ]
        lines.extend(self.row(dashes, [column.alignment for column in self.columns], wrap=False))
        return lines

    def row(self, values: list[str], alignments: list[str], *, wrap: bool) -> list[str]:
        visible = self._visible()
        if not visible:
            return []
        if not wrap:
            parts = [_field(values[index], self.widths[index], alignments[index]) for index in visible]
            return [" ".join(parts)]
        cells: list[list[str]] = []
        for index in visible:
            width = self.widths[index]
            pieces = wrap_lines(values[index], width, width)
            cells.append(
                [piece if len(piece) == width else _field(piece, width, alignments[index]) for piece in pieces]
            )
        height = max(len(cell) for cell in cells)
        lines = []
        for line in range(height):
            parts = [
                cell[line] if line < len(cell) else " " * self.widths[visible[position]]
                for position, cell in enumerate(cells)
            ]
            lines.append(" ".join(parts))
        return lines


def list_lines(labels: list[str], values: list[str], screen_width: int) -> list[str]:
    """ListWriter.WriteProperties for one object (no blank lines around it)."""
    if not labels:
        return []
    label_width = min(max(len(label) for label in labels), screen_width - 3 - 1)
    padded = [
        (label[:label_width] if len(label) > label_width else label.ljust(label_width)) + " : " for label in labels
    ]
    indent = " " * (label_width + 3)
    field_width = screen_width - label_width - 3
    lines: list[str] = []
    for prefix, value in zip(padded, values, strict=True):
        for number, text in enumerate((value or "").replace("\r", "").split("\n")):
            head = prefix if number == 0 else indent
            for piece_number, piece in enumerate(wrap_lines(text, field_width, field_width)):
                lines.append((head if piece_number == 0 else indent) + piece)
    return lines
