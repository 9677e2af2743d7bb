"""The PowerShell subset: evaluation, `$?` and exit codes, and errors exactly as Windows PowerShell 5.1 shows them."""

from __future__ import annotations

import asyncio
import time

import pytest
from ansible.plugins.shell.powershell import _parse_clixml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from lifeline_lab.machine import new_machine
from lifeline_lab.shell import ProcessContext, run_command_line
from lifeline_lab.shell.capture import Completed, run_captured, sample_environment
from lifeline_lab.shell.context import stdin_from_bytes
from lifeline_lab.shell.powershell import run_script
from lifeline_lab.shell.powershell.position import Extent, Source, position_message

from .support import encoded_command, lines, run, run_ps, without_clixml


def ps(script: str, stdin: bytes = b"") -> Completed:
    """Run a script as pywinrm's run_ps does (`powershell -encodedcommand`), errors decoded from CLIXML."""
    result = asyncio.run(run_captured(f"powershell -encodedcommand {encoded_command(script)}", stdin=stdin))
    return Completed(result.exit_code, result.stdout, without_clixml(result.stderr))


def out(script: str) -> str:
    result = ps(script)
    assert (result.exit_code, result.stderr) == (0, ""), result
    return result.stdout


def test_unknown_command_error_text_position_and_exit_code() -> None:
    assert ps("foo") == Completed(
        1,
        "",
        lines(
            "foo : The term 'foo' is not recognized as the name of a cmdlet, function, script file, or operable "
            "program. Check the spelling of the name, or if a path was included, verify that the path is correct and "
            "try again.",
            "At line:1 char:1",
            "+ foo",
            "+ ~~~",
            "    + CategoryInfo          : ObjectNotFound: (foo:String) [], CommandNotFoundException",
            "    + FullyQualifiedErrorId : CommandNotFoundException",
            " ",
        ),
    )


def test_unknown_command_is_statement_terminating_and_position_follows_it() -> None:
    result = ps('"before"\n  Invoke-Nothing Win32_OperatingSystem\n"after"')
    assert result.stdout == lines("before", "after")
    assert result.exit_code == 0  # the last statement succeeded
    assert "At line:2 char:3\r\n+   Invoke-Nothing Win32_OperatingSystem\r\n+   ~~~~~~~~~~~~~~\r\n" in result.stderr


def test_exit_codes() -> None:
    assert ps("exit 7").exit_code == 7
    assert ps("exit").exit_code == 0
    assert ps("exit -1").exit_code == 0xFFFFFFFF
    assert ps("hostname; foo").exit_code == 1
    assert ps("foo; hostname").exit_code == 0
    assert ps("cmd /c exit 5").exit_code == 1  # a native code other than 0/1 becomes 1 ...
    assert ps("cmd /c exit 5; exit $LASTEXITCODE").exit_code == 5  # ... unless the script passes it on
    assert ps('$x = "no output"').exit_code == 0


def test_dollar_question_mark_and_lastexitcode() -> None:
    assert out("cmd /c exit 2; $?; $LASTEXITCODE; hostname; $?; $LASTEXITCODE") == lines(
        "False", "2", "WS-0001", "True", "0"
    )
    assert out("Get-Variable LASTEXITCODE -ErrorAction SilentlyContinue; $?") == lines("False")


def test_strings_and_expansion() -> None:
    assert out("'it''s $env:COMPUTERNAME'") == lines("it's $env:COMPUTERNAME")
    assert out('"on $env:COMPUTERNAME as $env:username"') == lines("on WS-0001 as Administrator")
    assert out('$n = 3; "n=$n, next=$($n + 1), `$n, tab`tend, ""q"""') == lines('n=3, next=4, $n, tab\tend, "q"')
    assert out('$a = 1, 2; "a=$a"') == lines("a=1 2")
    assert out('@"\nhere $env:COMPUTERNAME\n"@') == lines("here WS-0001")
    assert out("@'\nverbatim $x\n'@") == lines("verbatim $x")


def test_numbers_arrays_and_hashtables() -> None:
    assert out("1 + 2 * 3; 7 / 2; 8 / 2; 7 % 3; 0x10; 2kb; 1.5 + 1") == lines("7", "3.5", "4", "1", "16", "2048", "2.5")
    assert out('"ab" + 1; "ab" * 2; @(1, 2) + 3') == lines("ab1", "abab", "1", "2", "3")
    assert out("$a = @(); $a.Count; (1, 2, 3).Count; $a = 4, 5, 6; $a[0]; $a[-1]") == lines("0", "3", "4", "6")
    assert out('$h = @{ Name = "x"; "b c" = 2 }; $h.name; $h["B C"]; $h.Count; $h.Size = 9; $h.Size') == lines(
        "x", "2", "2", "9"
    )


