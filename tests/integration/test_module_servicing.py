"""lifeline.recovery.win_servicing where it is real on stock WinRE: online (dism /Online) on hosts whose WinRM
answers. A bad cumulative update or stuck pending actions break Safe Mode too (storport.sys is boot-critical,
pending.xml runs at every boot), so those hosts end in WinRE after the failover and need hands. What the module
does: list the packages of a host in Safe Mode with Networking (a crowdstrike-291 host the failover sent there);
remove a bad update that landed on a running Windows (Uninstall Pending until the next restart, a record on the
host, a rerun leaves the next older update alone); refuse to revert pending actions online (DISM supports that
offline only). Judged by the lab's ground truth (packages, pending.xml, the record files, the environment)."""

from __future__ import annotations

import pytest

from .conftest import lab, start_fleet
from .playbooks import FACTS_FIRST, crowdstrike_fleet_by_kind, play_tasks, static_inventory

pytestmark = pytest.mark.integration

BAD_UPDATE = "Package_for_RollupFix~31bf3856ad364e35~amd64~~20348.2582.1.8"
OLDER_UPDATE = "Package_for_RollupFix~31bf3856ad364e35~amd64~~20348.2227.1.3"
STUCK_UPDATE = "Package_for_KB5041160~31bf3856ad364e35~amd64~~20348.2620.1.2"
PENDING_XML = "C:\\Windows\\WinSxS\\pending.xml"
RECORDS = "C:\\ProgramData\\Lifeline\\records\\"


@pytest.fixture(scope="module")
def outage(tmp_path_factory):
    """crowdstrike-291: CS-0002 and CS-0004 armed, in Safe Mode with Networking after the failover."""
    yield from crowdstrike_fleet_by_kind(tmp_path_factory.mktemp("servicing_outage"))


@pytest.fixture(scope="module")
def landed(tmp_path_factory):
    """Healthy hosts running Windows normally; the bad cumulative update lands on the first (it bites at the next
    restart) and stuck pending actions on the second (they run at the next boot)."""
    directory = tmp_path_factory.mktemp("servicing_landed")
    fleet = start_fleet(directory, "--scenario", "healthy", "--hosts", "3", "--reboot-seconds", "0.3")
    fleet.directory = directory
    fleet.inventory = static_inventory(fleet, directory)
    fleet.updated, fleet.pending = (entry["name"] for entry in fleet.hosts[:2])
    for name, failure in ((fleet.updated, "bad-quality-update"), (fleet.pending, "stuck-pending-actions")):
        lab("fault", name, failure, "--fleet-file", str(fleet.fleet_file))
    yield fleet
    lab("down", "--fleet-file", str(fleet.fleet_file))


def servicing(name: str, **options) -> dict:
    return {"name": name, "lifeline.recovery.win_servicing": options, "ignore_errors": True}


def play(fleet, name: str, host: str, tasks: list[dict], *arguments: str):
    return play_tasks(fleet, name, [FACTS_FIRST, *tasks], *arguments, hosts=host)


def machine(fleet, host: str) -> dict:
    return fleet.show(host)["machine"]


def listed(truth: dict) -> list[dict]:
    """The ground truth's packages as the module reports them (install time in the image's local time, no zone)."""
    return [{**p, "install_time": p["install_time"].replace("+00:00", "")} for p in truth["packages"]]


def states(truth: dict) -> dict[str, str]:
    return {package["identity"]: package["state"] for package in truth["packages"]}


def records(truth: dict) -> list[str]:
    return sorted(path for path in truth["files"] if path.startswith(RECORDS) and "servicing-" in path)


def test_listing_in_safe_mode_after_the_failover(outage):
    host = outage.kinds[("safe_mode_network", False)]
    run = play(outage, "list", host, [servicing("list")])
    result = run.result("list", host)
    truth = machine(outage, host)
    assert truth["environment"] == "safe_mode_network"
    assert result["_status"] == "ok" and result["changed"] is False and result["image"] == "online", result
    assert result["packages"] == listed(truth) and result["pending_xml"] is False
    assert result["commands_sent"] == 1 and result["removed"] == [] and records(truth) == []


