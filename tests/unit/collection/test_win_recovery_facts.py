"""win_recovery_facts and the survey it shares with win_recovery_reboot, without WinRM: the survey scripts read with
the real PowerShell grammar (hostile values stay one literal), the survey parser on real tool samples wrapped in the
script's JSON (localized or unexpected output is a clear ParseError), the decisions (environment, where Windows is,
third-party drivers, minidump headers), and the action run against in-process lab machines where WinRM answers
(normal Windows, Safe Mode with Networking) and on recorded WinRE answers (``surveys.py``), which no real host gives
over WinRM."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import example, given, settings

from ansible_collections.lifeline.recovery.plugins.action.win_recovery_facts import ActionModule
from ansible_collections.lifeline.recovery.plugins.plugin_utils import _powershell as powershell
from ansible_collections.lifeline.recovery.plugins.plugin_utils._host_model import (
    FAILOVER_MARKER,
    MININT_KEY,
    SAFEBOOT_OPTION_KEY,
    expected_environment,
    locate_windows,
)
from ansible_collections.lifeline.recovery.plugins.plugin_utils._parsers import ParseError
from ansible_collections.lifeline.recovery.plugins.plugin_utils._recovery_survey import (
    INBOX_BOOT_AND_SYSTEM_DRIVERS,
    parse_environment_survey,
    parse_hive_survey,
    recovery_environment_survey,
    system_hive_survey,
)
from lifeline_lab import failures
from lifeline_lab.machine import new_machine

from ..lab.support import run
from .in_process import in_safe_mode, lab_action, scripted_action
from .surveys import dump_header, minidump, sample, survey_json, volume
from .test_powershell_builders import HOSTILE_TEXT, assert_parses, literal_values, native_calls

# --- the survey scripts --------------------------------------------------------------------------------------


def test_the_environment_survey_parses_and_reads_only_what_it_is_asked_for() -> None:
    full = recovery_environment_survey()
    root = assert_parses(full)
    assert native_calls(root) == [
        ["reg.exe", "query", MININT_KEY],
        ["reg.exe", "query", SAFEBOOT_OPTION_KEY, "/v", "OptionValue"],
        ["manage-bde.exe", "-status"],
        ["bcdedit.exe", "/enum"],
        ["bcdedit.exe", "/enum", FAILOVER_MARKER, "/v"],
    ]
    assert "Win32_OperatingSystem" in literal_values(root) and "\\Minidump" in literal_values(root)
    assert "-TotalCount 96" in full  # DUMP_HEADER64 up to the four bugcheck parameters
    assert full.count(" 2> $null | Out-String") == 2  # an absent MiniNT or SafeBoot\Option key writes no stderr
    assert "Select-Object -First 20 " in full and "Select-Object -First 1 " in recovery_environment_survey(
        minidumps=1
    )  # the inventory's look asks for the newest minidump only
    small = recovery_environment_survey(bitlocker=False, boot=False, crashes=False)
    assert len(native_calls(assert_parses(small))) == 2 and "Minidump" not in small
    for built in (full, small):
        assert len(powershell.encoded_command(built)) <= powershell.MAX_COMMAND_LINE


def test_the_offline_hive_survey_always_unloads_what_it_loaded() -> None:
    built = system_hive_survey("ControlSet001", "HKLM\\LIFELINE_AB12", "D:\\Windows\\System32\\config\\SYSTEM",
                                        servicing_image="D:\\")  # fmt: skip
    root = assert_parses(built)
    calls = native_calls(root)
    assert calls[0] == ["reg.exe", "load", "HKLM\\LIFELINE_AB12", "D:\\Windows\\System32\\config\\SYSTEM"]
    assert ["reg.exe", "unload", "HKLM\\LIFELINE_AB12"] in calls
    assert calls[-1] == ["dism.exe", "/Image:D:\\", "/English", "/Get-Packages"]  # after the unload: DISM loads it
    lines = built.splitlines()
    assert lines.index("    } finally {") < next(n for n, line in enumerate(lines) if "'unload'" in line)
    queried = [call[2] for call in calls if call[:2] == ["reg.exe", "query"]]
    assert all(key.startswith("HKLM\\LIFELINE_AB12\\") for key in queried)
    assert "HKLM\\LIFELINE_AB12\\ControlSet001\\Services" in queried
    live = system_hive_survey("CurrentControlSet", drivers=False, remote=False, crashes=False)
    assert native_calls(assert_parses(live)) == [["reg.exe", "query", "HKLM\\SYSTEM\\Select"]]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: system_hive_survey("CurrentControlSet", "HKLM\\X", "D:\\Windows\\System32\\config\\SYSTEM"),
         "no CurrentControlSet"),
        (lambda: system_hive_survey("ControlSet1"), "neither CurrentControlSet"),
        (lambda: system_hive_survey(None, "HKLM\\X"), "both a mount key and a hive file"),
        (lambda: system_hive_survey(None, "HKCU\\X", "D:\\SYSTEM"), "HKLM\\<name>"),
        (lambda: system_hive_survey(None, "HKLM\\a b", "D:\\SYSTEM"), "HKLM\\<name>"),
        (lambda: system_hive_survey(None, "HKLM\\X", "SYSTEM"), "not an absolute path"),
        (lambda: system_hive_survey(None, servicing_image=3), "servicing image"),
        (lambda: recovery_environment_survey(bitlocker="yes"), "bitlocker must be true or false"),
        (lambda: recovery_environment_survey(minidumps=0), "minidumps listed"),
    ],
)  # fmt: skip
def test_bad_survey_input_is_refused_before_anything_is_built(build, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("\\", "\\\\").replace("(", "\\(")):
        build()


@settings(max_examples=200, deadline=None)
@given(HOSTILE_TEXT)
@example("D:\\Windows $(x)\\System32\\config\\SYSTEM")
@example("D:\\O\u2019Brien's `n\\SYSTEM")
def test_hostile_paths_stay_one_literal_or_are_refused(path: str) -> None:
    try:
        built = system_hive_survey(None, "HKLM\\LIFELINE_1", path)
    except ValueError:
        return
    assert native_calls(assert_parses(built))[0] == ["reg.exe", "load", "HKLM\\LIFELINE_1", path]


# --- the environment survey's parser on real tool output --------------------------------------------------------


def test_winre_with_a_readable_windows_volume() -> None:
    survey = parse_environment_survey(survey_json())
    assert survey.environment == "winre" and survey.system_drive == "X:"
    assert survey.last_boot_time.isoformat() == "2024-07-19T04:09:00+00:00"
    assert survey.host_time.isoformat() == "2024-07-19T04:10:00+00:00"
    where = locate_windows(survey)
    assert (where.os_volume, where.locked, where.offline, where.system_root) == ("D:", False, True, "D:\\Windows")
    assert survey.volume("d:").pending_xml is True
    assert survey.boot is not None and survey.bitlocker is not None


def test_a_locked_volume_is_the_windows_volume_only_when_it_can_be_told() -> None:
    locked = sample("mbde_status_locked.txt")
    volumes = [volume("X:")]
    survey = parse_environment_survey(survey_json(volumes=volumes, manage_bde=locked))
    where = locate_windows(survey)  # the sample's F: is locked; the reference BCD's osdevice is C:, not F:
    assert (where.os_volume, where.locked, where.system_root) == ("F:", True, None)
    assert where.reason == "locked; the only locked volume"
    no_bitlocker = parse_environment_survey(survey_json(volumes=volumes, manage_bde="", manage_bde_rc=1))
    assert no_bitlocker.bitlocker is None and "manage-bde" in no_bitlocker.bitlocker_error
    nowhere = locate_windows(no_bitlocker)
    assert nowhere.os_volume is None and "no readable volume" in nowhere.reason
    assert nowhere.locked is None  # nothing says whether a volume is locked


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "no output"),
        ("Get-CimInstance : Invalid class", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        (survey_json(last_boot="19/07/2024 04:09"), "not a date with a time zone"),
        (survey_json(volumes=[{"letter": "Volume1"}]), "no drive letter"),
        (survey_json(system_drive=None), "'system_drive' is a NoneType"),
        (survey_json(volumes=[{"letter": "D:", "system_hive": "yes", "pending_xml": False}]), "system_hive"),
    ],
)
def test_output_that_is_not_the_survey_is_a_clear_error(text: str, problem: str) -> None:
    with pytest.raises(ParseError, match=problem):
        parse_environment_survey(text)


def test_a_localized_bcdedit_is_kept_as_an_error_and_the_rest_still_read() -> None:
    survey = parse_environment_survey(survey_json(bcdedit=sample("bcdedit_de_de.txt")))
    assert survey.boot is None and "en-US bcdedit" in survey.boot_error
    assert survey.environment == "winre"


# --- minidumps ----------------------------------------------------------------------------------------------


def test_minidumps_are_read_from_the_survey_and_returned_as_hex_text() -> None:
    dump = minidump("071924-8593-01.dmp", 1721362140000, dump_header(0x7E, 1, 2, 3, 4))
    volumes = [volume("D:", minidumps=dump)]  # one item: ConvertTo-Json writes it without its array
    (found,) = parse_environment_survey(survey_json(volumes=volumes)).volume("D:").minidumps
    assert (found.name, found.bugcheck, found.parameters) == ("071924-8593-01.dmp", 0x7E, (1, 2, 3, 4))
    assert found.to_fact() == {
        "file": "071924-8593-01.dmp", "size": 8192, "time": "2024-07-19T04:09:00+00:00", "bugcheck": "0x0000007E",
        "parameters": [f"0x{n:016X}" for n in (1, 2, 3, 4)],
    }  # fmt: skip
    with pytest.raises(ParseError, match="Header is not a list of bytes"):
        parse_environment_survey(survey_json(volumes=[volume("D:", minidumps=[{**dump, "Header": [256]}])]))


def test_expected_environment_follows_safeboot() -> None:
    assert [expected_environment(v) for v in (None, "Minimal", "network", "DsRepair")] == [
        "normal", "safe_mode", "safe_mode_network", "safe_mode"
    ]  # fmt: skip


# --- the hive survey's parser -------------------------------------------------------------------------------


def test_hive_survey_reads_drivers_from_searches_and_refuses_localized_ones() -> None:
    start = (
        "\r\nHKEY_LOCAL_MACHINE\\LIFELINE_1\\ControlSet001\\Services\\ACPI\r\n    Start    REG_DWORD    0x0\r\n"
        "\r\nHKEY_LOCAL_MACHINE\\LIFELINE_1\\ControlSet001\\Services\\ctxflt\r\n    Start    REG_DWORD    0x0\r\n"
        "\r\nHKEY_LOCAL_MACHINE\\LIFELINE_1\\ControlSet001\\Services\\WinRM\r\n    Start    REG_DWORD    0x2\r\n"
        "\r\nEnd of search: 3 match(es) found.\r\n"
    )
    document = {"load_rc": 0, "select": sample("reg_offline_select_current.txt"), "select_rc": 0, "start": start,
                "start_rc": 0, "image_path": "", "image_path_rc": 1, "group": "", "group_rc": 1,
                "unload_rc": 0}  # fmt: skip
    hive = parse_hive_survey(json.dumps(document))
    assert [d["name"] for d in hive.drivers] == ["ctxflt"] and hive.drivers[0]["start_type"] == "boot"
    assert hive.unload_rc == 0
    with pytest.raises(ParseError, match="reg query"):
        parse_hive_survey(json.dumps({**document, "start": sample("reg_zh_cn_search.txt")}))
    with pytest.raises(ParseError, match="reg load"):
        parse_hive_survey(json.dumps({"load": "ERROR: Access is denied.\r\n", "load_rc": 1}))


def test_the_inbox_list_holds_every_boot_or_system_driver_of_a_fresh_lab_image() -> None:
    from lifeline_lab.machine.windows_image import SERVICES

    fresh = {name.lower() for name, (_, start, *_) in SERVICES.items() if start in (0, 1)}
    assert fresh <= INBOX_BOOT_AND_SYSTEM_DRIVERS
    assert "csagent" not in INBOX_BOOT_AND_SYSTEM_DRIVERS and "ctxflt" not in INBOX_BOOT_AND_SYSTEM_DRIVERS


# --- the action against in-process lab machines -------------------------------------------------------------


def action(machine, args: dict, check_mode: bool = False) -> tuple[ActionModule, list]:
    return lab_action(ActionModule, machine, args, check_mode=check_mode, diff=False)


def hklm(machine) -> list[str]:
    return run(machine, "reg query HKLM").stdout.split()


def test_a_bad_boot_driver_host_in_safe_mode_is_read_from_its_live_hive() -> None:
    machine = new_machine("T-0201", 201)
    failures.bad_boot_driver(machine, random.Random(1))
    in_safe_mode(machine)
    result = action(machine, {})[0].run(task_vars={})
    facts = result["ansible_facts"]["lifeline_recovery"]
    assert result["commands_sent"] == 2 and result["changed"] is False
    assert (facts["environment"], facts["os_volume"], facts["system_hive_offline"]) == (
        "safe_mode_network",
        "C:",
        False,
    )
    assert [(d["name"], d["start_type"], d["group"]) for d in facts["drivers"]] == [
        ("ctxflt", "boot", "FSFilter Activity Monitor")
    ]
    assert facts["prepared_for_remote_recovery"] is True and machine.winrm_reachable()  # as the lab says
    assert hklm(machine) == ["HKEY_LOCAL_MACHINE\\SOFTWARE", "HKEY_LOCAL_MACHINE\\SYSTEM"]


def test_an_unprepared_healthy_host_is_reported_unprepared() -> None:
    machine = new_machine("T-0206", 206)
    facts = action(machine, {})[0].run(task_vars={})["ansible_facts"]["lifeline_recovery"]
    assert (facts["environment"], facts["drivers"], facts["prepared_for_remote_recovery"]) == ("normal", [], False)
    machine.enter_environment("safe_mode_network")
    assert not machine.winrm_reachable()  # the lab agrees: WinRM would not answer in Safe Mode with Networking


def test_pending_servicing_and_check_mode() -> None:
    machine = new_machine("T-0202", 202)
    failures.stuck_pending_actions(machine, random.Random(1))
    facts = action(machine, {}, check_mode=True)[0].run(task_vars={})["ansible_facts"]["lifeline_recovery"]
    pending = facts["pending_servicing"]
    assert pending["pending"] is True and pending["pending_xml"] is True
    assert [p["state"] for p in pending["packages"]] == ["Install Pending"]


# The offline SYSTEM hive as the hive survey reports it: Select\\Current read, the hive unloaded (``unload_rc``).
OFFLINE_SELECT = {"load_rc": 0, "select": sample("reg_offline_select_current.txt"), "select_rc": 0, "unload_rc": 0}


def recorded(*documents: str) -> list[dict]:
    return [{"rc": 0, "stdout": document + "\r\n"} for document in documents]


def test_a_recorded_winre_look_with_a_locked_volume_costs_one_round_trip_and_no_guess() -> None:
    """WinRE answers no WinRM on real Windows (and its TPM does not unlock the volume): the look is recorded."""
    look = survey_json(volumes=[volume("X:")], manage_bde=sample("mbde_status_locked.txt"))
    module, sent = scripted_action(ActionModule, recorded(look), {})
    result = module.run(task_vars={})
    facts = result["ansible_facts"]["lifeline_recovery"]
    assert result["commands_sent"] == len(sent) == 1
    assert (facts["environment"], facts["os_volume"], facts["os_volume_locked"]) == ("winre", "F:", True)
    assert facts["system_root"] is None and facts["drivers"] is None and facts["crashes"] is None


def test_a_failed_unload_of_a_recorded_offline_hive_fails_the_task_naming_the_key_left_loaded() -> None:
    """The offline hive path on a recorded WinRE look (Windows on D:): the second hive script reports that
    ``reg unload`` failed."""
    answers = recorded(survey_json(), json.dumps(OFFLINE_SELECT), json.dumps({**OFFLINE_SELECT, "unload_rc": 1}))
    module, sent = scripted_action(ActionModule, answers, {})
    result = module.run(task_vars={})
    assert result["failed"] is True and "still loaded" in result["msg"] and len(sent) == 3
    assert "reg unload HKLM\\LIFELINE_" in result["msg"]


def test_bad_gather_fails_before_anything_is_sent() -> None:
    machine = new_machine("T-0205", 205)
    module, sent = action(machine, {"gather": ["drivers", "bogus"]})
    result = module.run(task_vars={})
    assert result["failed"] is True and "bogus" in result["msg"] and sent == []
