"""The WinRE failover's marker: one identifier in the failover script, the host model and role exit_recovery; read
by the host survey (``failover_marker`` of win_recovery_facts) from what bcdedit prints, judged against in-process
lab machines whose system store holds it or not."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import yaml

from ansible_collections.lifeline.recovery.plugins.action.win_recovery_facts import ActionModule
from ansible_collections.lifeline.recovery.plugins.plugin_utils._bcdedit import (
    NO_MATCHING_OBJECTS,
    parse_object_present,
)
from ansible_collections.lifeline.recovery.plugins.plugin_utils._host_model import FAILOVER_MARKER
from ansible_collections.lifeline.recovery.plugins.plugin_utils._parsers import ParseError
from ansible_collections.lifeline.recovery.plugins.plugin_utils._recovery_survey import parse_environment_survey
from lifeline_lab import failures
from lifeline_lab.machine import new_machine

from ..lab.support import run
from .in_process import lab_action
from .surveys import RUNNING, survey_json

REPO = Path(__file__).resolve().parents[3]
# What bcdedit /enum <id> /v prints for the object the failover creates (a device-options object with a description).
MARKER_ENTRY = (
    "\r\nDevice options\r\n--------------\r\n"
    f"identifier              {FAILOVER_MARKER}\r\n"
    "description             Lifeline failover: Safe Mode with Networking tried\r\n"
)


def test_the_failover_script_the_host_model_and_exit_recovery_name_the_same_object() -> None:
    script = (REPO / "roles" / "winre_failover" / "files" / "lifeline-failover.cmd").read_text()
    assert f"bcdedit /create {FAILOVER_MARKER} " in script
    defaults = yaml.safe_load((REPO / "roles" / "exit_recovery" / "defaults" / "main.yml").read_text())
    assert defaults["exit_recovery_failover_marker"] == FAILOVER_MARKER


@pytest.mark.parametrize(
    ("text", "present"),
    [
        (MARKER_ENTRY, True),
        (MARKER_ENTRY.upper().replace("DEVICE OPTIONS\r\n--------------", "Device options\r\n--------------")
         .replace("IDENTIFIER  ", "identifier  ").replace("DESCRIPTION ", "description "), True),
        (NO_MATCHING_OBJECTS + "\r\n", False),
    ],
)  # fmt: skip
def test_bcdedit_tells_whether_the_object_exists(text: str, present: bool) -> None:
    assert parse_object_present(text, FAILOVER_MARKER) is present


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "no entries"),
        ("The boot configuration data store could not be opened.\r\nAccess is denied.\r\n", "expected an entry"),
        ("\r\nDevice options\r\n--------------\r\nidentifier              {bootmgr}\r\n", "asked for"),
        ("\r\nGeräteoptionen\r\n--------------\r\nBezeichner              {x}\r\n", "en-US"),
    ],
)
def test_an_answer_that_is_neither_is_never_taken_for_an_absent_marker(text: str, problem: str) -> None:
    with pytest.raises(ParseError, match=problem):
        parse_object_present(text, FAILOVER_MARKER)


@pytest.mark.parametrize(
    ("marker", "rc", "fact", "error"),
    [(MARKER_ENTRY, 0, True, None), (NO_MATCHING_OBJECTS, 0, False, None), ("", 1, None, "exit code 1")],
)
def test_the_survey_reports_the_marker_or_why_it_cannot(marker: str, rc: int, fact, error) -> None:
    survey = parse_environment_survey(survey_json(**RUNNING, marker=marker, marker_rc=rc))
    assert survey.failover_marker is fact
    assert (survey.failover_marker_error is None) is (error is None)
    if error:
        assert error in survey.failover_marker_error and survey.failover_marker_error in survey.problems
    assert parse_environment_survey(survey_json()).failover_marker is None  # not asked for: no claim


def facts(machine) -> dict:
    result = lab_action(ActionModule, machine, {"gather": ["environment"]})[0].run(task_vars={})
    return result["ansible_facts"]["lifeline_recovery"]


def test_win_recovery_facts_reports_the_marker_the_failover_created() -> None:
    machine = new_machine("T-0301", 301)
    failures.crowdstrike_291(machine, random.Random(1))
    failures.prepare_for_remote_recovery(machine)
    machine.enter_environment("safe_mode_network")
    before = facts(machine)
    assert (before["environment"], before["failover_marker"], before["failover_marker_error"]) == (
        "safe_mode_network",
        False,
        None,
    )
    created = run(machine, f'bcdedit /create {FAILOVER_MARKER} /d "Lifeline failover" /device')
    assert created.exit_code == 0, created.stdout + created.stderr
    after = facts(machine)
    assert after["failover_marker"] is True and after["failover_marker_error"] is None
    assert json.dumps(after)  # plain data only
