"""ansible-core's own winrm connection plugin runs commands on 50 lab hosts at once."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from .conftest import REPO
from .playbooks import secrets

pytestmark = pytest.mark.integration

HEADER = re.compile(r"^(?P<host>\S+) \| (?P<status>[A-Z]+) \| rc=(?P<rc>-?\d+) >>$")


def run_ansible(inventory: Path, *arguments: str) -> subprocess.CompletedProcess:
    environment = dict(
        os.environ,
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_NOCOLOR="1",
    )
    return subprocess.run(
        [str(Path(os.sys.executable).parent / "ansible"), "all", "-i", str(inventory), *arguments],
        capture_output=True,
        text=True,
        env=environment,
        timeout=600,
        cwd=REPO,
    )


@pytest.mark.parametrize("transport", ["http", "https"])
def test_raw_hostname_on_50_hosts_with_25_forks(fleet, transport):
    inventory = Path(fleet.content["inventory_files"][transport])  # what the lab writes for its estate
    result = run_ansible(inventory, *secrets(fleet), "-m", "ansible.builtin.raw", "-a", "hostname", "--forks", "25")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert parse_adhoc_output(result.stdout) == {host["name"]: ("CHANGED", 0, host["name"]) for host in fleet.hosts}


def parse_adhoc_output(stdout: str) -> dict[str, tuple[str, int, str]]:
    """`HOST | STATUS | rc=N >>` followed by the command's output, for each host."""
    answers: dict[str, tuple[str, int, str]] = {}
    current = None
    lines: list[str] = []
    for line in [*stdout.splitlines(), "END | END | rc=0 >>"]:
        match = HEADER.match(line)
        if match:
            if current:
                answers[current[0]] = (current[1], current[2], "\n".join(lines).strip())
            current, lines = (match["host"], match["status"], int(match["rc"])), []
        else:
            lines.append(line)
    return answers
