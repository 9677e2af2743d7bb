"""Get-Content (gc, type, cat), Set-Content (sc) and Add-Content (ac) on the file system.

Windows PowerShell 5.1 (windows-tools.md §7.4, about_Character_Encoding, Get-Content.md, FileSystemProvider.cs):
- reading: a byte order mark wins, otherwise `Default`, the ANSI code page (1252 on en-US); lines end at CR, LF or
  CRLF and a final line break adds no empty line; -Raw is one string; -Encoding Byte gives System.Byte values
  (one decimal per line when shown) and -TotalCount counts bytes; -ReadCount 0 sends everything as one array;
- writing: Set-Content and Add-Content write `Default` (ANSI) when the file is new or empty; Add-Content keeps the
  encoding of an existing file's BOM; UTF8, Unicode, BigEndianUnicode and UTF32 write a BOM; each value is written
  as a line (CRLF) unless -NoNewline; String and Unknown mean Unicode;
- a file held open by another process (a loaded registry hive) fails with the IOException of .NET's FileStream.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ....machine.filesystem import Node
from ..binding import CmdletInfo, ConversionFailure, Param, convert_int32, convert_string_array
from ..values import to_string
from . import provider as fs
from .filesystem_items import path_inputs

if TYPE_CHECKING:
    from ..commands import CmdletCall

ENCODINGS = (
    "Unknown", "String", "Unicode", "Byte", "BigEndianUnicode", "UTF8", "UTF7", "UTF32", "Ascii", "Default", "Oem",
    "BigEndianUTF32",
)  # fmt: skip
# name: (Python codec, byte order mark written at the start of a new file)
_CODECS = {
    "Unknown": ("utf-16-le", b"\xff\xfe"),
    "String": ("utf-16-le", b"\xff\xfe"),
    "Unicode": ("utf-16-le", b"\xff\xfe"),
    "BigEndianUnicode": ("utf-16-be", b"\xfe\xff"),
    "UTF8": ("utf-8", b"\xef\xbb\xbf"),
    "UTF7": ("utf-7", b""),
    "UTF32": ("utf-32-le", b"\xff\xfe\x00\x00"),
    "BigEndianUTF32": ("utf-32-be", b"\x00\x00\xfe\xff"),
    "Ascii": ("ascii", b""),
    "Default": ("cp1252", b""),
    "Oem": ("cp437", b""),
}
_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


def _encoding(value: Any) -> str:
    text = to_string(value).strip()
    for name in ENCODINGS:
        if name.casefold() == text.casefold():
            return name
    raise ConversionFailure(
        f"Unable to match the identifier name {text} to a valid enumerator name. Specify one of the following "
        f"enumerator names and try again:\r\n{', '.join(ENCODINGS)}"
    )


def decode(data: bytes, encoding: str | None) -> str:
    """StreamReader with detectEncodingFromByteOrderMarks: a BOM wins, else the given encoding or ANSI."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(codec, errors="replace")
    codec = _CODECS[encoding or "Default"][0]
    if codec == "ascii":
        return "".join(chr(byte) if byte < 128 else "?" for byte in data)
    if codec == "cp1252":
        # .NET's code page 1252 maps its five undefined bytes to the same code points (best fit)
        return "".join(_cp1252(byte) for byte in data)
    return data.decode(codec, errors="replace")


