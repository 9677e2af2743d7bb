"""The cmdlets the lab implements, by name and alias (Get-Alias on Windows PowerShell 5.1 for the aliases).

To add a cmdlet: write a module with a `CmdletInfo` (parameters as `Param`s, aliases, an `async def run(call)`)
and add it to CMDLETS below. Binding, common parameters and error handling come from binding.py and commands.py.
"""

from __future__ import annotations

from ..binding import CmdletInfo
from . import (
    cim,
    dates,
    filehash,
    filesystem_content,
    filesystem_items,
    json,
    objects,
    output,
    paths,
    pipeline,
    sleep,
    variables,
    write,
)

CMDLETS: dict[str, CmdletInfo] = {
    info.name: info
    for info in (
        output.OUT_NULL,
        output.OUT_STRING,
        pipeline.FOREACH_OBJECT,
        pipeline.WHERE_OBJECT,
        sleep.START_SLEEP,
        variables.GET_VARIABLE,
        variables.SET_STRICT_MODE,
        write.WRITE_DEBUG,
        write.WRITE_ERROR,
        write.WRITE_HOST,
        write.WRITE_OUTPUT,
        write.WRITE_VERBOSE,
        write.WRITE_WARNING,
        *(cim.GET_CIM_INSTANCE, cim.GET_WMI_OBJECT, dates.GET_DATE, filehash.GET_FILE_HASH, json.CONVERT_TO_JSON),
        *(json.CONVERT_FROM_JSON, objects.SELECT_OBJECT, objects.SORT_OBJECT, objects.MEASURE_OBJECT),
        *(paths.JOIN_PATH, paths.SPLIT_PATH, filesystem_content.GET_CONTENT, filesystem_content.SET_CONTENT),
        *(filesystem_content.ADD_CONTENT, *filesystem_items.CMDLETS),
    )
}

_MODULES = ("microsoft.powershell.utility\\", "microsoft.powershell.core\\", "microsoft.powershell.management\\")


def find_cmdlet(name: str) -> CmdletInfo | None:
    """The cmdlet a command name (or alias, or module-qualified name) refers to."""
    folded = name.casefold()
    for module in _MODULES:
        if folded.startswith(module):
            folded = folded[len(module) :]
    for info in CMDLETS.values():
        if folded == info.name.casefold() or folded in (alias.casefold() for alias in info.aliases):
            return info
    return None
