"""win_boot_config without WinRM: its scripts read with the real PowerShell grammar (hostile values refused or one
literal), the pure logic (wanted values, what differs, records that keep the earliest previous value), and the
action against in-process lab machines."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from hypothesis import example, given, settings

from ansible_collections.lifeline.recovery.plugins.action.win_boot_config import ActionModule
from ansible_collections.lifeline.recovery.plugins.plugin_utils import _records
from ansible_collections.lifeline.recovery.plugins.plugin_utils._bcdedit import parse_bcdedit_enum
from ansible_collections.lifeline.recovery.plugins.plugin_utils._boot_config import (
    bcdedit_changes,
    boot_config_read,
    changes_needed,
    merge_record,
    object_delete,
    parse_config_read,
    read_record,
    recorded_previous,
    wanted_values,
)
from ansible_collections.lifeline.recovery.plugins.plugin_utils._parsers import ParseError
from lifeline_lab.machine import new_machine

from ..lab.support import run
from .in_process import in_safe_mode, lab_action
from .test_powershell_builders import HOSTILE_TEXT, assert_parses, literal_values, native_calls

SAMPLES = Path(__file__).parent / "samples"
STORE = "S:\\EFI\\Microsoft\\Boot\\BCD"
RECORD = "C:\\ProgramData\\Lifeline\\records\\boot_config-default.json"


def test_the_read_and_the_one_change_script_parse_and_stop_at_the_first_failure() -> None:
    read = boot_config_read("{default}", STORE, RECORD)
    root = assert_parses(read)
    assert native_calls(root) == [["bcdedit.exe", "/store", STORE, "/enum", "{default}", "/v"]]
    assert RECORD in literal_values(root)
    change = bcdedit_changes("{default}", [("safeboot", None), ("device", "partition=D:")], STORE)
    assert native_calls(assert_parses(change)) == [
        ["bcdedit.exe", "/store", STORE, "/deletevalue", "{default}", "safeboot"],
        ["bcdedit.exe", "/store", STORE, "/set", "{default}", "device", "partition=D:"],
    ]
    assert change.count("if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }") == 2 and change.endswith("exit 0")


@settings(max_examples=300, deadline=None)
@given(HOSTILE_TEXT, HOSTILE_TEXT)
@example("partition=D:; bcdedit /delete {default}", "{default}$(x)")
def test_hostile_values_and_identifiers_are_refused_or_stay_one_literal(value: str, identifier: str) -> None:
    try:
        built = bcdedit_changes(identifier, [("device", value)])
    except ValueError:
        return
    assert native_calls(assert_parses(built)) == [["bcdedit.exe", "/set", identifier, "device", value]]


def test_bad_changes_are_refused() -> None:
    with pytest.raises(ValueError, match="at least one element"):
        bcdedit_changes("{default}", [])
    with pytest.raises(ValueError, match="BCD element 'Safe Boot'"):
        bcdedit_changes("{default}", [("Safe Boot", "minimal")])
    with pytest.raises(ValueError, match="not partition=<letter>:"):
        wanted_values({"device": "partition=\\Device\\HarddiskVolume2"})
    with pytest.raises(ValueError, match="recoveryenabled 'maybe'"):
        wanted_values({"recoveryenabled": "maybe"})


def test_wanted_values_are_what_bcdedit_prints() -> None:
    args = {"safeboot": "network", "bootstatuspolicy": "absent", "recoveryenabled": False, "osdevice": "partition=d:"}
    assert wanted_values(args) == {"safeboot": "Network", "bootstatuspolicy": None, "recoveryenabled": "No",
                                   "osdevice": "partition=D:"}  # fmt: skip
    assert wanted_values({"recoveryenabled": "absent"}) == {"recoveryenabled": None}


def test_only_what_differs_is_changed_on_a_real_sample() -> None:
    # bcdedit_reference_safeboot.txt: the {current} loader with safeboot Network and recoveryenabled Yes
    entry = next(e for e in parse_bcdedit_enum((SAMPLES / "bcdedit_reference_safeboot.txt").read_text())
                 if e.title == "Windows Boot Loader")  # fmt: skip
    wanted = {"safeboot": None, "recoveryenabled": "Yes", "device": "partition=c:", "bootstatuspolicy": None}
    assert changes_needed(entry, wanted) == {"safeboot": ("Network", None)}


def test_records_keep_the_earliest_previous() -> None:
    first = merge_record(None, "{default}", None, {"safeboot": (None, "Minimal")})
    assert (first["kind"], first["entry"], first["restored_at"]) == ("boot_config", "{default}", None)
    assert first["changes"] == [{"element": "safeboot", "previous": None, "value": "Minimal"}]
    second = merge_record(
        read_record(_records.dumps(first)), "{default}", None,
        {"safeboot": ("Minimal", "Network"), "recoveryenabled": ("Yes", "No")},
    )  # fmt: skip
    assert recorded_previous(second) == {"safeboot": None, "recoveryenabled": "Yes"}
    assert second["changes"][0]["value"] == "Network"
    assert _records.path("C:", "boot_config", "{default}") == RECORD
    assert (
        _records.file_name("boot_config", "{92F49998-3C5F-11EF-9F6A-000D3A6F1E1B}")
        == "boot_config-92f49998-3c5f-11ef-9f6a-000d3a6f1e1b.json"
    )
    with pytest.raises(ParseError, match="changes"):
        read_record(json.dumps({**first, "changes": None}))
    with pytest.raises(ParseError, match="does not manage"):
        read_record(json.dumps({**first, "changes": [{"element": "path", "previous": None, "value": "x"}]}))


def test_a_restored_record_is_history_and_the_next_change_starts_a_fresh_one() -> None:
    first = merge_record(None, "{default}", None, {"safeboot": (None, "Network")})
    used = read_record("\ufeff" + _records.dumps(_records.restored(first)))  # Set-Content writes a BOM
    assert used["restored_at"] and recorded_previous(used) == {"safeboot": None}
    # someone set safeboot minimal after the restore: the next record's previous is that, not the old absent
    fresh = merge_record(used, "{default}", None, {"safeboot": ("Minimal", "Network")})
    assert fresh["restored_at"] is None and recorded_previous(fresh) == {"safeboot": "Minimal"}
    with pytest.raises(ParseError, match="restored_at"):
        read_record(json.dumps({**first, "restored_at": ["x"]}))


def test_a_failed_enum_is_reported_not_parsed() -> None:
    report = json.dumps(
        {"record": None, "bcdedit": "The specified entry identifier is not found.\r\n", "bcdedit_rc": 1}
    )
    entry, record, error = parse_config_read(report)
    assert entry is None and record is None and "not found" in error


def action(machine, args: dict, check_mode: bool = False) -> tuple[ActionModule, list]:
    return lab_action(ActionModule, machine, args, check_mode=check_mode, diff=True)


def default_entry_text(machine) -> str:
    return run(machine, "bcdedit /enum {default} /v").stdout


def test_safeboot_cleared_in_safe_mode_rerun_and_restored_in_process() -> None:
    """What exit_recovery asks of the module on a host the WinRE failover sent to Safe Mode with Networking
    (``bcdedit /set {default} safeboot network``): clear safeboot, so the next boot is a normal one; restoring puts
    the failover's setting back. The lab's boot model on the store on disk is the ground truth."""
    machine = new_machine("T-0501", 501)
    assert run(machine, "bcdedit /set {default} safeboot network").exit_code == 0  # as the failover leaves it
    in_safe_mode(machine)
    facts = {"ansible_facts": {"lifeline_recovery": {"os_volume": "C:", "environment": "safe_mode_network"}}}
    before = default_entry_text(machine)
    assert "safeboot                Network" in before and machine.boot_outcome().environment == "safe_mode_network"
    args = {"safeboot": "absent"}
    checked = action(machine, args, check_mode=True)[0].run(task_vars=facts)
    assert checked["changed"] is True and checked["commands_sent"] == 1 and default_entry_text(machine) == before
    done = action(machine, args)[0].run(task_vars=facts)
    assert done["changed"] is True and done["commands_sent"] == 2
    assert done["previous"]["safeboot"] == "Network"
    assert "safeboot" not in default_entry_text(machine) and machine.boot_outcome().environment == "normal"
    assert action(machine, args)[0].run(task_vars=facts)["changed"] is False
    restored = action(machine, {"state": "restored"})[0].run(task_vars=facts)
    assert restored["changed"] is True and restored["commands_sent"] == 2 and default_entry_text(machine) == before
    assert machine.boot_outcome().environment == "safe_mode_network"
    text = run(machine, f"powershell -Command \"Get-Content -LiteralPath '{RECORD}' -Raw -Encoding UTF8\"").stdout
    assert read_record(text.strip())["restored_at"] is not None
    again = action(machine, {"state": "restored"})[0].run(task_vars=facts)
    assert again["changed"] is False and again["commands_sent"] == 1 and "already restored" in again["msg"]
    # cleared by hand afterwards: a rollback run again leaves that alone and says so
    assert run(machine, "bcdedit /deletevalue {default} safeboot").exit_code == 0
    stale = action(machine, {"state": "restored"})[0].run(task_vars=facts)
    assert (
        stale["changed"] is False
        and "left alone" in stale["warnings"][0]
        and "safeboot absent (recorded Network)" in stale["msg"]
    )
    assert "safeboot" not in default_entry_text(machine) and machine.boot_outcome().environment == "normal"


def test_a_record_that_cannot_be_written_stops_the_change_in_the_same_script() -> None:
    """The record is written first in the one change script: when Windows refuses it, bcdedit never runs."""
    machine = new_machine("T-0503", 503)
    facts = {"ansible_facts": {"lifeline_recovery": {"os_volume": "C:", "environment": "normal"}}}
    machine.drives.mkdir("C:\\ProgramData\\Lifeline", parents=True)
    machine.drives.write("C:\\ProgramData\\Lifeline\\records", b"a file where the records folder goes")
    before = default_entry_text(machine)
    result = action(machine, {"bootstatuspolicy": "IgnoreAllFailures"})[0].run(task_vars=facts)
    assert result["failed"] is True and result["commands_sent"] == 2, result
    assert result["msg"].startswith(f"writing the rollback record {RECORD}, then changing {{default}}"), result
    assert default_entry_text(machine) == before


def test_bad_input_sends_nothing_and_no_volume_means_result_only() -> None:
    machine = new_machine("T-0502", 502)
    for args in ({"device": "D:"}, {"identifier": "{defualt}", "safeboot": "absent"}, {"recoveryenabled": "maybe"},
                 {"state": "restored", "safeboot": "absent"}, {"state": "restored"}):  # fmt: skip
        module, sent = action(machine, args)
        result = module.run(task_vars={})
        assert result["failed"] is True and sent == [], (args, result)
    result = action(machine, {"bootstatuspolicy": "IgnoreAllFailures"})[0].run(task_vars={})
    assert result["changed"] is True and result["record"] is None and result["commands_sent"] == 2
    assert "not recorded on the host" in result["warnings"][0]
    assert result["previous"] == {"bootstatuspolicy": "absent"}


def test_missing_ok_makes_no_record_nothing_to_restore() -> None:
    machine = new_machine("T-0503", 503)
    facts = {"ansible_facts": {"lifeline_recovery": {"os_volume": "C:"}}}
    before = default_entry_text(machine)
    failed = action(machine, {"state": "restored"})[0].run(task_vars=facts)
    assert failed["failed"] is True and "no rollback record" in failed["msg"]
    result = action(machine, {"state": "restored", "missing_ok": True})[0].run(task_vars=facts)
    assert result.get("failed") is not True and result["changed"] is False and result["nothing_to_restore"] is True
    assert "no rollback record" in result["msg"] and default_entry_text(machine) == before
    module, sent = action(machine, {"safeboot": "network", "missing_ok": True})
    refused = module.run(task_vars=facts)
    assert refused["failed"] is True and "state=restored" in refused["msg"] and sent == []
    assert action(machine, {"safeboot": "network"})[0].run(task_vars=facts)["changed"] is True
    restored = action(machine, {"state": "restored", "missing_ok": True})[0].run(task_vars=facts)
    assert (
        restored["changed"] is True
        and restored["nothing_to_restore"] is False
        and default_entry_text(machine) == before
    )
    again = action(machine, {"state": "restored", "missing_ok": True})[0].run(task_vars=facts)
    assert again["changed"] is False and again["nothing_to_restore"] is True


# --- state: absent (the WinRE failover's marker) --------------------------------------------------------------

MARKER = "{07b12ddd-c467-4140-8aab-3313b0711336}"


def store_text(machine) -> str:
    return run(machine, "bcdedit /enum all /v").stdout


def test_the_delete_script_parses_and_fails_with_bcdedits_exit_code() -> None:
    built = object_delete(MARKER, STORE)
    assert native_calls(assert_parses(built)) == [["bcdedit.exe", "/store", STORE, "/delete", MARKER]]
    assert "if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }" in built and built.endswith("exit 0")


def test_deleting_refuses_well_known_identifiers_options_and_boot_applications_before_deleting() -> None:
    machine = new_machine("T-0504", 504)
    before = store_text(machine)
    for args in ({"identifier": "{default}", "state": "absent"}, {"identifier": "{bootmgr}", "state": "absent"},
                 {"identifier": MARKER, "state": "absent", "safeboot": "absent"}):  # fmt: skip
        module, sent = action(machine, args)
        result = module.run(task_vars={})
        assert result["failed"] is True and sent == [], (args, result)
    loader = parse_bcdedit_enum(default_entry_text(machine))[0].identifier  # the Windows loader's GUID
    module, sent = action(machine, {"identifier": loader, "state": "absent"})
    refused = module.run(task_vars={})
    assert refused["failed"] is True and "boot application" in refused["msg"] and len(sent) == 1
    assert store_text(machine) == before


def test_an_absent_marker_is_no_change_and_check_mode_deletes_nothing() -> None:
    machine = new_machine("T-0505", 505)
    args = {"identifier": MARKER, "state": "absent"}
    gone = action(machine, args)[0].run(task_vars={})
    assert gone["changed"] is False and gone["commands_sent"] == 1 and "does not exist" in gone["msg"], gone
    assert run(machine, f'bcdedit /create {MARKER} /d "Lifeline failover" /device').exit_code == 0
    before = store_text(machine)
    checked = action(machine, args, check_mode=True)[0].run(task_vars={})
    assert checked["changed"] is True and checked["commands_sent"] == 1 and checked["record"] is None
    assert checked["diff"] == {"before": {"identifier": MARKER, "description": "Lifeline failover"}, "after": {}}
    assert store_text(machine) == before


def test_safeboot_cleared_and_marker_deleted_in_one_script_after_the_record() -> None:
    """exit_recovery's one task: the read, then ONE script that writes the record, clears safeboot and deletes the
    failover's marker; a marker that is not there is nothing to delete (ground truth: the lab's store)."""
    machine = new_machine("T-0506", 506)
    facts = {"ansible_facts": {"lifeline_recovery": {"os_volume": "C:", "environment": "safe_mode_network"}}}
    assert run(machine, "bcdedit /set {default} safeboot network").exit_code == 0
    assert run(machine, f'bcdedit /create {MARKER} /d "Lifeline failover" /device').exit_code == 0
    args = {"safeboot": "absent", "delete_objects": [MARKER]}
    before = store_text(machine)
    checked = action(machine, args, check_mode=True)[0].run(task_vars=facts)
    assert checked["changed"] is True and checked["deleted"] == [MARKER] and store_text(machine) == before
    module, sent = action(machine, args)
    done = module.run(task_vars=facts)
    assert done["changed"] is True and done["commands_sent"] == 2 and done["deleted"] == [MARKER], done
    assert done["previous"] == {"safeboot": "Network"} and done["record"] == RECORD
    change = base64.b64decode(sent[-1].rsplit(" ", 1)[1]).decode("utf-16-le")
    assert change.index("Set-Content") < change.index("'/deletevalue'") < change.index("'/delete'")
    assert "safeboot" not in default_entry_text(machine) and MARKER not in store_text(machine)
    text = run(machine, f"powershell -Command \"Get-Content -LiteralPath '{RECORD}' -Raw -Encoding UTF8\"").stdout
    assert read_record(text.strip())["changes"][0]["previous"] == "Network"
    again = action(machine, args)[0].run(task_vars=facts)
    assert again["changed"] is False and again["commands_sent"] == 1 and again["deleted"] == []
    # the marker alone (safeboot already clear): deleted, no record written, no element changed
    assert run(machine, f'bcdedit /create {MARKER} /d "Lifeline failover" /device').exit_code == 0
    alone = action(machine, args)[0].run(task_vars=facts)
    assert alone["changed"] is True and alone["previous"] == {} and alone["deleted"] == [MARKER], alone
    assert MARKER not in store_text(machine)


def test_delete_objects_refuses_bad_names_and_boot_applications_before_changing_anything() -> None:
    machine = new_machine("T-0507", 507)
    assert run(machine, "bcdedit /set {default} safeboot network").exit_code == 0
    before = store_text(machine)
    for args in ({"safeboot": "absent", "delete_objects": ["{bootmgr}"]},
                 {"state": "restored", "delete_objects": [MARKER]}):  # fmt: skip
        module, sent = action(machine, args)
        result = module.run(task_vars={})
        assert result["failed"] is True and sent == [], (args, result)
    loader = parse_bcdedit_enum(default_entry_text(machine))[0].identifier
    module, sent = action(machine, {"safeboot": "absent", "delete_objects": [loader]})
    refused = module.run(task_vars={})
    assert refused["failed"] is True and "boot application" in refused["msg"] and len(sent) == 1, refused
    assert store_text(machine) == before