def _cp1252(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return chr(byte)


def encode(text: str, encoding: str) -> bytes:
    codec = _CODECS[encoding][0]
    return text.encode(codec, errors="replace")


def split_lines(text: str) -> list[str]:
    """StreamReader.ReadLine over the whole text."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _read_error(call: CmdletCall, path: str, node: Node) -> bool:
    """The FileStream failures Get-Content reports; True when one was written."""
    if node.is_dir:
        call.write_error(
            fs.io_record(
                call,
                f"Access to the path '{path}' is denied.",
                "PermissionDenied",
                "GetContentReaderUnauthorizedAccessError",
                path,
                reason="UnauthorizedAccessException",
            )
        )
        return True
    if node.in_use_by:
        message = f"The process cannot access the file '{path}' because it is being used by another process."
        call.write_error(fs.io_record(call, message, "ReadError", "GetContentReaderIOError", path))
        return True
    return False


def _send(call: CmdletCall, values: list[Any], read_count: int) -> None:
    """-ReadCount: 1 sends each value, 0 one array of all, N arrays of N."""
    if read_count == 1:
        for value in values:
            call.emit(value)
    elif read_count <= 0:
        if values:
            call.emit(list(values))
    else:
        for start in range(0, len(values), read_count):
            chunk = values[start : start + read_count]
            call.emit(chunk if len(chunk) > 1 else chunk[0])


async def _get_content(call: CmdletCall) -> None:
    args = call.args
    encoding = args.get("Encoding")
    total = args.get("TotalCount", -1)
    tail = args.get("Tail")
    read_count = args.get("ReadCount", 1)
    for raw, literal in path_inputs(call):
        try:
            target = fs.resolve(call, raw, literal=literal)
        except fs.ResolveError as error:
            call.write_error(error.record)
            continue
        found = fs.expand(call, target, force=bool(args.get("Force")))
        if not found and target.literal:
            call.write_error(fs.path_not_found(call, target.path))
            continue
        for path, node in found:
            if _read_error(call, path, node):
                continue
            data = node.data
            values: list[Any]
            if encoding == "Byte":
                values = list(data)
                if args.get("Raw"):
                    values = [values] if values else []
            else:
                text = decode(data, encoding)
                if args.get("Raw"):
                    values = [text] if text else []
                else:
                    values = split_lines(text)
            if total >= 0:
                values = values[:total]
            if tail is not None:
                values = values[-tail:] if tail > 0 else []
            _send(call, values, read_count if not args.get("Raw") else 1)


# -- Set-Content / Add-Content ----------------------------------------------------------------------------
def _existing_encoding(data: bytes) -> str:
    """Add-Content without -Encoding: the existing file's BOM, else ANSI."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return {"utf-8": "UTF8", "utf-16-le": "Unicode", "utf-16-be": "BigEndianUnicode",
                    "utf-32-le": "UTF32", "utf-32-be": "BigEndianUTF32"}[codec]  # fmt: skip
    return "Default"


def _payload(call: CmdletCall, values: list[Any], encoding: str, with_bom: bool) -> bytes | None:
    if encoding == "Byte":
        out = bytearray()
        for value in values:
            for item in value if isinstance(value, list) else [value]:
                if not isinstance(item, int) or isinstance(item, bool) or not 0 <= item <= 255:
                    call.write_error(
                        call.record(
                            "Cannot proceed with byte encoding. When using byte encoding the content must be of "
                            "type byte.",
                            "InvalidArgument",
                            "ArgumentException",
                            "ByteEncodingError",
                            target=to_string(item),
                        )
                    )
                    return None
                out.append(item)
        return bytes(out)
    separator = "" if call.args.get("NoNewline") else "\r\n"
    text = "".join(to_string(value) + separator for value in values)
    return (_CODECS[encoding][1] if with_bom else b"") + encode(text, encoding)


