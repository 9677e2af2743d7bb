# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""bcdedit.exe: the calls Lifeline makes and reading what ``bcdedit /enum`` prints ("BCDEdit Command-Line Options",
"Boot Options Identifiers" and "BCDEdit /enum", Microsoft Learn).

Calls: ``bcdedit [/store <file>] /enum | /set | /deletevalue | /delete``; identifiers (``bcd_identifier``: a
well-known one such as ``{default}``, or a GUID), element names and values are checked first (ValueError naming
them), and a builder returns the call (``NativeCall``) for a script to place (``_powershell.py``).

Output of ``bcdedit /enum``: a blank line, then one entry after another, separated by one or more blank lines. An
entry is a title (``Windows Boot Loader``), a line of as many dashes, and one element per line: the name
left-justified in a 24-character field, then the value. A further value of a multi-valued element
(``displayorder``, ``inherit``, ...) is on its own line, indented 24 spaces. The first element is
always ``identifier``.

Localized bcdedit translates the titles and the ``identifier`` label (``Bezeichner`` on de-DE,
``identificateur`` on fr-FR) but not the other element names, so an entry whose first element is
not ``identifier`` is refused rather than read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ansible_collections.lifeline.recovery.plugins.plugin_utils._inputs import flag, shown, windows_path
from ansible_collections.lifeline.recovery.plugins.plugin_utils._parsers import ParseError, split_lines
from ansible_collections.lifeline.recovery.plugins.plugin_utils._powershell import NativeCall

__all__ = [
    "BCD_WELL_KNOWN_IDENTIFIERS",
    "LIST_ELEMENTS",
    "BcdEntry",
    "BcdValue",
    "bcd_identifier",
    "bcdedit_delete",
    "bcdedit_deletevalue",
    "bcdedit_enum",
    "bcdedit_set",
    "parse_bcdedit_enum",
    "parse_object_present",
]

# bcdedit /? ID: the well-known identifiers.
BCD_WELL_KNOWN_IDENTIFIERS = frozenset(
    (
        "{bootmgr}",
        "{fwbootmgr}",
        "{memdiag}",
        "{ntldr}",
        "{current}",
        "{default}",
        "{badmemory}",
        "{bootloadersettings}",
        "{dbgsettings}",
        "{emssettings}",
        "{globalsettings}",
        "{hypervisorsettings}",
        "{resumeloadersettings}",
        "{ramdiskoptions}",
    )
)
_GUID_IDENTIFIER = re.compile(r"\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}", re.I | re.A)
# bcdedit /enum <type>.
_BCD_ENUM_TYPES = frozenset(("active", "firmware", "bootapp", "bootmgr", "osloader", "resume", "inherit", "all"))
_BCD_ELEMENT = re.compile(r"[a-z]+", re.ASCII)
_BCD_VALUE = re.compile(r"[A-Za-z0-9{\\][A-Za-z0-9{}=:.\\_-]*", re.ASCII)


def bcd_identifier(value: object) -> str:
    """A BCD identifier: a well-known one such as ``{default}`` (bcdedit /? ID), or a GUID in braces."""
    if not isinstance(value, str) or not (
        value.lower() in BCD_WELL_KNOWN_IDENTIFIERS or _GUID_IDENTIFIER.fullmatch(value)
    ):
        raise ValueError(
            f"BCD identifier {shown(value)} is neither a well-known identifier such as {{default}} nor a GUID"
        )
    return value


def _bcd_element(value: object) -> str:
    if not isinstance(value, str) or not _BCD_ELEMENT.fullmatch(value):
        raise ValueError(f"BCD element {shown(value)} is not a bcdedit element name (lower-case letters)")
    return value


def _store(store: object) -> list[str]:
    return [] if store is None else ["/store", windows_path(store, "BCD store")]


# --- the calls --------------------------------------------------------------------------------------------------------


