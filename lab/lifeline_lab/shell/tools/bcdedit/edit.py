"""bcdedit /set [{id}] <datatype> <value> and /deletevalue [{id}] <datatype>.

Without an identifier both change {current}, "the current operating system boot entry" [S:MS-bcdedit-set]
[S:MS-bcdedit-deletevalue]; with three arguments the first is the identifier, whatever it looks like (a forum
transcript: `/set [default] osdevice boot` fails to reference the entry [S:T-bcd-ref]). A datatype the entry
cannot hold gives the element-type message; a value its format cannot take, "The <format> data is not valid as
specified."; deleting an element that is not set, "An error occurred while attempting to delete the specified
data element." / "Element not found." (messages.py). The store is validated first and written only on success.
"""

from __future__ import annotations

from ....machine.bcd import BcdEntry
from . import cmdline, devices, elements
from .elements import BadValue, Element
from .messages import (
    DELETE_FAILED,
    ELEMENT_NOT_FOUND,
    FILE_NOT_FOUND,
    SET_FAILED,
    SUCCESS,
    BcdeditError,
    command_not_valid,
    data_not_valid,
    element_type_unknown,
)
from .session import Session


def _stored_key(entry: BcdEntry, name: str) -> str | None:
    """The element's key as stored (names are case-insensitive)."""
    return next((key for key in entry.elements if key.lower() == name.lower()), None)


def parse_value(session: Session, element: Element, values: list[str]) -> str | list[str]:
    """The stored form of the value(s) typed for `element`; BcdeditError when they do not fit its format."""
    data_format = element.data_format
    if data_format != elements.OBJECT_LIST and len(values) != 1:
        raise command_not_valid("set")
    try:
        if data_format == elements.DEVICE:
            try:
                device = devices.parse(values[0], session.drives)
            except devices.NoSuchVolume:
                raise BcdeditError([SET_FAILED, FILE_NOT_FOUND]) from None
            if device is None:
                raise BadValue(data_format)
            return device
        if data_format in (elements.OBJECT, elements.OBJECT_LIST):
            guids = [session.guid(value) for value in values]
            if any(guid is None for guid in guids):
                raise BadValue(data_format)
            return [str(guid) for guid in guids] if data_format == elements.OBJECT_LIST else str(guids[0])
        if data_format == elements.INTEGER:
            return elements.parse_integer(element, values[0])
        if data_format == elements.BOOLEAN:
            return elements.parse_boolean(values[0])
        return values[0]  # strings and integer lists are stored as typed
    except BadValue as exc:
        raise data_not_valid(exc.word) from None


def set_value(session: Session, args: list[str]) -> tuple[str, bool]:
    args = cmdline.split("set", args, {}).positional
    if len(args) < 2:
        raise command_not_valid("set")
    identifier, name, values = ("{current}", args[0], args[1:]) if len(args) == 2 else (args[0], args[1], args[2:])
    entry = session.entry(identifier)
    element = elements.element_for(entry.kind, name)
    if element is None:
        raise element_type_unknown()
    value = parse_value(session, element, values)
    old_key = _stored_key(entry, element.name)
    if old_key is not None and old_key != element.name:
        del entry.elements[old_key]
    entry.elements[element.name] = value
    return SUCCESS + "\r\n", True


def delete_value(session: Session, args: list[str]) -> tuple[str, bool]:
    args = cmdline.split("deletevalue", args, {}).positional
    if len(args) not in (1, 2):
        raise command_not_valid("deletevalue")
    identifier, name = ("{current}", args[0]) if len(args) == 1 else (args[0], args[1])
    entry = session.entry(identifier)
    element = elements.element_for(entry.kind, name)
    if element is None:
        raise element_type_unknown()
    key = _stored_key(entry, element.name)
    if key is None:
        raise BcdeditError([DELETE_FAILED, ELEMENT_NOT_FOUND])
    del entry.elements[key]
    return SUCCESS + "\r\n", True
