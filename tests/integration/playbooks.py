"""Run real ansible-playbook against lab hosts and read back each task's per-host results."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .conftest import REPO, LabFleet, lab, start_fleet

BIN = Path(sys.executable).parent
# The default callback with -v and result_format json: "TASK [name] ***" then, per host,
# "ok: [HOST] => {json}", "changed: [HOST] => {json}" or "fatal: [HOST]: FAILED! => {json}".
_TASK = re.compile(r"^TASK \[(?P<task>.*)\] \*+$", re.MULTILINE)
_RESULT = re.compile(r"^(?P<status>ok|changed|fatal|failed|skipping): \[(?P<host>[^\]]+)\](?:: [A-Z!]+)? => ", re.M)


def connection_vars(fleet: LabFleet, host: dict, transport: str = "http") -> dict:
    """The WinRM variables that reach a host of the lab's fleet file as the fleet inventory reaches a
    host: NTLM, sealed over HTTP or inside HTTPS validated against the lab CA."""
    variables = {
        "ansible_host": host["address"],
        "ansible_port": host[f"{transport}_port"],
        "ansible_connection": "winrm",
        "ansible_shell_type": "powershell",
        "ansible_user": host["username"],
        "ansible_password": host["password"],
        "ansible_winrm_scheme": transport,
        "ansible_winrm_transport": ["ntlm"],
    }
    if transport == "https":
        variables.update(ansible_winrm_server_cert_validation="validate", ansible_winrm_ca_trust_path=fleet.ca_file)
    else:
        variables["ansible_winrm_message_encryption"] = "always"
    return variables


def secrets(fleet: LabFleet) -> tuple[str, str]:
    """The extra vars that give a playbook the lab's passwords (``-e @<fleet>.d/secrets.yml``: ansible_password,
    and lifeline_bmc_password where hosts have a BMC): the fleet inventory hands the playbooks none."""
    return "-e", "@" + fleet.content["secrets_file"]


def static_inventory(fleet: LabFleet, directory: Path, transport: str = "http", names: list[str] | None = None) -> Path:
    """A YAML inventory of the fleet's hosts (or `names`), read from the lab's fleet file: the fleet
    inventory's connection variables without its sources and probe."""
    hosts = {
        host["name"]: connection_vars(fleet, host, transport)
        for host in fleet.hosts
        if names is None or host["name"] in names
    }
    path = directory / "inventory.yml"
    path.write_text(yaml.safe_dump({"all": {"hosts": hosts}}))
    return path


@dataclass
class PlayRun:
    returncode: int
    stdout: str
    stderr: str
    results: dict[str, dict[str, dict]] = field(default_factory=dict)  # task name -> host -> result

    def result(self, task: str, host: str) -> dict:
        assert task in self.results, f"no task {task!r} in {list(self.results)}\n{self.stdout[-3000:]}"
        assert host in self.results[task], f"{host} not in task {task!r}\n{self.stdout[-3000:]}"
        return self.results[task][host]


def parse_results(stdout: str) -> dict[str, dict[str, dict]]:
    results: dict[str, dict[str, dict]] = {}
    tasks = list(_TASK.finditer(stdout))
    decoder = json.JSONDecoder()
    for index, task in enumerate(tasks):
        end = tasks[index + 1].start() if index + 1 < len(tasks) else len(stdout)
        section = stdout[task.end() : end]
        for match in _RESULT.finditer(section):
            try:
                value, _ = decoder.raw_decode(section, match.end())
            except json.JSONDecodeError:
                continue
            value["_status"] = match.group("status")
            results.setdefault(task.group("task"), {})[match.group("host")] = value
    return results


def _command(inventory: Path, playbook: Path, arguments: tuple[str, ...], env: dict[str, str] | None):
    environment = dict(
        os.environ,
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_CALLBACK_RESULT_FORMAT="json",
        ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default",
        **(env or {}),
    )
    return [str(BIN / "ansible-playbook"), "-i", str(inventory), "-v", *arguments, str(playbook)], environment


