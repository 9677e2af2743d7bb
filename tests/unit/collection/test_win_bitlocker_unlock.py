"""win_bitlocker_unlock without WinRM: its script read with the real PowerShell grammar, and the action plugin run
against an in-process lab machine (the lab's own PowerShell and manage-bde) in Safe Mode with Networking, whose volume
the test locks: on real Windows that stands for a locked data volume (a locked OS volume is never reachable over WinRM:
TPM-only unlocks itself in Safe Mode, TPM+PIN waits at the PIN prompt), and the lab has only the OS volume.

The point of the module is the secret: the unlock script holds no password (it reads it from stdin), the module
never asks Windows for anything that prints a recovery password (`manage-bde -protectors -get` does, for an
unlocked volume), and no validation error, result or failure ever contains the password or a block of it. No
recovery password is written literally here: `fake_password` builds obviously fake ones, the lab machine makes its
own.
"""

from __future__ import annotations

import base64
import importlib
import inspect
import json
import pkgutil
import re
from unittest.mock import MagicMock

import pytest
from ansible.errors import AnsibleConnectionFailure
from ansible.playbook.play_context import PlayContext
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ansible_collections.lifeline.recovery.plugins.action.win_bitlocker_unlock import ActionModule
from ansible_collections.lifeline.recovery.plugins.plugin_utils import _manage_bde as manage_bde
from ansible_collections.lifeline.recovery.plugins.plugin_utils import _powershell as powershell
from ansible_collections.lifeline.recovery.plugins.plugin_utils._escrow import recovery_password_problem
from ansible_collections.lifeline.recovery.plugins.plugin_utils._manage_bde import (
    ManageBdeError,
    parse_unlock_report,
)
from ansible_collections.lifeline.recovery.plugins.plugin_utils._parsers import ParseError
from lifeline_lab.machine import Machine, new_machine
from lifeline_lab.machine.bitlocker import BitLocker

from ..lab.support import run  # the lab's test helper: a machine's shell
from .in_process import in_safe_mode
from .test_powershell_builders import HOSTILE_TEXT, assert_parses, of_type, text, verbatim_literal

WRONG_BUT_WELL_FORMED = "-".join(f"{11 * block:06d}" for block in (7, 1, 9, 3, 5, 2, 8, 4))


def fake_password(*blocks: int) -> str:
    return "-".join(f"{11 * block:06d}" for block in (blocks or range(1, 9)))


# --- the unlock script -------------------------------------------------------------------------------------


def native_commands(root) -> list[tuple[list[str], list[str]]]:
    """Every ``& 'manage-bde.exe' ...`` command: its literal values, and the variables it passes."""
    found = []
    for command in [each for each in of_type(root, "command") if text(each).startswith("&")]:
        literals = [verbatim_literal(command.child_by_field_name("command_name"))]
        variables = []
        for element in command.child_by_field_name("command_elements").children:
            if element.type == "command_argument_sep":
                continue
            variable = of_type(element, "variable")
            if variable:
                assert text(element) == text(variable[0]), f"more than a variable: {text(element)!r}"
                variables.append(text(variable[0]))
            else:
                literals.append(verbatim_literal(element))
        found.append((literals, variables))
    return found


def test_the_unlock_builder_takes_no_password_and_nothing_lists_key_protectors() -> None:
    assert list(inspect.signature(manage_bde.manage_bde_unlock_if_locked).parameters) == ["volume", "check_mode"]
    package = importlib.import_module("ansible_collections.lifeline.recovery.plugins.plugin_utils")
    for found in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{found.name}")
        assert not hasattr(module, "manage_bde_unlock")  # the builder that put the password on the command line
        # `manage-bde -protectors -get` prints the recovery password of an unlocked volume: no builder asks for it.
        assert not hasattr(module, "manage_bde_protectors_get")


def test_the_unlock_script_reads_the_status_unlocks_only_when_locked_and_reads_it_again() -> None:
    built = manage_bde.manage_bde_unlock_if_locked("d:")
    root = assert_parses(built)
    status = (["manage-bde.exe", "-status", "D:"], [])
    unlock = (["manage-bde.exe", "-unlock", "D:", "-RecoveryPassword"], [manage_bde.RECOVERY_PASSWORD_VARIABLE])
    assert native_commands(root) == [status, unlock, status]
    (conditional,) = [each for each in of_type(root, "if_statement") if "'-unlock'" in text(each)]
    assert text(conditional).count("'-status'") == 1  # the status after the unlock; the first one comes before
    assert f"{manage_bde.RECOVERY_PASSWORD_VARIABLE} = @($input)[0]" in built.splitlines()
    assert built.splitlines()[: len(powershell.PREAMBLE)] == list(powershell.PREAMBLE)
    assert "-protectors" not in built.lower()
    assert not re.search(r"\d{6}", powershell.encoded_command(built) + built)


