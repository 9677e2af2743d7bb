"""DISM's command line: `DISM {/Image:<path> | /Online} [global options] {servicing option} [arguments]`.

Microsoft Learn ("DISM Global Options for Command-Line Syntax", "DISM Operating System Package Servicing
Command-Line Options"): options are not case sensitive; only one servicing option per command line;
/Image cannot be used with /Online, nor /WinDir with /Online; /LogLevel is 1 to 4; /PackageName may be repeated
for /Remove-Package. `/Option:value` and `/Option=value` both work (`/LogLevel=3` in a real invocation,
windows-tools.md §4.3; `/Image=<path>` in DISM's own help text).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import messages as m
from .messages import DismError, LabNotImplemented

# name -> takes a value
GLOBAL_OPTIONS = {
    "image": True,
    "online": False,
    "english": False,
    "quiet": False,
    "norestart": False,
    "logpath": True,
    "loglevel": True,
    "scratchdir": True,
    "windir": True,
    "sysdrivedir": True,
    "format": True,
}
SERVICING_OPTIONS = {"get-packages", "get-packageinfo", "remove-package", "cleanup-image"}
ARGUMENTS = {
    "packagename": True,
    "packagepath": True,
    "revertpendingactions": False,
    "spsuperseded": False,
    "hidesp": False,
    "startcomponentcleanup": False,
    "resetbase": False,
    "defer": False,
    "analyzecomponentstore": False,
    "checkhealth": False,
    "scanhealth": False,
    "restorehealth": False,
    "source": True,
    "limitaccess": False,
}
CLEANUP_ACTIONS = (
    "revertpendingactions", "spsuperseded", "startcomponentcleanup", "analyzecomponentstore", "checkhealth",
    "scanhealth", "restorehealth",
)  # fmt: skip
# Documented servicing options outside the lab's scope: they fail with a lab note, not as unknown options.
NOT_SIMULATED = {
    "add-package", "get-features", "get-featureinfo", "enable-feature", "disable-feature", "get-drivers",
    "get-driverinfo", "add-driver", "remove-driver", "get-capabilities", "add-capability", "remove-capability",
    "get-intl", "get-currentedition", "get-imageinfo", "apply-image", "capture-image", "export-image",
    "cleanup-mountpoints", "commit-image", "remount-image", "get-help", "?",
}  # fmt: skip


@dataclass
class Option:
    name: str  # lower case, no slash
    typed: str  # as typed, no slash (what DISM's messages show)
    value: str | None

    @property
    def shown(self) -> str:
        """How messages other than "unknown" name an option: with its slash (they read `DISM %1 /?`)."""
        return "/" + self.typed


@dataclass
class Command:
    online: bool = False
    image: str | None = None
    servicing: Option | None = None
    quiet: bool = False
    no_restart: bool = False
    log_path: str | None = None
    table_format: bool = False
    package_names: list[str] = field(default_factory=list)
    package_path: str | None = None
    cleanup_action: Option | None = None


def split_option(arg: str) -> Option:
    body = arg[1:]
    cut = min((i for i in (body.find(":"), body.find("=")) if i >= 0), default=-1)
    name, value = (body, None) if cut < 0 else (body[:cut], body[cut + 1 :])
    return Option(name.lower(), name, value)


def parse(args: list[str]) -> Command:
    """Validate the whole command line before anything runs; DismError or LabNotImplemented on failure."""
    if not args:
        raise LabNotImplemented("The lab does not reproduce DISM's help text.")
    options: list[Option] = []
    for arg in args:
        if not arg.startswith("/"):
            raise DismError(m.ERROR_INVALID_PARAMETER, m.NOT_RECOGNIZED.format(arg))
        option = split_option(arg)
        if option.name in NOT_SIMULATED:
            raise LabNotImplemented(f"The lab does not implement DISM /{option.typed}.")
        known = GLOBAL_OPTIONS.get(option.name, ARGUMENTS.get(option.name))
        if known is None and option.name not in SERVICING_OPTIONS:
            raise DismError(m.ERROR_INVALID_PARAMETER, m.UNKNOWN_OPTION.format(option.typed))
        options.append(option)
    seen: set[str] = set()
    for option in options:
        if option.name in seen and option.name != "packagename":
            raise DismError(m.ERROR_INVALID_PARAMETER, m.DUPLICATED.format(option.shown))
        seen.add(option.name)
        takes_value = GLOBAL_OPTIONS.get(option.name, ARGUMENTS.get(option.name, False))
        if takes_value and not option.value:
            raise DismError(m.ERROR_INVALID_PARAMETER, m.MISSING_ARGUMENT.format(option.shown))
        if not takes_value and option.value is not None:
            raise DismError(m.ERROR_INVALID_PARAMETER, m.TAKES_NO_ARGUMENT.format(option.shown))
    return _command(options)


def _command(options: list[Option]) -> Command:
    command = Command()
    by_name = {option.name: option for option in options}
    command.online = "online" in by_name
    command.image = by_name["image"].value if "image" in by_name else None
    if command.online and ("image" in by_name or "windir" in by_name):
        message = m.ONLINE_WITH_IMAGE if "image" in by_name else m.WINDIR_ONLINE
        raise DismError(m.ERROR_INVALID_PARAMETER, message)
    servicing = [option for option in options if option.name in SERVICING_OPTIONS]
    if not command.online and command.image is None:
        # Without an image only imaging commands exist: a servicing option is unknown (`dism /restorehealth`
        # gives "The restorehealth option is unknown.", windows-tools.md §4.3).
        stray = next((option for option in options if option.name not in GLOBAL_OPTIONS), None)
        raise DismError(m.ERROR_INVALID_PARAMETER, m.UNKNOWN_OPTION.format(stray.typed) if stray else m.NO_IMAGE_OPTION)
    if not servicing:
        raise DismError(
            m.ERROR_INVALID_PARAMETER, m.MISSING_COMMAND_ONLINE if command.online else m.MISSING_COMMAND_IMAGE
        )
    if len(servicing) > 1:
        raise DismError(m.ERROR_INVALID_PARAMETER, m.INVALID_COMMAND_LINE)
    command.servicing = servicing[0]
    if "loglevel" in by_name and by_name["loglevel"].value not in ("1", "2", "3", "4"):
        raise DismError(m.ERROR_INVALID_PARAMETER, m.INVALID_LOG_LEVEL)
    if "format" in by_name:
        fmt = (by_name["format"].value or "").lower()
        if fmt not in ("table", "list"):
            raise DismError(m.ERROR_INVALID_PARAMETER, m.UNKNOWN_OPTION.format(by_name["format"].value))
        command.table_format = fmt == "table"
    command.quiet = "quiet" in by_name
    command.no_restart = "norestart" in by_name
    command.log_path = by_name["logpath"].value if "logpath" in by_name else None
    command.package_names = [option.value or "" for option in options if option.name == "packagename"]
    command.package_path = by_name["packagepath"].value if "packagepath" in by_name else None
    _check_arguments(command, options)
    return command


# The arguments each servicing option takes; any other argument is unknown in that context.
TAKES = {
    "get-packages": set(),
    "get-packageinfo": {"packagename", "packagepath"},
    "remove-package": {"packagename", "packagepath"},
    "cleanup-image": {*CLEANUP_ACTIONS, "hidesp", "resetbase", "defer", "source", "limitaccess"},
}


def _check_arguments(command: Command, options: list[Option]) -> None:
    servicing = command.servicing
    assert servicing is not None
    for option in options:
        if option.name in ARGUMENTS and option.name not in TAKES[servicing.name]:
            raise DismError(m.ERROR_INVALID_PARAMETER, m.UNKNOWN_OPTION.format(option.typed))
    if command.package_path is not None:
        raise LabNotImplemented("The lab does not implement /PackagePath (.cab files); use /PackageName.")
    actions = [option for option in options if option.name in CLEANUP_ACTIONS]
    if servicing.name == "cleanup-image":
        if len(actions) != 1:
            raise DismError(m.ERROR_INVALID_PARAMETER, m.MISSING_ARGUMENT.format(servicing.shown))
        if actions[0].name != "revertpendingactions":
            raise LabNotImplemented(f"The lab does not implement DISM /Cleanup-Image /{actions[0].typed}.")
        command.cleanup_action = actions[0]
    if servicing.name in ("get-packageinfo", "remove-package") and not command.package_names:
        raise DismError(m.ERROR_INVALID_PARAMETER, m.MISSING_ARGUMENT.format(servicing.shown))
    if servicing.name == "get-packageinfo" and len(command.package_names) > 1:
        raise DismError(m.ERROR_INVALID_PARAMETER, m.DUPLICATED.format("/PackageName"))
    if command.table_format and servicing.name == "get-packages":
        raise LabNotImplemented("The lab does not implement DISM /Format:Table.")