def ansible_playbook(
    inventory: Path, playbook: Path, *arguments: str, env: dict[str, str] | None = None, timeout: float = 600
) -> PlayRun:
    command, environment = _command(inventory, playbook, arguments, env)
    completed = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=timeout, cwd=REPO)
    return PlayRun(completed.returncode, completed.stdout, completed.stderr, parse_results(completed.stdout))


def start_playbook(
    inventory: Path, playbook: Path, output: Path, *arguments: str, env: dict[str, str] | None = None
) -> subprocess.Popen:
    """ansible-playbook in the background, its stdout and stderr going to ``output`` (for runs a test
    interrupts or runs alongside another)."""
    command, environment = _command(inventory, playbook, arguments, env)
    with output.open("w") as handle:
        return subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, env=environment, cwd=REPO)


def wait_for_output(output: Path, text: str, process: subprocess.Popen, timeout: float = 180) -> None:
    """Until ``text`` appears in ``output`` (bounded; fails if the process ends first or time runs out)."""
    deadline = time.monotonic() + timeout
    while text not in output.read_text():
        assert process.poll() is None, f"ended before {text!r}:\n{output.read_text()[-3000:]}"
        assert time.monotonic() < deadline, f"no {text!r} within {timeout} s:\n{output.read_text()[-3000:]}"
        time.sleep(0.2)


# The facts task a module test plays first, so the module finds the Windows volume as the rollout does.
FACTS_FIRST = {"name": "facts", "lifeline.recovery.win_recovery_facts": {"gather": ["environment"]}}


def play_tasks(fleet: LabFleet, name: str, tasks: list[dict], *arguments: str, hosts: str = "all") -> PlayRun:
    """``tasks`` as one play on ``hosts`` of a fleet made by ``crowdstrike_fleet_by_kind`` (or with a
    ``directory`` and an ``inventory``), written as ``<name>.yml`` in its folder and run."""
    path = Path(fleet.directory) / f"{name}.yml"
    path.write_text(yaml.safe_dump([{"hosts": hosts, "gather_facts": False, "tasks": tasks}]))
    return ansible_playbook(fleet.inventory, path, *arguments)


def crowdstrike_fleet_by_kind(directory: Path, hosts: int = 4) -> Iterator[LabFleet]:
    """A crowdstrike-291 fleet whose first four hosts are one of each kind the outage leaves:
    ``kinds[(environment, has_bitlocker)]`` names the first running host of each kind: armed hosts the WinRE
    failover sent to Safe Mode with Networking (WinRM answers; a TPM-only volume unlocked itself) and hosts
    nobody armed, in stock WinRE (no WinRM: unreachable). ``by_kind`` lists every running host of each kind
    (a larger fleet has spares); ``inventory`` is a static inventory of the fleet. Taken down after the tests
    that use it (``yield from`` it in a module fixture)."""
    started = start_fleet(directory, "--scenario", "crowdstrike-291", "--hosts", str(hosts), "--reboot-seconds", "0.3")
    try:
        started.directory = directory
        started.inventory = static_inventory(started, directory)
        started.by_kind = {}
        for entry in started.hosts:
            machine = started.show(entry["name"])["machine"]
            if machine["power"] == "running":
                kind = (machine["environment"], machine["bitlocker"] is not None)
                started.by_kind.setdefault(kind, []).append(entry["name"])
                assert machine["winrm_reachable"] is (kind[0] == "safe_mode_network"), (entry["name"], machine)
        started.kinds = {kind: names[0] for kind, names in started.by_kind.items()}
        every_kind = {
            (environment, locked) for environment in ("winre", "safe_mode_network") for locked in (True, False)
        }
        assert set(started.kinds) == every_kind, started.kinds
        yield started
    finally:
        lab("down", "--fleet-file", str(started.fleet_file))
