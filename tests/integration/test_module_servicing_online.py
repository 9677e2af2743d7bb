"""lifeline.recovery.win_servicing on the running Windows (/Online) of healthy lab hosts: the listing in normal mode
and in Safe Mode with networking matches the lab's ground truth, and an online removal (exit code 3010) leaves the
package Uninstall Pending until lifeline.recovery.win_recovery_reboot restarts the host, which then boots normal
without it; the servicing stack update (release type "Update") is never taken for a quality update."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from .conftest import lab, start_fleet
from .playbooks import ansible_playbook, static_inventory

pytestmark = pytest.mark.integration

ROLLUP = "Package_for_RollupFix~31bf3856ad364e35~amd64~~20348.2227.1.3"
STACK = "Package_for_ServicingStack_2220~31bf3856ad364e35~amd64~~20348.2220.1.0"
RECORDS = "C:\\ProgramData\\Lifeline\\records\\"


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    directory = tmp_path_factory.mktemp("servicing_online")
    started = start_fleet(directory, "--scenario", "healthy", "--hosts", "3", "--reboot-seconds", "0.3")
    started.directory = directory
    started.inventory = static_inventory(started, directory)
    # a third of the healthy hosts list WinRM under SafeBoot\Network: only those answer in Safe Mode
    prepared = [
        e["name"] for e in started.hosts if "WinRM" in machine(started, e["name"])["registry"]["safeboot"]["Network"]
    ]
    started.prepared = prepared[0]
    started.plain = [e["name"] for e in started.hosts if e["name"] not in prepared]
    yield started
    lab("down", "--fleet-file", str(started.fleet_file))


def play(fleet, name: str, host: str, tasks: list[dict], *arguments: str):
    path = Path(fleet.directory) / f"{name}.yml"
    path.write_text(yaml.safe_dump([{"hosts": host, "gather_facts": False, "tasks": tasks}]))
    return ansible_playbook(fleet.inventory, path, *arguments)


FACTS = {"name": "facts", "lifeline.recovery.win_recovery_facts": {}}


def servicing(name: str, **options) -> dict:
    return {"name": name, "lifeline.recovery.win_servicing": options, "ignore_errors": True}


def reboot(target: str) -> dict:
    return {"name": f"to {target}", "lifeline.recovery.win_recovery_reboot": {"target": target}}


def machine(fleet, host: str) -> dict:
    return fleet.show(host)["machine"]


def listed(truth: dict) -> list[dict]:
    """The ground truth's packages as the module reports them (install time in the image's local time, no zone)."""
    return [{**p, "install_time": p["install_time"].replace("+00:00", "")} for p in truth["packages"]]


def states(truth: dict) -> dict[str, str]:
    return {package["identity"]: package["state"] for package in truth["packages"]}


def records(truth: dict) -> list[str]:
    return sorted(path for path in truth["files"] if path.startswith(RECORDS) and "servicing-" in path)


def test_listing_the_running_windows_in_normal_mode(fleet):
    host = fleet.plain[0]
    run = play(fleet, "list-normal", host, [FACTS, servicing("list")])
    result = run.result("list", host)
    assert result["_status"] == "ok" and result["changed"] is False and result["image"] == "online", result
    assert result["packages"] == listed(machine(fleet, host)) and result["pending_xml"] is False
    assert result["commands_sent"] == 1 and result["removed"] == [] and result["reboot_required"] is False


def test_listing_in_safe_mode_with_networking(fleet):
    host = fleet.prepared
    before = machine(fleet, host)
    run = play(fleet, "list-safe", host, [reboot("safe_mode_network"), FACTS, servicing("list"), reboot("normal")])
    assert run.result("to safe_mode_network", host)["environment"] == "safe_mode_network"
    result = run.result("list", host)
    assert result["_status"] == "ok" and result["changed"] is False and result["image"] == "online", result
    assert result["packages"] == listed(before) and result["commands_sent"] == 1
    assert run.result("to normal", host)["environment"] == "normal"
    after = machine(fleet, host)
    assert after["environment"] == "normal" and after["packages"] == before["packages"] and records(after) == []


def test_online_removal_by_name_finishes_at_the_restart(fleet):
    host = fleet.plain[0]
    before = machine(fleet, host)
    check = play(fleet, "check-online", host, [FACTS, servicing("remove", state="removed", package_name=ROLLUP)],
                 "--check")  # fmt: skip
    result = check.result("remove", host)
    assert result["_status"] == "changed" and [p["identity"] for p in result["removed"]] == [ROLLUP], result
    assert result["reboot_required"] is False and result["records"] == []
    assert machine(fleet, host)["packages"] == before["packages"]

    tasks = [
        FACTS,
        servicing("remove", state="removed", package_name=ROLLUP),
        servicing("again", state="removed", package_name=ROLLUP),
        reboot("normal"),
        servicing("after the restart", state="removed", package_name=ROLLUP),
        servicing("newest", state="removed", newest_quality_update=True),
    ]
    run = play(fleet, "remove-online", host, tasks)
    removed = run.result("remove", host)
    assert removed["_status"] == "changed" and removed["image"] == "online", removed
    assert removed["reboot_required"] is True and removed["records"] == [f"{RECORDS}servicing-{ROLLUP}.json"]
    assert removed["removed"] == [p for p in listed(before) if p["identity"] == ROLLUP]
    again = run.result("again", host)  # Uninstall Pending until the restart: nothing more to do, restart still needed
    assert again["changed"] is False and again["reboot_required"] is True and "Uninstall Pending" in again["msg"]
    assert run.result("to normal", host)["environment"] == "normal"
    gone = run.result("after the restart", host)
    assert gone["_status"] == "ok" and gone["changed"] is False and "not installed" in gone["msg"], gone
    # only the servicing stack (release type Update) and Foundation are left: neither is a quality update
    newest = run.result("newest", host)
    assert newest["_status"] == "fatal" and "no installed quality update" in newest["msg"], newest
    truth = machine(fleet, host)
    assert truth["environment"] == "normal" and ROLLUP not in states(truth) and states(truth)[STACK] == "Installed"
    assert records(truth) == [f"{RECORDS}servicing-{ROLLUP}.json"]


def test_online_removal_of_the_newest_quality_update_leaves_the_servicing_stack(fleet):
    host = fleet.plain[1]
    tasks = [
        FACTS,
        servicing("newest", state="removed", newest_quality_update=True),
        servicing("again", state="removed", newest_quality_update=True),
    ]
    run = play(fleet, "newest-online", host, tasks)
    removed = run.result("newest", host)
    assert removed["_status"] == "changed" and [p["identity"] for p in removed["removed"]] == [ROLLUP], removed
    assert removed["reboot_required"] is True
    again = run.result("again", host)
    assert again["_status"] == "ok" and again["changed"] is False and again["commands_sent"] == 1, again
    assert again["reboot_required"] is True and "Uninstall Pending" in again["msg"]
    truth = machine(fleet, host)
    assert states(truth)[ROLLUP] == "Uninstall Pending" and states(truth)[STACK] == "Installed"
