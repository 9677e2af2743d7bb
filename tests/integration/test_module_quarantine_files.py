"""lifeline.recovery.win_quarantine_files on crowdstrike-291 lab hosts, judged by the lab's ground truth.

The two armed hosts the WinRE failover sent to Safe Mode with Networking (where WinRM answers): one plain, one
whose TPM-only BitLocker volume unlocked itself. Hosts in stock WinRE answer no WinRM and are not played.
"""

from __future__ import annotations

import pytest

from .conftest import lab, start_fleet
from .playbooks import FACTS_FIRST, play_tasks, static_inventory

pytestmark = pytest.mark.integration

FOLDER = "C:\\Windows\\System32\\drivers\\CrowdStrike\\"
BAD = FOLDER + "C-00000291-00000000-00000032.sys"
GOOD = [FOLDER + name for name in ("C-00000285-00000000-00000052.sys", "C-00000289-00000000-00000157.sys",
                                   "C-00000290-00000000-00000107.sys")]  # fmt: skip
QUARANTINE = "C:\\Lifeline\\Quarantine\\"
RECORDS = "C:\\ProgramData\\Lifeline\\records\\"
CROWDSTRIKE = {
    "path": "Windows\\System32\\drivers\\CrowdStrike",
    "patterns": ["C-0000029?-*.sys", "C-00000291*.sys"],  # wide on purpose: the filters must pick the bad one
    "header": "AA AA AA AA 01 00 23 01",
    "modified_after": "2024-07-19T04:00:00Z",
    "modified_before": "2024-07-19T05:27:00Z",
}


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    directory = tmp_path_factory.mktemp("quarantine")
    started = start_fleet(directory, "--scenario", "crowdstrike-291", "--hosts", "4", "--reboot-seconds", "0.3")
    hosts = {}
    for entry in started.hosts:
        machine = started.show(entry["name"])["machine"]
        if machine["environment"] == "safe_mode_network":
            hosts["bitlocker" if machine["bitlocker"] else "plain"] = entry["name"]
    assert set(hosts) == {"plain", "bitlocker"}, hosts
    started.picked = hosts
    started.inventory = static_inventory(started, directory, names=list(hosts.values()))
    started.directory = directory
    yield started
    lab("down", "--fleet-file", str(started.fleet_file))


def play(fleet, name: str, tasks: list[dict], *arguments: str):
    """A play on the two hosts: win_recovery_facts finds the Windows volume (C: in Safe Mode), then tasks."""
    return play_tasks(fleet, name, [FACTS_FIRST, *tasks], *arguments)


def task(name: str, **options) -> dict:
    return {"name": name, "lifeline.recovery.win_quarantine_files": options}


def files(fleet, host: str) -> dict:
    return fleet.show(host)["machine"]["files"]


