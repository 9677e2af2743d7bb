"""win_recovery_records against in-process lab machines: the records a remediation left (with settings no mapping
names) listed newest first with their undo calls and undone back to the lab's ground truth, twice without change;
Lifeline 0.1.0's records; what cannot be undone; unreadable records refused before anything changes; a failing
undo stops the older ones."""

from __future__ import annotations

import json
import random

from ansible_collections.lifeline.recovery.plugins.action.win_boot_config import ActionModule as BootConfig
from ansible_collections.lifeline.recovery.plugins.action.win_boot_driver import ActionModule as BootDriver
from ansible_collections.lifeline.recovery.plugins.action.win_quarantine_files import ActionModule as QuarantineFiles
from ansible_collections.lifeline.recovery.plugins.action.win_recovery_records import ActionModule
from ansible_collections.lifeline.recovery.plugins.plugin_utils import _files as files
from ansible_collections.lifeline.recovery.plugins.plugin_utils._powershell import encoded_command, script
from lifeline_lab import failures
from lifeline_lab.machine import new_machine

from ..lab.support import run
from .in_process import in_safe_mode, lab_action
from .test_records import LEGACY, LEGACY_MANIFEST

SAFE_MODE = {"ansible_facts": {"lifeline_recovery": {"os_volume": "C:", "system_hive_offline": False,
                                                     "environment": "safe_mode_network"}}}  # fmt: skip
NORMAL = {"ansible_facts": {"lifeline_recovery": {"os_volume": "C:", "system_hive_offline": False,
                                                  "environment": "normal"}}}  # fmt: skip
CROWDSTRIKE = "Windows\\System32\\drivers\\CrowdStrike"
BAD = "C-00000291-00000000-00000032.sys"
RECORDS = "C:\\ProgramData\\Lifeline\\records"


def on_disk(machine) -> dict:
    """What a remediation may change and a rollback must restore (as tests/integration/rollout_support.py)."""
    truth = machine.snapshot()
    skipped = ("\\lifeline\\", "\\minidump\\", "\\system32\\config\\")
    files = {p: e["sha256"] for p, e in truth["files"].items() if not any(s in p.lower() for s in skipped)}
    return {"files": files, "services": truth["registry"]["services"], "bcd": truth["bcd"]}


def records(machine, args: dict, facts: dict, check_mode: bool = False) -> tuple[dict, list]:
    module, sent = lab_action(ActionModule, machine, args, check_mode=check_mode)
    return module.run(task_vars=facts), sent


def ok(action_class, machine, args: dict, facts: dict) -> dict:
    result = lab_action(action_class, machine, args)[0].run(task_vars=facts)
    assert result.get("failed") is not True and result["changed"] is True, result
    return result


def remediated(machine) -> None:
    """A remediation with settings of its own (no mapping names them): quarantine id and patterns, a driver, a
    boot setting, in Safe Mode with Networking, in that order."""
    quarantine = {"path": CROWDSTRIKE, "patterns": ["C-00000291-*.sys"], "quarantine_id": "contoso-cs-291"}
    ok(QuarantineFiles, machine, quarantine, SAFE_MODE)
    ok(BootDriver, machine, {"name": "ctxflt"}, SAFE_MODE)
    ok(BootConfig, machine, {"bootstatuspolicy": "IgnoreAllFailures"}, SAFE_MODE)


def broken_twice_in_safe_mode(hostname: str, seed: int):
    """A lab machine with the CrowdStrike 291 channel file and a crashing boot driver, in Safe Mode with Networking
    (as Lifeline reaches it)."""
    machine = new_machine(hostname, seed)
    failures.crowdstrike_291(machine, random.Random(1))
    failures.bad_boot_driver(machine, random.Random(2))
    return in_safe_mode(machine)


def test_a_remediation_is_listed_newest_first_and_undone_to_the_ground_truth() -> None:
    machine = broken_twice_in_safe_mode("T-0951", 951)
    before = on_disk(machine)
    remediated(machine)
    assert on_disk(machine) != before

    listed, sent = records(machine, {}, SAFE_MODE)
    assert len(sent) == 1 and listed["changed"] is False and listed["not_undoable"] == listed["unreadable"] == []
    assert [(entry["path"].rsplit("\\", 1)[-1], entry["pending"]) for entry in listed["records"]] == [
        ("boot_config-default.json", True), ("boot_driver-ctxflt.json", True),
        ("quarantine-contoso-cs-291.json", True),
    ]  # fmt: skip
    assert listed["records"][2]["undo"] == {
        "module": "lifeline.recovery.win_quarantine_files",
        "args": {"state": "restored", "path": CROWDSTRIKE, "patterns": ["C-00000291-*.sys"],
                 "quarantine_id": "contoso-cs-291"},
    }  # fmt: skip
    assert listed["records"][1]["summary"] == "service ctxflt: Start 0 -> 4"

    checked, _ = records(machine, {"state": "restored"}, SAFE_MODE, check_mode=True)
    assert checked["changed"] is True and [step["changed"] for step in checked["undone"]] == [True] * 3
    assert on_disk(machine) != before  # check mode changed nothing

    undone, sent = records(machine, {"state": "restored"}, SAFE_MODE)
    assert undone["changed"] is True and undone["nothing_to_restore"] is False, undone
    assert [step["kind"] for step in undone["undone"]] == ["boot_config", "boot_driver", "quarantine"]
    assert undone["commands_sent"] == len(sent) and on_disk(machine) == before

    again, _ = records(machine, {"state": "restored"}, SAFE_MODE)
    assert again["changed"] is False and again["nothing_to_restore"] is True and again["undone"] == []
    assert [entry["pending"] for entry in again["records"]] == [False] * 3 and again["msg"] == "nothing to restore"