def test_comparison_operators_are_case_insensitive() -> None:
    assert out('"ABC" -eq "abc"; "ABC" -ceq "abc"; "abc" -like "A*"; "abc" -match "^a(b)"; $Matches[1]') == lines(
        "True", "False", "True", "True", "b"
    )
    assert out('5 -gt "10"; "5" -gt 10; 1 -ne 2; 3 -le 3; 2 -lt 1') == lines("False", "True", "True", "True", "False")
    assert out("(1, 2, 3, 2) -eq 2; (1, 2) -contains 2; 3 -in 1, 2") == lines("2", "2", "True", "False")
    assert out("-not $true; !$false; -not 0; $true -and $false; $false -or 1") == lines(
        "False", "True", "True", "False", "True"
    )


def test_variables_and_environment() -> None:
    assert out("$x = 5; $x += 2; $x; $x++; $x; $env:LAB_VALUE = 'set'; $env:lab_value") == lines("7", "8", "set")
    assert out("$env:NOT_THERE -eq $null") == lines("True")
    assert out("$global:g = 1; $g") == lines("1")


def test_if_elseif_else_and_foreach() -> None:
    script = 'foreach ($i in 1..4) { if ($i -eq 1) { "one" } elseif ($i % 2 -eq 0) { "even $i" } else { "odd" } }'
    assert out(script) == lines("one", "even 2", "odd", "even 4")
    assert out("foreach ($i in 1, 2, 3) { if ($i -eq 2) { continue }; if ($i -eq 3) { break }; $i }") == lines("1")
    assert out("$r = if ($false) { 1 } else { 2 }; $r") == lines("2")


def test_pipelines_and_script_blocks() -> None:
    assert out("1, 2, 3 | ForEach-Object { $_ * 10 } | Where-Object { $_ -gt 10 }") == lines("20", "30")
    assert out('& { "inside"; $args.Count } a b') == lines("inside", "2")
    assert out("$x = 1; & { $x = 2 }; $x; . { $x = 3 }; $x") == lines("1", "3")
    assert out("hostname | Out-Null; Write-Output a | Out-String") == lines("a", "")  # the string ends in CRLF


def test_native_commands_inside_powershell() -> None:
    assert out("hostname; hostname.exe; C:\\Windows\\System32\\HOSTNAME.EXE") == lines("WS-0001") * 3
    assert out('$lines = cmd /c "echo one & echo two"; $lines.Count; $lines[1]') == lines("2", "two")
    assert out('cmd /c echo "a b"') == lines('"a b"')
    assert out('"name: $(hostname)"') == lines("name: WS-0001")
    result = ps('cmd /c "echo to-err 1>&2 & exit /b 3"; "next"')  # stderr stays raw, as cmd wrote it
    assert (result.exit_code, result.stdout, result.stderr) == (0, lines("next"), "to-err  \r\n")


def test_write_cmdlets() -> None:
    assert out("Write-Output a b; echo c; Write-Output -InputObject 1, 2") == lines("a", "b", "c", "1", "2")
    assert out('Write-Host "a" -NoNewline; Write-Host b -ForegroundColor Red; Write-Host 1 2') == "ab\r\n1 2\r\n"
    assert out('Write-Verbose "hidden"; Write-Debug "hidden"') == ""


def test_write_error_is_non_terminating_and_shown_with_the_script_text() -> None:
    result = ps('Write-Error "boom"; "after"')
    assert result == Completed(
        0,
        lines("after"),
        lines(
            'Write-Error "boom"; "after" : boom',
            "    + CategoryInfo          : NotSpecified: (:) [Write-Error], WriteErrorException",
            "    + FullyQualifiedErrorId : Microsoft.PowerShell.Commands.WriteErrorException",
            " ",
        ),
    )
    assert ps('Write-Error "boom"').exit_code == 1
    assert ps('Write-Error "boom" -ErrorAction SilentlyContinue; $?') == Completed(0, lines("False"), "")


def test_warning_and_verbose_are_clixml_records_of_their_own_stream() -> None:
    encoded = encoded_command('Write-Warning "careful"; Write-Verbose "said" -Verbose')
    result = asyncio.run(run_captured(f"powershell -EncodedCommand {encoded}"))
    assert result.exit_code == 0
    assert result.stderr.endswith('<S S="warning">careful</S><S S="verbose">said</S></Objs>')
    assert _parse_clixml(result.stderr.encode(), stream="warning") == b"careful"


def test_error_action_preference_stop_makes_errors_script_terminating() -> None:
    result = ps('$ErrorActionPreference = "Stop"; foo; "never"')
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.startswith("foo : The term 'foo' is not recognized")
    assert ps('Write-Error "x" -ErrorAction Stop; "never"').stdout == ""
    assert ps('$ErrorActionPreference = "SilentlyContinue"; foo; "shown"') == Completed(0, lines("shown"), "")


