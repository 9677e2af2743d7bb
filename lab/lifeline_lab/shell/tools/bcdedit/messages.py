"""bcdedit's messages, which stream each goes to, and its exit codes.

Sources (windows-tools.md §2.5 and the transcripts it cites, plus transcripts found for this module; index ids
are anonymous public transcripts, grade TX):
- "The operation completed successfully." on stdout, exit 0 [S:T-bcd-minimal].
- A failed operation prints a line naming the operation, then the Win32 system message; the wubi capture shows
  "An error has occurred setting the element data." on stderr with empty stdout and exit 1 [S:T-bcd-wubi]. The
  lab sends every such operation error to stderr and exits 1.
- Command-line mistakes end with 'Run "bcdedit /?" for command line assistance.': "An unknown command was
  specified." (index 7963766481), "Invalid command line switch: /encodedCommand" + "The parameter is incorrect."
  (index 69325104179), "The specified entry type is invalid." + "The parameter is incorrect." (index 6912530258),
  "The integer data is not valid as specified." + "The parameter is incorrect." (index 46258169176),
  "The set command specified is not valid." / "The delete command specified is not valid." (index 33123632037,
  69536885663), "The element data type specified is not recognized, or does not apply to the" / "specified entry."
  with exit 1 "on stdout, empty stderr" (index 69432718393, 56880048157: the line break is in the message itself,
  seen both in a console and in redirected output). The lab sends these to stdout and exits 1.
- /deletevalue of an element that is not set: "An error occurred while attempting to delete the specified data
  element." / "Element not found." with exit 1 (index 38787670867, an installer script recording bcdedit's real
  output and exit codes).
- /enum of an identifier the store does not hold: "There are no matching objects or the store is empty." (index
  70606225394, 46483027). Its exit code is NOT FOUND IN SOURCES: the lab exits 0 (it is not an error report).
- /copy prints "The entry was successfully copied to {guid}." (Microsoft Learn "Adding Boot Entries", index
  6734742255). /create's "The entry {guid} was successfully created." is inferred from scripts that take the
  second brace-delimited token of its output (`for /f "tokens=2 delims={}"`, scriptman-de/windows-resetstick,
  pebakery/chrispe): NOT FOUND verbatim.
"""

from __future__ import annotations

SUCCESS = "The operation completed successfully."
RUN_HELP = 'Run "bcdedit /?" for command line assistance.'
PARAMETER_INCORRECT = "The parameter is incorrect."
FILE_NOT_FOUND = "The system cannot find the file specified."
ELEMENT_NOT_FOUND = "Element not found."

UNKNOWN_COMMAND = "An unknown command was specified."
ENTRY_TYPE_INVALID = "The specified entry type is invalid."
ELEMENT_TYPE_UNKNOWN = "The element data type specified is not recognized, or does not apply to the\r\nspecified entry."
NO_MATCHING_OBJECTS = "There are no matching objects or the store is empty."

REFERENCE_FAILED = "An error occurred while attempting to reference the specified entry."
SET_FAILED = "An error has occurred setting the element data."
DELETE_FAILED = "An error occurred while attempting to delete the specified data element."
STORE_OPEN_FAILED = "The boot configuration data store could not be opened."
# Inferred from the pattern above (an operation line, then the system message): NOT FOUND verbatim.
CREATE_FAILED = "An error occurred while attempting to create the specified entry."
ALREADY_EXISTS = "Cannot create a file when that file already exists."

EXIT_FAILURE = 1


class BcdeditError(Exception):
    """A failure bcdedit reports: its lines, the stream they go to, and exit code 1."""

    def __init__(self, lines: list[str], stream: str = "stderr") -> None:
        super().__init__(" ".join(lines))
        self.lines = lines
        self.stream = stream

    def text(self) -> str:
        return "".join(line + "\r\n" for line in self.lines)


def usage_error(first: str, parameter_incorrect: bool = True) -> BcdeditError:
    """A command-line mistake: its line, the /? hint, usually "The parameter is incorrect.", on stdout."""
    lines = [first, RUN_HELP] + ([PARAMETER_INCORRECT] if parameter_incorrect else [])
    return BcdeditError(lines, stream="stdout")


def command_not_valid(command: str) -> BcdeditError:
    """Wrong arguments for a command: "The set command specified is not valid." and the /? hint."""
    return usage_error(f"The {command} command specified is not valid.")


def invalid_switch(switch: str) -> BcdeditError:
    # bcdedit names the switch with a slash even when it was given with a dash (index 69325104179).
    return usage_error(f"Invalid command line switch: /{switch.lstrip('/-')}")


def element_type_unknown() -> BcdeditError:
    return usage_error(ELEMENT_TYPE_UNKNOWN, parameter_incorrect=False)


def data_not_valid(data_format: str) -> BcdeditError:
    """A value the element's format cannot take. Verbatim only for "integer" (index 46258169176); the wording for
    the other formats (boolean, device, object) follows that message and is NOT FOUND IN SOURCES."""
    return usage_error(f"The {data_format} data is not valid as specified.")


def reference_failed() -> BcdeditError:
    return BcdeditError([REFERENCE_FAILED, FILE_NOT_FOUND])


def lab_refusal(what: str) -> BcdeditError:
    """A documented bcdedit command the lab does not simulate: fail loudly rather than pretend."""
    return BcdeditError([f"The lab does not implement bcdedit {what}."])
