"""bcdedit /enum [<type> | <id>] [/v]: the entries of a store as text.

Layout (windows-tools.md §2.3, [S:MS-bootids] [S:T-bcd-packt] [S:T-bcd-minimal]): a blank line, then for each
entry its title, a line of dashes as long as the title, `identifier` and the elements, each name left-justified in
24 columns; further values of a list on their own lines indented 24 spaces; one blank line between entries; no
blank line after the last element. Types [S:MS-bcdedit-enum]: ACTIVE (the default: the boot manager, then the
entries of its display order), FIRMWARE, BOOTAPP, BOOTMGR, OSLOADER, RESUME, INHERIT, ALL. The order of ALL is
NOT FOUND IN SOURCES: the lab lists {bootmgr} first, then the store's order.
"""

from __future__ import annotations

from ....machine.bcd import BOOTMGR, BcdEntry
from . import cmdline, devices, elements, identifiers
from .messages import ENTRY_TYPE_INVALID, NO_MATCHING_OBJECTS, command_not_valid, usage_error
from .session import Session

NAME_WIDTH = 24
APPLICATION_KINDS = ("bootmgr", "osloader", "memdiag", "resume")


def _select(session: Session, kind: str) -> list[BcdEntry]:
    entries = list(session.store.entries.values())
    bootmgr = [entry for entry in entries if entry.identifier == BOOTMGR]
    if kind == "active":
        order = session.store.entries.get(BOOTMGR)
        listed = order.elements.get("displayorder", []) if order else []
        listed = [listed] if isinstance(listed, str) else listed
        guids = [session.guid(str(value)) or str(value).lower() for value in listed]
        guids = [guid for guid in dict.fromkeys(guids) if guid != BOOTMGR]
        return bootmgr + [session.store.entries[guid] for guid in guids if guid in session.store.entries]
    if kind == "all":
        return bootmgr + [entry for entry in entries if entry.identifier != BOOTMGR]
    if kind == "bootapp":
        return bootmgr + [e for e in entries if e.kind in APPLICATION_KINDS and e.identifier != BOOTMGR]
    if kind == "firmware":
        return [entry for entry in entries if entry.kind in ("fwbootmgr", "firmware")]
    return [entry for entry in entries if entry.kind == kind]


def _values(session: Session, entry: BcdEntry, name: str, stored: str | list[str]) -> list[str]:
    values = list(stored) if isinstance(stored, list) else [stored]
    element = elements.element_for(entry.kind, name)
    if element is None:
        return [str(value) for value in values]
    if element.data_format == elements.DEVICE:
        return [devices.render(str(value), session.drives) for value in values]
    if element.data_format in (elements.OBJECT, elements.OBJECT_LIST):
        return [session.show(str(value)) for value in values]
    return [str(value) for value in values]


def _line(name: str, value: str) -> str:
    return (name.ljust(NAME_WIDTH) if len(name) < NAME_WIDTH else name + " ") + value


def render_entry(session: Session, entry: BcdEntry) -> list[str]:
    lines = [entry.title, "-" * len(entry.title), _line("identifier", session.show(entry.identifier))]
    ordered = sorted(
        enumerate(entry.elements.items()), key=lambda item: elements.sort_key(entry.kind, item[1][0], item[0])
    )
    for _, (name, stored) in ordered:
        values = _values(session, entry, name, stored) or [""]
        lines.append(_line(name, values[0]))
        lines.extend(" " * NAME_WIDTH + value for value in values[1:])
    return lines


def enum(session: Session, args: list[str]) -> tuple[str, bool]:
    args = cmdline.split("enum", args, {}).positional
    if len(args) > 1:
        raise command_not_valid("enum")
    target = args[0] if args else "active"
    if target.lower() in ("active", "firmware", "bootapp", "bootmgr", "osloader", "resume", "inherit", "all"):
        chosen = _select(session, target.lower())
    else:
        if not identifiers.is_identifier(target):
            raise usage_error(ENTRY_TYPE_INVALID)
        guid = session.guid(target)  # None: {default} or {current} names nothing in this store
        found = session.store.entries.get(guid) if guid else None
        chosen = [found] if found is not None else []
    if not chosen:
        return NO_MATCHING_OBJECTS + "\r\n", False
    lines: list[str] = []
    for entry in chosen:
        lines.append("")
        lines.extend(render_entry(session, entry))
    return "".join(line + "\r\n" for line in lines), False