def test_the_check_mode_script_reads_the_status_only_and_no_standard_input() -> None:
    built = manage_bde.manage_bde_unlock_if_locked("D:", check_mode=True)
    assert native_commands(assert_parses(built)) == [(["manage-bde.exe", "-status", "D:"], [])]
    assert "$input" not in built and "RecoveryPassword" not in built


@settings(max_examples=300)
@given(HOSTILE_TEXT)
@example("D:")
@example("d:")
@example("D:'; & 'manage-bde.exe' '-off' 'C:")
@example("D:\n")
@example("$(Get-Date):")
def test_a_volume_is_one_drive_letter_literal_or_refused(volume: str) -> None:
    for check_mode in (False, True):
        try:
            built = manage_bde.manage_bde_unlock_if_locked(volume, check_mode=check_mode)
        except ValueError as error:
            assert "is not a drive letter with a colon" in str(error)
            continue
        assert re.fullmatch(r"[A-Za-z]:", volume)
        assert {literals[2] for literals, _ in native_commands(assert_parses(built))} == {volume.upper()}


# --- the unlock script on a lab machine (its PowerShell reads $input, its manage-bde decides) ----------------


def locked_in_safe_mode(hostname: str, seed: int) -> Machine:
    """A BitLocker-protected lab machine in Safe Mode with Networking (WinRM listed) whose volume C: the test locks.

    On real Windows a locked OS volume is never reachable over WinRM (a TPM-only volume unlocks itself in Safe Mode, a
    TPM+PIN one waits at the pre-boot PIN prompt): the locked C: here stands for a locked data volume of a running
    Windows, which the lab does not have (it has the OS volume only). The mechanics tested are the same: the status,
    the password on stdin only, manage-bde's answer."""
    machine = new_machine(hostname, seed)
    machine.os_volume.bitlocker = BitLocker()
    in_safe_mode(machine)
    machine.os_volume.bitlocker.locked = True  # what the test stands for: a locked (data) volume
    return machine


def run_unlock(machine, stdin: bytes):
    line = powershell.encoded_command(manage_bde.manage_bde_unlock_if_locked("C:"))
    return run(machine, line, stdin=stdin)


def test_the_script_unlocks_with_the_password_on_stdin_and_never_prints_it() -> None:
    machine = locked_in_safe_mode("T-0101", 101)
    password = machine.os_volume.bitlocker.recovery_password
    wrong = run_unlock(machine, (WRONG_BUT_WELL_FORMED + "\r\n").encode())
    assert wrong.exit_code == 0, wrong.stderr
    report = json.loads(wrong.stdout)
    assert "Lock Status:          Locked" in report["status"] and "0x80310027" in report["unlock"]
    assert report["unlock_rc"] != 0 and "Lock Status:          Locked" in report["status_after"]
    assert machine.os_volume.bitlocker.locked and machine.os_volume.bitlocker.unlock_failures == 1
    right = run_unlock(machine, (password + "\r\n").encode())
    report = json.loads(right.stdout)
    assert report["unlock"].rstrip().endswith("The password successfully unlocked volume C:.")
    assert report["unlock_rc"] == 0 and "Lock Status:          Unlocked" in report["status_after"]
    assert not machine.os_volume.bitlocker.locked
    for output in (wrong.stdout + wrong.stderr, right.stdout + right.stderr):
        assert password not in output and WRONG_BUT_WELL_FORMED not in output


def test_the_script_leaves_an_unlocked_volume_alone() -> None:
    machine = locked_in_safe_mode("T-0103", 103)
    bitlocker = machine.os_volume.bitlocker
    assert bitlocker.unlock(bitlocker.recovery_password)
    result = run_unlock(machine, (WRONG_BUT_WELL_FORMED + "\r\n").encode())
    report = json.loads(result.stdout)
    assert set(report) == {"status"} and "Lock Status:          Unlocked" in report["status"]
    assert bitlocker.recovery_password not in result.stdout + result.stderr