def test_a_host_without_records_has_nothing_to_restore() -> None:
    machine = new_machine("T-0952", 952)
    result, sent = records(machine, {"state": "restored"}, NORMAL)
    assert result.get("failed") is not True and result["changed"] is False and result["nothing_to_restore"] is True
    assert result["records"] == [] and len(sent) == 1 and "warnings" not in result


def write(machine, path: str, document: dict | str) -> None:
    text = document if isinstance(document, str) else json.dumps(document)
    for statements in (files.new_directory(path.rsplit("\\", 1)[0]), files.set_content(path, text)):
        assert run(machine, encoded_command(script(*statements))).exit_code == 0


def test_lifeline_0_1_0_records_are_undone_and_what_cannot_be_is_named() -> None:
    machine = broken_twice_in_safe_mode("T-0953", 953)
    before = on_disk(machine)
    # what 0.1.0 left: ctxflt disabled (its record is written below), the channel file in its quarantine folder
    # with the manifest beside it, a removed update, and a safeboot record of win_recovery_reboot nothing read
    ok(BootDriver, machine, {"name": "ctxflt"}, SAFE_MODE)
    folder = "C:\\Lifeline\\Quarantine\\channel-file-291"
    assert run(machine, encoded_command(script(*files.new_directory(folder)))).exit_code == 0
    move = files.move_item(f"C:\\{CROWDSTRIKE}\\{BAD}", folder)
    assert run(machine, encoded_command(script(*move))).exit_code == 0
    write(machine, f"{folder}\\lifeline-quarantine-manifest.json", json.dumps(LEGACY_MANIFEST, indent=2) + "\r\n")
    for name in LEGACY:
        if name != "boot_config-default.json":  # not changed here: safeboot stays as it is
            write(machine, f"{RECORDS}\\{name}", LEGACY[name])
    assert on_disk(machine) != before

    result, _ = records(machine, {"state": "restored"}, SAFE_MODE)
    assert result["changed"] is True, result
    assert on_disk(machine) == before
    assert [entry["kind"] for entry in result["not_undoable"]] == ["servicing", "boot_config"]
    assert "DISM cannot put a removed package back" in result["not_undoable"][0]["reason"]
    assert "safeboot was absent" in result["not_undoable"][1]["reason"]
    assert len([w for w in result["warnings"] if w.startswith("not undone: ")]) == 2
    # the quarantine's record now lives with the others, used; the 0.1.0 manifest is no longer listed
    again, _ = records(machine, {}, SAFE_MODE)
    paths = [entry["path"] for entry in again["records"] if entry["kind"] == "quarantine"]
    assert paths == [f"{RECORDS}\\quarantine-channel-file-291.json"]
    assert [entry["pending"] for entry in again["records"]].count(True) == 2  # the two that cannot be undone
    assert records(machine, {"state": "restored"}, SAFE_MODE)[0]["changed"] is False


def test_readiness_is_left_alone_unless_asked_and_a_stranger_in_the_folder_stops_the_restore() -> None:
    machine = new_machine("T-0954", 954)
    write(machine, f"{RECORDS}\\safeboot_network.json", LEGACY["safeboot_network.json"])
    assert records(machine, {}, NORMAL)[0]["records"] == []
    asked, _ = records(machine, {"kinds": ["safeboot_network"]}, NORMAL)
    assert asked["records"][0]["undo"]["args"] == {"services": ["WinRM"], "state": "absent"}
    write(machine, f"{RECORDS}\\notes.json", "written by hand")
    listed, _ = records(machine, {}, NORMAL)
    assert listed["unreadable"] == [{"path": f"{RECORDS}\\notes.json", "problem": "not JSON"}]
    assert "notes.json" in listed["warnings"][0]
    refused, sent = records(machine, {"state": "restored"}, NORMAL)
    assert refused["failed"] is True and "notes.json" in refused["msg"] and "nothing was changed" in refused["msg"]
    assert len(sent) == 1


def test_a_failing_undo_stops_before_the_older_records() -> None:
    machine = broken_twice_in_safe_mode("T-0955", 955)
    ok(BootDriver, machine, {"name": "ctxflt"}, SAFE_MODE)
    moved = ok(QuarantineFiles, machine, {"path": CROWDSTRIKE, "patterns": ["C-00000291*.sys"]}, SAFE_MODE)
    gone = files.move_item(f"{moved['quarantine_folder']}\\{BAD}", "C:\\Windows\\Temp")
    assert run(machine, encoded_command(script(*gone))).exit_code == 0  # someone took the quarantined file away
    result, _ = records(machine, {"state": "restored"}, SAFE_MODE)
    assert result["failed"] is True and "is missing" in result["msg"] and "the older ones were not" in result["msg"]
    assert [step["kind"] for step in result["undone"]] == ["quarantine"]
    assert machine.snapshot()["registry"]["services"]["ctxflt"]["Start"] == 4  # the older record was not undone


def test_bad_input_sends_nothing() -> None:
    machine = new_machine("T-0956", 956)
    for args, facts in (({"kinds": []}, NORMAL), ({"kinds": ["registry"]}, NORMAL), ({}, {}),
                        ({"os_volume": "C"}, {}), ({"state": "undone"}, NORMAL)):  # fmt: skip
        result, sent = records(machine, args, facts)
        assert result["failed"] is True and sent == [] and result["commands_sent"] == 0, (args, result)
