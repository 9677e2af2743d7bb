# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Input rules shared by the modules' decision code and the command builders, so that a value one
accepts the other never refuses (and both word the refusal the same way).

Every value that reaches a remote command passes ``text`` first: a string without control characters,
lone surrogates, or the Unicode line and paragraph separators (U+2028, U+2029), at which some parsers
(the tree-sitter PowerShell grammar among them) end a line.
"""

from __future__ import annotations

import unicodedata

__all__ = ["SHOWN_LIMIT", "has_control_characters", "shown", "text"]

SHOWN_LIMIT = 60
# Cc control characters, Cs lone surrogates, Zl/Zp the Unicode line and paragraph separators.
_REFUSED_CATEGORIES = ("Cc", "Cs", "Zl", "Zp")


def shown(value: object) -> str:
    """``value`` as it may appear in an error message: repr, shortened."""
    quoted = repr(value)
    return quoted if len(quoted) <= SHOWN_LIMIT else quoted[: SHOWN_LIMIT - 4] + "...'"


def has_control_characters(value: str) -> bool:
    """Whether ``value`` holds a character no name, path or pattern may contain (see the module docstring)."""
    return any(unicodedata.category(char) in _REFUSED_CATEGORIES for char in value)


def text(value: object, what: str) -> str:
    """``value`` when it is a string without control characters; ValueError naming ``what`` otherwise."""
    if not isinstance(value, str):
        raise ValueError(f"{what} must be a string, not {type(value).__name__}")
    if has_control_characters(value):
        raise ValueError(f"{what} {shown(value)} contains a control character or line separator")
    return value
