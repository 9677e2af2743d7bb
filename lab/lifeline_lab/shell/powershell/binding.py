"""Cmdlet parameter binding as PowerShell does it (about_Parameters, about_CommonParameters).

Named parameters match case-insensitively by full name, alias, or any unambiguous prefix of a name; a switch
takes no value unless written `-Switch:$false`; the remaining values bind by position, and a
ValueFromRemainingArguments parameter takes what is left. Failures are ParameterBindingException errors worded
as in ParameterBinderStrings.resx; they stop the statement.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import CMDLET_NAMESPACE, ErrorRecord, PSError, not_implemented
from .position import Extent
from .values import parse_number, to_bool, to_string

if TYPE_CHECKING:
    from .commands import CmdletCall


class ConversionFailure(Exception):
    """A value does not convert to a parameter's type; the text is .NET's inner error message."""


Converter = Callable[[Any], Any]

ACTION_PREFERENCES = ("SilentlyContinue", "Stop", "Continue", "Inquire", "Ignore", "Suspend")


def convert_int32(value: Any) -> int:
    """[int] conversion: numeric strings parse, doubles round half to even (Convert.ToInt32)."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return round(value)
    if isinstance(value, str):
        number = parse_number(value)
        if number is not None:
            return round(number) if isinstance(number, float) else number
    raise ConversionFailure("Input string was not in a correct format.")


def convert_string_array(value: Any) -> list[str]:
    return [to_string(item) for item in (value if isinstance(value, list) else [value])]


def enum_converter(names: tuple[str, ...]) -> Converter:
    """An enum parameter: a name (any case) or the member's number."""

    def convert(value: Any) -> str:
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(names):
            return names[value]
        text = to_string(value).strip()
        for name in names:
            if name.casefold() == text.casefold():
                return name
        raise ConversionFailure(
            f"Unable to match the identifier name {text} to a valid enumerator name. Specify one of the following "
            f"enumerator names and try again:\r\n{', '.join(names)}"
        )

    return convert


@dataclass(frozen=True)
class Param:
    """One parameter of a cmdlet."""

    name: str
    type_name: str = "System.Object"
    convert: Converter | None = None
    position: int | None = None
    aliases: tuple[str, ...] = ()
    switch: bool = False
    remaining: bool = False
    pipeline: bool = False
    mandatory: bool = False


@dataclass(frozen=True)
class CmdletInfo:
    """A cmdlet: name, .NET class (for error ids), parameters and the coroutine that runs it."""

    name: str
    class_name: str
    params: tuple[Param, ...]
    run: Callable[[CmdletCall], Awaitable[None]]
    aliases: tuple[str, ...] = ()
    function: bool = False  # a script function in 5.1 (Get-FileHash): its error ids end in its name

    @property
    def error_suffix(self) -> str:
        """What follows the comma in a FullyQualifiedErrorId."""
        if self.function:
            return self.name
        return self.class_name if "." in self.class_name else f"{CMDLET_NAMESPACE}.{self.class_name}"


_ACTION = enum_converter(ACTION_PREFERENCES)
COMMON_PARAMETERS = (
    Param("Verbose", "System.Management.Automation.SwitchParameter", switch=True, aliases=("vb",)),
    Param("Debug", "System.Management.Automation.SwitchParameter", switch=True, aliases=("db",)),
    Param("ErrorAction", "System.Management.Automation.ActionPreference", _ACTION, aliases=("ea",)),
    Param("WarningAction", "System.Management.Automation.ActionPreference", _ACTION, aliases=("wa",)),
    Param("InformationAction", "System.Management.Automation.ActionPreference", _ACTION, aliases=("infa",)),
    Param("ErrorVariable", "System.String", aliases=("ev",)),
    Param("WarningVariable", "System.String", aliases=("wv",)),
    Param("InformationVariable", "System.String", aliases=("iv",)),
    Param("OutVariable", "System.String", aliases=("ov",)),
    Param("OutBuffer", "System.Int32", convert_int32, aliases=("ob",)),
    Param("PipelineVariable", "System.String", aliases=("pv",)),
)
_UNSUPPORTED_COMMON = frozenset(
    ("ErrorVariable", "WarningVariable", "InformationVariable", "OutVariable", "PipelineVariable")
)


@dataclass
class Argument:
    """A command argument as written: a value, a `-Name` token, or `-Name:value` (colon is True)."""

    value: Any = None
    extent: Extent | None = None
    parameter: str | None = None
    colon: bool = False