def test_quarantine_check_mode_rerun_and_restore(fleet):
    hosts = list(fleet.picked.values())
    before = {host: files(fleet, host) for host in hosts}
    for host in hosts:
        assert BAD in before[host] and all(path in before[host] for path in GOOD)

    checked = play(fleet, "check", [task("look", **CROWDSTRIKE)], "--check", "--diff")
    assert checked.returncode == 0, checked.stdout[-3000:]
    for host in hosts:
        result = checked.result("look", host)
        assert result["changed"] is True
        assert [match["path"].split("\\")[-1] for match in result["matched"]] == [BAD.split("\\")[-1]]
        assert result["matched"][0]["sha256"] == before[host][BAD]["sha256"]
        assert result["matched"][0]["last_write_time"].startswith("2024-07-19T04:09:00")
        assert result["commands_sent"] == 1
        assert files(fleet, host) == before[host]  # check mode moved nothing

    run = play(fleet, "quarantine", [task("quarantine", **CROWDSTRIKE), task("again", **CROWDSTRIKE)], "--diff")
    assert run.returncode == 0, run.stdout[-3000:]
    for host in hosts:
        result = run.result("quarantine", host)
        assert result["changed"] is True and result["commands_sent"] == 2
        assert result["quarantine_folder"].startswith(QUARANTINE)
        after = files(fleet, host)
        moved = QUARANTINE + result["quarantine_id"] + "\\C-00000291-00000000-00000032.sys"
        assert BAD not in after
        assert after[moved]["sha256"] == before[host][BAD]["sha256"]
        for path in GOOD:
            assert after[path] == before[host][path]  # the good channel files are untouched
        manifest = result["manifest"]
        assert [entry["original_path"].split("\\")[-1] for entry in manifest["files"]] == [BAD.split("\\")[-1]]
        assert manifest["files"][0]["sha256"] == before[host][BAD]["sha256"]
        assert manifest["files"][0]["size"] == before[host][BAD]["size"]
        on_host = RECORDS + "quarantine-" + result["quarantine_id"] + ".json"
        assert on_host in after  # the rollback record is on the host, with the others
        assert result["record"] == on_host
        again = run.result("again", host)
        assert again["changed"] is False and again["matched"] == [] and again["commands_sent"] == 1

    restore = dict(CROWDSTRIKE, state="restored")
    back = play(fleet, "restore", [task("restore", **restore), task("restore again", **restore)])
    assert back.returncode == 0, back.stdout[-3000:]
    for host in hosts:
        result = back.result("restore", host)
        assert result["changed"] is True
        assert [path.split("\\")[-1] for path in result["restored"]] == [BAD.split("\\")[-1]]
        assert result["manifest"]["restored_at"] and result["nothing_to_restore"] is False
        after = files(fleet, host)
        assert after[BAD] == before[host][BAD]  # bit-identical, same time
        assert not any(path.startswith(QUARANTINE) for path in after)  # the quarantine folder is empty
        folder_now = {path: info for path, info in after.items() if not path.startswith(RECORDS)}
        assert folder_now == before[host]  # only the (used) rollback record stays behind
        assert back.result("restore again", host)["changed"] is False


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"patterns": ["..\\C-00000291*.sys"]}, "'..'"),
        ({"patterns": ["C:C-00000291*.sys"]}, "pattern"),
        ({"patterns": ["C-00000291.sys:stream"]}, "alternate data streams"),
        ({"patterns": ["*"]}, "matches every file"),
        ({"path": "Windows\\System32\\config"}, "protected"),
        ({"path": "Windows\\System32"}, "protected"),
        ({"path": "Windows\\System32\\drivers\\..\\config"}, "'..'"),
        ({"path": "Users\\Public"}, "outside allowed_roots"),
        ({"header": "AAAG"}, "header"),
        ({"modified_after": "19 July 2024"}, "modified_after"),
        ({"modified_after": "2024-07-19T06:00:00Z", "modified_before": "2024-07-19T05:00:00Z"}, "is not before"),
        ({"sha256": ["abc"]}, "sha256"),
    ],
)
def test_bad_input_fails_before_anything_is_sent(fleet, options, message):
    host = fleet.picked["plain"]
    before = files(fleet, host)
    run = play(fleet, "bad", [task("bad", **dict(CROWDSTRIKE, **options))])
    result = run.result("bad", host)
    assert result["_status"] == "fatal", result
    assert message in result["msg"]
    assert result["commands_sent"] == 0
    assert files(fleet, host) == before


def test_restore_refuses_to_overwrite_a_file_that_reappeared(fleet):
    host = fleet.picked["plain"]
    options = dict(CROWDSTRIKE, quarantine_id="reappeared")
    run = play(fleet, "reappear-1", [task("quarantine", **options)])
    assert run.result("quarantine", host)["changed"] is True
    # the vendor's agent writes a new file under the same name (a raw Set-Content, as anything on the host might)
    fix = play(
        fleet,
        "reappear-2",
        [
            {
                "name": "new file",
                "ansible.builtin.raw": f"Set-Content -LiteralPath '{BAD}' -Value 'fixed'",
                "when": f"inventory_hostname == '{host}'",
            },
            task("restore", **dict(options, state="restored")),
        ],
    )
    result = fix.result("restore", host)
    assert result["changed"] is False and result["restored"] == []
    assert [conflict["path"].split("\\")[-1] for conflict in result["conflicts"]] == [BAD.split("\\")[-1]]
    after = files(fleet, host)
    assert after[QUARANTINE + "reappeared\\C-00000291-00000000-00000032.sys"]["size"] == 40960  # still safe
    assert after[BAD]["size"] != 40960  # the new file was not overwritten