def test_the_script_refuses_empty_stdin_without_running_manage_bde() -> None:
    machine = locked_in_safe_mode("T-0102", 102)
    result = run_unlock(machine, b"")
    assert result.exit_code == 1
    assert "no recovery password on standard input" in result.stderr
    assert "BitLocker Drive Encryption" not in result.stdout
    assert machine.os_volume.bitlocker.locked and machine.os_volume.bitlocker.unlock_failures == 0


def test_the_report_is_read_with_the_manage_bde_parsers() -> None:
    machine = locked_in_safe_mode("T-0104", 104)
    report = parse_unlock_report(run_unlock(machine, (WRONG_BUT_WELL_FORMED + "\r\n").encode()).stdout, "c:")
    assert report.before.locked and report.after.locked and report.unlock_rc != 0
    assert "0x80310027" in report.unlock
    machine.os_volume.bitlocker.locked = False
    report = parse_unlock_report(run_unlock(machine, (WRONG_BUT_WELL_FORMED + "\r\n").encode()).stdout, "C:")
    assert not report.before.locked and (report.unlock, report.unlock_rc, report.after) == (None, None, None)


LOCKED_STATUS = (
    "Volume D: [Label Unknown]\r\n[Data Volume]\r\n\r\n"
    + "".join(
        f"    {label + ':':<22}{value}\r\n"
        for label, value in (
            ("Size", "Unknown GB"),
            ("BitLocker Version", "2.0"),
            ("Conversion Status", "Unknown"),
            ("Percentage Encrypted", "Unknown%"),
            ("Encryption Method", "XTS-AES 128"),
            ("Protection Status", "Unknown"),
            ("Lock Status", "Locked"),
            ("Identification Field", "Unknown"),
            ("Automatic Unlock", "Disabled"),
            ("Key Protectors", ""),
        )
    )
    + "        Numerical Password\r\n"
)


@pytest.mark.parametrize(
    ("text", "error", "problem"),
    [
        ("", ParseError, "no JSON object with the volume's status"),
        ("Get-Content : " + fake_password(), ParseError, "no JSON object with the volume's status"),
        (json.dumps({"unlock": fake_password()}), ParseError, "no JSON object with the volume's status"),
        (json.dumps({"status": LOCKED_STATUS, "unlock": "x"}), ParseError, "unlock without its exit code"),
        (json.dumps({"status": LOCKED_STATUS.replace("D:", "E:")}), ParseError, "volume D: is not in the output"),
        (json.dumps({"status": "ERROR: An error occurred (code 0x80310001):\r\nThis drive is not encrypted.\r\n"}),
         ManageBdeError, "0x80310001"),
    ],
)  # fmt: skip
def test_the_report_refuses_what_the_script_does_not_print_without_showing_it(text, error, problem) -> None:
    assert parse_unlock_report(json.dumps({"status": LOCKED_STATUS}), "D:").before.locked
    with pytest.raises(error, match=problem) as raised:
        parse_unlock_report(text, "D:")
    assert "000011" not in str(raised.value)


# --- the action plugin against an in-process lab machine -------------------------------------------------


def action(machine, args: dict, check_mode: bool = False, diff: bool = False) -> tuple[ActionModule, list]:
    """The module as Ansible runs it, with each remote command run by the lab machine's shell."""
    task = MagicMock()
    task.args, task.async_val, task.check_mode, task.diff = args, 0, check_mode, diff
    connection = MagicMock()
    connection._shell.tmpdir = None
    module = ActionModule(task, connection, PlayContext(), loader=None, templar=None, shared_loader_obj=None)
    sent: list[tuple[str, bytes | None]] = []

    def execute(command: str, in_data: bytes | None = None, sudoable: bool = False) -> dict:
        if not machine.winrm_reachable():
            raise AnsibleConnectionFailure(f"{machine.computer_name} ({machine.environment}): WinRM does not answer")
        sent.append((command, in_data))
        result = run(machine, command, stdin=in_data or b"")
        return {"rc": result.exit_code, "stdout": result.stdout, "stderr": result.stderr}

    module._low_level_execute_command = execute
    return module, sent


NEAR_PASSWORDS = st.one_of(
    st.lists(st.integers(0, 999999), min_size=1, max_size=10).map(lambda b: "-".join(f"{x:06d}" for x in b)),
    st.lists(st.integers(0, 65535), min_size=8, max_size=8).map(lambda b: "-".join(f"{11 * x + 1:06d}" for x in b)),
    st.text("0123456789- \n", min_size=20, max_size=60),
)


