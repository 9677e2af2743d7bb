"""powershell.exe's command line as the real clients send it (pywinrm run_ps, ansible-core raw and wrappers)."""

from __future__ import annotations

import asyncio

import pytest
import winrm
from ansible.plugins.shell.powershell import ShellModule, _parse_clixml

from lifeline_lab.shell.capture import Completed, run_captured
from lifeline_lab.shell.powershell_host import (
    BAD_ENCODED_COMMAND,
    EXIT_BAD_COMMAND_LINE,
    MISSING_COMMAND,
    decode_encoded_command,
    parse_arguments,
)

from .support import encoded_command as encode


def run(command_line: str, stdin: bytes = b"") -> Completed:
    return asyncio.run(run_captured(command_line, stdin=stdin))


def lab_session() -> winrm.Session:
    """A pywinrm Session whose run_cmd goes to the lab's process model instead of the network."""
    session = winrm.Session("ws-0001", auth=("Administrator", "password"))

    def run_cmd(command: str, args: tuple[str, ...] = ()) -> winrm.Response:
        result = run(" ".join([command, *args]))
        return winrm.Response((result.stdout.encode("utf-8"), result.stderr.encode("utf-8"), result.exit_code))

    session.run_cmd = run_cmd  # type: ignore[method-assign]
    return session


def test_pywinrm_run_ps_hostname() -> None:
    response = lab_session().run_ps("hostname")
    assert (response.status_code, response.std_out, response.std_err) == (0, b"WS-0001\r\n", b"")


def test_pywinrm_run_ps_cleans_the_unknown_command_error() -> None:
    response = lab_session().run_ps("foo")
    assert response.status_code == 1
    assert response.std_err.decode().splitlines() == [
        "foo : The term 'foo' is not recognized as the name of a cmdlet, function, script file, or operable "
        "program. Check the spelling of the name, or if a path was included, verify that the path is correct and "
        "try again.",
        "At line:1 char:1",
        "+ foo",
        "+ ~~~",
        "    + CategoryInfo          : ObjectNotFound: (foo:String) [], CommandNotFoundException",
        "    + FullyQualifiedErrorId : CommandNotFoundException",
    ]


def test_ansible_raw_command() -> None:
    command = ShellModule()._encode_script("hostname", strict_mode=False, preserve_rc=False)
    assert command.startswith("PowerShell -NoProfile -NonInteractive -ExecutionPolicy Unrestricted -EncodedCommand ")
    assert run(command) == Completed(0, "WS-0001\r\n", "")


@pytest.mark.parametrize(
    ("script", "exit_code", "stdout"),
    [
        ("hostname", 0, "WS-0001\r\n"),
        ("cmd /c exit 3", 3, ""),
        ("whoami; cmd /c exit 260", 260, "ws-0001\\administrator\r\n"),
        ("foo", 1, ""),
        ("exit 9", 9, ""),
    ],
)
def test_ansible_strict_mode_and_preserve_rc_wrapper(script: str, exit_code: int, stdout: str) -> None:
    command = ShellModule()._encode_script(script, strict_mode=True, preserve_rc=True)
    result = run(command)
    assert (result.exit_code, result.stdout) == (exit_code, stdout)


def test_ansible_wrapper_error_decodes_with_ansible() -> None:
    result = run(ShellModule()._encode_script("foo"))
    decoded = _parse_clixml(result.stderr.encode("utf-8")).decode("utf-8")
    assert decoded.startswith("foo : The term 'foo' is not recognized as the name of a cmdlet")
    assert "At line:2 char:1\r\n+ foo\r\n+ ~~~\r\n" in decoded  # line 1 is Ansible's Set-StrictMode


def test_ansible_pipelined_module_bootstrap_fails_never_silently() -> None:
    shell = ShellModule()
    command = shell.build_module_command("", None, "")  # the pipelining bootstrap of every Windows module
    manifest = b'{"name": "ansible.windows.win_ping", "script": "", "params": {}}\n\0\0\0\0\n'
    result = run(command, stdin=manifest)
    assert result.exit_code == 1
    assert result.stdout == ""
    decoded = _parse_clixml(result.stderr.encode("utf-8")).decode("utf-8")
    assert "The Lifeline lab does not implement the automatic variable $PSVersionTable" in decoded
    assert "NotImplemented" in decoded


@pytest.mark.parametrize("switch", ["-EncodedCommand", "-encodedcommand", "-enc", "-ec", "-e", "/ec", "--ENC"])
def test_encoded_command_accepts_every_documented_spelling(switch: str) -> None:
    assert run(f"powershell.exe -nop -noni {switch} {encode('hostname')}").stdout == "WS-0001\r\n"


def test_full_path_to_powershell() -> None:
    line = rf"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe -NoProfile -EncodedCommand {encode('whoami')}"
    assert run(line).stdout == "ws-0001\\administrator\r\n"


def test_parameter_prefixes_follow_the_real_parser() -> None:
    invocation = parse_arguments(["-nop", "-noni", "-nol", "-ep", "Bypass", "-ex", "Unrestricted", "-c", "a", "b"])
    assert (invocation.command, invocation.encoded, invocation.error) == ("a b", False, None)
    assert parse_arguments(["-Command", "-"]).read_stdin
    assert parse_arguments(["Write-Output", "x"]).command == "Write-Output x"
    assert parse_arguments(["-Foo", "bar"]).command == "-Foo bar"  # the first unknown switch starts the command


def test_invalid_base64_gives_powershells_error() -> None:
    assert decode_encoded_command("not base64!") is None
    assert run("powershell -EncodedCommand @@@") == Completed(EXIT_BAD_COMMAND_LINE, "", BAD_ENCODED_COMMAND + "\r\n")
    assert run("powershell -EncodedCommand").stderr == MISSING_COMMAND + "\r\n"


def test_command_takes_the_rest_of_the_line_and_reports_errors_as_text() -> None:
    assert run('powershell -Command Write-Output "a b"').stdout == "a\r\nb\r\n"
    result = run("powershell -NoProfile -Command foo")
    assert result.exit_code == 1
    assert result.stderr.startswith("foo : The term 'foo' is not recognized")  # not encoded: no CLIXML
    assert result.stderr.endswith("    + FullyQualifiedErrorId : CommandNotFoundException\r\n \r\n")


def test_command_dash_reads_the_script_from_stdin() -> None:
    script = b'$x = hostname\r\nWrite-Output "name=$x"\r\nexit 4\r\n'
    assert run("powershell -NoProfile -NonInteractive -Command -", stdin=script) == Completed(4, "name=WS-0001\r\n", "")


def test_file_is_out_of_scope_and_fails_like_a_missing_file() -> None:
    result = run(r"powershell -File C:\scripts\fix.ps1")
    assert result.exit_code == EXIT_BAD_COMMAND_LINE
    assert "The argument 'C:\\scripts\\fix.ps1' to the -File parameter does not exist." in result.stderr


def test_encoded_arguments_fail_with_a_clixml_error() -> None:
    result = run(f"powershell -NoProfile -EncodedCommand {encode('hostname')} -EncodedArguments {encode('x')}")
    assert (result.exit_code, result.stdout) == (1, "")
    assert "-EncodedArguments" in _parse_clixml(result.stderr.encode("utf-8")).decode("utf-8")
