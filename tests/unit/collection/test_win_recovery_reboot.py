"""win_recovery_reboot without WinRM: bad input sends nothing, check mode only reads (against an in-process lab
machine), and the verdict on the boot a host came back with. The restart itself is in the integration tests."""

from __future__ import annotations

import json

import pytest

from ansible_collections.lifeline.recovery.plugins.action.win_boot_config import ActionModule as BootConfig
from ansible_collections.lifeline.recovery.plugins.action.win_recovery_reboot import ActionModule
from ansible_collections.lifeline.recovery.plugins.plugin_utils._action import RecoveryFailed
from ansible_collections.lifeline.recovery.plugins.plugin_utils._recovery_survey import (
    parse_environment_survey,
    recovery_environment_survey,
)
from lifeline_lab.machine import new_machine

from ..lab.support import run
from .in_process import lab_action
from .surveys import RUNNING, dump_header, minidump, survey_json, volume

RECORD = "C:\\ProgramData\\Lifeline\\records\\boot_config-default.json"


def action(machine, args: dict, check_mode: bool = False) -> tuple[ActionModule, list]:
    return lab_action(ActionModule, machine, args, check_mode=check_mode, diff=False)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"reboot_timeout": 0}, "reboot_timeout must be at least 1"),
        ({"connect_timeout": 0}, "connect_timeout must be at least 1"),
        ({"pre_reboot_delay": -1}, "pre_reboot_delay must be at least 0"),
        ({"post_reboot_delay": -1}, "post_reboot_delay must not be negative"),
        ({"target": "safe"}, "target"),
        ({"reboot_timeout": "soon"}, "reboot_timeout"),
    ],
)
def test_bad_input_fails_before_anything_is_sent(args: dict, message: str) -> None:
    machine = new_machine("T-0301", 301)
    module, sent = action(machine, args)
    result = module.run(task_vars={})
    assert result["failed"] is True and message in result["msg"] and sent == []
    assert machine.boots == 1


@pytest.mark.parametrize(
    ("target", "value", "expected"),
    [("safe_mode", "Minimal", "safe_mode"), ("safe_mode_network", "Network", "safe_mode_network"),
     ("normal", None, "normal"), ("current", None, "normal")],
)  # fmt: skip
def test_check_mode_reads_once_and_reports_what_it_would_do(target: str, value: str | None, expected: str) -> None:
    machine = new_machine("T-0302", 302)
    store = machine.snapshot()["bcd"]
    module, sent = action(machine, {"target": target}, check_mode=True)
    result = module.run(task_vars={})
    assert len(sent) == 1 and result["changed"] is True and result["rebooted"] is False, result
    assert result["expected_environment"] == expected and "check mode" in result["msg"]
    change = result["boot_config_change"]
    assert change == (None if value is None else {"entry": "{default}", "element": "safeboot", "previous": None,
                                                  "value": value})  # fmt: skip
    assert machine.snapshot()["bcd"] == store and machine.boots == 1


def survey(environment: str, boot_ms: int, dumps: list[tuple[str, int, int]]) -> object:
    """An environment survey; ``dumps`` are (name, time in ms, bugcheck code) in D:/C:\\Windows\\Minidump."""
    letter = "D:" if environment == "winre" else "C:"
    items = [minidump(name, ms, dump_header(code)) for name, ms, code in dumps]
    found = {
        "last_boot": f"\\/Date({boot_ms})\\/",
        "now": f"\\/Date({boot_ms + 5})\\/",
        "volumes": [volume(letter, minidumps=items)],
    }
    running = {} if environment == "winre" else RUNNING
    return parse_environment_survey(survey_json(**{**running, **found}))


def verdict(before, after, expected: str) -> dict:
    module, _ = action(None, {})
    return module.verdict(before, after, {"expected_environment": expected, "elapsed": 1.0})


def test_a_clean_boot_in_the_expected_environment_passes() -> None:
    old = [("071924-01.dmp", 1000, 0x50)]
    result = verdict(survey("normal", 1000, old), survey("normal", 9000, old), "normal")
    assert result["environment"] == "normal" and result["new_crashes"] == []
    assert result["os_volume"] == "C:"  # where the lease's release finds the volume without reading the facts again


def test_coming_back_in_winre_after_crashing_names_the_newest_bugcheck() -> None:
    before = survey("normal", 1000, [("071924-01.dmp", 500, 0x7E)])
    after = survey("winre", 9000, [("071924-03.dmp", 8000, 0x50), ("071924-02.dmp", 7000, 0x50),
                                   ("071924-01.dmp", 500, 0x7E)])  # fmt: skip
    with pytest.raises(RecoveryFailed) as failed:
        verdict(before, after, "normal")
    assert failed.value.msg.startswith("the host came back in winre after crashing: bugcheck 0x00000050")
    assert "071924-03.dmp" in failed.value.msg and "2 new crash(es)" in failed.value.msg
    assert failed.value.msg.endswith("expected normal")
    assert [c["file"] for c in failed.value.details["new_crashes"]] == ["071924-03.dmp", "071924-02.dmp"]
    assert failed.value.details["environment"] == "winre" and failed.value.details["os_volume"] == "D:"


def test_the_right_environment_with_a_new_crash_still_fails() -> None:
    with pytest.raises(RecoveryFailed, match="came back in normal but crashed since the restart: bugcheck 0x0000007E"):
        verdict(survey("normal", 1000, []), survey("normal", 9000, [("x.dmp", 8000, 0x7E)]), "normal")


def test_the_wrong_environment_without_a_crash() -> None:
    with pytest.raises(RecoveryFailed, match=r"^the host came back in normal, expected safe_mode_network$"):
        verdict(survey("normal", 1000, []), survey("normal", 9000, []), "safe_mode_network")


def test_the_safeboot_change_is_win_boot_configs_and_lands_in_the_entrys_one_record() -> None:
    """The restart's own change (safeboot for Safe Mode) is recorded where win_boot_config keeps {default}'s values,
    so its restore (rollback) puts the boot settings back; the restart itself is in the integration tests."""
    machine = new_machine("T-0303", 303)
    module, sent = action(machine, {"target": "safe_mode_network"})
    module._commands_sent = 0  # run() starts the count; this test calls the steps before the restart directly
    before = module.survey(recovery_environment_survey(bitlocker=False, boot=True, crashes=True))
    result = {"boot_config_change": {"entry": "{default}", "element": "safeboot", "previous": None,
                                     "value": "Network"}}  # fmt: skip
    module.set_safeboot(before, "Network", result)
    assert result["boot_config_change"]["record"] == RECORD and "warnings" not in result
    assert "Network" in run(machine, "bcdedit /enum {default}").stdout
    assert module._commands_sent == len(sent) == 3  # the survey, then win_boot_config: read, record and change
    record = json.loads(run(machine, f"type {RECORD}").stdout.lstrip("\ufeff"))
    assert (record["kind"], record["changes"]) == ("boot_config", [{"element": "safeboot", "previous": None,
                                                                    "value": "Network"}])  # fmt: skip
    restored = lab_action(BootConfig, machine, {"state": "restored", "os_volume": "C:"})[0].run(task_vars={})
    assert restored["changed"] is True and "safeboot" not in run(machine, "bcdedit /enum {default}").stdout
