"""The one host model (``_host_model.py``): the rules on the host survey's JSON; then the fleet inventory's probe and
win_recovery_facts reading the same host, which they must judge the same way (environment, where Windows is, the
newest crash), including where their two old readings disagreed: a Safe Mode option that is neither 1 nor 2, WinPE's
X: drive without the MiniNT key, a 32-bit dump header. Where WinRM answers (normal Windows, Safe Mode with Networking
once WinRM is listed) the host is an in-process lab machine; looks no real host answers over WinRM (WinRE, Safe Mode
without networking) are recorded surveys (``surveys.py``) given to both readers. Last, the one form of a failure
signature, whether the inventory builds it or a person writes it in the remediation mapping."""

from __future__ import annotations

import datetime
import json

import pytest

from ansible_collections.lifeline.recovery.plugins.action.win_recovery_facts import ActionModule as FactsAction
from ansible_collections.lifeline.recovery.plugins.plugin_utils._classify import Verdict, classify
from ansible_collections.lifeline.recovery.plugins.plugin_utils._host_model import (
    failure_signature,
    latest_crash,
    locate_windows,
    normalise_signature,
)
from ansible_collections.lifeline.recovery.plugins.plugin_utils._parsers import ParseError
from ansible_collections.lifeline.recovery.plugins.plugin_utils._probe import ProbeResult, look_command
from ansible_collections.lifeline.recovery.plugins.plugin_utils._recovery_survey import (
    dump_bugcheck,
    parse_environment_survey,
)
from ansible_collections.lifeline.recovery.plugins.plugin_utils._rollout import plan
from lifeline_lab.machine import Machine, new_machine
from lifeline_lab.machine.drives_helpers import os_drive

from ..lab.support import run
from .in_process import in_safe_mode, lab_action, scripted_action
from .surveys import RUNNING, SAFE_BOOT_OPTION, dump_header, minidump, sample, survey_json, volume

NOW = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
CRASHED = datetime.datetime(2024, 7, 19, 4, 9, 30, tzinfo=datetime.UTC)
OPTION_KEY = r"HKLM\SYSTEM\CurrentControlSet\Control\SafeBoot\Option"


# --- the rules, on the survey's JSON ---------------------------------------------------------------------------


def option(value: int | str) -> dict:
    return {"safeboot": SAFE_BOOT_OPTION.format(value), "safeboot_rc": 0}


@pytest.mark.parametrize(
    ("overrides", "environment"),
    [
        (RUNNING, "normal"),
        ({}, "winre"),  # MiniNT and X:
        ({**RUNNING, "minint": "\r\n", "minint_rc": 0}, "winre"),  # WinPE applied flat to a disk: MiniNT, C:
        ({**RUNNING, **option(1)}, "safe_mode"),
        ({**RUNNING, **option(2)}, "safe_mode_network"),
        ({**RUNNING, **option(4)}, "unknown"),
        ({**RUNNING, **option("2"), "safeboot": SAFE_BOOT_OPTION.format(2).replace("REG_DWORD", "REG_SZ")}, "unknown"),
        ({**RUNNING, "safeboot": sample("reg_zh_cn_default.txt"), "safeboot_rc": 0}, "unknown"),  # localized reg
        ({"minint": "", "minint_rc": 1}, "unknown"),  # X: without MiniNT
    ],
)
def test_the_environment_comes_from_the_documented_indicators(overrides: dict, environment: str) -> None:
    survey = parse_environment_survey(survey_json(**overrides))
    assert survey.environment == environment
    assert survey.environment_evidence.startswith(f"environment {environment}: ")


def test_a_localized_safe_mode_option_is_evidence_not_an_error() -> None:
    survey = parse_environment_survey(survey_json(**RUNNING, safeboot=sample("reg_zh_cn_default.txt"), safeboot_rc=0))
    assert "SafeBoot\\Option OptionValue unreadable (" in survey.environment_evidence


