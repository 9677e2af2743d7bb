"""System.DateTime as Windows PowerShell 5.1 shows it on an en-US host whose time zone is UTC.

The lab's hosts run in UTC (windows-tools.md §7.6 / the brief), so local time and UTC have the same wall clock;
`kind` still records Local or Utc because .NET prints them differently ("K" gives "+00:00" or "Z").
Formats follow .NET's DateTimeFormatInfo for en-US (MS Learn, "Standard date and time format strings",
"Custom date and time format strings"); PowerShell's own [string] conversion uses the invariant culture
("MM/dd/yyyy HH:mm:ss", about_Type_Conversion). Get-Date's output carries the DisplayHint note property and every
pipeline DateTime the DateTime script property (types.ps1xml), which ConvertTo-Json serialises (§7.5).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from .values import MISSING, PSObject, format_double, to_string

EPOCH = dt.datetime(1970, 1, 1)
_DOTNET_EPOCH = dt.datetime(1, 1, 1)
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
    "December",
)  # fmt: skip
DISPLAY_HINTS = ("Date", "Time", "DateTime")  # Microsoft.PowerShell.Commands.DisplayHintType, by value

# en-US DateTimeFormatInfo patterns for the standard format strings.
_STANDARD = {
    "d": "M/d/yyyy",
    "D": "dddd, MMMM d, yyyy",
    "f": "dddd, MMMM d, yyyy h:mm tt",
    "F": "dddd, MMMM d, yyyy h:mm:ss tt",
    "g": "M/d/yyyy h:mm tt",
    "G": "M/d/yyyy h:mm:ss tt",
    "m": "MMMM d",
    "M": "MMMM d",
    "o": "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
    "O": "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
    "r": "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
    "R": "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
    "s": "yyyy'-'MM'-'dd'T'HH':'mm':'ss",
    "t": "h:mm tt",
    "T": "h:mm:ss tt",
    "u": "yyyy'-'MM'-'dd HH':'mm':'ss'Z'",
    "U": "dddd, MMMM d, yyyy h:mm:ss tt",
    "y": "MMMM yyyy",
    "Y": "MMMM yyyy",
}


def utc_now() -> dt.datetime:
    """The current time (a function so tests can pin it)."""
    return dt.datetime.now(dt.UTC)


class FormatError(ValueError):
    """.NET FormatException: "Input string was not in a correct format."."""


def _custom(value: dt.datetime, kind: str, pattern: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char in "'\"":
            end = pattern.find(char, index + 1)
            if end < 0:
                raise FormatError("Cannot find a matching quote character for the character '" + char + "'.")
            out.append(pattern[index + 1 : end])
            index = end + 1
            continue
        if char == "\\":
            if index + 1 >= len(pattern):
                raise FormatError("Input string was not in a correct format.")
            out.append(pattern[index + 1])
            index += 2
            continue
        if char == "%":
            if index + 1 >= len(pattern) or pattern[index + 1] == "%":
                raise FormatError("Input string was not in a correct format.")
            index += 1
            continue
        run = 1
        while index + run < len(pattern) and pattern[index + run] == char:
            run += 1
        out.append(_specifier(value, kind, char, run))
        index += run
    return "".join(out)


def _specifier(value: dt.datetime, kind: str, char: str, run: int) -> str:
    if char == "d":
        if run == 1:
            return str(value.day)
        if run == 2:
            return f"{value.day:02d}"
        return DAY_NAMES[value.weekday()][:3] if run == 3 else DAY_NAMES[value.weekday()]
    if char == "M":
        if run <= 2:
            return f"{value.month:0{run}d}"
        return MONTH_NAMES[value.month - 1][:3] if run == 3 else MONTH_NAMES[value.month - 1]
    if char == "y":
        if run == 1:
            return str(value.year % 100)
        if run == 2:
            return f"{value.year % 100:02d}"
        return f"{value.year:0{run}d}"
    if char in "hH":
        hour = value.hour if char == "H" else (value.hour % 12 or 12)
        return f"{hour:0{min(run, 2)}d}"
    if char in "ms":
        number = value.minute if char == "m" else value.second
        return f"{number:0{min(run, 2)}d}"
    if char in "fF":
        if run > 7:
            raise FormatError("Input string was not in a correct format.")
        digits = f"{value.microsecond:06d}0"[:run]
        return digits.rstrip("0") if char == "F" else digits
    if char == "t":
        marker = "AM" if value.hour < 12 else "PM"
        return marker[0] if run == 1 else marker
    if char == "g":
        return "A.D."
    if char == "K":
        return {"Utc": "Z", "Local": "+00:00"}.get(kind, "")
    if char == "z":
        return ("+0", "+00", "+00:00")[min(run, 3) - 1]
    if char == ":":
        return ":" * run
    if char == "/":
        return "/" * run
    return char * run


def dotnet_format(value: dt.datetime, kind: str, fmt: str | None) -> str:
    """DateTime.ToString(format) for en-US; None or "" is "G"."""
    if not fmt:
        fmt = "G"
    if len(fmt) == 1:
        if fmt not in _STANDARD:
            raise FormatError("Input string was not in a correct format.")
        return _custom(value, kind, _STANDARD[fmt])
    return _custom(value, kind, fmt)


def long_date(value: dt.datetime) -> str:
    return _custom(value, "", "dddd, MMMM d, yyyy")


def long_time(value: dt.datetime) -> str:
    return _custom(value, "", "h:mm:ss tt")


# Get-Date -UFormat (MS Learn, Get-Date: "UFormat specifiers"), for the values 5.1 implements.
def uformat(value: dt.datetime, fmt: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(fmt):
        char = fmt[index]
        if char != "%" or index + 1 >= len(fmt):
            out.append(char)
            index += 1
            continue
        spec = fmt[index + 1]
        index += 2
        out.append(_uformat_one(value, spec))
    return "".join(out)


def _uformat_one(value: dt.datetime, spec: str) -> str:
    simple = {
        "a": DAY_NAMES[value.weekday()][:3],
        "A": DAY_NAMES[value.weekday()],
        "b": MONTH_NAMES[value.month - 1][:3],
        "B": MONTH_NAMES[value.month - 1],
        "h": MONTH_NAMES[value.month - 1][:3],
        "C": f"{value.year // 100:02d}",
        "d": f"{value.day:02d}",
        "D": value.strftime("%m/%d/%y"),
        "e": f"{value.day:2d}",
        "H": f"{value.hour:02d}",
        "I": f"{value.hour % 12 or 12:02d}",
        "j": f"{value.timetuple().tm_yday:03d}",
        "k": f"{value.hour:2d}",
        "l": f"{value.hour % 12 or 12:2d}",
        "m": f"{value.month:02d}",
        "M": f"{value.minute:02d}",
        "n": "\n",
        "p": "AM" if value.hour < 12 else "PM",
        "r": value.strftime("%I:%M:%S ") + ("AM" if value.hour < 12 else "PM"),
        "R": value.strftime("%H:%M"),
        "S": f"{value.second:02d}",
        "t": "\t",
        "T": value.strftime("%H:%M:%S"),
        "u": str(value.isoweekday()),
        "w": str(value.isoweekday() % 7),
        "x": value.strftime("%m/%d/%y"),
        "X": value.strftime("%H:%M:%S"),
        "y": f"{value.year % 100:02d}",
        "Y": str(value.year),
        "Z": "+00",
        "%": "%",
    }
    if spec == "s":
        # Windows PowerShell 5.1 prints the seconds since 1970 with their fraction (PowerShell/PowerShell#2131)
        return format_double((value - EPOCH).total_seconds())
    return simple.get(spec, spec)


def ticks(value: dt.datetime) -> int:
    delta = value - _DOTNET_EPOCH
    return (delta.days * 86_400 + delta.seconds) * 10_000_000 + delta.microseconds * 10


def json_milliseconds(value: dt.datetime) -> int:
    """JavaScriptSerializer's "\\/Date(ms)\\/": milliseconds since 1970 UTC (local is UTC here)."""
    delta = value - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