async def _write_content(call: CmdletCall, *, append: bool) -> None:
    args = call.args
    require_path(call)
    values = list(args["Value"]) if "Value" in args else list(call.input)
    drives = fs.drives_of(call)
    for raw in args.get("Path") or args.get("LiteralPath") or []:
        literal = "Path" not in args
        try:
            target = fs.resolve(call, raw, literal=literal)
        except fs.ResolveError as error:
            call.write_error(error.record)
            continue
        paths = [target.path] if target.literal else [path for path, _ in fs.expand(call, target, force=False)]
        for path in paths:
            if fs.illegal(path):
                call.write_error(
                    fs.io_record(
                        call,
                        "Illegal characters in path.",
                        "InvalidArgument",
                        "GetContentWriterArgumentError",
                        path,
                        reason="ArgumentException",
                    )
                )
                continue
            node = fs.find(drives, path)
            if node is not None and (node.is_dir or ("ReadOnly" in node.attributes and not args.get("Force"))):
                call.write_error(
                    fs.io_record(
                        call,
                        f"Access to the path '{path}' is denied.",
                        "PermissionDenied",
                        "GetContentWriterUnauthorizedAccessError",
                        path,
                        reason="UnauthorizedAccessException",
                    )
                )
                continue
            if node is not None and node.in_use_by:
                message = f"The process cannot access the file '{path}' because it is being used by another process."
                call.write_error(fs.io_record(call, message, "WriteError", "GetContentWriterIOError", path))
                continue
            folder = fs.find(drives, fs.parent_of(path))
            if folder is None or not folder.is_dir:
                call.write_error(
                    fs.io_record(
                        call,
                        f"Could not find a part of the path '{path}'.",
                        "ObjectNotFound",
                        "GetContentWriterDirectoryNotFoundError",
                        path,
                        reason="DirectoryNotFoundException",
                    )
                )
                continue
            existing = node.data if node is not None and append else b""
            encoding = args.get("Encoding") or (_existing_encoding(existing) if append else "Default")
            payload = _payload(call, values, encoding, with_bom=not existing)
            if payload is None:
                continue
            read_only = node is not None and "ReadOnly" in node.attributes
            if read_only:
                node.attributes.discard("ReadOnly")  # -Force: cleared for the write, then restored
            written = drives.write(path, existing + payload)
            if read_only:
                written.attributes.add("ReadOnly")
    if args.get("PassThru"):
        for value in values:
            call.emit(value)


async def _set_content(call: CmdletCall) -> None:
    await _write_content(call, append=False)


async def _add_content(call: CmdletCall) -> None:
    await _write_content(call, append=True)


def _int64(value: Any) -> int:
    return convert_int32(value)


_SWITCH = "System.Management.Automation.SwitchParameter"
_ENCODING = Param("Encoding", "Microsoft.PowerShell.Commands.FileSystemCmdletProviderEncoding", _encoding)
GET_CONTENT = CmdletInfo(
    "Get-Content",
    "GetContentCommand",
    (
        Param("Path", "System.String[]", convert_string_array, position=0, pipeline=True),
        Param("LiteralPath", "System.String[]", convert_string_array, aliases=("PSPath",)),
        Param("ReadCount", "System.Int64", _int64),
        Param("TotalCount", "System.Int64", _int64, aliases=("First", "Head")),
        Param("Tail", "System.Int32", convert_int32, aliases=("Last",)),
        Param("Raw", _SWITCH, switch=True),
        Param("Force", _SWITCH, switch=True),
        Param("Filter", "System.String", to_string),
        Param("Include", "System.String[]", convert_string_array),
        Param("Exclude", "System.String[]", convert_string_array),
        _ENCODING,
    ),
    _get_content,
    aliases=("gc", "type", "cat"),
)


def _content_writer(name: str, class_name: str, run: Any, aliases: tuple[str, ...]) -> CmdletInfo:
    return CmdletInfo(
        name,
        class_name,
        (
            Param("Path", "System.String[]", convert_string_array, position=0),
            Param("LiteralPath", "System.String[]", convert_string_array, aliases=("PSPath",)),
            Param(
                "Value",
                "System.Object[]",
                lambda v: v if isinstance(v, list) else [v],
                position=1,
                pipeline=True,
                mandatory=True,
            ),
            Param("PassThru", _SWITCH, switch=True),
            Param("NoNewline", _SWITCH, switch=True),
            Param("Force", _SWITCH, switch=True),
            Param("Filter", "System.String", to_string),
            Param("Include", "System.String[]", convert_string_array),
            Param("Exclude", "System.String[]", convert_string_array),
            _ENCODING,
        ),
        run,
        aliases=aliases,
    )


SET_CONTENT = _content_writer("Set-Content", "SetContentCommand", _set_content, ("sc",))
ADD_CONTENT = _content_writer("Add-Content", "AddContentCommand", _add_content, ("ac",))


def require_path(call: CmdletCall) -> None:
    if "Path" not in call.args and "LiteralPath" not in call.args:
        raise call.missing_mandatory_parameter("Path")