@settings(max_examples=150, deadline=None)
@given(NEAR_PASSWORDS)
@example(fake_password(1, 2, 3, 4, 5, 6, 7, 8)[:-1] + "3")
@example(fake_password().replace("-", ""))
@example("999999" + fake_password()[6:])
@example(fake_password() + "\n")
def test_a_malformed_password_fails_before_anything_is_sent_and_is_never_shown(password: str) -> None:
    machine = locked_in_safe_mode("T-0104", 104)
    module, sent = action(machine, {"volume": "C:", "recovery_password": password})
    result = module.run(task_vars={})
    assert result["failed"]  # never this volume's password: refused here, or by the host below
    if recovery_password_problem(password) is None:
        # Hypothesis found a well-formed password: it goes to the host once, which refuses it.
        assert len(sent) == 1 and "not a valid BitLocker recovery password" not in result["msg"]
        assert password not in repr(result) and machine.os_volume.bitlocker.locked
        return
    assert sent == [] and result["commands_sent"] == 0
    assert "not a valid BitLocker recovery password" in result["msg"]
    shown = repr(result)
    assert password.strip() not in shown
    for block in re.findall(r"\d{6}", password):
        assert block not in shown
    assert machine.os_volume.bitlocker.locked and machine.os_volume.bitlocker.unlock_failures == 0


def decoded(command: str) -> str:
    """The script of a ``PowerShell ... -EncodedCommand <base64>`` line."""
    return base64.b64decode(command.rsplit(" ", 1)[1]).decode("utf-16-le")


def test_unlock_is_one_command_with_the_password_only_on_stdin_and_returns_the_volume_state() -> None:
    machine = locked_in_safe_mode("T-0105", 105)
    password = machine.os_volume.bitlocker.recovery_password
    facts = {"ansible_facts": {"lifeline_recovery": {"os_volume": "c:"}}}
    module, sent = action(machine, {"recovery_password": password}, diff=True)
    result = module.run(task_vars=facts)
    assert result["changed"] is True, result
    assert (result["volume"], result["lock_status_before"], result["lock_status_after"]) == ("C:", "Locked", "Unlocked")
    assert result["commands_sent"] == 1 and "key_protector_id" not in result  # no ID named, none read
    assert result["diff"]["after"]["lock_status"] == "Unlocked"
    assert not machine.os_volume.bitlocker.locked
    assert [stdin for _, stdin in sent] == [(password + "\r\n").encode()]
    for command, _ in sent:
        assert password not in command and password not in decoded(command)
    assert password not in repr(result)


def test_an_unlocked_volume_is_changed_false_and_the_password_is_not_used() -> None:
    machine = locked_in_safe_mode("T-0111", 111)
    bitlocker = machine.os_volume.bitlocker
    assert bitlocker.unlock(bitlocker.recovery_password)
    # A wrong password: were it passed to manage-bde -unlock, the lab would still say success (already unlocked).
    module, _ = action(machine, {"volume": "C:", "recovery_password": WRONG_BUT_WELL_FORMED})
    result = module.run(task_vars={})
    assert result["changed"] is False and result["lock_status_before"] == result["lock_status_after"] == "Unlocked"
    assert result["msg"] == "volume C: is already unlocked; the recovery password was not used"
    assert result["commands_sent"] == 1 and not bitlocker.locked and bitlocker.unlock_failures == 0


@pytest.mark.parametrize("right_password", [True, False], ids=["right password", "wrong password"])
def test_another_run_unlocking_the_volume_mid_task_never_brings_its_password_back(right_password: bool) -> None:
    """Issue 10: two runs on one host. Another run unlocks the volume after this task's first command; the old module
    then listed the key protectors, and manage-bde printed the now readable recovery password to the controller (and,
    with a wrong password in this task, nothing redacted it). Lock check and unlock are now one script."""
    machine = locked_in_safe_mode("T-0110", 110)
    bitlocker = machine.os_volume.bitlocker
    password = bitlocker.recovery_password
    module, sent = action(
        machine, {"volume": "C:", "recovery_password": password if right_password else WRONG_BUT_WELL_FORMED}
    )
    run_on_lab = module._low_level_execute_command
    received: list[str] = []

    def racing(command: str, in_data: bytes | None = None, sudoable: bool = False) -> dict:
        if sent:  # this task sent a command already: the other run unlocks the volume now
            bitlocker.unlock(password)
        answer = run_on_lab(command, in_data, sudoable)
        received.append(answer["stdout"] + answer["stderr"])
        return answer

    module._low_level_execute_command = racing
    result = module.run(task_vars={})
    assert all(password not in answer for answer in received), "the controller received the recovery password"
    assert not any("-protectors" in decoded(command) for command, _ in sent)
    assert result["commands_sent"] == 1
    assert password not in repr(result)