class PSDateTime(PSObject):
    """A System.DateTime. `display_hint` is set on Get-Date's output; `wrapped` marks a pipeline object."""

    type_names = ("System.DateTime", "System.ValueType", "System.Object")

    def __init__(
        self, value: dt.datetime, kind: str = "Local", *, display_hint: str | None = None, wrapped: bool = False
    ) -> None:
        super().__init__()
        self.value = value.replace(tzinfo=None)
        self.kind = kind
        self.display_hint = display_hint
        self.wrapped = wrapped
        v = self.value
        for name, getter in (
            ("Date", lambda: PSDateTime(dt.datetime(v.year, v.month, v.day), self.kind)),
            ("Day", lambda: v.day),
            ("DayOfWeek", lambda: DAY_NAMES[v.weekday()]),
            ("DayOfYear", lambda: v.timetuple().tm_yday),
            ("Hour", lambda: v.hour),
            ("Kind", lambda: self.kind),
            ("Millisecond", lambda: v.microsecond // 1000),
            ("Minute", lambda: v.minute),
            ("Month", lambda: v.month),
            ("Second", lambda: v.second),
            ("Ticks", lambda: ticks(v)),
            ("Year", lambda: v.year),
            ("DateTime", self.datetime_text),
        ):
            self.add_property(name, getter)
        if display_hint is not None:
            self.add_property("DisplayHint", lambda: self.display_hint)

    @classmethod
    def from_utc(cls, moment: dt.datetime, kind: str = "Local", **options: Any) -> PSDateTime:
        """A Local (or Utc) DateTime for an aware UTC moment; local time is UTC on the lab's hosts."""
        if moment.tzinfo is not None:
            moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
        return cls(moment, kind, **options)

    def datetime_text(self) -> str:
        """The DateTime script property (types.ps1xml): long date and/or long time per DisplayHint."""
        if self.display_hint == "Date":
            return long_date(self.value)
        if self.display_hint == "Time":
            return long_time(self.value)
        return f"{long_date(self.value)} {long_time(self.value)}"

    def to_string(self) -> str:
        """PowerShell's [string] conversion of a DateTime uses the invariant culture."""
        return self.value.strftime("%m/%d/%Y %H:%M:%S")

    def with_value(self, value: dt.datetime) -> PSDateTime:
        return PSDateTime(value, self.kind)

    def call_method(self, name: str, args: list[Any]) -> Any:
        folded = name.casefold()
        adders = {
            "adddays": "days",
            "addhours": "hours",
            "addminutes": "minutes",
            "addseconds": "seconds",
            "addmilliseconds": "milliseconds",
        }
        if folded in adders and len(args) == 1:
            amount = float(args[0]) if not isinstance(args[0], str) else float(to_string(args[0]))
            return self.with_value(self.value + dt.timedelta(**{adders[folded]: amount}))
        if folded in ("addmonths", "addyears") and len(args) == 1:
            months = int(args[0]) * (12 if folded == "addyears" else 1)
            total = self.value.month - 1 + months
            year, month = self.value.year + total // 12, total % 12 + 1
            day = min(self.value.day, _days_in_month(year, month))
            return self.with_value(self.value.replace(year=year, month=month, day=day))
        if folded == "tostring":
            return dotnet_format(self.value, self.kind, to_string(args[0]) if args else None)
        if folded == "touniversaltime" and not args:
            return PSDateTime(self.value, "Utc")
        if folded == "tolocaltime" and not args:
            return PSDateTime(self.value, "Local")
        texts = {
            "tolongdatestring": lambda: long_date(self.value),
            "tolongtimestring": lambda: long_time(self.value),
            "toshortdatestring": lambda: dotnet_format(self.value, self.kind, "d"),
            "toshorttimestring": lambda: dotnet_format(self.value, self.kind, "t"),
        }
        if folded in texts and not args:
            return texts[folded]()
        return MISSING


def _days_in_month(year: int, month: int) -> int:
    following = dt.date(year + (month == 12), month % 12 + 1, 1)
    return (following - dt.timedelta(days=1)).day


_PARSE_FORMATS = (
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
)


def parse_datetime(text: str) -> PSDateTime | None:
    """[datetime]"..." for the common invariant-culture and ISO 8601 forms; None when it does not parse."""
    cleaned = re.sub(r"\s+", " ", text.strip())
    zulu = cleaned.endswith("Z")
    if zulu:
        cleaned = cleaned[:-1]
    for pattern in _PARSE_FORMATS:
        try:
            parsed = dt.datetime.strptime(cleaned, pattern)
        except ValueError:
            continue
        return PSDateTime(parsed, "Local" if zulu else "Unspecified")
    return None
