"""lifeline.recovery.win_servicing on lab hosts: the bad cumulative update removed from the offline image in WinRE
and the stuck pending actions reverted, after which lifeline.recovery.win_recovery_reboot boots the host normally;
judged by the lab's ground truth (packages, pending.xml, the record file, where the host booted)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from .conftest import lab, start_fleet
from .playbooks import ansible_playbook, static_inventory

pytestmark = pytest.mark.integration

BAD_UPDATE = "Package_for_RollupFix~31bf3856ad364e35~amd64~~20348.2582.1.8"
STUCK_UPDATE = "Package_for_KB5041160~31bf3856ad364e35~amd64~~20348.2620.1.2"
PENDING_XML = "C:\\Windows\\WinSxS\\pending.xml"
RECORDS = "C:\\ProgramData\\Lifeline\\records\\"


def started(tmp_path_factory, scenario: str):
    directory = tmp_path_factory.mktemp(scenario)
    fleet = start_fleet(directory, "--scenario", scenario, "--hosts", "2", "--reboot-seconds", "0.3")
    fleet.directory = directory
    fleet.inventory = static_inventory(fleet, directory)
    fleet.names = [entry["name"] for entry in fleet.hosts]
    return fleet


@pytest.fixture(scope="module")
def quality(tmp_path_factory):
    fleet = started(tmp_path_factory, "bad-quality-update")
    yield fleet
    lab("down", "--fleet-file", str(fleet.fleet_file))


@pytest.fixture(scope="module")
def pending(tmp_path_factory):
    fleet = started(tmp_path_factory, "stuck-pending-actions")
    yield fleet
    lab("down", "--fleet-file", str(fleet.fleet_file))


def play(fleet, name: str, host: str, tasks: list[dict], *arguments: str):
    path = Path(fleet.directory) / f"{name}.yml"
    path.write_text(yaml.safe_dump([{"hosts": host, "gather_facts": False, "tasks": tasks}]))
    return ansible_playbook(fleet.inventory, path, *arguments)


FACTS = {"name": "facts", "lifeline.recovery.win_recovery_facts": {}}


def servicing(name: str, **options) -> dict:
    return {"name": name, "lifeline.recovery.win_servicing": options, "ignore_errors": True}


def reboot() -> dict:
    return {"name": "reboot", "lifeline.recovery.win_recovery_reboot": {"target": "normal"}, "ignore_errors": True}


def machine(fleet, host: str) -> dict:
    return fleet.show(host)["machine"]


def identities(truth: dict) -> list[str]:
    return [package["identity"] for package in truth["packages"]]


def records(truth: dict) -> list[str]:
    return sorted(path for path in truth["files"] if path.startswith(RECORDS) and "servicing-" in path)


def test_listing_shows_what_the_image_holds(quality):
    host = quality.names[1]
    run = play(quality, "list", host, [FACTS, servicing("list")])
    result = run.result("list", host)
    truth = machine(quality, host)
    assert result["_status"] == "ok" and result["changed"] is False, result
    assert result["image"] == "D:\\" and result["commands_sent"] == 1
    assert [p["identity"] for p in result["packages"]] == identities(truth)
    bad = next(p for p in result["packages"] if p["identity"] == BAD_UPDATE)
    assert bad == {"identity": BAD_UPDATE, "state": "Installed", "release_type": "Security Update",
                   "install_time": next(p for p in truth["packages"] if p["identity"] == BAD_UPDATE)["install_time"]
                   .replace("+00:00", "")}  # fmt: skip


def test_bad_input_fails_before_anything_is_sent(quality):
    host = quality.names[1]
    tasks = [
        FACTS,
        servicing("hostile", state="removed", package_name="x'; Remove-Item C:\\ -Recurse; '"),
        servicing("nothing named", state="removed"),
        servicing("both", state="removed", package_name=BAD_UPDATE, newest_quality_update=True),
        servicing("online revert", state="pending_reverted", offline=False),
    ]
    before = machine(quality, host)
    run = play(quality, "bad", host, tasks)
    for task, words in (
        ("hostile", "package name"),
        ("nothing named", "package_name or newest_quality_update"),
        ("both", "mutually exclusive"),
        ("online revert", "offline image"),
    ):
        result = run.result(task, host)
        assert result["_status"] == "fatal" and words in result["msg"], (task, result)
        assert result.get("commands_sent", 0) == 0, (task, result)
    assert machine(quality, host)["packages"] == before["packages"]


def test_check_mode_removes_nothing(quality):
    host = quality.names[1]
    before = machine(quality, host)
    run = play(quality, "check", host, [FACTS, servicing("remove", state="removed", newest_quality_update=True)],
               "--check", "--diff")  # fmt: skip
    result = run.result("remove", host)
    assert result["_status"] == "changed" and [p["identity"] for p in result["removed"]] == [BAD_UPDATE], result
    assert result["records"] == [] and result["commands_sent"] == 1
    # --diff: the callback prints the package listing before and after, the update on a removed line
    assert any(line.startswith("-") and BAD_UPDATE in line for line in run.stdout.splitlines()), run.stdout[-3000:]
    after = machine(quality, host)
    assert after["packages"] == before["packages"] and records(after) == []


def test_newest_quality_update_removed_offline_then_the_host_boots_normal(quality):
    host = quality.names[0]
    assert machine(quality, host)["environment"] == "winre"
    tasks = [
        FACTS,
        servicing("remove", state="removed", newest_quality_update=True),
        servicing("again", state="removed", newest_quality_update=True),
        reboot(),
        FACTS,
        servicing("online rerun", state="removed", newest_quality_update=True),
    ]
    run = play(quality, "remove", host, tasks)
    removed = run.result("remove", host)
    assert removed["_status"] == "changed" and removed["image"] == "D:\\", removed
    assert [p["identity"] for p in removed["removed"]] == [BAD_UPDATE]
    assert removed["removed"][0]["state"] == "Installed" and removed["removed"][0]["install_time"]
    assert removed["records"] == [f"D:\\ProgramData\\Lifeline\\records\\servicing-{BAD_UPDATE}.json"]
    again = run.result("again", host)
    assert again["_status"] == "ok" and again["changed"] is False and again["commands_sent"] == 1, again
    booted = run.result("reboot", host)
    assert booted["_status"] == "changed" and booted["environment"] == "normal", booted
    online = run.result("online rerun", host)
    assert online["image"] == "online" and online["changed"] is False, online
    truth = machine(quality, host)
    assert truth["environment"] == "normal" and BAD_UPDATE not in identities(truth)
    assert any(i.startswith("Package_for_RollupFix") for i in identities(truth))  # the older update stays
    assert records(truth) == [f"{RECORDS}servicing-{BAD_UPDATE}.json"]


def test_check_mode_reverts_nothing(pending):
    host = pending.names[1]
    run = play(pending, "check", host, [FACTS, servicing("revert", state="pending_reverted")], "--check")
    result = run.result("revert", host)
    assert result["_status"] == "changed" and result["pending_xml"] is True, result
    assert [p["identity"] for p in result["reverted"]] == [STUCK_UPDATE]
    truth = machine(pending, host)
    assert PENDING_XML in truth["files"] and STUCK_UPDATE in identities(truth) and records(truth) == []


def test_pending_actions_reverted_then_the_host_boots_normal(pending):
    host = pending.names[0]
    assert machine(pending, host)["environment"] == "winre"
    tasks = [FACTS, servicing("revert", state="pending_reverted"), servicing("again", state="pending_reverted"),
             reboot()]  # fmt: skip
    run = play(pending, "revert", host, tasks)
    reverted = run.result("revert", host)
    assert reverted["_status"] == "changed" and [p["identity"] for p in reverted["reverted"]] == [STUCK_UPDATE]
    assert reverted["reboot_required"] is False
    again = run.result("again", host)
    assert again["_status"] == "ok" and again["changed"] is False and again["pending_xml"] is False, again
    assert run.result("reboot", host)["environment"] == "normal"
    truth = machine(pending, host)
    assert truth["environment"] == "normal" and PENDING_XML not in truth["files"]
    assert STUCK_UPDATE not in identities(truth)
    assert len(records(truth)) == 1 and records(truth)[0].startswith(f"{RECORDS}servicing-revert-")
