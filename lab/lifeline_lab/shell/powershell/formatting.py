"""Out-Default for the objects the lab can show: how values reaching the end of a pipeline become text.

One formatter serves a whole script (powershell.exe -Command runs the script as one pipeline into Out-Default).
Strings, numbers and booleans are written on a line of their own, out of band: they do not end an open table
(about_Format.ps1xml). Objects go through a view, ported from the 5.1 formatter (PowerShell 6.0.0-alpha sources,
BaseOutputtingCommand.cs): a view starts with an empty line (FormatStart) and ends with two (GroupEnd, FormatEnd);
a group header is an empty line, the group label, an empty line, an empty line; tables pad every column.

The host is 80 columns wide, as a WinRS shell gives powershell.exe (pywinrm issue #301 shows a two-column table
of 39 + 1 + 39 characters over WinRM), so the formatter's line is 79 (ConsoleLineOutput.ColumnNumber is the
buffer width minus one).

Views: FileInfo/DirectoryInfo (FileSystem.format.ps1xml "children": Mode 7, LastWriteTime 26 right, Length 14
right, Name; grouped by directory; the 26 is the width Windows PowerShell 5.1 has since the 2019 Japanese era
update, as in the captures of windows-tools.md §7.2), DateTime (the DateTime property), FileHash (Algorithm 15,
Hash 70, Path, as in every published 5.1 capture), and objects without a view: up to four properties in a table
sized to its values (5.1 caches a table's objects for 300 ms to size it; the lab's commands finish within that),
five or more as a list. Other objects (hashtables, variables, CIM instances) are not formatted yet: the lab stops
rather than print something that only looks like PowerShell.
"""

from __future__ import annotations

from typing import Any

from .datetimes import PSDateTime, dotnet_format
from .errors import not_implemented
from .fsobjects import EnumValue, FileSystemItem
from .textlayout import LEFT, RIGHT, Column, TableWriter, list_lines, wrap_lines
from .values import PSCustomObject, PSObject, ScriptBlock, format_double, to_string, type_name

LINE_WIDTH = 79
FILEHASH_TYPE = "Microsoft.Powershell.Utility.FileHash"
_ENUMERATION_LIMIT = 4  # $FormatEnumerationLimit


def is_scalar(value: Any) -> bool:
    return isinstance(value, bool | int | float | str | ScriptBlock | EnumValue)


def output_lines(value: Any) -> list[str]:
    """The lines Out-Default writes for one pipeline object shown on its own (Out-String of one object)."""
    formatter = OutDefault()
    return formatter.write(value) + formatter.close()


def out_string(values: list[Any]) -> str:
    """Out-String: the formatted lines, each ending in CRLF."""
    formatter = OutDefault()
    lines: list[str] = []
    for value in values:
        lines.extend(formatter.write(value))
    lines.extend(formatter.close())
    return "".join(line + "\r\n" for line in lines)


def cell_text(value: Any) -> str:
    """PSObjectHelper.SmartToString: what a table cell or list value shows."""
    if value is None:
        return ""
    if isinstance(value, PSDateTime):
        return dotnet_format(value.value, value.kind, "G")
    if isinstance(value, float):
        return format_double(value)
    if isinstance(value, list):
        shown = [cell_text(item) for item in value[:_ENUMERATION_LIMIT]]
        return "{" + ", ".join(shown) + ("..." if len(value) > _ENUMERATION_LIMIT else "") + "}"
    return to_string(value)


class _View:
    """One active view of the formatter; `key` says which objects continue it."""

    key: Any = None

    def start(self) -> list[str]:
        return [""]

    def add(self, value: Any) -> list[str]:
        raise NotImplementedError

    def end(self) -> list[str]:
        return ["", ""]


class _FileSystemView(_View):
    key = "filesystem"

    def __init__(self, width: int) -> None:
        self.width = width
        self.group: str | None = None
        self.table = TableWriter(
            [Column("Mode", 7), Column("LastWriteTime", 26, RIGHT), Column("Length", 14, RIGHT), Column("Name")], width
        )

    def add(self, value: Any) -> list[str]:
        item: FileSystemItem = value
        lines: list[str] = []
        group = item.parent_path
        if group != self.group:
            if self.group is not None:
                lines.append("")  # GroupEnd
            self.group = group
            label = wrap_lines("Directory: " + group, self.width - 4, self.width - 4)
            lines.extend(["", *("    " + piece for piece in label), "", ""])
            lines.extend(self.table.header())
        stamp = item.get_property("LastWriteTime")
        when = f"{dotnet_format(stamp.value, stamp.kind, 'd'):>10}  {dotnet_format(stamp.value, stamp.kind, 't'):>8}"
        length = "" if item.node.is_dir else str(item.node.size)
        row = [item.get_property("Mode"), when, length, item.name]
        lines.extend(self.table.row(row, [LEFT, RIGHT, RIGHT, LEFT], wrap=True))
        return lines


