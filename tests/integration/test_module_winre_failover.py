"""lifeline.recovery.win_winre_failover on a healthy lab fleet, judged by the lab's ground truth of winre.wim (where
the WinRE loader finds it): armed, the image starts Lifeline's failover first and keeps Windows RE's own entry, and
the original is kept byte-exact; a rerun changes nothing; absent puts back an image whose SHA-256 is the original's."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from .conftest import lab, start_fleet
from .playbooks import ansible_playbook, static_inventory

pytestmark = pytest.mark.integration

ENTRY = "%SYSTEMDRIVE%\\Windows\\System32\\cmd.exe, /c %SYSTEMDRIVE%\\Windows\\System32\\Lifeline\\failover.cmd"
RECENV = "%SYSTEMDRIVE%\\sources\\recovery\\recenv.exe"
RECORD = "C:\\ProgramData\\Lifeline\\records\\winre_failover.json"
ORIGINAL = "C:\\ProgramData\\Lifeline\\winre\\original\\Winre.wim"


@pytest.fixture(scope="module")
def healthy(tmp_path_factory):
    directory = tmp_path_factory.mktemp("winre")
    started = start_fleet(directory, "--scenario", "healthy", "--hosts", "1", "--reboot-seconds", "0.3")
    started.directory = directory
    started.inventory = static_inventory(started, directory)
    yield started
    lab("down", "--fleet-file", str(started.fleet_file))


def play(fleet, name: str, tasks: list[dict], *arguments: str):
    path = Path(fleet.directory) / f"{name}.yml"
    facts = {"name": "facts", "lifeline.recovery.win_recovery_facts": {"gather": ["environment"]}}
    path.write_text(yaml.safe_dump([{"hosts": "all", "gather_facts": False, "tasks": [facts, *tasks]}]))
    return ansible_playbook(fleet.inventory, path, *arguments)


def failover(task: str = "failover", /, **options) -> dict:
    return {"name": task, "lifeline.recovery.win_winre_failover": options, "ignore_errors": True}


def launch_apps(image: dict) -> list[str]:
    lines = [line.strip() for line in (image["winpeshl_ini"] or "").splitlines() if line.strip()]
    return [line for line in lines if line.casefold() != "[launchapps]"]


def test_arm_rerun_query_and_put_the_original_back(healthy):
    host = healthy.hosts[0]["name"]
    before = healthy.show(host)["machine"]
    stock = before["winre_image"]
    assert launch_apps(stock) == [RECENV], stock

    queried = play(healthy, "query", [failover(state="query")]).result("failover", host)
    assert queried["armed"] is False and queried["winre_enabled"] is True and queried["changed"] is False, queried
    assert queried["image_sha256"] == stock["sha256"]

    checked = play(healthy, "check", [failover()], "--check", "--diff").result("failover", host)
    assert checked["changed"] is True and healthy.show(host)["machine"]["winre_image"]["sha256"] == stock["sha256"]

    armed = play(healthy, "arm", [failover(), failover("again")])
    first, again = armed.result("failover", host), armed.result("again", host)
    assert first["changed"] is True and first["armed"] is True, first
    assert again["changed"] is False and again["armed"] is True, again
    truth = healthy.show(host)["machine"]
    image = truth["winre_image"]
    assert (image["volume"], image["path"]) == (stock["volume"], stock["path"])  # back on the recovery partition
    assert image["sha256"] == first["armed_sha256"] != stock["sha256"]
    assert launch_apps(image) == [ENTRY, RECENV]
    assert truth["files"][ORIGINAL]["sha256"] == stock["sha256"] and RECORD in truth["files"]
    assert truth["environment"] == "normal" and truth["boots"] == before["boots"]

    removed = play(healthy, "absent", [failover(state="absent"), failover("gone", state="absent")])
    assert removed.result("failover", host)["changed"] is True, removed.result("failover", host)
    assert removed.result("gone", host)["changed"] is False
    after = healthy.show(host)["machine"]
    assert after["winre_image"]["sha256"] == stock["sha256"]  # byte-exact
    assert (after["winre_image"]["volume"], after["winre_image"]["path"]) == (stock["volume"], stock["path"])
    assert ORIGINAL not in after["files"] and launch_apps(after["winre_image"]) == [RECENV]
    assert play(healthy, "requery", [failover(state="query")]).result("failover", host)["armed"] is False
