"""win_servicing without WinRM: its survey script read with the real PowerShell grammar (hostile values stay one
literal or are refused), hostile package names refused before anything is sent, the quality-update rule as a pure
function, the survey parser on real dism samples (errors and unexpected output are a ParseError, never a listing),
and the action against in-process lab machines online (normal Windows and Safe Mode with Networking: exit code 3010,
the restart finishes the removal) and on recorded offline answers (pending actions are reverted only offline, in
WinRE, which answers no WinRM on real Windows)."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import random
from pathlib import Path

import pytest
from hypothesis import example, given, settings

from ansible_collections.lifeline.recovery.plugins.action.win_servicing import ActionModule
from ansible_collections.lifeline.recovery.plugins.plugin_utils._dism import Package, dism_remove_package
from ansible_collections.lifeline.recovery.plugins.plugin_utils._parsers import ParseError
from ansible_collections.lifeline.recovery.plugins.plugin_utils._powershell import native_script
from ansible_collections.lifeline.recovery.plugins.plugin_utils._servicing import (
    already_removed_newest,
    is_quality_update,
    newest_awaiting_restart,
    newest_quality_update,
    parse_servicing_survey,
    pending_packages,
    servicing_survey,
)
from lifeline_lab import failures
from lifeline_lab.machine import new_machine

from ..lab.support import run
from .in_process import lab_action, safe_mode_host, scripted_action
from .test_powershell_builders import HOSTILE_TEXT, assert_parses, literal_values, native_calls

SAMPLES = Path(__file__).parent / "samples"
BAD_UPDATE = "Package_for_RollupFix~31bf3856ad364e35~amd64~~20348.2582.1.8"
RECORDS = "D:\\ProgramData\\Lifeline\\records"


def sample(name: str) -> str:
    return (SAMPLES / name).read_bytes().decode("utf-8")


# --- the survey script ---------------------------------------------------------------------------------------


def test_the_survey_parses_and_runs_one_dism_listing() -> None:
    offline = assert_parses(servicing_survey("D:\\", "D:"))
    assert native_calls(offline) == [["dism.exe", "/Image:D:\\", "/English", "/Get-Packages"]]
    assert "D:\\Windows\\WinSxS\\pending.xml" in literal_values(offline) and RECORDS in literal_values(offline)
    assert "servicing-*.json" in literal_values(offline)
    online = assert_parses(servicing_survey(None, "C:"))
    assert native_calls(online) == [["dism.exe", "/Online", "/English", "/Get-Packages"]]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("D:\\", "D"), "volume 'D'"),
        (("D:\\", "D:;x"), "volume"),
        (("D:", "D:"), "Windows image 'D:'"),
    ],
)
def test_the_survey_refuses_bad_locations(arguments: tuple, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("\\", "\\\\").replace("(", "\\(")):
        servicing_survey(*arguments)


@settings(max_examples=300)
@given(HOSTILE_TEXT)
@example("Package_for_KB1~x'; Remove-Item C:\\; '")
@example("/Quiet")
@example("Package\u2019for")
def test_a_hostile_package_name_is_refused_or_stays_one_argument(value: str) -> None:
    try:
        built = native_script(dism_remove_package("D:\\", value))
    except ValueError as error:
        assert "package name" in str(error)
        return
    assert native_calls(assert_parses(built)) == [
        ["dism.exe", "/Image:D:\\", "/English", "/Remove-Package", "/PackageName:" + value, "/NoRestart"]
    ]


# --- the quality-update rule ---------------------------------------------------------------------------------


def package(identity: str, release_type: str, day: int | None, state: str = "Installed") -> Package:
    return Package(identity, state, release_type, None if day is None else dt.datetime(2024, 7, day, 10, 0))


ROLLUP_OLD = package("Package_for_RollupFix~31bf3856ad364e35~amd64~~20348.2527.1.7", "Security Update", 1)
ROLLUP_NEW = package(BAD_UPDATE, "Security Update", 9)
KB_UPDATE = package("Package_for_KB5039343~31bf3856ad364e35~amd64~~20348.2522.1.1", "Update", 5)
STACK = package("Package_for_ServicingStack_2575~31bf3856ad364e35~amd64~~20348.2575.1.0", "Update", 20)
FOUNDATION = package("Microsoft-Windows-Foundation-Package~31bf3856ad364e35~amd64~~10.0.20348.1", "Foundation", 21)
LANGUAGE = package("Package_for_KB2999486~31bf3856ad364e35~amd64~~6.1.9768.0", "Language Pack", 22)
FEATURE = package("Package_for_KB2664825~31bf3856ad364e35~amd64~~6.1.3.0", "Feature Pack", 23)


def test_quality_updates_follow_microsofts_naming() -> None:
    assert [is_quality_update(p) for p in (ROLLUP_OLD, ROLLUP_NEW, KB_UPDATE)] == [True, True, True]
    assert [is_quality_update(p) for p in (STACK, FOUNDATION, LANGUAGE, FEATURE)] == [False] * 4
    assert is_quality_update(package("Package_for_KB5040437~31bf3856ad364e35~amd64~~1.0", "Security Update", 1))


def test_the_newest_installed_quality_update_is_chosen_whatever_the_order() -> None:
    everything = [STACK, ROLLUP_OLD, FOUNDATION, ROLLUP_NEW, KB_UPDATE, LANGUAGE, FEATURE]
    assert newest_quality_update(everything) == ROLLUP_NEW
    assert newest_quality_update(list(reversed(everything))) == ROLLUP_NEW
    # newer servicing stack, foundation, language and feature packs never win
    assert newest_quality_update([STACK, FOUNDATION, LANGUAGE, FEATURE]) is None
    leaving = package(BAD_UPDATE, "Security Update", 9, state="Uninstall Pending")
    installing = package("Package_for_KB5041160~31bf3856ad364e35~amd64~~20348.2620.1.2", "Update", None,
                         state="Install Pending")  # fmt: skip
    assert newest_quality_update([ROLLUP_OLD, leaving, installing, KB_UPDATE]) == KB_UPDATE
    assert newest_quality_update([]) is None
    assert pending_packages([ROLLUP_OLD, leaving, installing]) == [leaving, installing]


def test_an_online_removal_waiting_for_the_restart_is_not_followed_by_the_next_update() -> None:
    leaving = package(BAD_UPDATE, "Security Update", 9, state="Uninstall Pending")
    assert newest_awaiting_restart([ROLLUP_OLD, leaving, KB_UPDATE, STACK]) == leaving
    assert newest_awaiting_restart([ROLLUP_OLD, ROLLUP_NEW, KB_UPDATE]) is None  # the newest is still installed
    # an older update waiting for the restart does not stop the removal of a newer installed one
    assert newest_awaiting_restart([package(BAD_UPDATE, "Security Update", 2, state="Uninstall Pending"), KB_UPDATE])\
        is None  # fmt: skip
    assert newest_awaiting_restart([STACK, FOUNDATION]) is None


def removal_record(identity: str, installed: dt.datetime, selected_by: str = "newest_quality_update") -> dict:
    """A removal as Lifeline 0.1.0 recorded it (no version or kind: still read)."""
    return {"module": "win_servicing", "action": "removed", "selected_by": selected_by,
            "package": {"identity": identity, "install_time": installed.isoformat()}, "restorable": False,
            "time": "2024-07-19T06:00:00+00:00"}  # fmt: skip


def test_a_rerun_after_removing_the_newest_does_not_remove_the_next_one() -> None:
    record = removal_record(BAD_UPDATE, ROLLUP_NEW.install_time)
    assert already_removed_newest([ROLLUP_OLD, KB_UPDATE], [record]) == record
    assert already_removed_newest([], [record]) == record
    # an update installed after the removal is a new newest one
    later = package("Package_for_RollupFix~31bf3856ad364e35~amd64~~20348.2655.1.1", "Security Update", 30)
    assert already_removed_newest([ROLLUP_OLD, later], [record]) is None
    assert already_removed_newest([ROLLUP_OLD], []) is None
    assert already_removed_newest([ROLLUP_OLD], [removal_record(BAD_UPDATE, ROLLUP_NEW.install_time, "package_name")])\
        is None  # fmt: skip


# --- the survey parser ---------------------------------------------------------------------------------------


def survey_json(dism: str, rc: int = 0, pending: object = False, records: object = ()) -> str:
    return json.dumps({"dism": dism, "dism_rc": rc, "pending_xml": pending, "records": list(records)})


def test_the_survey_reads_a_real_listing_and_only_its_own_records() -> None:
    ours = json.dumps(removal_record(BAD_UPDATE, ROLLUP_NEW.install_time))
    survey = parse_servicing_survey(
        survey_json(sample("dism_get_packages_chef.txt"), records=["\ufeff" + ours, "{not json", '{"module": "x"}'])
    )
    assert [p.identity for p in survey.packages] == [
        "Package_for_KB2999486~31bf3856ad364e35~amd64~~6.1.9768.0",
        "Package_for_KB2664825~31bf3856ad364e35~amd64~~6.1.3.0",
    ]
    assert survey.pending_xml is False and [r["package"]["identity"] for r in survey.records] == [BAD_UPDATE]
    assert newest_quality_update(survey.packages) is None  # a language pack and a feature pack


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (survey_json(sample("dism_error_87.txt"), rc=87), "Error: 87: The restorehealth option is unknown."),
        (survey_json(sample("dism_error_0x800f0906.txt"), rc=0x800F0906), "Error: 0x800f0906"),
        (survey_json(sample("dism_get_packages_chef.txt").replace("The operation completed successfully.", "")),
         "cut off"),
        (survey_json(sample("dism_get_packages_chef.txt").replace("Packages listing:", "Paketauflistung:")),
         "English"),
        (survey_json(sample("dism_get_packages_chef.txt"), pending="True"), "pending_xml"),
        ("dism.exe : The term 'dism.exe' is not recognized", "not JSON"),
        (json.dumps({"dism_rc": 0}), "no dism output"),
    ],
)  # fmt: skip
def test_errors_and_unexpected_output_are_a_parse_error(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=message.replace("(", "\\(").replace(".", "\\.")):
        parse_servicing_survey(text)


# --- the action against in-process lab machines --------------------------------------------------------------


def action(machine, args: dict, check_mode: bool = False) -> tuple[ActionModule, list]:
    return lab_action(ActionModule, machine, args, check_mode=check_mode, diff=False)


def facts(environment: str) -> dict:
    offline = environment == "winre"
    volume = "D:" if offline else "C:"
    return {"ansible_facts": {"lifeline_recovery": {"environment": environment, "os_volume": volume,
                                                    "system_hive_offline": offline}}}  # fmt: skip


def identities(machine) -> list[tuple[str, str]]:
    return [(p.identity, p.state) for p in machine.os_volume.servicing.packages]


@pytest.mark.parametrize(
    ("args", "task_vars", "message"),
    [
        ({"state": "removed", "package_name": "x'; Remove-Item C:\\; '"}, facts("winre"), "package name"),
        ({"state": "removed", "package_name": "Package for KB1"}, facts("winre"), "package name"),
        ({"state": "removed"}, facts("winre"), "needs package_name or newest_quality_update"),
        ({"state": "listed", "newest_quality_update": True}, facts("winre"), "apply to state=removed"),
        ({"state": "pending_reverted"}, facts("normal"), "offline image"),
        ({"state": "listed"}, {}, "os_volume is not set"),
        ({"state": "listed", "os_volume": "D"}, facts("winre"), "volume 'D'"),
        ({"state": "gone"}, facts("winre"), "state"),
    ],
)
def test_bad_input_fails_before_anything_is_sent(args: dict, task_vars: dict, message: str) -> None:
    machine = safe_mode_host("T-0401", 401)
    before = identities(machine)
    module, sent = action(machine, args)
    result = module.run(task_vars=task_vars)
    assert result["failed"] is True and message in result["msg"] and sent == [], result
    assert result.get("commands_sent", 0) == 0 and identities(machine) == before


def test_removal_in_safe_mode_removes_the_newest_update_once_records_it_and_the_restart_finishes_it() -> None:
    """dism /Online on a host in Safe Mode with Networking: the newest quality update is Uninstall Pending until the
    restart, which the lab's boot finishes (its package list is the ground truth)."""
    machine = safe_mode_host("T-0402", 402)
    before = identities(machine)
    args = {"state": "removed", "newest_quality_update": True}
    check = action(machine, args, check_mode=True)[0]
    result = check.run(task_vars=facts("safe_mode_network"))
    assert result["changed"] is True and result["commands_sent"] == 1 and identities(machine) == before
    (newest,) = [p["identity"] for p in result["removed"]]

    result = action(machine, args)[0].run(task_vars=facts("safe_mode_network"))
    assert result["changed"] is True and result["reboot_required"] is True and result["image"] == "online", result
    assert [p["identity"] for p in result["removed"]] == [newest] and (newest, "Uninstall Pending") in identities(
        machine
    )
    record = json.loads(run(machine, f"type {result['records'][0]}").stdout.lstrip("\ufeff"))  # UTF8: with a BOM
    assert record["package"]["identity"] == newest and (record["version"], record["kind"]) == (1, "servicing")
    assert result["records"][0].startswith("C:\\ProgramData\\Lifeline\\records\\servicing-")

    again = action(machine, args)[0].run(task_vars=facts("safe_mode_network"))
    assert again["changed"] is False and again["commands_sent"] == 1 and "Uninstall Pending" in again["msg"]

    machine.reboot_seconds = 0
    asyncio.run(machine.cycle())  # the restart: no safeboot in the store, so Windows starts normally
    assert machine.environment == "normal" and newest not in [identity for identity, _ in identities(machine)]
    assert len(identities(machine)) == len(before) - 1
    after = action(machine, args)[0].run(task_vars=facts("normal"))
    assert after["changed"] is False and "already removed" in after["msg"], after


