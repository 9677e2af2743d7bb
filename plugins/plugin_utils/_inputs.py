# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Input rules shared by the modules' decision code and the command builders, so that a value one
accepts the other never refuses (and both word the refusal the same way).

Every value that reaches a remote command passes ``text`` first: a string without control characters,
lone surrogates, or the Unicode line and paragraph separators (U+2028, U+2029), at which some parsers
(the tree-sitter PowerShell grammar among them) end a line. The other rules build on it: an absolute
Windows path (``windows_path``), a volume (``volume``), an integer in a range (``integer``), a
true/false switch (``flag``) and a service key name (``service_name``). Each returns the value (a
volume in upper case) or raises ValueError naming what is wrong, before anything is built or sent.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "SHOWN_LIMIT",
    "flag",
    "has_control_characters",
    "integer",
    "service_name",
    "shown",
    "text",
    "volume",
    "windows_path",
]

SHOWN_LIMIT = 60
# Cc control characters, Cs lone surrogates, Zl/Zp the Unicode line and paragraph separators.
_REFUSED_CATEGORIES = ("Cc", "Cs", "Zl", "Zp")
_VOLUME = re.compile(r"[A-Za-z]:", re.ASCII)
# Characters Windows does not allow in a path component (Naming Files, Paths, and Namespaces).
_PATH_FORBIDDEN = set('<>:"/|?*')
# A service key name: "Structure of the Registry" (a key name may hold any printable character but the
# backslash) and "Registry Element Size Limits" (255 characters). Lifeline also names the rollback record file
# after the service, so the characters a file name cannot hold (Naming Files, Paths, and Namespaces) and the
# wildcard brackets are refused too; no real service name uses them.
_SERVICE_FORBIDDEN = set('\\/:*?"<>|[]')


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


def windows_path(value: object, what: str, wildcards: bool = True) -> str:
    """An absolute local path ``X:\\dir\\name``; ``wildcards=False`` also refuses ``[`` and ``]``."""
    value = text(value, what)
    if not _VOLUME.match(value) or value[2:3] != "\\":
        raise ValueError(f"{what} {shown(value)} is not an absolute path such as 'C:\\Windows'")
    if value == value[:3]:
        return value
    for component in value[3:].split("\\"):
        if not component:
            raise ValueError(f"{what} {shown(value)} has an empty component (a doubled or trailing backslash)")
        if component in (".", ".."):
            raise ValueError(f"{what} {shown(value)} contains a '.' or '..' component")
        if component[-1] in " .":
            raise ValueError(f"{what} {shown(value)} has a component ending in a space or dot, which Windows drops")
        bad = sorted(
            _PATH_FORBIDDEN.intersection(component) | ({"[", "]"} & set(component) if not wildcards else set())
        )
        if bad:
            raise ValueError(f"{what} {shown(value)} contains {' '.join(bad)}, not allowed here")
    return value


def volume(value: object, what: str = "volume") -> str:
    """A drive letter with a colon (``C:``), in upper case."""
    if not isinstance(value, str) or not _VOLUME.fullmatch(value):
        raise ValueError(f"{what} {shown(value)} is not a drive letter with a colon, such as 'C:'")
    return value.upper()


def integer(value: object, what: str, low: int, high: int) -> int:
    """An int (not a bool) from ``low`` to ``high``."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{what} {shown(value)} is not an integer from {low} to {high}")
    return value


def flag(value: object, what: str) -> bool:
    """True or False, nothing else."""
    if not isinstance(value, bool):
        raise ValueError(f"{what} must be true or false, not {shown(value)}")
    return value


def service_name(value: object) -> str:
    """A service (driver) key name under ``Services``, or ValueError naming what is wrong with it."""
    value = text(value, "service name")
    if not value or value.strip() != value:
        raise ValueError(f"service name {shown(value)} is empty or starts or ends with a space")
    if len(value) > 255:
        raise ValueError(f"service name {shown(value)} is longer than the registry's 255 characters")
    bad = sorted(_SERVICE_FORBIDDEN.intersection(value))
    if bad or value.endswith(".") or value in (".", ".."):
        shown_bad = " ".join(bad) or "a trailing dot"
        raise ValueError(
            f"service name {shown(value)} contains {shown_bad}: not a service key name Lifeline accepts "
            "(a key name has no backslash; the rollback record file is named after the service)"
        )
    return value
