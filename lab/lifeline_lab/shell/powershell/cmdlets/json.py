"""ConvertTo-Json and ConvertFrom-Json as Windows PowerShell 5.1 has them (JavaScriptSerializer underneath).

ConvertTo-Json (windows-tools.md §7.5; ConvertToJsonCommand.cs of the 5.1-era sources, full-CLR branch):
- input objects are collected; one is serialised as itself, several as an array; $null input writes nothing;
- -Depth (default 2) bounds nesting: a non-scalar value deeper than that becomes its string form;
- a PSObject's extended properties are added: a pipeline DateTime becomes {"value": ..., "DateTime": ...} (Get-Date's
  output also has "DisplayHint"), a provider FileInfo gets PSPath, PSDrive ... after its .NET properties;
- DateTime is "\\/Date(<ms since 1970 UTC>)\\/", enums are numbers, strings escape <, >, ' and & as \\u003c ...;
- without -Compress the compact text is re-indented by ConvertToPrettyJsonString: 4 spaces a level, two spaces
  after each colon, nested blocks indented to the column after their key.
ConvertFrom-Json: objects become PSCustomObjects (properties in order), arrays are written as one array object
(not enumerated, a 5.1 trait), "\\/Date(ms)\\/" strings become DateTimes, invalid JSON is an ArgumentException.
"""

from __future__ import annotations

import json as _json
import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from ..binding import CmdletInfo, ConversionFailure, Param, convert_int32
from ..datetimes import EPOCH, PSDateTime, json_milliseconds
from ..errors import PSError, not_implemented
from ..fsobjects import EnumValue, FileSystemItem
from ..values import PSCustomObject, PSHashtable, PSObject, ScriptBlock, format_double, to_string, type_name
from .cim import ManagementInstance

if TYPE_CHECKING:
    from ..commands import CmdletCall

MAX_DEPTH = 100


class _Date:
    """A DateTime for the serializer."""

    def __init__(self, value: PSDateTime) -> None:
        self.value = value


def _process(call: CmdletCall, value: Any, depth: int, limit: int) -> Any:
    """ConvertToJsonCommand.ProcessValue: a tree of dict/list/str/int/float/bool/None/_Date."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, EnumValue):
        return value.number
    if isinstance(value, PSDateTime):
        if not value.wrapped:
            return _Date(value)
        wrapped: dict[str, Any] = {"value": _Date(value)}
        if value.display_hint is not None:
            wrapped["DisplayHint"] = ("Date", "Time", "DateTime").index(value.display_hint)
        wrapped["DateTime"] = value.datetime_text()
        return wrapped
    if isinstance(value, ScriptBlock | ManagementInstance):
        raise not_implemented(f"ConvertTo-Json of {type_name(value)} objects (select properties first)", call.extent)
    if depth > limit:
        return to_string(value)
    if isinstance(value, PSHashtable):
        result: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise PSError(
                    call.record(
                        "The type 'System.Collections.Hashtable' is not supported for serialization or "
                        "deserialization of a dictionary. Keys must be strings.",
                        "InvalidOperation",
                        "InvalidOperationException",
                        "NonStringKeyInDictionary",
                    )
                )
            result[key] = _process(call, item, depth + 1, limit)
        return result
    if isinstance(value, list):
        return [_process(call, item, depth + 1, limit) for item in value]
    if isinstance(value, FileSystemItem):
        return {name: _process(call, value.get_property(name), depth + 1, limit) for name in value.json_members()}
    if isinstance(value, PSObject):
        return {name: _process(call, value.get_property(name), depth + 1, limit) for name in value.property_names()}
    raise not_implemented(f"ConvertTo-Json of {type_name(value)} objects", call.extent)


_ESCAPES = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r", '"': '\\"', "\\": "\\\\"}


def _string(text: str) -> str:
    """JavaScriptSerializer.SerializeString."""
    out = ['"']
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif char < " " or char in "<>'&":
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _double(value: float) -> str:
    """Double.ToString("r", InvariantCulture)."""
    if value != value or value in (float("inf"), float("-inf")):
        return format_double(value)
    text = repr(value)
    if text.endswith(".0"):
        text = text[:-2]
    mantissa, _, exponent = text.partition("e")
    if exponent:
        sign = exponent[0] if exponent[0] in "+-" else "+"
        digits = exponent.lstrip("+-")
        text = f"{mantissa}E{sign}{int(digits):02d}"
    return text


def serialize(value: Any) -> str:
    """The compact JSON text of a processed tree."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _double(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, _Date):
        return f'"\\/Date({json_milliseconds(value.value.value)})\\/"'
    if isinstance(value, list):
        return "[" + ",".join(serialize(item) for item in value) + "]"
    return "{" + ",".join(f"{_string(key)}:{serialize(item)}" for key, item in value.items()) + "}"


