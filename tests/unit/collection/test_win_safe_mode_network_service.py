"""win_safe_mode_network_service without WinRM: its scripts read with the real PowerShell grammar (hostile names
refused or one literal), the add/remove plan and its record, and the action run against in-process lab machines
(the lab's WinRM answers in Safe Mode with Networking afterwards, absent removes only what it added)."""

from __future__ import annotations

import json

import pytest
from hypothesis import example, given, settings

from ansible_collections.lifeline.recovery.plugins.action.win_safe_mode_network_service import ActionModule
from ansible_collections.lifeline.recovery.plugins.plugin_utils import _powershell as powershell
from ansible_collections.lifeline.recovery.plugins.plugin_utils import _records
from ansible_collections.lifeline.recovery.plugins.plugin_utils._host_model import MININT_KEY
from ansible_collections.lifeline.recovery.plugins.plugin_utils._parsers import ParseError
from ansible_collections.lifeline.recovery.plugins.plugin_utils._safeboot_network import (
    DEFAULT_SERVICES,
    SAFEBOOT_NETWORK_KEY,
    SafeBootRead,
    ServiceKey,
    new_record,
    parse_read,
    plan,
    read_record,
    safeboot_network_change,
    safeboot_network_read,
)
from lifeline_lab.machine import new_machine

from ..lab.support import run
from .in_process import lab_action, scripted_action
from .test_powershell_builders import HOSTILE_TEXT, assert_parses, literal_values, native_calls

NETWORK = SAFEBOOT_NETWORK_KEY
FOLDER = "C:\\ProgramData\\Lifeline\\records"
RECORD = FOLDER + "\\safeboot_network.json"


# --- the scripts -------------------------------------------------------------------------------------------


def test_the_read_asks_minint_safeboot_network_each_service_and_the_record_in_one_script() -> None:
    built = safeboot_network_read(["WinRM", "HTTP"], RECORD)
    root = assert_parses(built)
    assert native_calls(root) == [
        ["reg.exe", "query", MININT_KEY],
        ["reg.exe", "query", NETWORK],
        ["reg.exe", "query", "HKLM\\SYSTEM\\CurrentControlSet\\Services\\WinRM"],
        ["reg.exe", "query", "HKLM\\SYSTEM\\CurrentControlSet\\Services\\HTTP"],
    ]
    assert RECORD in literal_values(root)
    assert len(powershell.encoded_command(built)) <= powershell.MAX_COMMAND_LINE