@pytest.mark.parametrize(("key", "rc"), [("minint", 5), ("safeboot", 2)])
def test_an_exit_code_reg_does_not_document_is_an_error(key: str, rc: int) -> None:
    with pytest.raises(ParseError, match=f"exit code {rc}; reg exits 0 .found. or 1 .not found."):
        parse_environment_survey(survey_json(**{**RUNNING, f"{key}_rc": rc}))


def test_winpe_on_a_disk_does_not_take_its_own_volume_for_windows() -> None:
    flat = {"system_drive": "C:", "system_root": "C:\\Windows", "volumes": [volume("C:"), volume("E:")]}
    where = locate_windows(parse_environment_survey(survey_json(**flat)))
    assert (where.os_volume, where.offline) == ("E:", True)


def test_both_kernel_dump_headers_give_the_bugcheck_as_a_number() -> None:
    assert dump_bugcheck(dump_header(0x50, 0xFFFF840500000074, 0, 0xFFFFF8022F8D4A47, 2)) == (
        "PAGEDU64", 0x50, (0xFFFF840500000074, 0, 0xFFFFF8022F8D4A47, 2)
    )  # fmt: skip
    assert dump_bugcheck(dump_header(0x7E, 0xC0000005, 1, 2, 3, signature=b"PAGEDUMP")) == (
        "PAGEDUMP", 0x7E, (0xC0000005, 1, 2, 3)
    )  # fmt: skip
    assert dump_bugcheck(dump_header(0x50)[:0x50]) == (None, None, ())  # cut off before its parameters
    assert dump_bugcheck(bytes(0x60)) == (None, None, ())  # still empty


def test_the_latest_crash_is_the_newest_dump_on_the_windows_volume() -> None:
    dumps = [minidump("b.dmp", 1721362200000, dump_header(0x7E)), minidump("a.dmp", 1721362140000, dump_header(0x50))]
    x_dump = [minidump("x.dmp", 1721362300000, dump_header(0x1E))]  # newer, but on WinRE's own RAM disk
    survey = parse_environment_survey(
        survey_json(volumes=[volume("D:", minidumps=dumps), volume("X:", minidumps=x_dump)])
    )
    crash = latest_crash(survey, locate_windows(survey))
    assert (crash.name, crash.bugcheck) == ("b.dmp", 0x7E)


# --- one host, two readers: the inventory's probe and win_recovery_facts on an in-process lab machine ---------


def verdict_of(name: str, look_text: str) -> Verdict:
    """The fleet inventory's verdict without signals on a look as the probe reads it."""
    look = parse_environment_survey(look_text)
    return classify(name, ProbeResult(name, "answered", "", look, NOW, 0.1), None)


def inventory_verdict(machine: Machine) -> Verdict:
    """The fleet inventory's verdict on ``machine``: the probe's look command run by the machine's shell."""
    assert machine.winrm_reachable(), "the probe reaches only a host whose WinRM answers"
    answer = run(machine, look_command())
    assert answer.exit_code == 0, answer.stderr
    return verdict_of(machine.computer_name, answer.stdout)


def facts(machine: Machine) -> dict:
    result = lab_action(FactsAction, machine, {})[0].run(task_vars={})
    assert not result.get("failed"), result.get("msg")
    return result["ansible_facts"]["lifeline_recovery"]


def answer(document: str) -> dict:
    return {"rc": 0, "stdout": document + "\r\n"}


# The SYSTEM hive's answers as the hive survey prints them for ``gather: [environment, crashes]`` (Select\\Current and
# nothing else asked for): the live hive in one script; an offline hive file loaded, read and unloaded twice.
SELECT = sample("reg_offline_select_current.txt")
LIVE_HIVE = [json.dumps({"select": SELECT.replace("OFFLINE_SYSTEM", "SYSTEM"), "select_rc": 0})]
OFFLINE_HIVE = [json.dumps({"load_rc": 0, "select": SELECT, "select_rc": 0, "unload_rc": 0})] * 2