# -- ConvertToPrettyJsonString, ported character for character ---------------------------------------------
def pretty(text: str) -> str:
    if not text.startswith(("{", "[")):
        return text
    out: list[str] = [text[0]]
    if text[0] == "{":
        _dictionary(text, 1, out, "", 0)
    else:
        _list(text, 1, out, "", 0)
    return "".join(out)


def _quoted(text: str, index: int, out: list[str]) -> int:
    i = index
    while i < len(text):
        out.append(text[i])
        if text[i] == '"':
            j, escaped = i, False
            while j > 0 and text[j - 1] == "\\":
                j -= 1
                escaped = not escaped
            if not escaped:
                return i
        i += 1
    raise ValueError("unterminated string")


def _list(text: str, index: int, out: list[str], pad: str, spaces: int) -> int:
    out.append("\r\n")
    new_pad = pad + " " * spaces + " " * 4
    head = True
    i = index
    while i < len(text):
        char = text[i]
        if char == "{":
            out.append(new_pad + char)
            i = _dictionary(text, i + 1, out, new_pad, 0)
            head = False
        elif char == "[":
            out.append(new_pad + char)
            i = _list(text, i + 1, out, new_pad, 0)
            head = False
        elif char == "]":
            out.append("\r\n" + pad + " " * spaces + char)
            return i
        elif char == '"':
            if head:
                out.append(new_pad)
            out.append(char)
            i = _quoted(text, i + 1, out)
            head = False
        elif char == ",":
            out.append(",\r\n")
            head = True
        else:
            if head:
                out.append(new_pad)
            out.append(char)
            head = False
        i += 1
    raise ValueError("unterminated list")


def _dictionary(text: str, index: int, out: list[str], pad: str, spaces: int) -> int:
    out.append("\r\n")
    new_pad = pad + " " * spaces + " " * 4
    head = True
    before_quote = True
    new_spaces = 0
    i = index
    while i < len(text):
        char = text[i]
        if char == "{":
            out.append(char)
            i = _dictionary(text, i + 1, out, new_pad, new_spaces)
            head = False
        elif char == "[":
            out.append(char)
            i = _list(text, i + 1, out, new_pad, new_spaces)
            head = False
        elif char == "}":
            out.append("\r\n" + pad + " " * spaces + char)
            return i
        elif char == '"':
            if head:
                out.append(new_pad)
            out.append(char)
            end = _quoted(text, i + 1, out)
            if before_quote:
                new_spaces += end - i + 1
            i = end
            head = False
        elif char == ":":
            out.append(":  ")
            new_spaces += 3
            head = False
            before_quote = False
        elif char == ",":
            out.append(",\r\n")
            head = True
            before_quote = True
            new_spaces = 0
        else:
            if head:
                out.append(new_pad)
            out.append(char)
            if before_quote:
                new_spaces += 1
            head = False
        i += 1
    raise ValueError("unterminated object")


def _depth(value: Any) -> int:
    number = convert_int32(value)
    if number < 1:
        raise ConversionFailure(f"The {number} argument is less than the minimum allowed range of 1.")
    return number


async def _convert_to_json(call: CmdletCall) -> None:
    limit = call.args.get("Depth", 2)
    if limit > MAX_DEPTH:
        raise PSError(
            call.record(
                f"The maximum depth allowed for serialization is {MAX_DEPTH}.",
                "InvalidOperation",
                "InvalidOperationException",
                "ReachedMaximumDepthAllowed",
            )
        )
    if "InputObject" in call.args:
        objects = [call.args["InputObject"]]
    else:
        objects = [_pipeline_object(item) for item in call.input]
    objects = [item for item in objects if item is not None]
    if not objects:
        return
    target: Any = objects if len(objects) > 1 else objects[0]
    text = serialize(_process(call, target, 0, limit))
    call.emit(text if call.args.get("Compress") else pretty(text))


