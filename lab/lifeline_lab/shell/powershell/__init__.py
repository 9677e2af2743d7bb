"""A PowerShell 5.1 subset, evaluated from the real grammar's syntax tree (tree-sitter-powershell).

`run_script` is what powershell.exe does with its -Command / -EncodedCommand text: parse (nothing runs if the
script has a syntax error), run, and turn the outcome into the process exit code: `exit N` gives N, otherwise
0 when the last statement succeeded (`$?`) and 1 when it did not (about_PowerShell_exe, "-Command").

The subset:
- statements: pipelines, assignment (= += -= *= /= %=, to variables, $env:, hashtable keys, array elements),
  if/elseif/else, foreach, exit, return, break, continue, throw (bare in a catch block: the caught error again),
  try/catch/finally with untyped catch; `;` and newlines; comments;
- expressions: see expressions.py (strings with expansion, numbers, arrays, hashtables, script blocks, the
  comparison/arithmetic/logical/-f/-split/-join/-replace operators, ranges, ++/--, properties, indexing);
- variables: scopes, $env:, $true $false $null $? $LASTEXITCODE $_ $args $Matches $HOME, preference variables,
  Set-StrictMode checks for undefined variables (and missing properties from version 2);
- commands: the cmdlets in cmdlets/ with parameter binding and common parameters (-ErrorAction, -WarningAction,
  -Verbose, -Debug), the native programs of shell/programs.py, `&` and `.` with script blocks or names,
  `> $null`-style redirections;
- errors: non-terminating, statement-terminating and script-terminating as PowerShell has them, shown with the
  5.1 error view (CLIXML on stderr for -EncodedCommand, text otherwise).
Anything else valid (functions, classes, typed catch, loops other than foreach, .NET types and methods, splatting,
...) stops the script with a "The Lifeline lab does not implement ..." error (CategoryInfo NotImplemented)
and exit code 1; an unknown command is CommandNotFoundException as in PowerShell.
"""

from __future__ import annotations

from ..context import ProcessContext
from .errors import PSError, PSExit
from .host import Host
from .interpreter import Interpreter
from .parser import parse
from .position import Source
from .session import Session


async def run_script(script: str, ctx: ProcessContext, *, xml_errors: bool) -> int:
    """Run a script as powershell.exe would and return the process exit code (a 32-bit unsigned value)."""
    host = Host(ctx, xml_errors=xml_errors)
    source = Source(script)
    try:
        tree = parse(source)
    except PSError as error:
        host.write_error_record(error.record)
        host.close()
        return 1
    session = Session(ctx)
    try:
        await Interpreter(source, session, host, ctx).run_script(tree.root_node)
        code = 0 if session.last_success else 1
    except PSExit as stop:
        code = stop.code
    host.close()
    return code & 0xFFFFFFFF


__all__ = ["run_script"]