def recorded_facts(look_text: str, gather: list[str], hive: list[str]) -> tuple[dict, list]:
    """win_recovery_facts on a recorded look and the recorded hive answers that follow it."""
    module, sent = scripted_action(FactsAction, [answer(each) for each in (look_text, *hive)], {"gather": gather})
    result = module.run(task_vars={})
    assert not result.get("failed"), result.get("msg")
    return result["ansible_facts"]["lifeline_recovery"], sent


def host(seed: int, environment: str) -> Machine:
    """A lab machine in ``environment`` (normal, or Safe Mode with Networking with WinRM listed: ``in_safe_mode``)."""
    machine = new_machine(f"T-{seed:04d}", seed)
    return in_safe_mode(machine) if environment == "safe_mode_network" else machine


def write_minidump(machine: Machine, name: str, header: bytes, time: datetime.datetime) -> None:
    drives = os_drive(machine)
    if drives.find(r"C:\Windows\Minidump") is None:
        drives.mkdir(r"C:\Windows\Minidump")
    drives.write(rf"C:\Windows\Minidump\{name}", header, modified=time)


@pytest.mark.parametrize("environment", ["normal", "safe_mode_network"])
def test_the_inventory_and_the_facts_judge_one_host_the_same(environment: str) -> None:
    machine = host(401, environment)
    write_minidump(machine, "071924-01.dmp", dump_header(0x50, 1, 2, 3, 4), CRASHED)

    verdict, found = inventory_verdict(machine), facts(machine)

    assert verdict.boot_environment == found["environment"] == machine.environment
    assert found["crashes"][0]["bugcheck"] == "0x00000050"
    assert verdict.failure_signature == (None if environment == "normal" else "0x50")
    assert verdict.bitlocker_locked is found["os_volume_locked"] is False


CRASH_DUMP = [minidump("071924-01.dmp", 1721362140000, dump_header(0x50, 1, 2, 3, 4))]
RECORDED_LOOKS = {
    "winre": (survey_json(volumes=[volume("D:", minidumps=CRASH_DUMP), volume("X:", minidumps=[])]), OFFLINE_HIVE),
    "safe_mode": (survey_json(**{**RUNNING, **option(1), "volumes": [volume("C:", minidumps=CRASH_DUMP)]}), LIVE_HIVE),
}


@pytest.mark.parametrize("environment", sorted(RECORDED_LOOKS))
def test_the_inventory_and_the_facts_judge_a_recorded_look_the_same(environment: str) -> None:
    """WinRE (Windows offline on D:, read from its hive file) and Safe Mode without networking answer no WinRM on
    real Windows: a look recorded there is judged the same by both readers."""
    look, hive = RECORDED_LOOKS[environment]

    verdict, (found, sent) = verdict_of("WS-1", look), recorded_facts(look, ["environment", "crashes"], hive)

    assert verdict.boot_environment == found["environment"] == environment
    assert found["system_hive_offline"] is (environment == "winre") and len(sent) == 1 + len(hive)
    assert found["crashes"][0]["bugcheck"] == "0x00000050"
    assert verdict.failure_signature == "0x50"
    assert verdict.bitlocker_locked is found["os_volume_locked"] is False


def test_a_safe_mode_option_that_is_neither_1_nor_2_is_unknown_to_both_with_the_value_as_evidence() -> None:
    machine = host(402, "safe_mode_network")
    assert run(machine, f"reg add {OPTION_KEY} /v OptionValue /t REG_DWORD /d 3 /f").exit_code == 0

    verdict, found = inventory_verdict(machine), facts(machine)  # the facts read it: no parse error

    assert verdict.boot_environment == found["environment"] == "unknown"
    assert verdict.recovery_state == "unknown"
    assert "SafeBoot\\Option OptionValue 3: neither 1 (Safe Mode)" in found["environment_evidence"]
    assert found["environment_evidence"] in verdict.evidence


