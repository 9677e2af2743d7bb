"""The connection lifeline.recovery.winrm: the end-to-end channel file 291 play of test_e2e_crowdstrike_modules, with
each host's session and shell kept from task to task. The lab is the judge: the armed hosts run normally without the
bad file, the hosts in stock WinRE were sent nothing, and each repaired host saw fewer shells and round trips than
tasks that reached it would have cost with ansible.builtin.winrm (a shell per task)."""

from __future__ import annotations

import pytest
import yaml

from .conftest import lab, start_fleet
from .playbooks import ansible_playbook, static_inventory
from .rollout_support import recap
from .test_e2e_crowdstrike_modules import BAD, DRIVERS, play

pytestmark = pytest.mark.integration

CONNECTION = "ansible_connection=lifeline.recovery.winrm"


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    directory = tmp_path_factory.mktemp("kept")
    started = start_fleet(directory, "--scenario", "crowdstrike-291", "--hosts", "4", "--reboot-seconds", "0.3")
    started.directory = directory
    yield started
    lab("down", "--fleet-file", str(started.fleet_file))


def test_the_291_play_repairs_the_armed_hosts_over_kept_sessions(fleet):
    before = {host["name"]: fleet.show(host["name"]) for host in fleet.hosts}
    playbook = fleet.directory / "repair.yml"
    playbook.write_text(yaml.safe_dump(play(fleet.content["bitlocker_escrow_file"]), sort_keys=False))
    run = ansible_playbook(static_inventory(fleet, fleet.directory), playbook, "-e", CONNECTION)
    assert run.returncode == 4, run.stdout[-4000:]  # the hosts in stock WinRE are unreachable

    repaired = 0
    for host in fleet.hosts:
        name = host["name"]
        shown = fleet.show(name)
        machine, counters = shown["machine"], shown["counters"]
        if before[name]["machine"]["environment"] == "winre":
            assert recap(run.stdout, name)["unreachable"] == 1, name
            assert counters["commands"] == 0, name
            continue
        repaired += 1
        assert recap(run.stdout, name)["failed"] == 0, name
        assert (machine["power"], machine["environment"]) == ("running", "normal"), name
        assert DRIVERS + BAD not in machine["files"], name
        assert machine["crashes"] == before[name]["machine"]["crashes"], f"{name} crashed again"
        shells = counters["shells"] - before[name]["counters"]["shells"]
        commands = counters["commands"] - before[name]["counters"]["commands"]
        # facts, quarantine and the reboot's survey before the restart share one shell; the reboot's waiting
        # opens new sessions (each boot ends the old one). ansible.builtin.winrm opens one per task: 3 before.
        assert commands >= 5 and shells < commands, (name, shells, commands)
        assert run.result("Boot normally and prove it", name)["environment"] == "normal"
    assert repaired == 2
