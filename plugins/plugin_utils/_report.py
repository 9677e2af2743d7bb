# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report a survey script prints: ONE JSON object holding the raw output and exit code of each tool it ran.

A script starts ``$report`` (``$report = @{}``, with ``<name> = $null`` for what may stay unset), fills it with
``captured`` statements and cmdlet results, and ends with ``ConvertTo-Json -InputObject $report ... -Compress``.
The controller reads each text with that tool's parser: the script decides nothing, in one round trip.
"""

from __future__ import annotations

from ansible_collections.lifeline.recovery.plugins.plugin_utils._powershell import NativeCall

__all__ = ["captured"]


def captured(name: str, call: NativeCall, quietly: bool = False) -> list[str]:
    """Two statements: the tool's whole output as one string in ``$report.<name>``, its exit code in ``<name>_rc``.

    stderr is not redirected (Windows PowerShell 5.1 turns redirected native stderr into error records), except
    ``quietly``: then it is discarded (``2> $null``), and the script runs the statements under
    ``$ErrorActionPreference = 'Continue'`` (under 'Stop' that redirection is an error).
    """
    discard = " 2> $null" if quietly else ""
    return [f"$report.{name} = {call}{discard} | Out-String", f"$report.{name}_rc = $LASTEXITCODE"]