def test_strict_mode_and_get_variable() -> None:
    result = ps("Set-StrictMode -Version Latest; $undefined; 'next'")
    assert result.stdout == lines("next")
    assert "The variable '$undefined' cannot be retrieved because it has not been set." in result.stderr
    assert "FullyQualifiedErrorId : VariableIsUndefined" in result.stderr
    assert out("$x = 3; Get-Variable x -ValueOnly; Get-Variable -Name x -ValueOnly -ErrorAction SilentlyContinue") == (
        lines("3", "3")
    )
    assert "Cannot find a variable with the name 'nope'." in ps("Get-Variable nope").stderr


def test_start_sleep_waits_and_validates() -> None:
    started = time.monotonic()
    assert ps("Start-Sleep -Milliseconds 150; sleep 0; Start-Sleep -s 0").exit_code == 0
    assert time.monotonic() - started >= 0.15
    result = ps("Start-Sleep -Seconds abc")
    assert result.stderr.splitlines()[0] == (
        'Start-Sleep : Cannot bind parameter \'Seconds\'. Cannot convert value "abc" to type "System.Int32". '
        'Error: "Input string was not in a correct format."'
    )
    assert "CannotConvertArgumentNoMessage,Microsoft.PowerShell.Commands.StartSleepCommand" in result.stderr


def test_start_sleep_is_cancelled_by_the_terminate_signal() -> None:
    async def scenario() -> float:
        ctx = ProcessContext("WS-0001", sample_environment(), stdin_from_bytes(b""), print, print)
        task = asyncio.create_task(run_command_line("powershell -Command Start-Sleep -Seconds 60", ctx))
        await asyncio.sleep(0.05)
        started = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return time.monotonic() - started

    assert asyncio.run(scenario()) < 1


def test_parameter_binding_errors() -> None:
    assert "A parameter cannot be found that matches parameter name 'Foo'." in ps("Write-Host -Foo").stderr
    ambiguous = ps("Write-Error -E x").stderr
    assert "Parameter cannot be processed because the parameter name 'E' is ambiguous." in ambiguous
    assert "Missing an argument for parameter 'Seconds'." in ps("Start-Sleep -Seconds").stderr


def test_syntax_error_runs_nothing() -> None:
    result = ps('"first"; foo )')
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == lines(
        "At line:1 char:14",
        '+ "first"; foo )',
        "+              ~",
        "Unexpected token ')' in expression or statement.",
        "    + CategoryInfo          : ParserError: (:) [], ParentContainsErrorRecordException",
        "    + FullyQualifiedErrorId : UnexpectedToken",
        " ",
    )
    assert "Missing closing '}' in statement block" in ps("if ($true) {").stderr
    assert "is not a valid statement separator in this version" in ps("hostname && hostname").stderr


@pytest.mark.parametrize(
    ("script", "construct"),
    [
        ("[Console]::OutputEncoding = 1", ".NET static members"),
        ('[Version]"5.1"', "type conversion with [Version]"),
        ("class Foo {}", "the class statement"),
        ("function f { 1 }", "the function statement"),
        ("try { 1 } catch [System.IO.IOException] { 2 }", "catch with an exception type"),
        ("$MyInvocation | Out-Null", "the automatic variable $MyInvocation"),
        ("[ScriptBlock]::Create('1')", ".NET static method calls"),
        ('"x".GetType()', "the .NET method GetType()"),
        ("@{ a = 1 }", "the default display of System.Collections.Hashtable objects"),
    ],
)
def test_outside_the_subset_stops_with_a_not_implemented_error(script: str, construct: str) -> None:
    result = ps(script + "; 'never printed'")
    assert (result.exit_code, result.stdout) == (1, "")
    assert f"The Lifeline lab does not implement {construct}" in result.stderr
    assert "    + CategoryInfo          : NotImplemented: (:) [], PSNotImplementedException" in result.stderr


def test_throw_is_script_terminating() -> None:
    result = ps('throw "bad thing"; "never"')
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.splitlines()[:4] == [
        "bad thing",
        "At line:1 char:1",
        '+ throw "bad thing"; "never"',
        "+ " + "~" * 17,
    ]


def test_position_message_cuts_long_lines_around_the_extent() -> None:
    text = "Write-Output 'a long prefix that pushes the error far to the right'; unknown-command -With arguments"
    start = text.index("unknown-command")
    block = position_message(Extent(Source(text), start, start + len("unknown-command")))
    assert block[0] == f"At line:1 char:{start + 1}"
    shown, underline = block[1][2:], block[2][2:]
    assert shown.startswith("... ") and shown.endswith(" ...")
    assert len(shown) == 4 + 69 + 4
    column = underline.index("~")
    assert shown[column : column + len("unknown-command")] == "unknown-command"
    assert underline.count("~") == len("unknown-command")


