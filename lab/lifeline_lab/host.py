"""One simulated host: its account, listeners' certificate, WinRS plug-in, machine and counters."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from . import incidents
from .bmc import Bmc
from .bmc.service import FAULTS as BMC_FAULTS
from .machine import Machine
from .scenarios import Profile
from .shell import ProcessContext, run_command_line
from .wire.auth import Account
from .wire.winrs import WinRS

# Faults `lifeline-lab fault` injects, with what their number means.
FAULTS = {
    "drop": "carry out the next N WinRS requests but drop the connection instead of answering",
    "slow": "delay every answer by N seconds",
    "refuse-logins": "refuse every login with 401",
    "hang-reboot": "the next restart never comes back",
    # A lab control for ordering a test's events, not a Windows behaviour: `fault HOST clear` releases it.
    "hold-boot": "the next restart stays down (power held, no WinRM) until the host's faults are cleared",
    "garbage": "answer the next N requests with bytes that are not HTTP",
    **BMC_FAULTS,  # only for hosts with a BMC
}

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
    profile: Profile | None = None
    faults: dict[str, float] = field(default_factory=dict)  # injected faults (see FAULTS) and their setting
    arrived: list[str] = field(default_factory=list)  # failures that landed while the fleet ran (incidents.py)
    winrs: WinRS = field(init=False)
    connections: set[asyncio.StreamWriter] = field(default_factory=set)
    bmc: Bmc | None = None  # the server's BMC, when the scenario gives it one

    def __post_init__(self) -> None:
        url = f"http://{self.spec.address}:{self.spec.http_port}/wsman"
        self.winrs = WinRS(self.spec.name, url, self._launch, self.counters)
        self.machine.on_power_change.append(self._power_changed)

    @property
    def refuses_logins(self) -> bool:
        return "refuse-logins" in self.faults

    @property
    def serving(self) -> bool:
        """Whether the WinRM listener answers now: the machine runs somewhere WinRM runs."""
        return self.machine.winrm_reachable()

    def _power_changed(self, machine: Machine) -> None:
        """Going down or starting another environment ends every process and TCP connection."""
        self.winrs.close_all()
        for writer in list(self.connections):
            writer.close()
        self.connections.clear()

    def set_fault(self, kind: str, value: float) -> None:
        if kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}; one of {', '.join(FAULTS)}, clear")
        if kind in BMC_FAULTS and self.bmc is None:
            raise ValueError(f"{self.name} has no BMC: fault {kind} needs one")
        if kind == "hang-reboot":
            self.machine.hang_next_reboot = True
        if kind == "hold-boot":
            self.machine.hold_next_boot = True
        self.faults[kind] = value

    def arrive(self, failure: str, restart: bool = False) -> str:
        """A failure lands on this running host (`lifeline-lab fault HOST FAILURE`, `incident`)."""
        rng = random.Random(f"{self.name}/{failure}/{len(self.arrived)}")
        happened = incidents.arrive(self.machine, failure, rng, restart)
        self.arrived.append(failure)
        return happened

    def enter_pin(self) -> None:
        """A person at the console types the BitLocker PIN (`lifeline-lab pin HOST`)."""
        if not self.machine.enter_pin():
            raise ValueError(f"{self.name} is not at the BitLocker PIN prompt (it is {self.machine.power})")

    @property
    def failure(self) -> str:
        """The latest failure on this host: one that arrived while the fleet ran, else the scenario's."""
        if self.arrived:
            return self.arrived[-1]
        return self.profile.failure if self.profile else "healthy"

    def clear_faults(self) -> None:
        self.faults.clear()
        if self.bmc is not None:
            self.bmc.close()  # requests held by bmc-reset-hang end (their connections close)
        self.machine.hang_next_reboot = False
        self.machine.release_boot()  # a held boot goes on

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
            working_directory = "X:\\windows\\system32" if self.machine.in_winpe else environment["USERPROFILE"]
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
            "power": self.machine.power,
            "environment": self.machine.environment,
            "winrm_reachable": self.serving,
            "failure": self.failure,
            "open_shells": len(self.winrs.shells),
            "faults": dict(self.faults),
            "counters": dict(self.counters),
        }

    def show(self) -> dict:
        bmc = {"bmc": self.bmc.status()} if self.bmc is not None else {}
        return {**self.status(), **bmc, "machine": self.machine.snapshot()}

    def fleet_entry(self) -> dict:
        """The host in the fleet file: how to reach it, and its BMC (`bmc: {address, port, username, password}`)."""
        entry = self.spec.to_fleet_entry()
        if self.bmc is not None:
            entry["bmc"] = self.bmc.spec.to_fleet_entry()
        return entry
