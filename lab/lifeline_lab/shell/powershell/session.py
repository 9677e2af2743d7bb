"""Session state of one powershell.exe: scopes and variables, $env:, preferences, strict mode, $? and $LASTEXITCODE.

Variable lookup follows about_Scopes (a child scope sees its parents; assignment creates the variable in the
current scope; `global:`/`script:` name the top scope here, as -Command runs in the global scope).
"""

from __future__ import annotations

from typing import Any

from ..context import ProcessContext, env_get, env_set
from .binding import ACTION_PREFERENCES, ConversionFailure, enum_converter
from .errors import PSError, not_implemented, runtime_error
from .position import Extent
from .strings import VariablePath
from .values import to_string

# Automatic variables the lab cannot represent: reading one stops the script instead of yielding $null.
UNSUPPORTED_AUTOMATIC = frozenset((
    "input", "psversiontable", "host", "executioncontext", "myinvocation", "psscriptroot", "pscommandpath", "error",
    "pscmdlet", "psboundparameters", "stacktrace", "event", "eventargs", "sender", "this", "pwd", "shellid",
    "pshome", "profile", "nestedpromptlevel", "psculture", "psuiculture", "psedition", "consolefilename",
    "psdebugcontext", "pssenderinfo",
))  # fmt: skip
READ_ONLY = frozenset(("true", "false", "null", "?"))
_SCOPE_QUALIFIERS = ("", "global", "script", "local", "private")

_ACTION = enum_converter(ACTION_PREFERENCES)
PREFERENCES = {
    "ErrorActionPreference": "Continue",
    "WarningPreference": "Continue",
    "VerbosePreference": "SilentlyContinue",
    "DebugPreference": "SilentlyContinue",
    "InformationPreference": "SilentlyContinue",
    "ProgressPreference": "Continue",
    "ConfirmPreference": "High",
    "WhatIfPreference": False,
}


class Session:
    """Variables and process-wide state of the running script."""

    def __init__(self, ctx: ProcessContext) -> None:
        self.ctx = ctx
        self.env = ctx.environment
        self.scopes: list[dict[str, tuple[str, Any]]] = [{}]
        self.last_success = True
        self.strict_version = 0
        for name, value in PREFERENCES.items():
            self.set(name, value)
        self.set("args", [])
        home = env_get(self.env, "USERPROFILE")
        if home is not None:
            self.set("HOME", home)

    # -- scopes -------------------------------------------------------------------------------------------
    def push_scope(self) -> None:
        self.scopes.append({})

    def pop_scope(self) -> None:
        self.scopes.pop()

    def _find(self, name: str) -> tuple[str, Any] | None:
        folded = name.casefold()
        for scope in reversed(self.scopes):
            if folded in scope:
                return scope[folded]
        return None

    # -- plain variables ----------------------------------------------------------------------------------
    def exists(self, name: str) -> bool:
        return self._find(name) is not None or name.casefold() in READ_ONLY

    def get(self, name: str, default: Any = None) -> Any:
        found = self._find(name)
        return default if found is None else found[1]

    def set(self, name: str, value: Any, *, scope: str = "") -> None:
        target = self.scopes[0] if scope in ("global", "script") else self.scopes[-1]
        folded = name.casefold()
        existing = target.get(folded)
        target[folded] = (existing[0] if existing else name, value)

    def remove(self, name: str) -> None:
        for scope in reversed(self.scopes):
            scope.pop(name.casefold(), None)

    def variables(self) -> list[tuple[str, Any]]:
        """All visible variables, innermost scope winning, sorted by name (Get-Variable's order)."""
        seen: dict[str, tuple[str, Any]] = {}
        for scope in self.scopes:
            seen.update(scope)
        return sorted(seen.values(), key=lambda item: item[0].casefold())

    # -- references from the script -----------------------------------------------------------------------
    def read(self, path: VariablePath, extent: Extent | None) -> Any:
        """The value of `$path`; undefined is $null, or an error under Set-StrictMode."""
        if path.splat:
            raise not_implemented("splatting", extent)
        if path.qualifier == "env":
            value = env_get(self.env, path.name)
            if value is None and self.strict_version >= 1:
                raise _undefined(path, extent)
            return value
        if path.qualifier not in _SCOPE_QUALIFIERS:
            raise not_implemented(f"the '{path.qualifier}:' variable drive", extent)
        name = path.name.casefold()
        if name == "true":
            return True
        if name == "false":
            return False
        if name == "null":
            return None
        if name == "?":
            return self.last_success
        if name == "_" or name == "psitem":
            found = self._find("_")
        else:
            found = self._find(path.name)
        if found is not None:
            return found[1]
        if name in UNSUPPORTED_AUTOMATIC:
            raise not_implemented(f"the automatic variable ${path.name}", extent)
        if self.strict_version >= 1:
            raise _undefined(path, extent)
        return None

    def write(self, path: VariablePath, value: Any, extent: Extent | None) -> None:
        """`$path = value`."""
        if path.splat:
            raise not_implemented("splatting", extent)
        if path.qualifier == "env":
            env_set(self.env, path.name, None if value is None else to_string(value))
            return
        if path.qualifier not in _SCOPE_QUALIFIERS:
            raise not_implemented(f"the '{path.qualifier}:' variable drive", extent)
        if path.name.casefold() in READ_ONLY:
            raise runtime_error(
                f"Cannot overwrite variable {path.name} because it is read-only or constant.",
                "VariableNotWritable",
                extent,
                category="WriteError",
                target=path.name,
                reason="SessionStateUnauthorizedAccessException",
            )
        name = "_" if path.name.casefold() == "psitem" else path.name
        self.set(name, value, scope=path.qualifier)

    def preference(self, name: str) -> str:
        """An *Preference variable as an ActionPreference name (a value that is none counts as Continue)."""
        try:
            return _ACTION(self.get(name, PREFERENCES.get(name)))
        except ConversionFailure:
            return "Continue"


def _undefined(path: VariablePath, extent: Extent | None) -> PSError:
    return runtime_error(
        f"The variable '${path.display}' cannot be retrieved because it has not been set.",
        "VariableIsUndefined",
        extent,
        target=path.display,
    )
