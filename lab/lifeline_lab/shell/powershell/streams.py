"""Where pipeline output goes, and the success flag a pipeline leaves in `$?`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from .formatting import OutDefault
from .host import Host


class Sink(Protocol):
    """The consumer at the end of a pipeline."""

    def emit(self, value: Any) -> None: ...


class HostSink:
    """Out-Default: objects become text on stdout as they are written; `close` ends the last view."""

    def __init__(self, host: Host) -> None:
        self.host = host
        self.formatter = OutDefault()

    def emit(self, value: Any) -> None:
        for line in self.formatter.write(value):
            self.host.write_line(line)

    def close(self) -> None:
        for line in self.formatter.close():
            self.host.write_line(line)


@dataclass
class ListSink:
    """Output captured as objects (assignment, $(...), the input of the next command)."""

    items: list[Any] = field(default_factory=list)

    def emit(self, value: Any) -> None:
        self.items.append(value)


@dataclass
class PipelineState:
    """Set to failed by a non-terminating error or a native program's non-zero exit code; becomes `$?`."""

    failed: bool = False
    parent: PipelineState | None = None

    def fail(self) -> None:
        state: PipelineState | None = self
        while state is not None:
            state.failed = True
            state = state.parent
