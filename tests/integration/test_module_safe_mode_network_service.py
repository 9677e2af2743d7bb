"""lifeline.recovery.win_safe_mode_network_service on a healthy lab fleet, judged by win_recovery_facts and the lab's
ground truth: a host that is not prepared gets WinRM, RpcSs and HTTP listed under SafeBoot\\Network, then really
answers WinRM in Safe Mode with Networking (and a host that was not prepared does not); absent takes away only what
the module added."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from .conftest import lab, start_fleet
from .playbooks import ansible_playbook, static_inventory

pytestmark = pytest.mark.integration

RECORD = "C:\\ProgramData\\Lifeline\\records\\safeboot_network.json"


@pytest.fixture(scope="module")
def healthy(tmp_path_factory):
    directory = tmp_path_factory.mktemp("healthy")
    started = start_fleet(directory, "--scenario", "healthy", "--hosts", "2", "--reboot-seconds", "0.3")
    started.directory = directory
    started.inventory = static_inventory(started, directory)
    yield started
    lab("down", "--fleet-file", str(started.fleet_file))


def play(fleet, name: str, tasks: list[dict], *arguments: str):
    path = Path(fleet.directory) / f"{name}.yml"
    facts = {"name": "facts", "lifeline.recovery.win_recovery_facts": {"gather": ["environment", "remote"]}}
    path.write_text(yaml.safe_dump([{"hosts": "all", "gather_facts": False, "tasks": [facts, *tasks]}]))
    return ansible_playbook(fleet.inventory, path, *arguments)


def service(task: str = "service", /, **options) -> dict:
    return {"name": task, "lifeline.recovery.win_safe_mode_network_service": options, "ignore_errors": True}


def network(fleet, host: str) -> list[str]:
    return fleet.show(host)["machine"]["registry"]["safeboot"]["Network"]


def test_prepare_boot_safe_mode_with_networking_and_take_it_back(healthy):
    hosts = [entry["name"] for entry in healthy.hosts]
    before = play(healthy, "before", [])
    prepared = {h: before.result("facts", h)["ansible_facts"]["lifeline_recovery"]["prepared_for_remote_recovery"]
                for h in hosts}  # fmt: skip
    # the healthy scenario: a third of the hosts were prepared by the organisation (listed by hand)
    assert sorted(prepared.values()) == [False, True], prepared
    host = next(h for h in hosts if not prepared[h])
    listed_before = network(healthy, host)
    assert "WinRM" not in listed_before and "HTTP" not in listed_before and "RpcSs" in listed_before

    checked = play(healthy, "check", [service()], "--check", "--diff", "--limit", host).result("service", host)
    assert checked["changed"] is True and checked["added"] == ["WinRM", "HTTP"], checked
    assert checked["commands_sent"] == 1 and network(healthy, host) == listed_before
    assert RECORD not in healthy.show(host)["machine"]["files"]

    bad = play(healthy, "bad", [service(services=["Win;RM\\x"]), service("missing", services=["WinRM", "NoSuch"])],
               "--limit", host)  # fmt: skip
    assert bad.result("service", host)["commands_sent"] == 0 and "backslash" in bad.result("service", host)["msg"]
    assert "'NoSuch'" in bad.result("missing", host)["msg"] and network(healthy, host) == listed_before

    applied = play(healthy, "apply", [service(), service("again"), {
        "name": "after", "lifeline.recovery.win_recovery_facts": {"gather": ["environment", "remote"]}}],
        "--limit", host)  # fmt: skip
    first = applied.result("service", host)
    assert first["changed"] is True and first["added"] == ["WinRM", "HTTP"] and first["record"] == RECORD, first
    assert applied.result("again", host)["changed"] is False
    facts = applied.result("after", host)["ansible_facts"]["lifeline_recovery"]
    assert facts["prepared_for_remote_recovery"] is True, facts.get("remote_recovery")
    truth = healthy.show(host)["machine"]
    assert {"WinRM", "RpcSs", "HTTP"} <= set(truth["registry"]["safeboot"]["Network"])
    assert RECORD in truth["files"]

    # the proof: Safe Mode with Networking answers WinRM, and the host comes back to normal
    safe = play(healthy, "safe", [
        {"name": "safeboot", "lifeline.recovery.win_boot_config": {"safeboot": "network"}},
        {"name": "reboot", "lifeline.recovery.win_recovery_reboot": {"target": "safe_mode_network"}},
        {"name": "in safe mode", "lifeline.recovery.win_recovery_facts": {"gather": ["environment"]}},
        {"name": "clear", "lifeline.recovery.win_boot_config": {"safeboot": "absent"}},
        {"name": "normal", "lifeline.recovery.win_recovery_reboot": {"target": "normal"}},
    ], "--limit", host)  # fmt: skip
    assert safe.returncode == 0, safe.stdout[-3000:]
    assert safe.result("reboot", host)["environment"] == "safe_mode_network"
    assert safe.result("in safe mode", host)["ansible_facts"]["lifeline_recovery"]["environment"] == (
        "safe_mode_network"
    )
    assert safe.result("normal", host)["environment"] == "normal"
    truth = healthy.show(host)["machine"]
    assert (truth["environment"], truth["winrm_reachable"]) == ("normal", True)

    gone = play(healthy, "absent", [service(state="absent"), service("again", state="absent")], "--limit", host)
    removed = gone.result("service", host)
    assert removed["removed"] == ["WinRM", "HTTP"] and removed["kept"] == ["RpcSs"], removed
    assert gone.result("again", host)["changed"] is False
    assert network(healthy, host) == listed_before  # RpcSs and the network stack, which Windows listed, stay

    # taken back, the host is not prepared any more: in Safe Mode with Networking it does not answer
    unprepared = play(healthy, "control", [
        {"name": "reboot", "lifeline.recovery.win_recovery_reboot": {"target": "safe_mode_network",
                                                                     "reboot_timeout": 6}, "ignore_errors": True},
    ], "--limit", host)  # fmt: skip
    assert "did not come back" in unprepared.result("reboot", host)["msg"]
    truth = healthy.show(host)["machine"]
    assert (truth["environment"], truth["winrm_reachable"]) == ("safe_mode_network", False)


def test_a_host_the_organisation_prepared_is_left_as_it_is(healthy):
    host = next(e["name"] for e in healthy.hosts if "WinRM" in network(healthy, e["name"]))
    listed_before = network(healthy, host)
    run = play(healthy, "organisation", [service(), service("absent", state="absent")], "--limit", host)
    present = run.result("service", host)
    assert present["changed"] is False and present["added"] == [] and present["record"] is None, present
    absent = run.result("absent", host)
    assert absent["changed"] is False and absent["kept"] == ["WinRM", "RpcSs", "HTTP"], absent
    assert network(healthy, host) == listed_before
    assert RECORD not in healthy.show(host)["machine"]["files"]
