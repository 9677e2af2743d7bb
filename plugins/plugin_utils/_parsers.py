# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading what Windows tools print: the rules every parser follows.

Every parser is a pure function from the text a command printed to frozen dataclasses, and lives in
its tool's module beside the builders of that tool's calls:

- ``_reg.py``: ``parse_reg_query`` (reg query, with or without /s)
- ``_bcdedit.py``: ``parse_bcdedit_enum`` (bcdedit /enum)
- ``_manage_bde.py``: ``parse_manage_bde_status``, ``parse_manage_bde_unlock``, ``parse_unlock_report``
- ``_dism.py``: ``parse_dism_packages``, ``parse_dism_mounted_images``, ``parse_dism_error``
- ``_reagentc.py``: ``parse_reagentc_info``, ``parse_reagentc_result``
- ``_files.py``: ``parse_get_child_items_json`` (Get-ChildItem | ConvertTo-Json)

The formats are those Microsoft Learn documents, checked against Wine's conformance tests run on
Windows and real transcripts (the samples under tests/unit/collection/samples/); each parser's
docstring names its sources.

Windows localizes these outputs (labels, sentences, dates, decimal separators), and Lifeline reads
the en-US forms only. A parser that meets anything it does not understand (another language, a cut
off block, an unexpected line) raises ``ParseError`` naming the tool and the line: never a guess,
never an IndexError or KeyError. Lines shown in a message have every run of six or more digits
withheld, since a BitLocker recovery password is made of such blocks.
"""

from __future__ import annotations

import re

__all__ = [
    "ParseError",
    "shown_line",
    "split_lines",
    "withhold_digits",
]

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# A recovery password is 8 blocks of 6 digits: any run of 6 or more digits could be (part of) one.
_DIGIT_RUN = re.compile(r"\d{6,}")
_WITHHELD = "[withheld]"
_SHOWN_LIMIT = 100


class ParseError(ValueError):
    """A tool printed something its parser does not understand (localized, cut off or unexpected).

    ``tool`` names the command (``"reg query"``), ``line_number`` is 1-based (None when the problem
    is not one line, such as missing output). The message shows the offending line only in a
    withheld form (see ``shown_line``), or not at all where a parser is told not to show lines.
    """

    def __init__(self, tool: str, problem: str, line_number: int | None = None, line: str | None = None) -> None:
        self.tool = tool
        self.problem = problem
        self.line_number = line_number
        where = ""
        if line_number is not None:
            where = f" at line {line_number}"
            if line is not None:
                where += f" {shown_line(line)}"
        super().__init__(f"cannot read the output of {tool}{where}: {problem}")


def split_lines(text: str) -> list[str]:
    """``text`` cut into lines at CRLF (what Windows tools print), LF or CR; a byte order mark is dropped.

    The last line is dropped when it is empty (the text ended with a line break). Trailing spaces are
    kept: reg query prints ``    name    REG_SZ    `` for an empty string.
    """
    if not isinstance(text, str):
        raise TypeError(f"tool output must be a string, not {type(text).__name__}")
    lines = _LINE_BREAK.split(text.removeprefix("\ufeff"))
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def withhold_digits(text: str) -> str:
    """``text`` with every run of six or more digits replaced by ``[withheld]``."""
    return _DIGIT_RUN.sub(_WITHHELD, text)


def shown_line(line: str) -> str:
    """A line of tool output as a message may show it: digit runs withheld, shortened, quoted."""
    text = withhold_digits(line)
    if len(text) > _SHOWN_LIMIT:
        text = text[: _SHOWN_LIMIT - 3] + "..."
    return repr(text)