def test_winpe_x_drive_without_the_minint_key_is_unknown_to_both_and_windows_is_not_guessed() -> None:
    """A WinPE look (X: as the system drive) without the MiniNT key, recorded: WinPE answers no WinRM."""
    look = survey_json(minint="", minint_rc=1)

    verdict, (found, sent) = verdict_of("WS-1", look), recorded_facts(look, ["environment", "drivers", "crashes"], [])

    assert verdict.boot_environment == found["environment"] == "unknown"
    assert found["environment_evidence"] == "environment unknown: system drive X:, WinPE's RAM disk, but no MiniNT key"
    assert found["os_volume"] is None and found["drivers"] is None  # no hive read from a volume it cannot tell
    assert len(sent) == 1


def test_a_32_bit_dump_header_gives_both_the_bugcheck() -> None:
    machine = host(404, "safe_mode_network")
    write_minidump(machine, "071924-01.dmp", dump_header(0x50, 1, 2, 3, 4), CRASHED)
    header32 = dump_header(0x7E, 0xC0000005, 0x8A1B2C3D, 0x9A8B7C6D, 0x9A8B7000, signature=b"PAGEDUMP")
    write_minidump(machine, "071924-02.dmp", header32, CRASHED + datetime.timedelta(minutes=3))

    verdict, found = inventory_verdict(machine), facts(machine)

    assert verdict.failure_signature == "0x7e"
    assert any("latest minidump 071924-02.dmp" in item and "bugcheck 0x0000007E" in item for item in verdict.evidence)
    newest = found["crashes"][0]
    assert (newest["file"], newest["bugcheck"]) == ("071924-02.dmp", "0x0000007E")
    assert newest["parameters"] == ["0xC0000005", "0x8A1B2C3D", "0x9A8B7C6D", "0x9A8B7000"]


# --- one signature ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "signature"),
    [
        ("0x50:csagent.sys", "0x50:csagent.sys"),
        ("0x00000050:CSAgent.sys", "0x50:csagent.sys"),
        (" 0X50:\\SystemRoot\\System32\\drivers\\CrowdStrike\\CSAgent.sys ", "0x50:csagent.sys"),
        ("0x0000007E", "0x7e"),
        ("unknown:ctxflt.sys", "unknown:ctxflt.sys"),
        ("Pending_Servicing", "pending_servicing"),
        ("", ""),
    ],
)
def test_a_signature_written_in_any_documented_spelling_has_one_form(written: str, signature: str) -> None:
    assert normalise_signature(written) == signature
    assert normalise_signature(signature) == signature


@pytest.mark.parametrize(
    ("bugcheck", "module", "expected"),
    [
        (0x50, "CSAgent.sys", "0x50:csagent.sys"),
        (0x7E, r"\SystemRoot\System32\drivers\ctxflt.sys", "0x7e:ctxflt.sys"),
        (None, "x.sys", "unknown:x.sys"),
        (0xC000021A, None, "0xc000021a"),
        (None, None, None),
        (None, "{{ }}", None),
        (0x50, "{{ lookup('pipe', 'id') }}", "0x50:lookup_pipe_id"),
    ],
)
def test_the_inventory_builds_signatures_in_that_form(bugcheck, module, expected) -> None:
    assert failure_signature(bugcheck, module) == expected


def test_a_mapping_that_spells_the_bugcheck_with_leading_zeros_still_maps_the_inventorys_signature() -> None:
    mapping = [
        {"name": "channel file 291", "signatures": ["0x00000050:CSAgent.sys"], "role": "channel_file_remediation"}
    ]
    hostvars = {
        "WS-1": {
            "lifeline_recovery_state": "recovery_reachable",
            "lifeline_failure_signature": failure_signature(0x50, "CSAgent.sys"),
            "lifeline_recovery_ring": "canary",
        }
    }

    planned = plan(["WS-1"], hostvars, mapping)["hosts"]["WS-1"]

    assert (planned["action"], planned["remediation"]) == ("remediate", "channel file 291")