def test_online_removal_exits_3010_and_waits_for_the_restart() -> None:
    machine = new_machine("T-0403", 403)
    failures.bad_quality_update(machine, random.Random(1))
    args = {"state": "removed", "package_name": BAD_UPDATE.lower()}
    result = action(machine, args)[0].run(task_vars=facts("normal"))
    assert result["changed"] is True and result["reboot_required"] is True and result["image"] == "online", result
    assert (BAD_UPDATE, "Uninstall Pending") in identities(machine)
    again = action(machine, args)[0].run(task_vars=facts("normal"))
    assert again["changed"] is False and again["reboot_required"] is True and again["commands_sent"] == 1
    newest = action(machine, {"state": "removed", "newest_quality_update": True})[0].run(task_vars=facts("normal"))
    assert newest["changed"] is False and newest["reboot_required"] is True and "Uninstall Pending" in newest["msg"]
    assert [state for _, state in identities(machine)].count("Uninstall Pending") == 1, identities(machine)


def test_a_permanent_package_fails_naming_dism_s_error() -> None:
    machine = new_machine("T-0404", 404)
    foundation = next(p.identity for p in machine.os_volume.servicing.packages if p.permanent)
    result = action(machine, {"state": "removed", "package_name": foundation})[0].run(task_vars=facts("normal"))
    assert result["failed"] is True and "0x800f0825" in result["msg"] and result["commands_sent"] == 2, result
    assert foundation in [identity for identity, _ in identities(machine)]


