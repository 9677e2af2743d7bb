"""win_boot_driver without WinRM: its scripts read with the real PowerShell grammar (hostile names refused or one
literal, the offline hive unloaded in finally), the refusal policy, the record round trip, and the action run
against in-process lab machines where WinRM answers (Start in the live hive of a host in Safe Mode with Networking
and the next boot it gives, bad input sends nothing)."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import example, given, settings

from ansible_collections.lifeline.recovery.plugins.action.win_boot_driver import ActionModule
from ansible_collections.lifeline.recovery.plugins.plugin_utils import _powershell as powershell
from ansible_collections.lifeline.recovery.plugins.plugin_utils import _records
from ansible_collections.lifeline.recovery.plugins.plugin_utils._boot_driver import (
    DENIED_SERVICES,
    OFFLINE_CONTROL_SETS,
    ServiceState,
    boot_driver_read,
    boot_driver_set_start,
    group_refusal,
    name_refusal,
    new_record,
    parse_driver_read,
    read_record,
)
from ansible_collections.lifeline.recovery.plugins.plugin_utils._parsers import ParseError
from lifeline_lab import failures
from lifeline_lab.machine import new_machine
from lifeline_lab.machine.windows_image import BOOT_CRITICAL, SERVICES

from ..lab.support import run
from .in_process import in_safe_mode, lab_action
from .test_powershell_builders import HOSTILE_TEXT, assert_parses, literal_values, native_calls

HIVE = "D:\\Windows\\System32\\config\\SYSTEM"
KEY = "HKLM\\LIFELINE_AB12"
RECORD = "D:\\ProgramData\\Lifeline\\records\\boot_driver-ctxflt.json"


# --- the scripts -------------------------------------------------------------------------------------------


def test_the_offline_read_loads_reads_select_and_the_service_and_always_unloads() -> None:
    built = boot_driver_read("ctxflt", RECORD, KEY, HIVE)
    root = assert_parses(built)
    calls = native_calls(root)
    assert calls[0] == ["reg.exe", "load", KEY, HIVE]
    assert calls[1] == ["reg.exe", "query", KEY + "\\Select"]
    assert [c[2] for c in calls[2:5]] == [f"{KEY}\\ControlSet00{n}\\Services\\ctxflt" for n in (1, 2, 3)]
    assert calls[-1] == ["reg.exe", "unload", KEY]
    lines = built.splitlines()
    assert lines.index("    } finally {") < next(n for n, line in enumerate(lines) if "'unload'" in line)
    assert RECORD in literal_values(root)
    assert len(powershell.encoded_command(built)) <= powershell.MAX_COMMAND_LINE


def test_the_live_read_and_the_changes() -> None:
    live = boot_driver_read("CSAgent", None)
    assert native_calls(assert_parses(live)) == [
        ["reg.exe", "query", "HKLM\\SYSTEM\\CurrentControlSet\\Services\\CSAgent"]
    ]
    change = boot_driver_set_start("CSAgent", 4, "CurrentControlSet")
    assert native_calls(assert_parses(change)) == [
        ["reg.exe", "add", "HKLM\\SYSTEM\\CurrentControlSet\\Services\\CSAgent", "/v", "Start", "/t", "REG_DWORD",
         "/d", "4", "/f"]
    ]  # fmt: skip
    offline = boot_driver_set_start("ctxflt", 0, "ControlSet002", KEY, HIVE)
    calls = native_calls(assert_parses(offline))
    assert calls[0][:2] == ["reg.exe", "load"] and calls[-1] == ["reg.exe", "unload", KEY]
    assert calls[1][2] == KEY + "\\ControlSet002\\Services\\ctxflt" and calls[1][-3:] == ["/d", "0", "/f"]
    assert "finally" in offline


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: boot_driver_read("a\\b", None), "backslash"),
        (lambda: boot_driver_read("", None), "empty"),
        (lambda: boot_driver_read(" x", None), "space"),
        (lambda: boot_driver_read("x" * 256, None), "255"),
        (lambda: boot_driver_read("a[1]", None), "[ ]"),
        (lambda: boot_driver_read("x\ny", None), "control character"),
        (lambda: boot_driver_read("x", None, KEY), "both a mount key and a hive file"),
        (lambda: boot_driver_set_start("x", 5, "CurrentControlSet"), "Start 5"),
        (lambda: boot_driver_set_start("x", 4, "ControlSet001"), "control set 'ControlSet001'"),
        (lambda: boot_driver_set_start("x", 4, "CurrentControlSet", KEY, HIVE), "control set"),
    ],
)
def test_bad_input_is_refused_before_anything_is_built(build, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")):
        build()


@settings(max_examples=300, deadline=None)
@given(HOSTILE_TEXT)
@example("ctx'; reg delete HKLM\\SYSTEM /f; '")
@example("$(Remove-Item C:\\ -Recurse)`n")
@example("O\u2019Brien's \u00e9 driver")
def test_hostile_service_names_are_refused_or_stay_one_literal(name: str) -> None:
    try:
        read = boot_driver_read(name, None, KEY, HIVE)
        change = boot_driver_set_start(name, 4, "ControlSet001", KEY, HIVE)
    except ValueError:
        return
    calls = native_calls(assert_parses(read))
    assert calls[2] == ["reg.exe", "query", f"{KEY}\\ControlSet001\\Services\\{name}"]
    assert native_calls(assert_parses(change))[1][2] == f"{KEY}\\ControlSet001\\Services\\{name}"


# --- the policy ----------------------------------------------------------------------------------------------


def test_every_driver_the_lab_knows_as_boot_critical_is_refused_by_name() -> None:
    for name in BOOT_CRITICAL:
        assert name in DENIED_SERVICES and name_refusal(name.upper())
    assert name_refusal("ctxflt") is None and name_refusal("CSAgent") is None


def test_storage_volume_and_file_system_groups_are_refused_and_ordinary_filters_are_not() -> None:
    for group in ("SCSI miniport", "scsi class", "Boot Bus Extender", "Primary Disk", "Boot File System",
                  "FSFilter Encryption", "Filter", "FSFilter Infrastructure"):  # fmt: skip
        assert "load-order group" in group_refusal("x", group)
    for group in ("FSFilter Activity Monitor", "FSFilter Anti-Virus", None, "NDIS"):
        assert group_refusal("x", group) is None
    # every service of the lab image in a protected group (a real inbox layout) is refused one way or another
    protected = [name for name, spec in SERVICES.items() if spec[2] and group_refusal(name, spec[2])]
    assert protected and all(name_refusal(name) or group_refusal(name, SERVICES[name][2]) for name in protected)


# --- reading and records ----------------------------------------------------------------------------------


def test_a_missing_service_a_failed_load_and_a_record_round_trip() -> None:
    def report(**fields) -> str:
        document = {"record": None, "load": "", "load_rc": 0, "unload_rc": 0, "select": "", "select_rc": 0}
        document.update(fields)
        return json.dumps(document)

    select = "\r\nHKEY_LOCAL_MACHINE\\LIFELINE_1\\Select\r\n    Current    REG_DWORD    0x2\r\n\r\n"
    service = "\r\nHKEY_LOCAL_MACHINE\\LIFELINE_1\\ControlSet002\\Services\\x\r\n    Start    REG_DWORD    0x0\r\n\r\n"
    read = parse_driver_read(report(select=select, ControlSet002=service, ControlSet002_rc=0), True,
                             OFFLINE_CONTROL_SETS)  # fmt: skip
    assert (read.control_set, read.service.start) == ("ControlSet002", 0)
    missing = parse_driver_read(report(select=select, ControlSet002="", ControlSet002_rc=1), True,
                                OFFLINE_CONTROL_SETS)  # fmt: skip
    assert missing.service is None
    with pytest.raises(ParseError, match="exit code 1"):
        parse_driver_read(report(load="ERROR: Access is denied.", load_rc=1), True, OFFLINE_CONTROL_SETS)
    record = new_record("ctxflt", "ControlSet001", True, ServiceState(0, "FSFilter Activity Monitor", "x.sys"), 4)
    text = _records.dumps(record)
    assert read_record(text, "CTXFLT")["previous"] == {"Start": 0, "Group": "FSFilter Activity Monitor",
                                                       "ImagePath": "x.sys"}  # fmt: skip
    assert (record["version"], record["kind"], record["restored_at"]) == (1, "boot_driver", None)
    with pytest.raises(ParseError, match="not 'other'"):
        read_record(text, "other")
    with pytest.raises(ParseError, match="not JSON"):
        read_record("garbage", "ctxflt")
    used = read_record("\ufeff" + _records.dumps(_records.restored(record)), "ctxflt")  # Set-Content writes a BOM
    assert used["restored_at"] and used["previous"]["Start"] == 0 and used["value"] == {"Start": 4}
    with pytest.raises(ParseError, match="restored_at"):
        read_record(json.dumps({**record, "restored_at": 1}), "ctxflt")
    with pytest.raises(ParseError, match="previous Start 7"):
        read_record(json.dumps({**record, "previous": {"Start": 7}}), "ctxflt")


# --- the action against in-process lab machines --------------------------------------------------------------


def action(machine, args: dict, check_mode: bool = False) -> tuple[ActionModule, list]:
    return lab_action(ActionModule, machine, args, check_mode=check_mode, diff=True)


FACTS = {"ansible_facts": {"lifeline_recovery": {"os_volume": "C:", "system_hive_offline": False,
                                                 "environment": "safe_mode_network"}}}  # fmt: skip
LIVE_RECORD = "C:\\ProgramData\\Lifeline\\records\\boot_driver-ctxflt.json"


def start_of(machine, name: str) -> str:
    return run(machine, f"reg query HKLM\\SYSTEM\\CurrentControlSet\\Services\\{name} /v Start").stdout


def test_disable_in_safe_mode_check_mode_rerun_restore_and_the_next_boot() -> None:
    """The bad boot driver disabled in the live hive of a host in Safe Mode with Networking: the next normal boot
    (the lab's boot model on the hive on disk) no longer crashes; restoring brings the crash back."""
    machine = new_machine("T-0401", 401)
    failures.bad_boot_driver(machine, random.Random(1))
    in_safe_mode(machine)
    assert machine.boot_outcome().environment is None  # ctxflt crashes every normal boot
    checked = action(machine, {"name": "ctxflt"}, check_mode=True)[0].run(task_vars=FACTS)
    assert checked["changed"] is True and checked["commands_sent"] == 1
    assert checked["diff"] == {"before": {"name": "ctxflt", "Start": 0, "start_type": "boot"},
                               "after": {"name": "ctxflt", "Start": 4, "start_type": "disabled"}}  # fmt: skip
    assert "0x0" in start_of(machine, "ctxflt") and machine.boot_outcome().environment is None
    done = action(machine, {"name": "ctxflt"})[0].run(task_vars=FACTS)
    assert done["changed"] is True and done["commands_sent"] == 3 and done["previous_start"] == 0
    assert machine.snapshot()["registry"]["services"]["ctxflt"]["Start"] == 4
    assert machine.boot_outcome().environment == "normal"
    again = action(machine, {"name": "ctxflt"})[0].run(task_vars=FACTS)
    assert again["changed"] is False and again["commands_sent"] == 1 and again["record"] == LIVE_RECORD
    restored = action(machine, {"name": "ctxflt", "state": "restored"})[0].run(task_vars=FACTS)
    assert restored["changed"] is True and restored["start"] == 0
    assert machine.snapshot()["registry"]["services"]["ctxflt"]["Start"] == 0
    assert machine.boot_outcome().environment is None
    assert action(machine, {"name": "ctxflt", "state": "restored"})[0].run(task_vars=FACTS)["changed"] is False
    assert run(machine, "reg query HKLM").stdout.split() == [  # the live hive: nothing loaded beside it
        "HKEY_LOCAL_MACHINE\\SOFTWARE",
        "HKEY_LOCAL_MACHINE\\SYSTEM",
    ]


def test_bad_input_and_deny_list_send_nothing_and_a_group_refusal_changes_nothing() -> None:
    machine = new_machine("T-0402", 402)
    for args in ({"name": "storport"}, {"name": "Ntfs"}, {"name": "a\\b"}, {"name": "x", "os_volume": "D"}):
        module, sent = action(machine, args)
        result = module.run(task_vars=FACTS)
        assert result["failed"] is True and sent == [] and result["commands_sent"] == 0, result
    winre = {"ansible_facts": {"lifeline_recovery": {**FACTS["ansible_facts"]["lifeline_recovery"],
                                                     "environment": "winre"}}}  # fmt: skip
    module, sent = action(machine, {"name": "ctxflt", "offline": False})
    result = module.run(task_vars=winre)
    assert result["failed"] is True and sent == [] and "recovery environment's own registry" in result["msg"]
    grouped = "ContosoCrypt"  # a third-party encryption minifilter: not on the deny list, refused by its group
    key = f"HKLM\\SYSTEM\\CurrentControlSet\\Services\\{grouped}"
    assert run(machine, f"reg add {key} /v Start /t REG_DWORD /d 0 /f").exit_code == 0
    assert run(machine, f'reg add {key} /v Group /t REG_SZ /d "FSFilter Encryption" /f').exit_code == 0
    before = start_of(machine, grouped)
    result = action(machine, {"name": grouped, "offline": False, "os_volume": "C:"})[0].run(task_vars={})
    assert result["failed"] is True and "load-order group" in result["msg"] and result["commands_sent"] == 1
    assert start_of(machine, grouped) == before


def test_restore_without_a_record_and_a_missing_service_fail_clearly() -> None:
    machine = new_machine("T-0403", 403)
    args = {"name": "partmgr", "state": "restored", "offline": False, "os_volume": "C:"}
    result = action(machine, args)[0].run(task_vars={})
    assert result["failed"] is True and "no rollback record" in result["msg"]
    missing = action(machine, {"name": "NoSuch", "offline": False, "os_volume": "C:"})[0].run(task_vars={})
    assert missing["failed"] is True and "no service or driver 'NoSuch'" in missing["msg"]
    without_facts = action(machine, {"name": "ctxflt"})[0].run(task_vars={})
    assert without_facts["commands_sent"] == 0 and "win_recovery_facts" in without_facts["msg"]


def test_missing_ok_makes_no_record_and_no_such_service_nothing_to_restore() -> None:
    machine = new_machine("T-0405", 405)
    live = {"state": "restored", "offline": False, "os_volume": "C:", "missing_ok": True}
    for name, why in (("partmgr", "no rollback record"), ("NoSuch", "no service or driver 'NoSuch'")):
        result = action(machine, {**live, "name": name})[0].run(task_vars={})
        assert result.get("failed") is not True and result["changed"] is False, result
        assert result["nothing_to_restore"] is True and why in result["msg"] and result["commands_sent"] == 1
    disabled = action(machine, {"name": "ctxflt", "missing_ok": True, "offline": False, "os_volume": "C:"})
    result = disabled[0].run(task_vars={})
    assert result["failed"] is True and "state=restored" in result["msg"] and disabled[1] == []
    # with a record, missing_ok changes nothing: Start is put back once, then there is nothing to restore
    key = "HKLM\\SYSTEM\\CurrentControlSet\\Services\\ContosoAgent"
    assert run(machine, f"reg add {key} /v Start /t REG_DWORD /d 2 /f").exit_code == 0
    assert action(machine, {"name": "ContosoAgent", **{k: live[k] for k in ("offline", "os_volume")}})[0].run(
        task_vars={}
    )["changed"]
    first = action(machine, {**live, "name": "ContosoAgent"})[0].run(task_vars={})
    assert (
        first["changed"] is True and first["nothing_to_restore"] is False and "0x2" in start_of(machine, "ContosoAgent")
    )
    again = action(machine, {**live, "name": "ContosoAgent"})[0].run(task_vars={})
    assert again["changed"] is False and again["nothing_to_restore"] is True


def record_on(machine, path: str) -> dict:
    text = run(machine, f"powershell -Command \"Get-Content -LiteralPath '{path}' -Raw -Encoding UTF8\"").stdout
    return json.loads(text.strip().removeprefix("\ufeff"))


def test_a_restore_uses_the_record_once_and_never_undoes_a_later_change() -> None:
    machine = new_machine("T-0404", 404)
    key = "HKLM\\SYSTEM\\CurrentControlSet\\Services\\ContosoAgent"
    assert run(machine, f"reg add {key} /v Start /t REG_DWORD /d 2 /f").exit_code == 0
    live = {"name": "ContosoAgent", "offline": False, "os_volume": "C:"}
    record = "C:\\ProgramData\\Lifeline\\records\\boot_driver-ContosoAgent.json"
    assert action(machine, live)[0].run(task_vars={})["previous_start"] == 2
    restored = action(machine, {**live, "state": "restored"})[0].run(task_vars={})
    assert restored["changed"] is True and restored["start"] == 2 and restored["commands_sent"] == 3
    assert record_on(machine, record)["restored_at"] and "0x2" in start_of(machine, "ContosoAgent")
    again = action(machine, {**live, "state": "restored"})[0].run(task_vars={})
    assert again["changed"] is False and again["commands_sent"] == 1 and "already restored" in again["msg"]
    # the operator changes Start afterwards: a rollback run again must not undo that
    assert run(machine, f"reg add {key} /v Start /t REG_DWORD /d 3 /f").exit_code == 0
    stale = action(machine, {**live, "state": "restored"})[0].run(task_vars={})
    assert stale["changed"] is False and stale["start"] == 3 and "left alone" in stale["warnings"][0]
    assert "0x3" in start_of(machine, "ContosoAgent")
    # the next disable starts a fresh record from what it finds, and its restore brings that back
    assert action(machine, live)[0].run(task_vars={})["previous_start"] == 3
    fresh = record_on(machine, record)
    assert fresh["previous"]["Start"] == 3 and fresh["restored_at"] is None
    assert action(machine, {**live, "state": "restored"})[0].run(task_vars={})["start"] == 3
    assert "0x3" in start_of(machine, "ContosoAgent")