def _pipeline_object(item: Any) -> Any:
    """An object written to the pipeline is a PSObject: a DateTime carries its DateTime script property."""
    if isinstance(item, PSDateTime) and not item.wrapped:
        return PSDateTime(item.value, item.kind, display_hint=item.display_hint, wrapped=True)
    return item


# -- ConvertFrom-Json -------------------------------------------------------------------------------------
_DATE = re.compile(r"^/Date\((-?\d+)(?:[+-]\d{4})?\)/$")


def _date_string(value: Any) -> Any:
    """JavaScriptSerializer turns "\\/Date(ms)\\/" strings into DateTimes (UTC)."""
    if isinstance(value, str):
        match = _DATE.match(value)
        if match is not None:
            return PSDateTime(EPOCH + timedelta(milliseconds=int(match.group(1))), "Utc")
    return value


class _Pairs(list):  # type: ignore[type-arg]
    """A JSON object's members in order (duplicates kept, so they can be reported)."""


def _parse(text: str) -> Any:
    return _json.loads(text, object_pairs_hook=_Pairs)


def _from_pairs(call: CmdletCall, value: Any) -> Any:
    if isinstance(value, _Pairs):
        result = PSCustomObject()
        for key, item in value:
            if result.has_property(key):
                raise PSError(
                    call.record(
                        "Cannot convert the JSON string because a dictionary that was converted from the string "
                        f"contains the duplicated keys '{result.property_name(key)}' and '{key}'.",
                        "InvalidOperation",
                        "InvalidOperationException",
                        "DuplicateKeysInJsonString",
                    )
                )
            result.add_note(key, _from_pairs(call, item))
        return result
    if isinstance(value, list):
        return [_from_pairs(call, item) for item in value]
    return _date_string(value)


def _invalid(call: CmdletCall, text: str, error: _json.JSONDecodeError) -> PSError:
    """JavaScriptSerializer's ArgumentException, uncaught by the cmdlet: NotSpecified, System.ArgumentException."""
    token = re.match(r"[^\s,:\[\]{}]*", text[error.pos :])
    shown = token.group(0) if token and token.group(0) else text[error.pos : error.pos + 1]
    record = call.record(f"Invalid JSON primitive: {shown}.", "NotSpecified", "ArgumentException",
                         "System.ArgumentException")  # fmt: skip
    return PSError(record)


def _convert_one(call: CmdletCall, text: str) -> Any:
    try:
        parsed = _parse(text)
    except _json.JSONDecodeError as error:
        raise _invalid(call, text, error) from None
    return _from_pairs(call, parsed)


async def _convert_from_json(call: CmdletCall) -> None:
    if "InputObject" in call.args:
        texts = [to_string(call.args["InputObject"])]
    else:
        texts = [to_string(item) for item in call.input]
    if not texts:
        return
    if len(texts) > 1:
        # each input a whole document, else all of them together (ConvertFromJsonCommand.EndProcessing)
        try:
            first = _parse(texts[0])
        except _json.JSONDecodeError:
            first = None
        if first is not None:
            for text in texts:
                call.emit(_convert_one(call, text))
            return
        texts = ["\r\n".join(texts)]
    call.emit(_convert_one(call, texts[0]))


CONVERT_TO_JSON = CmdletInfo(
    "ConvertTo-Json",
    "ConvertToJsonCommand",
    (
        Param("InputObject", "System.Object", position=0, pipeline=True, mandatory=True),
        Param("Depth", "System.Int32", _depth),
        Param("Compress", "System.Management.Automation.SwitchParameter", switch=True),
    ),
    _convert_to_json,
)
CONVERT_FROM_JSON = CmdletInfo(
    "ConvertFrom-Json",
    "ConvertFromJsonCommand",
    (Param("InputObject", "System.String", to_string, position=0, pipeline=True, mandatory=True),),
    _convert_from_json,
)
