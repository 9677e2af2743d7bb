"""One simulated host: its account, listeners' certificate, WinRS plug-in, machine and counters."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from .machine import Machine
from .shell import ProcessContext, run_command_line
from .wire.auth import Account
from .wire.winrs import WinRS

COUNTER_NAMES = (
    "connections",
    "requests",
    "bytes_in",
    "bytes_out",
    "shells",
    "commands",
    "faults",
    "auth_failures",
    "bad_requests",
)


@dataclass
class HostSpec:
    """How a host is reached: what the fleet file tells clients."""

    name: str
    address: str
    http_port: int
    https_port: int
    username: str
    password: str
    transports: tuple[str, ...] = ("basic", "ntlm")
    allow_unencrypted: bool = False

    def to_fleet_entry(self) -> dict:
        return {
            "name": self.name,
            "address": self.address,
            "http_port": self.http_port,
            "https_port": self.https_port,
            "username": self.username,
            "password": self.password,
            "transports": list(self.transports),
            "allow_unencrypted": self.allow_unencrypted,
        }


@dataclass
class LabHost:
    spec: HostSpec
    account: Account
    certificate_der: bytes
    machine: Machine
    counters: Counter = field(default_factory=lambda: Counter(dict.fromkeys(COUNTER_NAMES, 0)))
    refuses_logins: bool = False
    winrs: WinRS = field(init=False)

    def __post_init__(self) -> None:
        url = f"http://{self.spec.address}:{self.spec.http_port}/wsman"
        self.winrs = WinRS(self.spec.name, url, self._launch, self.counters)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def transports(self) -> tuple[str, ...]:
        return self.spec.transports

    @property
    def allow_unencrypted(self) -> bool:
        return self.spec.allow_unencrypted

    async def _launch(
        self,
        command_line: str,
        shell_environment: dict[str, str],
        working_directory: str,
        stdin: asyncio.StreamReader,
        write_stdout: Callable[[str], None],
        write_stderr: Callable[[str], None],
    ) -> int:
        environment = self.machine.environment_variables(self.spec.username) | shell_environment
        if not working_directory:
            working_directory = "X:\\windows\\system32" if self.machine.in_winre else environment["USERPROFILE"]
        context = ProcessContext(
            computer_name=self.machine.hostname,
            environment=environment,
            stdin=stdin,
            write_stdout=write_stdout,
            write_stderr=write_stderr,
            machine=self.machine,
            command_line=command_line,
            working_directory=working_directory,
        )
        return await run_command_line(command_line, context)

    def status(self) -> dict:
        return {
            "name": self.name,
            "address": self.spec.address,
            "open_shells": len(self.winrs.shells),
            "refuses_logins": self.refuses_logins,
            "counters": dict(self.counters),
        }