def bcdedit_enum(store: str | None = None, verbose: bool = True, entries: str | None = None) -> NativeCall:
    """``bcdedit [/store <file>] /enum [<entries>] [/v]``; ``entries``: a type (``all``, ``osloader``…) or an id."""
    listed = []
    if isinstance(entries, str) and entries.lower() in _BCD_ENUM_TYPES:
        listed = [entries.lower()]
    elif entries is not None:
        listed = [bcd_identifier(entries)]
    verbose_switch = ["/v"] if flag(verbose, "verbose") else []
    return NativeCall("bcdedit.exe", *_store(store), "/enum", *listed, *verbose_switch)


def bcdedit_set(identifier: str, element: str, value: str, store: str | None = None) -> NativeCall:
    """``bcdedit [/store <file>] /set <id> <element> <value>``, e.g. ``/set {default} safeboot network``."""
    if not isinstance(value, str) or not _BCD_VALUE.fullmatch(value):
        raise ValueError(f"BCD value {shown(value)} is not a bcdedit value (letters, digits and {{}}=:.\\_-)")
    return NativeCall("bcdedit.exe", *_store(store), "/set", bcd_identifier(identifier), _bcd_element(element), value)


def bcdedit_deletevalue(identifier: str, element: str, store: str | None = None) -> NativeCall:
    """``bcdedit [/store <file>] /deletevalue <id> <element>``."""
    return NativeCall("bcdedit.exe", *_store(store), "/deletevalue", bcd_identifier(identifier), _bcd_element(element))


def bcdedit_delete(identifier: str, store: str | None = None) -> NativeCall:
    """``bcdedit [/store <file>] /delete <id>``: deletes a whole object ("BCDEdit /delete", Microsoft Learn).

    Only an object named by its GUID: a well-known identifier (``{default}``, ``{bootmgr}``...) is refused here,
    because bcdedit deletes those only with ``/f`` and Lifeline never deletes them."""
    if not isinstance(identifier, str) or not _GUID_IDENTIFIER.fullmatch(identifier):
        raise ValueError(f"only an object named by its GUID is deleted, not {shown(identifier)}")
    return NativeCall("bcdedit.exe", *_store(store), "/delete", identifier)


# --- reading bcdedit /enum --------------------------------------------------------------------------------------------

_TOOL = "bcdedit /enum"
NAME_WIDTH = 24
# Elements of the object-list type (BcdBootMgrElementTypes, BcdLibraryElementTypes, Microsoft Learn):
# always a tuple, even with one value.
LIST_ELEMENTS = frozenset(("displayorder", "toolsdisplayorder", "bootsequence", "inherit", "recoverysequence"))
_ELEMENT = re.compile(r"(?P<name>[a-z][a-z0-9]*|custom:[0-9a-fA-F]{8})(?P<gap> +)(?P<value>\S.*)?")
_CONTINUATION = re.compile(" " * NAME_WIDTH + r"(?P<value>\S.*)")
_DASHES = re.compile(r"-+")
_LOCALIZED_HINT = "Lifeline reads en-US bcdedit output only"
# What ``bcdedit /enum <id>`` prints for an identifier the store does not hold (public transcripts; its exit code
# and stream are not documented, so neither is relied on).
NO_MATCHING_OBJECTS = "There are no matching objects or the store is empty."

BcdValue = str | tuple[str, ...]


@dataclass(frozen=True)
class BcdEntry:
    """One entry of the BCD store: its title (``Windows Boot Loader``), its identifier (``{current}``,
    ``{default}`` or a GUID) and its elements in the order printed, ``identifier`` included. A value
    is a str, or a tuple for the elements of ``LIST_ELEMENTS`` and any element printed on several lines.
    """

    title: str
    identifier: str
    elements: dict[str, BcdValue] = field(hash=False)

    def get(self, name: str, default: BcdValue | None = None) -> BcdValue | None:
        """The value of element ``name`` (bcdedit prints names in lower case), or ``default``."""
        return self.elements.get(name.lower(), default)