@dataclass
class Binder:
    """Binds one invocation's arguments to a cmdlet's parameters."""

    info: CmdletInfo
    invocation_name: str
    command_extent: Extent | None
    bound: dict[str, Any] = field(default_factory=dict)

    def error(self, message: str, error_id: str, extent: Extent | None) -> PSError:
        record = ErrorRecord(
            message,
            "InvalidArgument",
            "ParameterBindingException",
            f"{error_id},{self.info.error_suffix}",
            activity=self.info.name,
            extent=extent,
            invocation_name=self.invocation_name,
        )
        return PSError(record)

    def find(self, token: str, extent: Extent | None) -> Param:
        """The parameter a `-token` names: exact name or alias first, then a unique name prefix."""
        params = self.info.params + COMMON_PARAMETERS
        folded = token.casefold()
        for param in params:
            if param.name.casefold() == folded or folded in (alias.casefold() for alias in param.aliases):
                return param
        matches = [param for param in params if param.name.casefold().startswith(folded)]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise self.error(
                f"A parameter cannot be found that matches parameter name '{token}'.", "NamedParameterNotFound", extent
            )
        names = "".join(f" -{param.name}" for param in matches)
        raise self.error(
            f"Parameter cannot be processed because the parameter name '{token}' is ambiguous. "
            f"Possible matches include:{names}.",
            "AmbiguousParameter",
            extent,
        )

    def assign(self, param: Param, value: Any, extent: Extent | None) -> None:
        if param.name in self.bound:
            raise self.error(
                f"Cannot bind parameter because parameter '{param.name}' is specified more than once. To provide "
                "multiple values to parameters that can accept multiple values, use the array syntax. For example, "
                '"-parameter value1,value2,value3".',
                "ParameterAlreadyBound",
                extent,
            )
        if param.name in _UNSUPPORTED_COMMON:
            raise not_implemented(f"the common parameter -{param.name}", extent)
        if param.switch:
            value = to_bool(value)
        elif param.convert is not None:
            try:
                value = param.convert(value)
            except ConversionFailure as failure:
                raise self.error(
                    f"Cannot bind parameter '{param.name}'. Cannot convert value \"{to_string(value)}\" to type "
                    f'"{param.type_name}". Error: "{failure}"',
                    "CannotConvertArgumentNoMessage",
                    extent,
                ) from None
        self.bound[param.name] = value

    def bind(self, arguments: list[Argument], has_input: bool) -> dict[str, Any]:
        positional: list[Argument] = []
        index = 0
        while index < len(arguments):
            argument = arguments[index]
            index += 1
            if argument.parameter is None:
                positional.append(argument)
                continue
            param = self.find(argument.parameter, argument.extent)
            if argument.colon or param.switch:
                self.assign(param, argument.value if argument.colon else True, argument.extent)
                continue
            if index >= len(arguments) or arguments[index].parameter is not None:
                raise self.error(
                    f"Missing an argument for parameter '{param.name}'. Specify a parameter of type "
                    f"'{param.type_name}' and try again.",
                    "MissingArgument",
                    argument.extent,
                )
            self.assign(param, arguments[index].value, arguments[index].extent)
            index += 1
        self._bind_positional(positional)
        missing = [
            p.name
            for p in self.info.params
            if p.mandatory and p.name not in self.bound and not (p.pipeline and has_input)
        ]
        if missing:
            raise self.error(
                f"Cannot process command because of one or more missing mandatory parameters: {' '.join(missing)}.",
                "MissingMandatoryParameter",
                self.command_extent,
            )
        return self.bound

    def _bind_positional(self, positional: list[Argument]) -> None:
        slots = sorted((p for p in self.info.params if p.position is not None), key=lambda p: p.position or 0)
        for param in slots:
            if not positional:
                return
            if param.name in self.bound:
                continue
            if param.remaining:
                values = [argument.value for argument in positional]
                self.assign(param, values[0] if len(values) == 1 else values, positional[0].extent)
                return
            argument = positional.pop(0)
            self.assign(param, argument.value, argument.extent)
        if not positional:
            return
        rest = next((p for p in self.info.params if p.remaining and p.name not in self.bound), None)
        if rest is not None:
            values = [argument.value for argument in positional]
            self.assign(rest, values[0] if len(values) == 1 else values, positional[0].extent)
            return
        raise self.error(
            f"A positional parameter cannot be found that accepts argument '{to_string(positional[0].value)}'.",
            "PositionalParameterNotFound",
            positional[0].extent,
        )
