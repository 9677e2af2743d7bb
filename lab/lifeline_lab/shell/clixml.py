"""CLIXML, the serialization powershell.exe uses on a redirected stderr.

When powershell.exe runs an -EncodedCommand non-interactively with stderr redirected (always under WinRS), its
ConsoleHost switches the error format to XML ("assuming PowerShell->PowerShell usage", ConsoleHost.ErrorFormat in
the PowerShell sources): it writes `#< CLIXML` and a newline once, then ONE `<Objs>` element on a single line that
grows as records arrive and is closed when the process ends. Each host line becomes a `<S S="Error">` element
(the line plus "\r\n"); warnings, verbose and debug messages become `<S S="warning">` etc. without a newline.

String escaping follows the PowerShell serializer (MS-PSRP 2.2.5.1.1 "String"): XML entities for & < >,
`_xHHHH_` (UTF-16 code units, upper-case hex) for control characters, C1 controls and characters outside the
BMP, and `_x005F_` for an underscore that precedes an x or X so a decoder never mistakes it for an escape.
"""

from __future__ import annotations

import re
from collections.abc import Callable

CLIXML_HEADER = "#< CLIXML\r\n"
OBJS_OPEN = '<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">'
OBJS_CLOSE = "</Objs>"

_UNDERSCORE_X = re.compile(r"_(?=[xX])")
_NEEDS_CODE = re.compile("[\u0000-\u001f\u007f-\u009f\U00010000-\U0010ffff]")
_XML_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def _code_units(match: re.Match[str]) -> str:
    """`_xHHHH_` for each UTF-16 code unit of the matched character (a surrogate pair gives two)."""
    data = match.group(0).encode("utf-16-be")
    return "".join(f"_x{data[i]:02X}{data[i + 1]:02X}_" for i in range(0, len(data), 2))


def escape_string(text: str) -> str:
    """Escape text for the body of a CLIXML `<S>` element."""
    text = _UNDERSCORE_X.sub("_x005F_", text)
    text = _NEEDS_CODE.sub(_code_units, text)
    return "".join(_XML_ENTITIES.get(char, char) for char in text)


def string_element(text: str, stream: str) -> str:
    """One `<S S="stream">…</S>` element, as the serializer writes a string sent to a host stream."""
    return f'<S S="{stream}">{escape_string(text)}</S>'


def document(records: list[tuple[str, str]]) -> str:
    """A complete stderr document for (stream, text) records; convenient for tests and one-shot errors."""
    body = "".join(string_element(text, stream) for stream, text in records)
    return f"{CLIXML_HEADER}{OBJS_OPEN}{body}{OBJS_CLOSE}"


class ClixmlWriter:
    """Streams records to stderr as powershell.exe does: header and `<Objs>` on first use, `</Objs>` at the end.

    `interrupt()` closes the open document when something else (a native program sharing the same stderr)
    is about to write raw text, so that both the XML and the raw text stay decodable; the next record opens a
    new document, which Ansible's `_replace_stderr_clixml` handles line by line.
    """

    def __init__(self, write: Callable[[str], None]) -> None:
        self._write = write
        self._open = False

    def record(self, stream: str, text: str) -> None:
        """Write one string record to the given stream name ("Error", "warning", "verbose", "debug")."""
        if not self._open:
            self._write(CLIXML_HEADER + OBJS_OPEN)
            self._open = True
        self._write(string_element(text, stream))

    def interrupt(self) -> None:
        """Close the current document, if any, before raw text is written to the same stream."""
        if self._open:
            self._write(OBJS_CLOSE)
            self._open = False

    def close(self) -> None:
        """End of process: close the document (a process that wrote no record writes nothing)."""
        self.interrupt()
