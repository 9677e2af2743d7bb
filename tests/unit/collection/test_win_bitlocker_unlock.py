"""win_bitlocker_unlock without WinRM: its scripts read with the real PowerShell grammar, its parser on sourced
samples, and the action plugin run against an in-process lab machine (the lab's own PowerShell and manage-bde).

The point of the module is the secret: the unlock script holds no password (it reads it from stdin), and no
validation error, result or failure ever contains the password or a block of it. No recovery password is
written literally here: `fake_password` builds obviously fake ones, the lab machine makes its own.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from unittest.mock import MagicMock

import pytest
from ansible.playbook.play_context import PlayContext
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ansible_collections.lifeline.recovery.plugins.action.win_bitlocker_unlock import ActionModule
from ansible_collections.lifeline.recovery.plugins.plugin_utils import _commands as commands
from ansible_collections.lifeline.recovery.plugins.plugin_utils import _powershell as powershell
from ansible_collections.lifeline.recovery.plugins.plugin_utils._parse_manage_bde import (
    KeyProtector,
    ManageBdeError,
    parse_manage_bde_protectors,
)
from ansible_collections.lifeline.recovery.plugins.plugin_utils._parsers import ParseError

from ..lab.support import locked_in_winre, run  # the lab's test helpers: a machine and its shell
from .test_powershell_builders import HOSTILE_TEXT, assert_parses, of_type, text, verbatim_literal

SAMPLES = Path(__file__).parent / "samples"
WRONG_BUT_WELL_FORMED = "-".join(f"{11 * block:06d}" for block in (7, 1, 9, 3, 5, 2, 8, 4))


def fake_password(*blocks: int) -> str:
    return "-".join(f"{11 * block:06d}" for block in (blocks or range(1, 9)))


def sample(name: str) -> str:
    return (SAMPLES / name).read_bytes().decode("utf-8")


# --- the unlock script -------------------------------------------------------------------------------------


def unlock_command(root) -> tuple[list[str], list[str]]:
    """The one ``& 'manage-bde.exe' ...`` command: its literal values, and the variables it passes."""
    (command,) = [each for each in of_type(root, "command") if text(each).startswith("&")]
    literals = [verbatim_literal(command.child_by_field_name("command_name"))]
    variables = []
    for element in command.child_by_field_name("command_elements").children:
        if element.type == "command_argument_sep":
            continue
        found = of_type(element, "variable")
        if found:
            assert text(element) == text(found[0]), f"more than a variable: {text(element)!r}"
            variables.append(text(found[0]))
        else:
            literals.append(verbatim_literal(element))
    return literals, variables


def test_the_unlock_builder_takes_no_password_at_all() -> None:
    assert list(inspect.signature(commands.manage_bde_unlock_from_stdin).parameters) == ["volume"]
    assert not hasattr(commands, "manage_bde_unlock")  # the builder that put the password on the command line


def test_the_unlock_script_parses_and_passes_the_password_from_stdin_as_a_variable() -> None:
    built = commands.manage_bde_unlock_from_stdin("d:")
    root = assert_parses(built)
    literals, variables = unlock_command(root)
    assert literals == ["manage-bde.exe", "-unlock", "D:", "-RecoveryPassword"]
    assert variables == [commands.RECOVERY_PASSWORD_VARIABLE]
    assert f"{commands.RECOVERY_PASSWORD_VARIABLE} = @($input)[0]" in built.splitlines()
    assert built.splitlines()[: len(powershell.PREAMBLE)] == list(powershell.PREAMBLE)
    assert built.splitlines()[-1] == "exit $LASTEXITCODE"
    assert not re.search(r"\d{6}", powershell.encoded_command(built) + built)


@settings(max_examples=300)
@given(HOSTILE_TEXT)
@example("D:")
@example("d:")
@example("D:'; & 'manage-bde.exe' '-off' 'C:")
@example("D:\n")
@example("$(Get-Date):")
def test_a_volume_is_one_drive_letter_literal_or_refused(volume: str) -> None:
    for build in (commands.manage_bde_unlock_from_stdin, commands.manage_bde_protectors_get):
        try:
            built = build(volume)
        except ValueError as error:
            assert "is not a drive letter with a colon" in str(error)
            continue
        assert re.fullmatch(r"[A-Za-z]:", volume)
        root = assert_parses(built)
        if build is commands.manage_bde_unlock_from_stdin:
            literals, _ = unlock_command(root)
            assert literals[2] == volume.upper()
        else:
            assert [verbatim_literal(node) for node in of_type(root, "string_literal")][-1] == volume.upper()


# --- the unlock script on a lab machine (its PowerShell reads $input, its manage-bde decides) ----------------


def run_unlock(machine, stdin: bytes):
    line = powershell.encoded_command(commands.manage_bde_unlock_from_stdin("D:"))
    return run(machine, line, stdin=stdin)


def test_the_script_unlocks_with_the_password_on_stdin_and_never_prints_it() -> None:
    machine = locked_in_winre("T-0101", 101)
    password = machine.os_volume.bitlocker.recovery_password
    wrong = run_unlock(machine, (WRONG_BUT_WELL_FORMED + "\r\n").encode())
    assert wrong.exit_code != 0 and "0x80310027" in wrong.stdout
    assert machine.os_volume.bitlocker.locked
    right = run_unlock(machine, (password + "\r\n").encode())
    assert right.exit_code == 0, right.stdout + right.stderr
    assert right.stdout.rstrip().endswith("The password successfully unlocked volume D:.")
    assert not machine.os_volume.bitlocker.locked
    for output in (wrong.stdout + wrong.stderr, right.stdout + right.stderr):
        assert password not in output and WRONG_BUT_WELL_FORMED not in output


def test_the_script_refuses_empty_stdin_without_running_manage_bde() -> None:
    machine = locked_in_winre("T-0102", 102)
    result = run_unlock(machine, b"")
    assert result.exit_code == 1
    assert "no recovery password on standard input" in result.stderr
    assert "BitLocker Drive Encryption" not in result.stdout
    assert machine.os_volume.bitlocker.locked and machine.os_volume.bitlocker.unlock_failures == 0


# --- manage-bde -protectors -get -------------------------------------------------------------------------


def test_protectors_of_a_locked_volume_3_5_7_indents() -> None:
    assert parse_manage_bde_protectors(sample("mbde_protectors_locked.txt"), "f:") == (
        KeyProtector("External Key", "{08F750D7-0483-4F0E-847B-174119BD2896}"),
    )


def test_protectors_4_6_8_indents_keep_no_password_and_no_id_that_is_not_a_guid() -> None:
    protectors = parse_manage_bde_protectors(sample("mbde_protectors_intune.txt"), "C:")
    # The article redacted the ID with X/Y/Z: not a GUID, so not taken for one.
    assert protectors == (
        KeyProtector("TPM", "{8A5D13D6-7ED9-46C8-A74F-AC3ADF016EC8}"),
        KeyProtector("Numerical Password", None),
    )
    assert "393943" not in repr(protectors)


def test_no_key_protectors() -> None:
    assert parse_manage_bde_protectors(sample("mbde_protectors_none.txt"), "C:") == ()


def test_protectors_of_an_unlocked_lab_volume_never_carry_its_password() -> None:
    machine = locked_in_winre("T-0103", 103)
    bitlocker = machine.os_volume.bitlocker
    assert bitlocker.unlock(bitlocker.recovery_password)
    output = run(machine, "manage-bde -protectors -get D:").stdout
    assert bitlocker.recovery_password in output  # Windows prints it here: why the module asks only when locked
    protectors = parse_manage_bde_protectors(output, "D:")
    assert [p.kind for p in protectors] == ["TPM", "Numerical Password"]
    assert protectors[1].protector_id == bitlocker.protector_id.upper()
    assert bitlocker.recovery_password not in repr(protectors)


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (lambda t: t.replace("Volume F:", "Volume E:"), "another volume, not F:"),
        (lambda t: t.replace("All Key Protectors", "Alle Schlüsselschutzvorrichtungen"), "expected 'All Key"),
        (lambda t: t.split("All Key Protectors")[0] + "All Key Protectors\r\n", "no key protectors listed"),
        (lambda t: t.replace("   External Key:", "External Key:\r\n" + fake_password()), "unexpected line"),
    ],
)
def test_protectors_refuse_output_they_do_not_understand_without_showing_it(edit, problem: str) -> None:
    with pytest.raises(ParseError, match=problem) as raised:
        parse_manage_bde_protectors(edit(sample("mbde_protectors_locked.txt")), "F:")
    assert "000011" not in str(raised.value)


def test_protectors_pass_on_manage_bde_errors() -> None:
    text = "Volume C: []\r\n\r\nERROR: An error occurred (code 0x80310001):\r\nThis drive is not encrypted.\r\n"
    with pytest.raises(ParseError):
        parse_manage_bde_protectors(text, "C:")
    with pytest.raises(ManageBdeError, match="0x80310001"):
        parse_manage_bde_protectors(text.replace("Volume C: []\r\n\r\n", ""), "C:")


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
    machine = locked_in_winre("T-0104", 104)
    module, sent = action(machine, {"volume": "D:", "recovery_password": password})
    result = module.run(task_vars={})
    if not result.get("failed"):
        return  # hypothesis found a valid password: nothing to check here
    assert sent == [] and result["commands_sent"] == 0
    assert "not a valid BitLocker recovery password" in result["msg"]
    shown = repr(result)
    assert password.strip() not in shown
    for block in re.findall(r"\d{6}", password):
        assert block not in shown
    assert machine.os_volume.bitlocker.locked and machine.os_volume.bitlocker.unlock_failures == 0


def test_unlock_sends_the_password_only_on_stdin_and_returns_the_volume_state() -> None:
    machine = locked_in_winre("T-0105", 105)
    password = machine.os_volume.bitlocker.recovery_password
    facts = {"ansible_facts": {"lifeline_recovery": {"os_volume": "d:"}}}
    module, sent = action(machine, {"recovery_password": password}, diff=True)
    result = module.run(task_vars=facts)
    assert result["changed"] is True, result
    assert (result["volume"], result["lock_status_before"], result["lock_status_after"]) == ("D:", "Locked", "Unlocked")
    assert result["key_protector_id"] == machine.os_volume.bitlocker.protector_id.upper()
    assert result["diff"]["after"]["lock_status"] == "Unlocked"
    assert not machine.os_volume.bitlocker.locked
    with_stdin = [stdin for _, stdin in sent if stdin is not None]
    assert with_stdin == [(password + "\r\n").encode()]
    for command, _ in sent:
        script = command.rsplit(" ", 1)[1]
        assert password not in command and password not in powershell_decoded(script)
    assert password not in repr(result)

    again, sent = action(machine, {"volume": "D:", "recovery_password": password})
    result = again.run(task_vars={})
    assert result["changed"] is False and result["lock_status_before"] == "Unlocked"
    assert all(stdin is None for _, stdin in sent) and len(sent) == 1


def powershell_decoded(encoded: str) -> str:
    import base64

    return base64.b64decode(encoded).decode("utf-16-le")


def test_check_mode_reads_but_sends_no_password() -> None:
    machine = locked_in_winre("T-0106", 106)
    module, sent = action(machine, {"volume": "D:", "recovery_password": fake_password()}, check_mode=True)
    result = module.run(task_vars={})
    assert result["changed"] is True and result["lock_status_after"] == "Locked"
    assert all(stdin is None for _, stdin in sent)
    assert machine.os_volume.bitlocker.locked and machine.os_volume.bitlocker.unlock_failures == 0


def test_a_wrong_password_fails_naming_the_volume_and_the_refusal_never_the_password() -> None:
    machine = locked_in_winre("T-0107", 107)
    module, _ = action(machine, {"volume": "D:", "recovery_password": WRONG_BUT_WELL_FORMED})
    result = module.run(task_vars={})
    assert result["failed"] is True
    assert "refused the recovery password for volume D:" in result["msg"]
    assert "still locked" in result["msg"] and result["code"] == "0x80310027"
    assert result["lock_status_after"] == "Locked"
    assert WRONG_BUT_WELL_FORMED not in repr(result)
    assert machine.os_volume.bitlocker.unlock_failures == 1


def test_a_key_protector_id_that_does_not_match_stops_before_the_password_is_sent() -> None:
    machine = locked_in_winre("T-0108", 108)
    other = "01234567-89ab-cdef-0123-456789abcdef"
    module, sent = action(machine, {"volume": "D:", "recovery_password": fake_password(), "key_protector_id": other})
    result = module.run(task_vars={})
    assert result["failed"] is True
    assert "no numerical password protector with ID {01234567-89AB-CDEF-0123-456789ABCDEF}" in result["msg"]
    assert machine.os_volume.bitlocker.protector_id.upper() in result["msg"]
    assert all(stdin is None for _, stdin in sent)
    assert machine.os_volume.bitlocker.unlock_failures == 0

    matching = machine.os_volume.bitlocker.protector_id.lower().strip("{}")
    password = machine.os_volume.bitlocker.recovery_password
    module, _ = action(machine, {"volume": "D:", "recovery_password": password, "key_protector_id": matching})
    assert module.run(task_vars={})["changed"] is True


@pytest.mark.parametrize(
    ("args", "task_vars", "message"),
    [
        ({"volume": "D:", "key_protector_id": fake_password()}, {}, "(not a key protector ID) is not a key"),
        ({"volume": "D"}, {}, "volume 'D' is not a drive letter"),
        ({}, {}, "volume is not set and no lifeline_recovery.os_volume fact was gathered"),
    ],
)
def test_bad_input_fails_before_anything_is_sent(args: dict, task_vars: dict, message: str) -> None:
    machine = locked_in_winre("T-0109", 109)
    module, sent = action(machine, {"recovery_password": fake_password(), **args})
    result = module.run(task_vars=task_vars)
    assert result["failed"] is True and message in result["msg"], result
    assert sent == [] and result["commands_sent"] == 0
    assert fake_password() not in repr(result)