class _TableView(_View):
    """A table with fixed columns (FileHash)."""

    def __init__(self, key: str, columns: list[Column], names: list[str], width: int) -> None:
        self.key = key
        self.names = names
        self.table = TableWriter(columns, width)
        self.started = False

    def add(self, value: Any) -> list[str]:
        lines = [] if self.started else self.table.header()
        self.started = True
        values = [cell_text(value.get_property(name)) if value.has_property(name) else "" for name in self.names]
        return lines + self.table.row(values, [column.alignment for column in self.table.columns], wrap=False)


class _DateTimeView(_View):
    key = "datetime"

    def __init__(self, width: int) -> None:
        self.width = width

    def add(self, value: Any) -> list[str]:
        return wrap_lines(value.datetime_text(), self.width, self.width)


class _ListView(_View):
    def __init__(self, key: Any, width: int) -> None:
        self.key = key
        self.width = width

    def start(self) -> list[str]:
        return ["", ""]  # FormatStart, then ListOutputContext.GroupStart

    def add(self, value: Any) -> list[str]:
        names = value.display_names()
        values = [cell_text(value.get_property(name)) for name in names]
        return [*list_lines(names, values, self.width), ""]


class _AutoSizeTable(_View):
    """A table for objects without a view: sized to its labels and values once all rows are known."""

    def __init__(self, key: Any, first: PSObject, width: int) -> None:
        self.key = key
        self.width = width
        self.names = first.display_names()
        self.alignments = [_alignment(first.get_property(name)) for name in self.names]
        self.events: list[tuple[str, Any]] = []

    def start(self) -> list[str]:
        return []

    def add(self, value: Any) -> list[str]:
        values = [cell_text(value.get_property(name)) if value.has_property(name) else "" for name in self.names]
        self.events.append(("row", values))
        return []

    def out_of_band(self, lines: list[str]) -> list[str]:
        self.events.append(("lines", lines))
        return []

    def end(self) -> list[str]:
        rows = [values for kind, values in self.events if kind == "row"]
        widths = [max([len(name)] + [len(row[index]) for row in rows]) for index, name in enumerate(self.names)]
        table = TableWriter(
            [
                Column(name, width, self.alignments[index])
                for index, (name, width) in enumerate(zip(self.names, widths, strict=True))
            ],
            self.width,
        )
        lines = ["", *table.header()]
        for kind, payload in self.events:
            lines.extend(table.row(payload, self.alignments, wrap=False) if kind == "row" else payload)
        return [*lines, "", ""]


def _alignment(value: Any) -> str:
    """ComputeDefaultAlignment: strings left, other scalars (numbers, booleans, dates) right."""
    if isinstance(value, bool | int | float | PSDateTime):
        return RIGHT
    return LEFT


class OutDefault:
    """The formatter behind a script's output: feed it objects, then close it."""

    def __init__(self, width: int = LINE_WIDTH) -> None:
        self.width = width
        self.view: _View | None = None

    def _key(self, value: Any) -> Any:
        if isinstance(value, FileSystemItem):
            return "filesystem"
        if isinstance(value, PSDateTime):
            return "datetime"
        if isinstance(value, PSObject) and FILEHASH_TYPE in value.type_names:
            return "filehash"
        return ("object", value.type_names[0])

    def _new_view(self, value: Any) -> _View:
        if isinstance(value, FileSystemItem):
            return _FileSystemView(self.width)
        if isinstance(value, PSDateTime):
            return _DateTimeView(self.width)
        if FILEHASH_TYPE in value.type_names:
            columns = [Column("Algorithm", 15), Column("Hash", 70), Column("Path")]
            return _TableView("filehash", columns, ["Algorithm", "Hash", "Path"], self.width)
        if len(value.display_names()) >= 5:
            return _ListView(self._key(value), self.width)
        return _AutoSizeTable(self._key(value), value, self.width)

    def write(self, value: Any) -> list[str]:
        """The lines one pipeline object adds now (a sized table writes its rows when it ends)."""
        if value is None:
            return []
        if isinstance(value, list):
            return [line for item in value for line in self.write(item)]
        if is_scalar(value):
            lines = [to_string(value)]
            if isinstance(self.view, _AutoSizeTable):
                return self.view.out_of_band(lines)
            return lines
        if not _formattable(value):
            raise not_implemented(f"the default display of {type_name(value)} objects", None)
        lines: list[str] = []
        key = self._key(value)
        if self.view is not None and self.view.key != key:
            lines.extend(self.close())
        if self.view is None:
            self.view = self._new_view(value)
            lines.extend(self.view.start())
        lines.extend(self.view.add(value))
        return lines

    def close(self) -> list[str]:
        """End the open view (GroupEnd and FormatEnd)."""
        if self.view is None:
            return []
        view, self.view = self.view, None
        return view.end()


def _formattable(value: Any) -> bool:
    """Objects the lab has a view for; anything else stops the script (see the module docstring)."""
    if isinstance(value, FileSystemItem | PSDateTime | PSCustomObject):
        return True
    return isinstance(value, PSObject) and getattr(value, "formattable", False)
