"""Lab fleets for integration tests, started and stopped through the real `lifeline-lab` CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import winrm
import yaml

from lifeline_lab import scenarios

REPO = Path(__file__).resolve().parents[2]
# The collection's WinRE failover script, which a scenario's armed profiles install into winre.wim.
WINRE_FAILOVER = REPO / "roles" / "winre_failover" / "files" / "lifeline-failover.cmd"


def lab(*arguments: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lifeline_lab", *arguments], capture_output=True, text=True, check=check, timeout=300
    )


class LabFleet:
    def __init__(self, fleet_file: Path) -> None:
        self.fleet_file = fleet_file
        self.content = yaml.safe_load(fleet_file.read_text())
        self.hosts = self.content["hosts"]
        self.ca_file = self.content["ca_file"]

    def host(self, index: int = 0) -> dict:
        return self.hosts[index]

    def status(self) -> dict:
        return json.loads(lab("status", "--fleet-file", str(self.fleet_file), "--json").stdout)

    def show(self, name: str) -> dict:
        """`lifeline-lab show NAME --json`: the lab's ground truth about one host, to check the wire against."""
        return json.loads(lab("show", name, "--fleet-file", str(self.fleet_file), "--json").stdout)


def arms_hosts(arguments: tuple[str, ...]) -> bool:
    """Whether the scenario `lifeline-lab up` is given has armed profiles (they need --winre-failover)."""
    scenario = arguments[arguments.index("--scenario") + 1] if "--scenario" in arguments else "healthy"
    return any(profile.armed for profile in scenarios.load(scenario).profiles)


def start_fleet(directory: Path, *arguments: str) -> LabFleet:
    """`lifeline-lab up` in `directory`, with the collection's WinRE failover script when the scenario arms hosts."""
    fleet_file = directory / "fleet.yml"
    if arms_hosts(arguments) and "--winre-failover" not in arguments:
        arguments = (*arguments, "--winre-failover", str(WINRE_FAILOVER))
    result = lab("up", "--fleet-file", str(fleet_file), *arguments, check=False)
    assert result.returncode == 0, result.stderr
    return LabFleet(fleet_file)


@pytest.fixture(scope="session")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabFleet]:
    """A healthy fleet of 50 hosts shared by the integration tests that only read from it."""
    started = start_fleet(tmp_path_factory.mktemp("fleet"), "--scenario", "healthy", "--hosts", "50")
    yield started
    lab("down", "--fleet-file", str(started.fleet_file))


@pytest.fixture
def small_fleet(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[LabFleet]:
    """A fleet of its own for a test that changes fleet settings (marker `fleet_args`)."""
    marker = request.node.get_closest_marker("fleet_args")
    arguments = marker.args if marker else ("--hosts", "2")
    started = start_fleet(tmp_path, *arguments)
    yield started
    lab("down", "--fleet-file", str(started.fleet_file))


def winrm_session(
    host: dict, transport: str = "ntlm", https: bool = False, ca_file: str | None = None, **options
) -> winrm.Session:
    """pywinrm to a lab host's WinRM listener as its administrator: HTTP (5985-style port), or HTTPS that
    validates the lab CA unless `options` say otherwise."""
    scheme, port = ("https", host["https_port"]) if https else ("http", host["http_port"])
    if https:
        options.setdefault("server_cert_validation", "validate")
        options.setdefault("ca_trust_path", ca_file)
    return winrm.Session(
        f"{scheme}://{host['address']}:{port}/wsman",
        auth=(host["username"], host["password"]),
        transport=transport,
        **options,
    )


def sealed_session(host: dict, **options) -> winrm.Session:
    """pywinrm over HTTP with NTLM and message encryption, as the tests talk to a lab host by default."""
    options.setdefault("read_timeout_sec", 20)
    options.setdefault("operation_timeout_sec", 10)
    return winrm_session(host, "ntlm", message_encryption="always", **options)
