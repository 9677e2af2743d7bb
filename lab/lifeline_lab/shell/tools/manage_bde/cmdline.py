"""manage-bde's command line: the parameter set first (-status, -unlock, ...), then a drive and options.

Names are case-insensitive and start with `-` (`/` only in `/?`); -RecoveryPassword is also -rp, -RecoveryKey
-rk, -Password -pw, -ProtectionAsErrorLevel -p, -ForceDismount -fd, -ComputerName -cn [S:MS-mbde-status]
[S:MS-mbde-unlock] [S:MS-mbde-protectors]; the drive may come before or after the options
(`manage-bde -protectors C: -get` [S:T-mbde-errors]).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .messages import INVALID_PARAMETER, coded, lab_refusal
from .volumes import drive_letter

# Every name manage-bde documents for the parameter sets; those the lab does not run fail loudly.
VERBS = {"status": "status", "unlock": "unlock", "lock": "lock", "protectors": "protectors", "?": "help",
         "help": "help", "h": "help"}  # fmt: skip
NOT_SIMULATED = {
    "on", "off", "pause", "resume", "autounlock", "setidentifier", "si", "forcerecovery", "fr",
    "changepassword", "changepin", "changekey", "keypackage", "kp", "upgrade", "wipefreespace", "w",
}  # fmt: skip

# option name (and short form) -> (canonical name, takes a value)
OPTIONS = {
    "recoverypassword": ("recoverypassword", True), "rp": ("recoverypassword", True),
    "recoverykey": ("recoverykey", True), "rk": ("recoverykey", True),
    "password": ("password", False), "pw": ("password", False),
    "certificate": ("certificate", False), "cert": ("certificate", False),
    "protectionaserrorlevel": ("protectionaserrorlevel", False), "p": ("protectionaserrorlevel", False),
    "forcedismount": ("forcedismount", False), "fd": ("forcedismount", False),
    "computername": ("computername", True), "cn": ("computername", True),
    "get": ("get", False), "add": ("add", False), "delete": ("delete", False), "disable": ("disable", False),
    "enable": ("enable", False), "adbackup": ("adbackup", False), "aadbackup": ("aadbackup", False),
    "type": ("type", True), "t": ("type", True), "id": ("id", True),
    "?": ("help", False), "help": ("help", False), "h": ("help", False),
}  # fmt: skip


@dataclass
class CommandLine:
    verb: str
    drive: str | None = None
    options: dict[str, str | None] = field(default_factory=dict)


def _name(token: str, slash_allowed: bool = False) -> str | None:
    if token.startswith("-") or (slash_allowed and token == "/?"):
        return token[1:].lower()
    return None


def parse(tokens: list[str]) -> CommandLine:
    if not tokens:
        return CommandLine("help")
    verb_name = _name(tokens[0], slash_allowed=True)
    if verb_name in NOT_SIMULATED:
        raise lab_refusal("-" + verb_name)
    if verb_name not in VERBS:
        raise coded(INVALID_PARAMETER)
    line = CommandLine(VERBS[verb_name])
    index = 1
    while index < len(tokens):
        token = tokens[index]
        name = _name(token, slash_allowed=True)
        if name is None:
            letter = drive_letter(token)
            if letter is None or line.drive is not None:
                raise coded(INVALID_PARAMETER)
            line.drive = letter
            index += 1
            continue
        if name not in OPTIONS:
            raise coded(INVALID_PARAMETER)
        canonical, takes_value = OPTIONS[name]
        if takes_value:
            if index + 1 >= len(tokens):
                raise coded(INVALID_PARAMETER)
            line.options[canonical] = tokens[index + 1]
            index += 2
        else:
            line.options[canonical] = None
            index += 1
    return line


def only(line: CommandLine, allowed: set[str]) -> None:
    """Refuse options the parameter set does not take; the lab's unsimulated ones fail loudly."""
    for option in line.options:
        if option == "help" or option == "computername":
            raise lab_refusal(f"-{line.verb} -{option}")
        if option not in allowed:
            raise coded(INVALID_PARAMETER)