def test_check_mode_is_one_status_and_sends_no_password() -> None:
    machine = locked_in_safe_mode("T-0106", 106)
    module, sent = action(machine, {"volume": "C:", "recovery_password": fake_password()}, check_mode=True)
    result = module.run(task_vars={})
    assert result["changed"] is True and result["lock_status_after"] == "Locked"
    assert result["commands_sent"] == 1 and [stdin for _, stdin in sent] == [None]
    assert "-unlock" not in decoded(sent[0][0])
    assert machine.os_volume.bitlocker.locked and machine.os_volume.bitlocker.unlock_failures == 0


def test_a_wrong_password_fails_naming_the_volume_and_the_refusal_never_the_password() -> None:
    machine = locked_in_safe_mode("T-0107", 107)
    module, _ = action(machine, {"volume": "C:", "recovery_password": WRONG_BUT_WELL_FORMED})
    result = module.run(task_vars={})
    assert result["failed"] is True and result["commands_sent"] == 1
    assert re.fullmatch(
        r"manage-bde refused the recovery password for volume C: \(The volume cannot be unlocked with the provided "
        r"information; code 0x80310027, exit code -?\d+\): volume C: is still locked\. Check that the escrowed "
        r"password belongs to this computer",
        result["msg"],
    ), result["msg"]
    assert result["code"] == "0x80310027" and result["lock_status_after"] == "Locked"
    assert WRONG_BUT_WELL_FORMED not in repr(result)
    assert machine.os_volume.bitlocker.locked and machine.os_volume.bitlocker.unlock_failures == 1


def test_a_key_protector_id_is_reported_and_named_in_a_refusal_but_not_read_from_the_host() -> None:
    machine = locked_in_safe_mode("T-0108", 108)
    escrowed = "01234567-89ab-cdef-0123-456789abcdef"  # not this volume's protector: nothing on the host checks it
    args = {"volume": "C:", "recovery_password": WRONG_BUT_WELL_FORMED, "key_protector_id": escrowed}
    module, sent = action(machine, args)
    result = module.run(task_vars={})
    assert result["failed"] is True and result["code"] == "0x80310027"
    assert result["msg"].endswith(
        "Check that the escrowed password belongs to this computer and to key protector "
        "{01234567-89AB-CDEF-0123-456789ABCDEF}"
    )
    assert result["key_protector_id"] == "{01234567-89AB-CDEF-0123-456789ABCDEF}"
    assert len(sent) == 1 and "-protectors" not in decoded(sent[0][0])
    assert machine.os_volume.bitlocker.unlock_failures == 1

    matching = machine.os_volume.bitlocker.protector_id.lower().strip("{}")
    password = machine.os_volume.bitlocker.recovery_password
    module, _ = action(machine, {"volume": "C:", "recovery_password": password, "key_protector_id": matching})
    result = module.run(task_vars={})
    assert result["changed"] is True and result["key_protector_id"] == machine.os_volume.bitlocker.protector_id.upper()


@pytest.mark.parametrize(
    ("args", "task_vars", "message"),
    [
        ({"volume": "C:", "key_protector_id": fake_password()}, {}, "(not a key protector ID) is not a key"),
        ({"volume": "D"}, {}, "volume 'D' is not a drive letter"),
        ({}, {}, "volume is not set and no lifeline_recovery.os_volume fact was gathered"),
    ],
)
def test_bad_input_fails_before_anything_is_sent(args: dict, task_vars: dict, message: str) -> None:
    machine = locked_in_safe_mode("T-0109", 109)
    module, sent = action(machine, {"recovery_password": fake_password(), **args})
    result = module.run(task_vars=task_vars)
    assert result["failed"] is True and message in result["msg"], result
    assert sent == [] and result["commands_sent"] == 0
    assert fake_password() not in repr(result)
