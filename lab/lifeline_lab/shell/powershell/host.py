"""The console host's streams as powershell.exe writes them to redirected stdout/stderr.

Error format (ConsoleHost.ErrorFormat in the PowerShell sources): CLIXML when the process is non-interactive,
stderr is redirected and the command came from -EncodedCommand; plain text otherwise (e.g. `-Command -`).
In CLIXML each error line is an "Error" record ending in CRLF, warnings/verbose/debug are records of their own
stream without a prefix; in text mode errors go to stderr and "WARNING: " / "VERBOSE: " / "DEBUG: " lines to
stdout (ConsoleHostUserInterface.WriteWarningLine and friends).
"""

from __future__ import annotations

from ..clixml import ClixmlWriter
from ..context import ProcessContext
from .error_view import error_lines
from .errors import ErrorRecord


class Host:
    """Where a PowerShell process writes: stdout text, and errors/warnings by the rules above."""

    def __init__(self, ctx: ProcessContext, *, xml_errors: bool) -> None:
        self.ctx = ctx
        self.xml_errors = xml_errors
        self._clixml = ClixmlWriter(ctx.write_stderr)

    def write(self, text: str) -> None:
        """Text to stdout as is (Write-Host -NoNewline, a native program's own output)."""
        self.ctx.write_stdout(text)

    def write_line(self, text: str) -> None:
        """One line to stdout."""
        self.ctx.write_stdout(text + "\r\n")

    def write_error_record(self, record: ErrorRecord) -> None:
        """An error record through the default error view."""
        for line in error_lines(record):
            if self.xml_errors:
                self._clixml.record("Error", line + "\r\n")
            else:
                self.ctx.write_stderr(line + "\r\n")

    def write_warning(self, message: str) -> None:
        self._stream_message("warning", "WARNING: ", message)

    def write_verbose(self, message: str) -> None:
        self._stream_message("verbose", "VERBOSE: ", message)

    def write_debug(self, message: str) -> None:
        self._stream_message("debug", "DEBUG: ", message)

    def _stream_message(self, stream: str, prefix: str, message: str) -> None:
        if self.xml_errors:
            self._clixml.record(stream, message)
        else:
            self.write_line(prefix + message)

    def write_native_stderr(self, text: str) -> None:
        """A child program's stderr shares the handle: close any open CLIXML document first."""
        self._clixml.interrupt()
        self.ctx.write_stderr(text)

    def close(self) -> None:
        """End of process."""
        self._clixml.close()