_TOKENS = [
    "$x", "$env:COMPUTERNAME", "=", "1", "2.5", '"a $x b"', "'q'", "+", "-", "*", "/", "(", ")", "{", "}", "[", "]",
    "@(", "@{", ";", "\n", ",", "|", "&", ".", "::", "if", "else", "foreach", "in", "exit", "return", "throw",
    "break", "-eq", "-like", "-match", "-not", "-and", "-f", "..", "hostname", "Write-Output", "Get-Variable",
    "Out-String", "%", "cmd", "/c", "echo", "$_", "$?", "$LASTEXITCODE", "-Name", "-ErrorAction", "2>", "$null",
    "++", "+=", " ", "-split", '"x".Trim()', "$h.Count", "$a[0]", "[int]", "Set-StrictMode", "-Version", "Latest",
    "`n", "function", "try", "#c", '@"\nx\n"@', "0x1F", "1kb",
]  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(_TOKENS), min_size=1, max_size=12))
@example(["$x", "-split", "-split", "$x"])  # an empty array as -split's pattern (once an IndexError)
def test_any_token_soup_ends_as_a_process_not_a_python_exception(tokens: list[str]) -> None:
    async def scenario() -> int:
        ctx = ProcessContext("WS-0001", sample_environment(), stdin_from_bytes(b""), lambda t: None, lambda t: None)
        return await asyncio.wait_for(run_script(" ".join(tokens), ctx, xml_errors=True), 5)

    assert 0 <= asyncio.run(scenario()) <= 0xFFFFFFFF


def test_try_catch_finally_catches_a_terminating_error_and_always_runs_finally():
    result = run_ps(
        new_machine("T-0003", 3),
        lines(
            "$ErrorActionPreference = 'Stop'",
            "try { Get-Item -LiteralPath 'C:\\missing'; 'not reached' } catch { 'caught' } finally { 'finally' }",
            "try { 'body' } finally { 'cleanup' }",
            "'after'",
        ),
    )
    assert (result.exit_code, result.stdout.split()) == (0, ["caught", "finally", "body", "cleanup", "after"])


def test_finally_runs_when_an_uncaught_error_stops_the_script():
    result = run_ps(
        new_machine("T-0004", 4),
        lines(
            "$ErrorActionPreference = 'Stop'",
            "try { Get-Item -LiteralPath 'C:\\missing' } finally { 'cleanup' }",
            "'x'",
        ),
    )
    assert result.exit_code == 1
    assert result.stdout.split() == ["cleanup"]
    assert "C:\\missing" in result.stderr


def test_throw_without_an_expression_in_a_catch_block_throws_the_caught_error_again():
    # about_Throw: "If the Throw keyword is used in a Catch block without an expression, it throws the current
    # RuntimeException again."
    result = run_ps(
        new_machine("T-0007", 7),
        lines(
            "$ErrorActionPreference = 'Stop'",
            "try { Get-Item -LiteralPath 'C:\\missing' } catch { 'caught'; throw }",
            "'after'",
        ),
    )
    assert (result.exit_code, result.stdout.split()) == (1, ["caught"])
    assert result.stderr.startswith("Get-Item : Cannot find path 'C:\\missing' because it does not exist."), result
    assert "PathNotFound,Microsoft.PowerShell.Commands.GetItemCommand" in result.stderr
    assert "ScriptHalted" not in result.stderr
    outside = run_ps(new_machine("T-0008", 8), "try { 'fine' } catch { 'never' }; throw")
    assert outside.exit_code == 1 and "ScriptHalted" in outside.stderr  # outside a catch block, as before


def test_a_catch_block_never_hides_what_the_lab_does_not_implement():
    result = run_ps(new_machine("T-0005", 5), "try { [Console]::OutputEncoding } catch { 'hidden' }")
    assert result.exit_code == 1
    assert "hidden" not in result.stdout
    assert "does not implement" in result.stderr


def test_input_enumerates_the_lines_of_standard_input_once():
    script = "$first = @($input); $again = @($input); $first.Count; $first[1]; $again.Count"
    result = run(
        new_machine("T-0006", 6), f"powershell -encodedcommand {encoded_command(script)}", stdin=b"one\r\ntwo\r\n"
    )
    assert (result.exit_code, result.stdout.split()) == (0, ["2", "two", "0"])


def test_assigning_to_null_discards_the_value_anywhere() -> None:
    # Microsoft Learn, "Everything you wanted to know about $null": `$null = New-Item ...` suppresses output.
    assert out("$null = 'gone'\nif ($true) { $null = 'also gone'; 'kept' }\n$null -eq $null") == lines("kept", "True")