def test_adding_writes_the_record_first_and_removing_writes_it_last() -> None:
    added = safeboot_network_change([("WinRM", "Service"), ("HTTP", "Driver")], [], "C:", new_record([]))
    root = assert_parses(added)
    assert native_calls(root) == [
        ["reg.exe", "add", NETWORK + "\\WinRM", "/ve", "/t", "REG_SZ", "/d", "Service", "/f"],
        ["reg.exe", "add", NETWORK + "\\HTTP", "/ve", "/t", "REG_SZ", "/d", "Driver", "/f"],
    ]
    lines = added.splitlines()
    assert next(n for n, line in enumerate(lines) if "Set-Content" in line) < next(
        n for n, line in enumerate(lines) if "'reg.exe'" in line
    )
    removed = safeboot_network_change([], ["WinRM"], "C:", new_record([]))
    assert native_calls(assert_parses(removed)) == [["reg.exe", "delete", NETWORK + "\\WinRM", "/f"]]
    lines = removed.splitlines()
    assert next(n for n, line in enumerate(lines) if "Set-Content" in line) > next(
        n for n, line in enumerate(lines) if "'reg.exe'" in line
    )
    assert "if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }" in lines


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: safeboot_network_read([], RECORD), "non-empty"),
        (lambda: safeboot_network_read("WinRM", RECORD), "non-empty list"),
        (lambda: safeboot_network_read(["a\\b"], RECORD), "backslash"),
        (lambda: safeboot_network_read([" x"], RECORD), "space"),
        (lambda: safeboot_network_read(["x\ny"], RECORD), "control character"),
        (lambda: safeboot_network_read(["x"], "records.json"), "absolute path"),
        (lambda: safeboot_network_change([("x", "Driver Group")], [], "C:", new_record([])), "kind"),
        (lambda: safeboot_network_change([], [], "C:", new_record([])), "at least one"),
        (lambda: safeboot_network_change([("x", "Service")], ["y"], "C:", new_record([])), "either"),
    ],
)
def test_bad_input_is_refused_before_anything_is_built(build, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()


@settings(max_examples=300, deadline=None)
@given(HOSTILE_TEXT)
@example("WinRM'; reg delete HKLM\\SYSTEM /f; '")
@example("$(Remove-Item C:\\ -Recurse)`n")
@example("O\u2019Brien's \u00e9 agent")
@example("'\u2028'")  # a line separator: tree-sitter ends the line there (found by hypothesis)
def test_hostile_service_names_are_refused_or_stay_one_literal(name: str) -> None:
    try:
        read = safeboot_network_read([name], RECORD)
        record = new_record([{"name": name, "kind": "Service"}])
        add = safeboot_network_change([(name, "Service")], [], "C:", record)
        remove = safeboot_network_change([], [name], "C:", record)
    except ValueError:
        return
    assert native_calls(assert_parses(read))[2] == [
        "reg.exe",
        "query",
        f"HKLM\\SYSTEM\\CurrentControlSet\\Services\\{name}",
    ]
    assert native_calls(assert_parses(add))[0][2] == f"{NETWORK}\\{name}"
    assert native_calls(assert_parses(remove))[0][2] == f"{NETWORK}\\{name}"
    assert _records.dumps(record) in literal_values(assert_parses(add))  # the record text too stays one literal


# --- reading, planning, the record ---------------------------------------------------------------------------


NETWORK_TEXT = (
    "\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\SafeBoot\\Network\r\n"
    "    (Default)    REG_SZ    (value not set)\r\n\r\n"
    "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\SafeBoot\\Network\\RpcSs\r\n"
    "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\SafeBoot\\Network\\Tcpip\r\n"
)
WINRM_TEXT = (
    "\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\WinRM\r\n"
    "    Type    REG_DWORD    0x20\r\n    DependOnService    REG_MULTI_SZ    RPCSS\\0HTTP\r\n\r\n"
)
HTTP_TEXT = "\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\HTTP\r\n    Type    REG_DWORD    0x1\r\n\r\n"


def document(**fields) -> str:
    base = {"record": None, "minint": "", "minint_rc": 1, "network": NETWORK_TEXT, "network_rc": 0}
    return json.dumps({**base, **fields})


def test_the_read_gives_listed_names_service_kinds_dependencies_and_missing_services() -> None:
    read = parse_read(document(service0=WINRM_TEXT, service0_rc=0, service1=HTTP_TEXT, service1_rc=0,
                               service2="", service2_rc=1), 3)  # fmt: skip
    assert read.listed == ("RpcSs", "Tcpip") and read.in_winpe is False
    assert read.services[0] == ServiceKey("WinRM", 0x20, ("RPCSS", "HTTP")) and read.services[0].kind == "Service"
    assert read.services[1].kind == "Driver" and read.services[2] is None
    assert parse_read(document(minint_rc=0), 0).in_winpe is True
    assert parse_read(document(network="", network_rc=1), 0).listed is None
    with pytest.raises(ParseError, match="exited 5"):
        parse_read(document(network_rc=5), 0)
    with pytest.raises(ParseError, match="not JSON"):
        parse_read("ERROR: oops", 0)


def read_of(listed: tuple[str, ...], *keys: ServiceKey | None) -> SafeBootRead:
    return SafeBootRead(False, listed, keys, None)


WINRM, RPCSS, HTTP = (
    ServiceKey("WinRM", 0x20, ("RPCSS", "HTTP")),
    ServiceKey("RpcSs", 0x20, ()),
    ServiceKey("HTTP", 1, ()),
)


def test_present_adds_only_what_is_missing_and_refuses_services_that_are_not_installed() -> None:
    todo = plan("present", ["WinRM", "RpcSs", "HTTP"], read_of(("RpcSs", "Tcpip"), WINRM, RPCSS, HTTP), [])
    assert todo.add == (("WinRM", "Service"), ("HTTP", "Driver"))
    assert [e["name"] for e in todo.recorded] == ["WinRM", "HTTP"]
    assert todo.listed_after == ("HTTP", "RpcSs", "Tcpip", "WinRM")
    again = plan("present", ["winrm"], read_of(("RpcSs", "WINRM"), WINRM), [{"name": "WinRM", "kind": "Service"}])
    assert again.add == ()
    with pytest.raises(ValueError, match=r"'NoSuch'.*nothing was changed"):
        plan("present", ["WinRM", "NoSuch"], read_of((), WINRM, None), [])


def test_absent_removes_only_what_the_record_says_lifeline_added() -> None:
    recorded = [{"name": "WinRM", "kind": "Service"}, {"name": "HTTP", "kind": "Driver"}]
    todo = plan("absent", ["WinRM", "RpcSs", "HTTP"], read_of(("RpcSs", "WinRM", "http"), WINRM, RPCSS, HTTP), recorded)
    assert todo.remove == ("WinRM", "http") and todo.kept == ("RpcSs",) and todo.recorded == ()
    assert todo.listed_after == ("RpcSs",)
    untouched = plan("absent", ["WinRM"], read_of(("WinRM",), WINRM), [])  # listed by the organisation
    assert untouched.remove == () and untouched.kept == ("WinRM",)


def test_the_record_round_trips_and_foreign_records_are_refused() -> None:
    entries = [{"name": "WinRM", "kind": "Service"}, {"name": "HTTP", "kind": "Driver"}]
    record = new_record(entries)
    assert (record["kind"], record["restored_at"]) == ("safeboot_network", None)
    assert read_record("\ufeff" + _records.dumps(record)) == [entries[1], entries[0]]
    assert read_record(None) == []
    assert new_record([])["restored_at"]  # nothing Lifeline added is left: the record is used up
    with pytest.raises(ParseError, match="not JSON"):
        read_record("garbage")
    with pytest.raises(ParseError, match="not a safeboot_network record"):
        read_record(json.dumps({"module": "win_boot_driver", "service": "x", "control_set": "x", "previous": {},
                                "value": {}, "time": "2026-01-01T00:00:00+00:00"}))  # fmt: skip
    with pytest.raises(ParseError, match="added"):
        read_record(_records.dumps({**record, "added": [{"name": 1}]}))
    with pytest.raises(ParseError, match="Service or Driver"):
        read_record(_records.dumps({**record, "added": [{"name": "x", "kind": "Group"}]}))


# --- the action against in-process lab machines --------------------------------------------------------------


def action(machine, args: dict, check_mode: bool = False) -> tuple[ActionModule, list]:
    return lab_action(ActionModule, machine, args, check_mode=check_mode, diff=True)


FACTS = {"ansible_facts": {"lifeline_recovery": {"environment": "normal", "os_volume": "C:"}}}


def listed(machine) -> list[str]:
    lines = run(machine, f"reg query {NETWORK}").stdout.splitlines()
    return [line.rsplit("\\", 1)[-1] for line in lines if line.startswith("HKEY_") and "\\Network\\" in line]


def test_present_makes_the_lab_answer_in_safe_mode_check_mode_rerun_and_absent() -> None:
    machine = new_machine("T-0601", 601)
    before = listed(machine)
    checked = action(machine, {}, check_mode=True)[0].run(task_vars=FACTS)
    assert checked["changed"] is True and checked["added"] == ["WinRM", "HTTP"] and checked["commands_sent"] == 1
    assert listed(machine) == before and checked["diff"]["after"]["SafeBoot\\Network"] != before
    done = action(machine, {})[0].run(task_vars=FACTS)
    assert done["changed"] is True and done["commands_sent"] == 2 and done["record"] == RECORD
    assert done["listed"] == ["HTTP", "RpcSs", "WinRM"] and "warnings" not in done
    assert run(machine, f"reg query {NETWORK}\\HTTP /ve").stdout.splitlines()[2].split() == ["(Default)", "REG_SZ",
                                                                                             "Driver"]  # fmt: skip
    again = action(machine, {"services": ["WINRM", "winrm"]})[0].run(task_vars=FACTS)
    assert again["changed"] is False and again["commands_sent"] == 1 and again["services"] == ["WINRM"]
    gone = action(machine, {"state": "absent"})[0].run(task_vars=FACTS)
    assert gone["removed"] == ["WinRM", "HTTP"] and gone["kept"] == ["RpcSs"] and listed(machine) == before
    assert action(machine, {"state": "absent"})[0].run(task_vars=FACTS)["changed"] is False
    action(machine, {})[0].run(task_vars=FACTS)
    machine.enter_environment("safe_mode_network")  # the hive on disk is what the next boot reads
    assert machine.winrm_reachable()


def test_the_default_is_winrm_and_what_it_depends_on_and_a_dependency_left_out_is_a_warning() -> None:
    machine = new_machine("T-0602", 602)
    winrm = run(machine, "reg query HKLM\\SYSTEM\\CurrentControlSet\\Services\\WinRM /v DependOnService").stdout
    depends = winrm.split("REG_MULTI_SZ")[1].split()[0].split("\\0")
    assert {"winrm", *(d.casefold() for d in depends)} == {s.casefold() for s in DEFAULT_SERVICES}
    result = action(machine, {"services": ["WinRM"]})[0].run(task_vars=FACTS)
    assert result["changed"] is True and "depends on HTTP" in result["warnings"][0]


def test_bad_input_and_winre_send_nothing_and_missing_services_change_nothing() -> None:
    machine = new_machine("T-0603", 603)
    before = listed(machine)
    winre = {"ansible_facts": {"lifeline_recovery": {"environment": "winre", "os_volume": "D:"}}}
    for args, task_vars in (({"services": ["a\\b"]}, FACTS), ({"services": []}, FACTS), ({}, winre),
                            ({"os_volume": "C"}, {}), ({}, {})):  # fmt: skip
        module, sent = action(machine, args)
        result = module.run(task_vars=task_vars)
        assert result["failed"] is True and sent == [] and result["commands_sent"] == 0, result
        if task_vars is winre:
            assert "WinRE" in result["msg"], result
    missing = action(machine, {"services": ["WinRM", "NoSuchAgent"]})[0].run(task_vars=FACTS)
    assert missing["failed"] is True and "'NoSuchAgent'" in missing["msg"] and missing["commands_sent"] == 1
    assert listed(machine) == before


def test_a_recorded_winpe_answer_without_facts_is_refused_after_the_read() -> None:
    """Facts not gathered, and the read finds the MiniNT key (WinPE/WinRE, which answers no WinRM on real Windows:
    the answer is recorded): refused after that one read, nothing changed."""
    minint = "\r\nHKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\MiniNT\r\n\r\n"
    answer = document(minint=minint, minint_rc=0, service0=WINRM_TEXT, service0_rc=0)
    module, sent = scripted_action(
        ActionModule, [{"rc": 0, "stdout": answer}], {"services": ["WinRM"], "os_volume": "D:"}
    )
    refused = module.run(task_vars={})
    assert refused["failed"] is True and "WinRE" in refused["msg"] and refused["commands_sent"] == len(sent) == 1


def test_a_host_whose_environment_the_facts_could_not_tell_is_left_alone() -> None:
    # X: as the system drive without the MiniNT key: the host model cannot say whose SYSTEM hive is live.
    machine = new_machine("T-0609", 609)
    before = listed(machine)
    unknown = {"environment": "unknown", "environment_evidence": "system drive X: without the MiniNT key"}
    module, sent = action(machine, {})
    result = module.run(task_vars={"ansible_facts": {"lifeline_recovery": {**unknown, "os_volume": "C:"}}})
    assert result["failed"] and "environment unknown: system drive X: without the MiniNT key" in result["msg"]
    assert sent == [] and listed(machine) == before