# Reverting pending actions is an offline operation (DISM /Image: in WinRE); WinRE answers no WinRM on real Windows,
# so the offline answers below are recorded: the survey around the real dism listing sample, and DISM's answer.
PENDING_LISTING = sample("dism_get_packages_chef.txt").replace("State : Installed", "State : Install Pending", 1)


def offline_survey(listing: str, pending_xml: bool) -> dict:
    return {"rc": 0, "stdout": survey_json(listing, pending=pending_xml) + "\r\n"}


def test_reverting_with_nothing_pending_runs_nothing_but_the_survey() -> None:
    answers = [offline_survey(sample("dism_get_packages_chef.txt"), False)]
    module, sent = scripted_action(ActionModule, answers, {"state": "pending_reverted"})
    result = module.run(task_vars=facts("winre"))
    assert result["changed"] is False and result["commands_sent"] == len(sent) == 1, result
    assert result["msg"] == "nothing is pending" and result["image"] == "D:\\"


@pytest.mark.parametrize("rc", [-2146498513, 0x800F082F])  # signed as DISM exits, or as an unsigned DWORD
def test_dism_finding_nothing_to_revert_changes_nothing_and_records_nothing(rc: int) -> None:
    # 0x800F082F is the project reference's "nothing to revert"; Microsoft documents no meaning (windows-tools.md
    # 4.2). Recorded answers: the survey finds a pending package and pending.xml, DISM's revert answers 0x800F082F.
    nothing = {"rc": rc, "stdout": "\r\nError: 0x800f082f\r\n\r\nNothing to revert.\r\n"}
    module, sent = scripted_action(ActionModule, [offline_survey(PENDING_LISTING, True), nothing],
                                   {"state": "pending_reverted"})  # fmt: skip
    result = module.run(task_vars=facts("winre"))
    assert result["changed"] is False and result["reverted"] == [] and result["records"] == [], result
    assert "0x800F082F" in result["msg"] and result["commands_sent"] == len(sent) == 2  # no record written
    assert "pending.xml exists" in result["warnings"][0]  # the survey found it: the user is told
    assert "/RevertPendingActions" in base64.b64decode(sent[1].rsplit(" ", 1)[1]).decode("utf-16-le")
