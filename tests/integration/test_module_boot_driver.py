"""lifeline.recovery.win_boot_driver on an armed bad-boot-driver lab host the WinRE failover sent to Safe Mode with
Networking (the crashing boot filter ctxflt is not listed under SafeBoot\\Network, so Safe Mode boots): the live
hive, judged by the lab's ground truth: Start in the registry, the record on C:, the normal boot after the
restart. Hosts nobody armed sit in stock WinRE (no WinRM, no offline hive to reach) and need hands."""

from __future__ import annotations

import json

import pytest

from .conftest import lab, start_fleet, winrm_session
from .playbooks import FACTS_FIRST, play_tasks, static_inventory

pytestmark = pytest.mark.integration

RECORD = "C:\\ProgramData\\Lifeline\\records\\boot_driver-ctxflt.json"


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    directory = tmp_path_factory.mktemp("boot_driver")
    started = start_fleet(directory, "--scenario", "bad-boot-driver", "--hosts", "2", "--reboot-seconds", "0.3")
    hosts = [e["name"] for e in started.hosts if started.show(e["name"])["machine"]["bitlocker"] is None]
    assert hosts, started.hosts
    started.host_name = hosts[0]
    started.directory = directory
    started.inventory = static_inventory(started, directory, names=hosts[:1])
    yield started
    lab("down", "--fleet-file", str(started.fleet_file))


def play(fleet, name: str, tasks: list[dict], *arguments: str):
    """The facts win_recovery_facts gathers first, then the tasks, on the Safe Mode host."""
    return play_tasks(fleet, name, [FACTS_FIRST, *tasks], *arguments)


def driver(task: str = "driver", /, **options) -> dict:
    return {"name": task, "lifeline.recovery.win_boot_driver": options, "ignore_errors": True}


def truth(fleet) -> dict:
    return fleet.show(fleet.host_name)["machine"]


def hklm_keys(fleet) -> list[str]:
    entry = next(h for h in fleet.hosts if h["name"] == fleet.host_name)
    return winrm_session(entry).run_cmd("reg", ["query", "HKLM"]).std_out.decode().split()


def record_on_host(fleet, path: str) -> dict:
    entry = next(h for h in fleet.hosts if h["name"] == fleet.host_name)
    text = winrm_session(entry).run_cmd("type", [path]).std_out.decode("utf-8", "replace")
    return json.loads(text[text.index("{") :])  # after the UTF-8 BOM Set-Content writes


def test_disable_in_safe_mode_check_mode_rerun_refusals_reboot_and_restore(fleet):
    host = fleet.host_name
    before = truth(fleet)
    assert before["environment"] == "safe_mode_network" and before["registry"]["services"]["ctxflt"]["Start"] == 0
    loaded = hklm_keys(fleet)  # the live hives: the module loads no hive of its own online

    checked = play(fleet, "check", [driver(name="ctxflt")], "--check", "--diff")
    result = checked.result("driver", host)
    assert result["changed"] is True and result["previous_start"] == 0 and result["start"] == 4, result
    assert result["commands_sent"] == 1 and result["record"] is None
    after_check = truth(fleet)
    assert after_check["registry"] == before["registry"] and RECORD not in after_check["files"]
    assert hklm_keys(fleet) == loaded

    refused = play(fleet, "refused", [driver("storport", name="storport"), driver("bad name", name="a\\b"),
                                      driver("missing", name="NoSuchDriver")])  # fmt: skip
    storport = refused.result("storport", host)
    assert storport["_status"] == "fatal" and storport["commands_sent"] == 0 and "storport" in storport["msg"]
    bad = refused.result("bad name", host)
    assert bad["_status"] == "fatal" and bad["commands_sent"] == 0 and "backslash" in bad["msg"]
    missing = refused.result("missing", host)
    assert missing["_status"] == "fatal" and "no service or driver 'NoSuchDriver'" in missing["msg"]
    assert missing["commands_sent"] == 1  # read only
    assert truth(fleet)["registry"] == before["registry"]

    run = play(fleet, "disable", [driver(name="ctxflt"), driver("again", name="ctxflt")], "--diff")
    first, again = run.result("driver", host), run.result("again", host)
    assert first["changed"] is True and first["previous_start"] == 0 and first["offline"] is False, first
    assert first["group"] == "FSFilter Activity Monitor" and first["control_set"] == "CurrentControlSet"
    assert first["record"] == RECORD
    assert again["changed"] is False and again["commands_sent"] == 1
    disabled = truth(fleet)
    assert disabled["registry"]["services"]["ctxflt"]["Start"] == 4
    assert hklm_keys(fleet) == loaded
    entry = next(h for h in fleet.hosts if h["name"] == host)
    record = record_on_host(fleet, RECORD)
    assert record["previous"]["Start"] == 0 and record["value"] == {"Start": 4} and record["service"] == "ctxflt"

    booted = play(fleet, "boot", [{"name": "reboot", "lifeline.recovery.win_recovery_reboot": {"target": "normal"}}])
    assert booted.result("reboot", host)["environment"] == "normal", booted.stdout[-3000:]
    booted_truth = truth(fleet)
    assert booted_truth["environment"] == "normal" and "safeboot" not in booted_truth["bcd"]["entries"][
        booted_truth["bcd"]["os_entry"]]  # fmt: skip

    # in normal Windows now: the same live key and record
    back = play(fleet, "restore", [driver(name="ctxflt", state="restored"),
                                   driver("restore again", name="ctxflt", state="restored")], "--diff")  # fmt: skip
    restored = back.result("driver", host)
    assert restored["changed"] is True and restored["offline"] is False and restored["start"] == 0, restored
    assert restored["previous_start"] == 4
    assert back.result("restore again", host)["changed"] is False
    assert truth(fleet)["registry"]["services"]["ctxflt"]["Start"] == 0
    used = record_on_host(fleet, RECORD)
    assert used["restored_at"] and used["previous"]["Start"] == 0

    # an operator sets Start by hand afterwards: running the rollback again must not undo that
    key = "HKLM\\SYSTEM\\CurrentControlSet\\Services\\ctxflt"
    added = winrm_session(entry).run_cmd("reg", ["add", key, "/v", "Start", "/t", "REG_DWORD", "/d", "3", "/f"])
    assert added.status_code == 0, added.std_err
    stale = play(fleet, "stale", [driver(name="ctxflt", state="restored")]).result("driver", host)
    assert stale["changed"] is False and stale["start"] == 3 and "left alone" in stale["msg"], stale
    assert truth(fleet)["registry"]["services"]["ctxflt"]["Start"] == 3


def test_restore_without_a_record_fails_clearly_unless_missing_is_ok(fleet):
    host = fleet.host_name
    before = truth(fleet)["registry"]["services"]
    run = play(fleet, "norecord", [
        driver(name="volmgr", state="restored"),
        driver("missing ok", name="volmgr", state="restored", missing_ok=True),
        driver("not installed", name="NoSuchDriver", state="restored", missing_ok=True),
    ])  # fmt: skip
    result = run.result("driver", host)
    assert result["_status"] == "fatal" and "no rollback record" in result["msg"] and "volmgr" in result["msg"]
    for task in ("missing ok", "not installed"):
        ok = run.result(task, host)
        assert ok["_status"] == "ok" and ok["changed"] is False and ok["nothing_to_restore"] is True, ok
    assert "no service or driver 'NoSuchDriver'" in run.result("not installed", host)["msg"]
    assert truth(fleet)["registry"]["services"] == before
