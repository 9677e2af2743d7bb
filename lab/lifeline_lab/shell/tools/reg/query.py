"""reg query: a key's values and subkeys, one value, a recursive listing, or a search.

Layouts are Wine's conformance strings checked on real Windows (windows-tools.md §1.3):
- plain: a blank line, the key, its values, a blank line, then the subkeys one per line (no trailing blank
  line); a key without values is not printed itself, only its subkeys;
- /s: every key followed by its values and ONE blank line;
- /v or /ve: the key, the value line, a blank line; a missing /v value fails, a missing default prints
  `(value not set)` and succeeds;
- a search (/f, /t, or /v with /s) prints each matching key with its matching values and a blank line, then
  `End of search: N match(es) found.` (real transcripts: `reg query HKCU /s /f mim.exe`,
  `reg query <key> /t REG_SZ`, `reg query <key> /s /v DistributionName`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ....machine.registry import Key, Value
from ...context import ProcessContext
from .common import (
    NOT_FOUND,
    RegFailure,
    invalid_syntax,
    lab_limit,
    open_key,
    parse_key,
    parse_switches,
    registry_of,
    subkeys,
    write_lines,
)
from .formatting import MULTI_SZ_SEPARATOR, default_not_set_line, display_data, value_line

OPERATION = "QUERY"
WITH_ARGUMENT = frozenset({"se", "f", "t"})
FLAGS = frozenset({"ve", "s", "k", "d", "c", "e", "z", "reg:32", "reg:64"})
# MS Learn "reg query" /t: the types a search can filter on (REG_QWORD from `reg query /?`).
SEARCH_TYPES = ("REG_SZ", "REG_MULTI_SZ", "REG_EXPAND_SZ", "REG_DWORD", "REG_QWORD", "REG_BINARY", "REG_NONE")


@dataclass(frozen=True)
class Search:
    """What a search looks for. MS Learn "reg query": /f pattern (default `*`), /k key names only, /d data
    only, /v without a name value names only (`reg query /?`), /c case-sensitive, /e exact match, /t type."""

    pattern: re.Pattern[str]
    in_keys: bool
    in_names: bool
    in_data: bool
    value_type: str | None
    value_name: str | None  # /v Name or /ve (""): only that value is a candidate
    separator: str

    def value_matches(self, key_matched: bool, value: Value) -> bool:
        if self.value_type is not None and value.type != self.value_type:
            return False
        if self.value_name is not None and value.name.lower() != self.value_name.lower():
            return False
        return (
            key_matched
            or (self.in_names and bool(self.pattern.search(value.name)))
            or (self.in_data and bool(self.pattern.search(display_data(value, self.separator))))
        )


def _pattern(text: str, exact: bool, case_sensitive: bool) -> re.Pattern[str]:
    """`*` and `?` are wildcards; without /e the pattern may match anywhere in the text."""
    body = "".join(".*" if char == "*" else "." if char == "?" else re.escape(char) for char in text)
    flags = re.DOTALL | (0 if case_sensitive else re.IGNORECASE)
    return re.compile(f"^{body}$" if exact else body, flags)


async def run(args: list[str], ctx: ProcessContext) -> int:
    if not args or args[0].startswith(("/", "-")):
        raise invalid_syntax(OPERATION)  # Wine's tests: `reg query` without a key exits 1
    key_name = parse_key(args[0], OPERATION)
    switches = parse_switches(args[1:], OPERATION, WITH_ARGUMENT, FLAGS, optional_argument=frozenset({"v"}))
    if ("v" in switches and "ve" in switches) or ("k" in switches and "d" in switches):
        raise invalid_syntax(OPERATION)  # MS Learn: [{/v | /ve}], [{/k | /d}]
    if "v" in switches and switches["v"] is None and "f" not in switches:
        raise invalid_syntax(OPERATION)  # `reg query /?`: /v's argument is optional only with /f
    if "z" in switches:
        raise lab_limit("reg query /z (the layout of the numeric type is not in the lab's sources)")
    separator = switches.get("se") or MULTI_SZ_SEPARATOR
    if "se" in switches and len(separator) != 1:
        raise invalid_syntax(OPERATION)  # `reg query /?`: /se takes one character
    value_type = switches.get("t")
    if value_type is not None:
        value_type = value_type.upper()
        if value_type not in SEARCH_TYPES:
            raise invalid_syntax(OPERATION)
    registry = registry_of(ctx)
    key = open_key(registry, key_name)
    if key is None:
        raise RegFailure(NOT_FOUND)
    searching = bool({"f", "t", "k", "d", "c", "e"} & switches.keys()) or (
        "s" in switches and ({"v", "ve"} & switches.keys())
    )
    out: list[str] = [""]  # every listing starts with a blank line
    if searching:
        search = _search(switches, value_type, separator)
        count = _search_key(key, key_name.display, search, "s" in switches, out, top=True)
        out.append(f"End of search: {count} match(es) found.")
        write_lines(ctx.write_stdout, *out)
        # With no match the exit code is NOT FOUND IN SOURCES: the lab fails, like a query of a missing value.
        return 0 if count else 1
    if "v" in switches or "ve" in switches:
        name = switches.get("v") or ""
        value = key.get(name)
        if value is None and name:
            raise RegFailure(NOT_FOUND)
        out += [key_name.display, value_line(value, separator) if value else default_not_set_line(), ""]
    else:
        _list(key, key_name.display, "s" in switches, separator, out, recursing=False)
    write_lines(ctx.write_stdout, *out)
    return 0


def _list(key: Key, path: str, recurse: bool, separator: str, out: list[str], recursing: bool) -> None:
    values = list(key.values.values())
    if values or recursing:
        out.append(path)
    out.extend(value_line(value, separator) for value in values)
    if values or recursing:
        out.append("")
    for sub in subkeys(key):
        if recurse:
            _list(sub, f"{path}\\{sub.name}", recurse, separator, out, recursing=True)
        else:
            out.append(f"{path}\\{sub.name}")


def _search(switches: dict[str, str | None], value_type: str | None, separator: str) -> Search:
    explicit = "f" in switches
    restricted = bool({"k", "d"} & switches.keys()) or ("v" in switches and switches["v"] is None)
    named = "ve" in switches or switches.get("v") is not None
    return Search(
        pattern=_pattern(switches.get("f") or "*", "e" in switches, "c" in switches),
        # Key names are searched only for an explicit /f pattern, and not when one value is asked for:
        # `reg query <key> /s /v Name` lists only the keys holding Name (Wine's test on Windows).
        in_keys=explicit and not named and ("k" in switches or not restricted),
        in_names=not restricted or ("v" in switches and switches["v"] is None),
        in_data="d" in switches or not restricted,
        value_type=value_type,
        value_name="" if "ve" in switches else switches.get("v"),
        separator=separator,
    )


def _search_key(key: Key, path: str, search: Search, recurse: bool, out: list[str], top: bool) -> int:
    """One key of a search: its matching values (a key whose name matches shows all its candidate values),
    then its subkeys. Without /s only the subkeys' names are looked at. Returns the number of matches."""
    key_matched = not top and search.in_keys and bool(search.pattern.search(key.name))
    matched = [value for value in key.values.values() if search.value_matches(key_matched, value)]
    count = 0
    if matched:
        out.append(path)
        out.extend(value_line(value, search.separator) for value in matched)
        out.append("")
        count += len(matched)
    elif key_matched:
        out.append(path)
        count += 1
    for sub in subkeys(key):
        sub_path = f"{path}\\{sub.name}"
        if recurse:
            count += _search_key(sub, sub_path, search, recurse, out, top=False)
        elif search.in_keys and search.pattern.search(sub.name):
            out.append(sub_path)
            count += 1
    return count