def parse_bcdedit_enum(text: str) -> list[BcdEntry]:
    """The entries in ``bcdedit [/store <file>] /enum [<type>|<id>] [/v]`` output, in order.

    Raises ParseError for empty output (bcdedit writes its errors to stderr and exits 1), an error
    message, a title without its line of dashes, an entry without elements, an element line out of
    its column, a repeated element, or an entry that does not start with ``identifier`` (localized).
    """
    lines = split_lines(text)
    entries: list[BcdEntry] = []
    title: tuple[int, str] | None = None
    elements: dict[str, list[str]] = {}
    last: str | None = None
    number = 0
    while number < len(lines):
        line = lines[number]
        number += 1
        if not line.strip():
            if title is not None:
                entries.append(_entry(title, elements))
                title, elements, last = None, {}, None
            continue
        continuation = _CONTINUATION.fullmatch(line)
        if continuation and last is not None:
            elements[last].append(continuation.group("value").rstrip())
            continue
        if not line[0].isspace() and number < len(lines) and _DASHES.fullmatch(lines[number]):
            # A title and its underline (a paste may have lost the blank line before it).
            if len(lines[number]) != len(line):
                raise ParseError(_TOOL, "the line of dashes under this title is not as long as the title", number, line)
            if title is not None:
                entries.append(_entry(title, elements))
            title, elements, last = (number, line), {}, None
            number += 1
            continue
        if title is None:
            raise ParseError(
                _TOOL, f"expected an entry title followed by a line of dashes; {_LOCALIZED_HINT}", number, line
            )
        last = _element(number, line, elements)
    if title is not None:
        entries.append(_entry(title, elements))
    if not entries:
        raise ParseError(_TOOL, "no entries (empty output: bcdedit writes its errors to stderr)")
    return entries


def _element(number: int, line: str, elements: dict[str, list[str]]) -> str:
    """Adds the element on ``line`` to ``elements`` and returns its name."""
    match = _ELEMENT.fullmatch(line)
    if not match:
        raise ParseError(
            _TOOL, f"not an element line ('name' padded to {NAME_WIDTH}, value); {_LOCALIZED_HINT}", number, line
        )
    name = match.group("name")
    if match.group("value") is not None and match.start("value") != max(NAME_WIDTH, len(name) + 1):
        raise ParseError(_TOOL, f"the value does not start in column {NAME_WIDTH + 1}", number, line)
    if name in elements:
        raise ParseError(_TOOL, f"element {name} appears twice in one entry", number, line)
    if not elements and name != "identifier":
        raise ParseError(_TOOL, f"an entry must start with 'identifier'; {_LOCALIZED_HINT}", number, line)
    elements[name] = [(match.group("value") or "").rstrip()]
    return name


def _entry(title: tuple[int, str], elements: dict[str, list[str]]) -> BcdEntry:
    number, line = title
    if not elements:
        raise ParseError(_TOOL, "an entry without elements (cut off?)", number, line)
    identifier = elements["identifier"]
    if len(identifier) != 1 or not identifier[0]:
        raise ParseError(_TOOL, "the entry's identifier is not one value", number, line)
    values: dict[str, BcdValue] = {
        name: tuple(value) if name in LIST_ELEMENTS or len(value) > 1 else value[0] for name, value in elements.items()
    }
    return BcdEntry(title=line.rstrip(), identifier=identifier[0], elements=values)


def parse_object_present(text: str, identifier: str) -> bool:
    """Whether ``bcdedit [/store <file>] /enum <identifier> [/v]`` found the object: True when an entry with that
    identifier is printed, False for ``NO_MATCHING_OBJECTS``; ParseError for anything else (empty, localized, an
    error such as access denied), so an unreadable store is never taken for an absent object."""
    wanted = bcd_identifier(identifier).lower()
    if NO_MATCHING_OBJECTS in (line.strip() for line in split_lines(text)):
        return False
    entries = parse_bcdedit_enum(text)
    if any(entry.identifier.lower() == wanted for entry in entries):
        return True
    raise ParseError(_TOOL, f"asked for {wanted}, printed {', '.join(e.identifier for e in entries)}")
