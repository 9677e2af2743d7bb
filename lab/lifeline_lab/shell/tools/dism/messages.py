"""DISM's texts: the banner, the image version line, success, and errors with their exit codes.

Layout from real transcripts (windows-tools.md §4.2, §4.3): a blank line, the banner and `Version:`, a blank line,
`Image Version: ...` and a blank line for servicing commands; errors as `Error: 87` (Win32, decimal) or
`Error: 0x800f0805` (HRESULT, lower-case hex), a blank line, the message, a blank line and
`The DISM log file can be found at %WINDIR%\\Logs\\DISM\\dism.log` (X:\\windows\\... in WinPE). DISM's exit code is
the error number (an HRESULT as its 32-bit value). The message texts are dism.exe's own message table (a public
listing of its resources for 6.2 to 10.0.22000, index id 20835747048), with their trailing spaces. %1 in "The %1
option is unknown." is the option as typed without its slash (transcript: `The restorehealth option is unknown.`);
in the other messages, which end "refer to the help by running DISM %1 /?", the lab shows it with its slash
(NOT FOUND IN SOURCES).
Which stream DISM writes to is NOT FOUND IN SOURCES (console captures merge them): the lab writes everything
DISM prints to stdout, and only its own "not implemented" notes to stderr.
"""

from __future__ import annotations

# Dism.exe of Windows Server 2022 with the cumulative update the lab's image carries (windows_image.py: UBR 2227).
DISM_VERSION = "10.0.20348.2227"

BANNER = "\r\nDeployment Image Servicing and Management tool\r\nVersion: {version}\r\n\r\n"
IMAGE_VERSION = "Image Version: {version}\r\n\r\n"
SUCCESS = "The operation completed successfully.\r\n"
LOG_LINE = "The DISM log file can be found at {path}\r\n"
PROGRESS_DONE = "[==========================100.0%==========================]\r\n"  # windows-tools.md §4.2
RESTART_PROMPT = "Restart Windows to complete this operation.\r\nDo you want to restart the computer now? (Y/N) "

ERROR_SUCCESS_REBOOT_REQUIRED = 3010
ERROR_SUCCESS_REBOOT_INITIATED = 1641
ERROR_FILE_NOT_FOUND = 2
ERROR_NOT_SUPPORTED = 50
ERROR_INVALID_PARAMETER = 87
CBS_E_INVALID_PACKAGE = 0x800F0805
CBS_E_CANNOT_UNINSTALL = 0x800F0825
FVE_E_LOCKED_VOLUME = 0x80310000

# dism.exe message table (see the module docstring).
UNKNOWN_OPTION = "The {0} option is unknown. \r\nFor more information, refer to the help by running DISM.exe /?."
NOT_RECOGNIZED = (
    'DISM doesn\'t recognize the command-line option "{0}". \r\n'
    "For more information, refer to the help by running DISM.exe /?."
)
MISSING_ARGUMENT = (
    "The {0} option is missing a required argument. \r\nFor more information, refer to the help by running DISM {0} /?."
)
TAKES_NO_ARGUMENT = "The {0} option does not take an argument. \r\nRemove the argument and run DISM again."
DUPLICATED = (
    "The {0} option has been duplicated on the command-line. \r\nRemove the duplicate option and try the command again."
)
ONLINE_WITH_IMAGE = (
    "Do not use the /Image or /WinDir option when using the /Online option to specify a running operating system. "
    "\r\nFor more information, refer to the help by running DISM.exe /Online /?."
)
WINDIR_ONLINE = (
    "The option /WinDir is not recognized in this context. It can only be used with an offline image. \r\n"
    "For more information, refer to the help by running DISM.exe /WinDir /?."
)
NO_IMAGE_OPTION = (
    "No DISM options were specified on the command-line. \r\nRun DISM with a command-line option specified, such as "
    "/Image or /Online. For more information, refer to the help by running DISM.exe /?."
)
MISSING_COMMAND_IMAGE = (
    "The command-line is missing a required servicing command. \r\nFor more information, refer to the help by running "
    "DISM.exe /Image=<path_to_offline_image> /? where <path_to_the_offline_image> is the full path to an offline "
    "Windows image."
)
MISSING_COMMAND_ONLINE = (
    "The command-line is missing a required servicing command. \r\n"
    "For more information, refer to the help by running DISM.exe /Online /?."
)
INVALID_COMMAND_LINE = "Invalid command-line. \r\nFor more information, refer to the help."
INVALID_LOG_LEVEL = (
    "An invalid log level was specified. \r\nFor more information, refer to the help by running DISM.exe /LogLevel /?. "
)
NO_IMAGE = (
    "Unable to access the image. \r\nMake sure that the image path and the Windows directory for the image exist and "
    "you have Read permissions on the folder."
)
RUNNING_IMAGE = (
    "The /Image option that is specified points to a running Windows installation. \r\nTo service the running "
    "operating system, use the /Online option. For more information, refer to the help by running DISM.exe /Online /?."
)
WINPE_ONLINE = "DISM does not support servicing Windows PE with the /Online option."
# Microsoft Support, KB5019263 (MicrosoftDocs/SupportArticles-docs): "Error: 0x800f0805 / The specific package
# is not valid Windows package." with "Failed opening package" in dism.log, i.e. no package of that name.
PACKAGE_NOT_FOUND = "The specific package is not valid Windows package."
# Microsoft Learn, "Add and remove languages" (Remove-Package troubleshooting): Error: 0x800f0825.
CANNOT_UNINSTALL = "Package {0} may have failed due to pending updates to servicing components in the image. "
# machine/errors.py VolumeLocked: FVE_E_LOCKED_VOLUME's FormatMessage text.
VOLUME_LOCKED = "This drive is locked by BitLocker Drive Encryption. You must unlock this drive from Control Panel."


class DismError(Exception):
    """A failure DISM reports as `Error: <code>` plus a message; the code is also the exit code."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def shown_code(self) -> str:
        return f"0x{self.code:08x}" if self.code > 0xFFFF else str(self.code)

    def text(self, log_path: str) -> str:
        return f"Error: {self.shown_code}\r\n\r\n{self.message}\r\n\r\n" + LOG_LINE.format(path=log_path)


class LabNotImplemented(Exception):
    """A documented DISM feature the lab does not simulate: said on stderr, exit 1."""


def install_time(stamp) -> str:
    """`M/d/yyyy h:mm tt` (en-US short date and time), as in `Install Time : 2/11/2015 11:33 PM`."""
    hour = stamp.hour % 12 or 12
    return f"{stamp.month}/{stamp.day}/{stamp.year} {hour}:{stamp.minute:02d} {'AM' if stamp.hour < 12 else 'PM'}"
