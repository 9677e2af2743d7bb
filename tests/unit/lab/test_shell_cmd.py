"""cmd.exe semantics of a WinRS command line: operators, quoting, expansion, built-ins, programs, exit codes."""

from __future__ import annotations

import asyncio

import pytest

from lifeline_lab.shell.capture import Completed, run_captured, sample_environment
from lifeline_lab.shell.winargs import split_arguments, split_command_line

NOT_RECOGNIZED = "'{}' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n"


def run(command_line: str, **kwargs: object) -> Completed:
    return asyncio.run(run_captured(command_line, **kwargs))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "command_line",
    [
        "hostname",
        "HOSTNAME",
        "hostname.exe",
        "HostName.EXE",
        r"C:\Windows\System32\hostname.exe",
        r"c:\windows\system32\HOSTNAME",
        '"hostname"',
        r'"C:\Windows\System32\hostname.exe"',
    ],
)
def test_hostname_in_every_spelling(command_line: str) -> None:
    assert run(command_line) == Completed(0, "WS-0001\r\n", "")


def test_hostname_arguments_fail_as_the_real_program() -> None:
    result = run("hostname -s")
    assert result.exit_code == 1
    assert result.stderr == (
        "sethostname: Use the Network Control Panel Applet to set hostname.\r\nhostname -s is not supported.\r\n"
    )
    assert run("hostname /?").stdout == "\r\nPrints the name of the current host.\r\n\r\nhostname\r\n\r\n"


def test_unknown_program_prints_the_cmd_message_and_exits_9009() -> None:
    assert run("foo") == Completed(9009, "", NOT_RECOGNIZED.format("foo"))
    assert run("foo.exe --help").stderr == NOT_RECOGNIZED.format("foo.exe")
    assert run("pwsh -c hostname").exit_code == 9009  # only Windows PowerShell exists on the image


def test_a_path_must_name_the_real_directory() -> None:
    assert run(r"C:\Temp\hostname.exe").stderr == NOT_RECOGNIZED.format(r"C:\Temp\hostname.exe")


def test_echo_forms() -> None:
    assert run("echo hi").stdout == "hi\r\n"
    assert run("echo  two  spaces ").stdout == " two  spaces \r\n"
    assert run("echo").stdout == "ECHO is on.\r\n"
    assert run("echo.").stdout == "\r\n"
    assert run("echo.text").stdout == "text\r\n"
    assert run("echo off").stdout == ""
    assert run('echo "quoted & kept"').stdout == '"quoted & kept"\r\n'
    assert run("echo a^&b ^| c").stdout == "a&b | c\r\n"


def test_operators() -> None:
    assert run("echo a & echo b").stdout == "a \r\nb\r\n"
    assert run("hostname && echo ok").stdout == "WS-0001\r\nok\r\n"
    assert run("foo && echo never").stdout == ""
    result = run("foo || echo recovered")
    assert (result.stdout, result.exit_code) == ("recovered\r\n", 9009)  # ECHO leaves ERRORLEVEL alone
    assert run("hostname || echo never").stdout == "WS-0001\r\n"
    assert run("(echo a & echo b) & echo c").stdout == "a \r\nb\r\nc\r\n"


def test_exit_code_is_the_last_errorlevel() -> None:
    assert run("foo & echo still runs") == Completed(9009, "still runs\r\n", NOT_RECOGNIZED.format("foo"))
    assert run("exit /b 7").exit_code == 7
    assert run("exit 3 & echo never") == Completed(3, "", "")
    assert run("exit -1").exit_code == 0xFFFFFFFF
    assert run("hostname x || exit /b 42").exit_code == 42


def test_percent_expansion_happens_once_for_the_whole_line() -> None:
    assert run("echo %COMPUTERNAME% %computername% %NOT_SET%").stdout == "WS-0001 WS-0001 %NOT_SET%\r\n"
    assert run("set X=1 & echo %X%").stdout == "%X%\r\n"
    assert run("foo & cmd /c echo %ERRORLEVEL%").stdout == "0\r\n"


def test_set() -> None:
    env = sample_environment()
    listing = run("set", environment=env).stdout
    assert listing.startswith("ALLUSERSPROFILE=C:\\ProgramData\r\n")
    assert "COMPUTERNAME=WS-0001\r\n" in listing
    assert run("set comp").stdout == "COMPUTERNAME=WS-0001\r\n"
    assert run("set NOPE") == Completed(1, "", "Environment variable NOPE not defined\r\n")
    assert run('set "GREETING=hello world" & cmd /c echo %GREETING%').stdout == "hello world\r\n"
    assert env["COMPUTERNAME"] == "WS-0001" and "GREETING" not in env  # each command gets a copy


def test_ver_whoami_type() -> None:
    assert run("ver").stdout == "\r\nMicrosoft Windows [Version 10.0.20348.2113]\r\n"
    assert run("whoami").stdout == "ws-0001\\administrator\r\n"
    assert run("type nul") == Completed(0, "", "")
    assert run(r"type C:\missing.txt") == Completed(1, "", "The system cannot find the file specified.\r\n")


def test_redirections_to_nul_and_between_handles() -> None:
    assert run("echo hidden >nul") == Completed(0, "", "")
    assert run("foo 2>nul").stderr == ""
    assert run("foo 2>&1").stdout == NOT_RECOGNIZED.format("foo")
    assert run("echo to-stderr 1>&2").stderr == "to-stderr \r\n"
    result = run(r"echo x > C:\out.txt")
    assert result.exit_code == 1 and "does not implement redirection" in result.stderr


def test_syntax_error_runs_nothing() -> None:
    assert run("& echo x") == Completed(255, "", "& was unexpected at this time.\r\n")


def test_nested_cmd_c_and_its_quote_rule() -> None:
    assert run("cmd /c echo nested").stdout == "nested\r\n"
    assert run('cmd /c "echo a & exit /b 4"') == Completed(4, "a \r\n", "")
    assert run('cmd.exe /C "hostname"').stdout == "WS-0001\r\n"
    assert run("cmd").exit_code == 1  # an interactive cmd.exe is not simulated: it fails loudly


def test_unimplemented_builtins_fail_loudly() -> None:
    result = run("vol C:")
    assert result.exit_code == 1 and "does not implement the cmd.exe command 'VOL'" in result.stderr


def test_pipe_feeds_stdout_to_the_next_program() -> None:
    result = run("echo hostname | powershell -Command -")
    assert result == Completed(0, "WS-0001\r\n", "")


@pytest.mark.parametrize(
    ("tail", "expected"),
    [
        ("a b", ["a", "b"]),
        ('"a b" c', ["a b", "c"]),
        ('a\\"b', ['a"b']),
        ('a\\\\"b c"', ["a\\b c"]),
        ('"a""b"', ['a"b']),
        ('C:\\dir\\ "C:\\dir\\\\"', ["C:\\dir\\", "C:\\dir\\"]),
        ('x"y z"w', ["xy zw"]),
        ("  ", []),
    ],
)
def test_c_runtime_argument_splitting(tail: str, expected: list[str]) -> None:
    assert split_arguments(tail) == expected


def test_program_name_is_split_without_backslash_rules() -> None:
    assert split_command_line('"C:\\Program Files\\x.exe" -a "b c"') == ["C:\\Program Files\\x.exe", "-a", "b c"]
