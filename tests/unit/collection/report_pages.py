"""Reading the numbers back from the rollout report's HTML page (as written, or as a browser's DOM): the tables by
id, each row by its data-key, each cell by its data-status or data-field; the chart's points by series; the text of
every element with an id."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

_VOID = {"meta", "br", "img", "input", "link", "hr", "circle", "line", "polyline"}


@dataclass
class Page:
    tables: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)  # id -> row key -> cell -> text
    texts: dict[str, str] = field(default_factory=dict)  # element id -> its text
    attributes: dict[str, dict[str, str]] = field(default_factory=dict)  # element id -> its attributes
    points: dict[str, int] = field(default_factory=dict)  # chart series -> circles
    tags: list[str] = field(default_factory=list)  # every tag, in order
    attribute_names: set[str] = field(default_factory=set)  # of every tag

    def counts(self, table: str) -> dict[str, dict[str, int]]:
        """A counts table as numbers, without zero cells and the total: like the JSON report's by_* maps."""
        return {
            key: {status: int(text) for status, text in row.items() if status != "total" and int(text)}
            for key, row in self.tables[table].items()
        }


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._open: list[tuple[str, str | None]] = []  # (tag, id) of open elements
        self._table: str | None = None
        self._row: str | None = None
        self._cell: str | None = None
        self._text: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        self.page.tags.append(tag)
        self.page.attribute_names.update(attributes)
        identifier = attributes.get("id")
        if identifier:
            self.page.attributes[identifier] = attributes
            self._text[identifier] = []
            if tag == "table":
                self._table = identifier
                self.page.tables[identifier] = {}
        if tag == "tr" and self._table and "data-key" in attributes:
            self._row = attributes["data-key"]
            self.page.tables[self._table][self._row] = {}
        if tag == "td" and self._row is not None:
            self._cell = attributes.get("data-status") or attributes.get("data-field")
            if self._cell:
                self.page.tables[self._table][self._row][self._cell] = ""
        if tag == "circle":
            series = attributes.get("class", "")
            self.page.points[series] = self.page.points.get(series, 0) + 1
        if tag not in _VOID:
            self._open.append((tag, identifier))

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        while self._open:
            opened, identifier = self._open.pop()
            if identifier:
                self.page.texts[identifier] = "".join(self._text.pop(identifier, [])).strip()
            if opened == tag:
                break
        if tag == "td":
            self._cell = None
        elif tag == "tr":
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        for parts in self._text.values():
            parts.append(data)
        if self._cell and self._row is not None and self._table:
            self.page.tables[self._table][self._row][self._cell] += data


def read_page(text: str) -> Page:
    reader = _Reader()
    reader.feed(text)
    reader.close()
    return reader.page
