"""Get-FileHash as Windows PowerShell 5.1 has it: a script function of Microsoft.PowerShell.Utility.psm1.

Source: the module as shipped with 5.1 (the same text is in the PowerShell 6.0.0-alpha sources; its line numbers
match real 5.1 errors). windows-tools.md §7.3: SHA256 by default; the algorithm name is upper-cased; output
objects are PSCustomObjects named Microsoft.Powershell.Utility.FileHash with Algorithm, Hash (upper-case hex)
and Path. Paths go through `Resolve-Path ... | Foreach-Object ProviderPath` (module lines 106 and 110), so a
missing path is Resolve-Path's PathNotFound error positioned in the module [S:T-ps-filehash-missing, two real
5.1 transcripts]; a folder is skipped; a file that cannot be opened is reported with Write-Error
("The file '...' cannot be read: ...", FileReadError) and ends the function's processing of that input.
MACTripleDES hashes with a random key each call, which the lab does not model.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from ..binding import CmdletInfo, Param, convert_string_array
from ..errors import ErrorRecord, PSError, not_implemented
from ..fsobjects import FileSystemItem
from ..position import module_extent
from ..values import PSCustomObject, to_string
from . import provider as fs

if TYPE_CHECKING:
    from ..commands import CmdletCall

ALGORITHMS = ("SHA1", "SHA256", "SHA384", "SHA512", "MACTripleDES", "MD5", "RIPEMD160")
_MODULE = r"Modules\Microsoft.PowerShell.Utility\Microsoft.PowerShell.Utility.psm1"
# The module's lines that resolve paths (1-based line number, text).
_INDENT = " " * 16
_RESOLVE_LINES = {
    "LiteralPath": (
        106,
        _INDENT + "$pathsToProcess += Resolve-Path -LiteralPath $LiteralPath | Foreach-Object ProviderPath",
    ),
    "Path": (110, _INDENT + "$pathsToProcess += Resolve-Path $Path | Foreach-Object ProviderPath"),
}


def _algorithm(call: CmdletCall) -> str:
    """[ValidateSet(...)] on -Algorithm: any case is accepted (and upper-cased in the output)."""
    text = to_string(call.args.get("Algorithm", "SHA256"))
    if text.upper() not in (name.upper() for name in ALGORITHMS):
        raise PSError(
            call.record(
                f"Cannot validate argument on parameter 'Algorithm'. The argument \"{text}\" does not belong to the "
                f'set "{",".join(ALGORITHMS)}" specified by the ValidateSet attribute. Supply an argument that is '
                "in the set and then try the command again.",
                "InvalidData",
                "ParameterBindingValidationException",
                "ParameterArgumentValidationError",
            )
        )
    return text


def _resolve_path_error(call: CmdletCall, parameter: str, message: str, category_reason: str, error_id: str,
                        target: str) -> ErrorRecord:  # fmt: skip
    """An error of the module's Resolve-Path call, positioned on its line of the module file."""
    line, text = _RESOLVE_LINES[parameter]
    root = (call.session.env.get("SystemRoot") or "C:\\Windows").rstrip("\\")
    path = f"{root}\\system32\\WindowsPowerShell\\v1.0\\{_MODULE}"
    command = "Resolve-Path -LiteralPath $LiteralPath" if parameter == "LiteralPath" else "Resolve-Path $Path"
    return ErrorRecord(
        message,
        "ObjectNotFound",
        category_reason,
        f"{error_id},Microsoft.PowerShell.Commands.ResolvePathCommand",
        target,
        "String",
        activity="Resolve-Path",
        extent=module_extent(path, line, text, text.index(command), len(command)),
        invocation_name="Resolve-Path",
    )


async def _get_file_hash(call: CmdletCall) -> None:
    args = call.args
    upper = _algorithm(call).upper()
    if upper == "MACTRIPLEDES":
        raise not_implemented("Get-FileHash -Algorithm MACTripleDES (a keyed hash with a random key)", call.extent)
    if "InputStream" in args:
        raise not_implemented("Get-FileHash -InputStream", call.extent)
    if "Path" in args:
        parameter, inputs = "Path", [(value, False) for value in args["Path"]]
    elif "LiteralPath" in args:
        parameter, inputs = "LiteralPath", [(value, True) for value in args["LiteralPath"]]
    else:
        parameter, inputs = "LiteralPath", []
        for item in call.input:
            if not isinstance(item, FileSystemItem):
                raise not_implemented("piping objects other than files to Get-FileHash", call.extent)
            inputs.append((item.path, True))
    if not inputs:
        raise call.missing_mandatory_parameter("Path")
    drives = fs.drives_of(call)
    for raw, literal in inputs:
        paths: list[str] = []
        try:
            target = fs.resolve(call, raw, literal=literal)
        except fs.ResolveError as error:
            record = error.record
            call.write_error(
                _resolve_path_error(
                    call, parameter, record.message, "DriveNotFoundException", "DriveNotFound", record.target_name
                )
            )
            continue
        found = fs.expand(call, target, force=False)
        if not found:
            # Resolve-Path reports a wildcard that matches nothing as well (LocationGlobber)
            call.write_error(
                _resolve_path_error(
                    call,
                    parameter,
                    f"Cannot find path '{target.path}' because it does not exist.",
                    "ItemNotFoundException",
                    "PathNotFound",
                    target.path,
                )
            )
            continue
        paths = [target.path if target.literal else path for path, _ in found]
        for path in paths:
            node = fs.find(drives, path)
            if node is None or node.is_dir:
                continue  # Test-Path -LiteralPath $filePath -PathType Container: skipped
            if node.in_use_by:
                inner = f"The process cannot access the file '{path}' because it is being used by another process."
                message = (
                    f'The file \'{path}\' cannot be read: Exception calling "OpenRead" with "1" argument(s): "{inner}"'
                )
                record = ErrorRecord(
                    message, "ReadError", "WriteErrorException", "FileReadError,Get-FileHash", path, "String",
                    activity="Write-Error", extent=call.extent, invocation_name="Get-FileHash",
                )  # fmt: skip
                call.write_error(record)
                return
            digest = hashlib.new(upper.lower(), node.data).hexdigest().upper()
            result = PSCustomObject(
                (
                    "Microsoft.Powershell.Utility.FileHash",
                    "System.Management.Automation.PSCustomObject",
                    "System.Object",
                )
            )
            result.add_note("Algorithm", upper)
            result.add_note("Hash", digest)
            result.add_note("Path", path)
            call.emit(result)


GET_FILE_HASH = CmdletInfo(
    "Get-FileHash",
    "GetFileHash",
    (
        Param("Path", "System.String[]", convert_string_array, position=0),
        Param("LiteralPath", "System.String[]", convert_string_array, aliases=("PSPath",)),
        Param("InputStream", "System.IO.Stream"),
        Param("Algorithm", "System.String"),
    ),
    _get_file_hash,
    function=True,
)