def test_bad_input_and_an_online_revert_fail_before_anything_is_sent(outage):
    host = outage.kinds[("safe_mode_network", True)]
    tasks = [
        servicing("hostile", state="removed", package_name="x'; Remove-Item C:\\ -Recurse; '"),
        servicing("nothing named", state="removed"),
        servicing("both", state="removed", package_name=OLDER_UPDATE, newest_quality_update=True),
        servicing("online revert", state="pending_reverted", offline=False),
        servicing("revert in safe mode", state="pending_reverted"),  # offline defaults to false in Safe Mode
    ]
    before = machine(outage, host)
    run = play(outage, "bad", host, tasks)
    for task, words in (
        ("hostile", "package name"),
        ("nothing named", "package_name or newest_quality_update"),
        ("both", "mutually exclusive"),
        ("online revert", "offline image"),
        ("revert in safe mode", "offline image"),
    ):
        result = run.result(task, host)
        assert result["_status"] == "fatal" and words in result["msg"], (task, result)
        assert result.get("commands_sent", 0) == 0, (task, result)
    after = machine(outage, host)
    assert after["packages"] == before["packages"] and records(after) == []


def test_check_mode_removes_nothing(landed):
    host = landed.updated
    before = machine(landed, host)
    run = play(landed, "check", host, [servicing("remove", state="removed", newest_quality_update=True)],
               "--check", "--diff")  # fmt: skip
    result = run.result("remove", host)
    assert result["_status"] == "changed" and [p["identity"] for p in result["removed"]] == [BAD_UPDATE], result
    assert result["image"] == "online" and result["records"] == [] and result["commands_sent"] == 1
    # --diff: the callback prints the package listing before and after, the update on a removed line
    assert any(line.startswith("-") and BAD_UPDATE in line for line in run.stdout.splitlines()), run.stdout[-3000:]
    after = machine(landed, host)
    assert after["packages"] == before["packages"] and records(after) == []


def test_the_bad_update_removed_online_is_uninstall_pending_until_the_restart(landed):
    host = landed.updated
    tasks = [
        servicing("remove", state="removed", newest_quality_update=True),
        servicing("again", state="removed", newest_quality_update=True),
    ]
    run = play(landed, "remove", host, tasks)
    removed = run.result("remove", host)
    assert removed["_status"] == "changed" and removed["image"] == "online", removed
    assert [p["identity"] for p in removed["removed"]] == [BAD_UPDATE] and removed["reboot_required"] is True
    assert removed["records"] == [f"{RECORDS}servicing-{BAD_UPDATE}.json"]
    again = run.result("again", host)  # Uninstall Pending counts as removed: the older update stays
    assert again["_status"] == "ok" and again["changed"] is False and again["commands_sent"] == 1, again
    assert again["reboot_required"] is True and "Uninstall Pending" in again["msg"]
    truth = machine(landed, host)
    assert truth["environment"] == "normal" and truth["crashes"] == []  # not restarted yet
    assert states(truth)[BAD_UPDATE] == "Uninstall Pending" and states(truth)[OLDER_UPDATE] == "Installed"
    assert records(truth) == [f"{RECORDS}servicing-{BAD_UPDATE}.json"]


def test_pending_actions_are_not_reverted_on_a_running_windows(landed):
    host = landed.pending
    before = machine(landed, host)
    assert PENDING_XML in before["files"] and states(before)[STUCK_UPDATE] == "Install Pending"
    run = play(landed, "revert", host, [servicing("revert", state="pending_reverted")])
    result = run.result("revert", host)
    assert result["_status"] == "fatal" and "offline image" in result["msg"], result
    assert result.get("commands_sent", 0) == 0, result
    after = machine(landed, host)
    assert after["environment"] == "normal" and after["packages"] == before["packages"]
    assert PENDING_XML in after["files"] and records(after) == []
