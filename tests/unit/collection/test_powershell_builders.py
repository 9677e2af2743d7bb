"""The one place that says anything to Windows: plugin_utils/_powershell.py and the builders of each tool.

Every built script is parsed with the real PowerShell grammar (tree-sitter-powershell) and read
back: each native call must be one command whose arguments are single-quoted literals with exactly
the intended values. Two small models written here from PowerShell's own source, independent of the
code under test, judge the results: how the tokenizer reads a single-quoted literal
(Tokenizer.ScanStringLiteral, CharExtensions.IsSingleQuote), and how Windows PowerShell 5.1 hands
arguments to a native program (NativeCommandParameterBinder before PowerShell 6) followed by the
Microsoft C runtime's command-line parsing in the program.

No recovery password is written literally here: `fake_password` builds an obviously fake one.
"""

from __future__ import annotations

import base64
import inspect
import re
import unicodedata
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import tree_sitter
import tree_sitter_powershell
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ansible_collections.lifeline.recovery.plugins.plugin_utils import _bcdedit as bcdedit
from ansible_collections.lifeline.recovery.plugins.plugin_utils import _dism as dism
from ansible_collections.lifeline.recovery.plugins.plugin_utils import _files as files
from ansible_collections.lifeline.recovery.plugins.plugin_utils import _lease as lease
from ansible_collections.lifeline.recovery.plugins.plugin_utils import _manage_bde as manage_bde
from ansible_collections.lifeline.recovery.plugins.plugin_utils import _powershell as powershell
from ansible_collections.lifeline.recovery.plugins.plugin_utils import _quarantine as quarantine
from ansible_collections.lifeline.recovery.plugins.plugin_utils import _reagentc as reagentc
from ansible_collections.lifeline.recovery.plugins.plugin_utils import _reg as reg
from ansible_collections.lifeline.recovery.plugins.plugin_utils import _restart as restart

PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))


# --- the real grammar -------------------------------------------------------------------------


def parse(source: str) -> tree_sitter.Node:
    return PARSER.parse(source.encode("utf-8")).root_node


def text(node: tree_sitter.Node) -> str:
    return node.text.decode("utf-8")


def walk(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    yield node
    for child in node.children:
        yield from walk(child)


def of_type(node: tree_sitter.Node, type_: str) -> list[tree_sitter.Node]:
    return [each for each in walk(node) if each.type == type_]


def syntax_problems(root: tree_sitter.Node) -> list[str]:
    return [
        f"{'MISSING' if each.is_missing else each.type} at {each.start_point}: {text(each)!r}"
        for each in walk(root)
        if each.type == "ERROR" or each.is_error or each.is_missing
    ]


def assert_parses(source: str) -> tree_sitter.Node:
    root = parse(source)
    problems = syntax_problems(root)
    assert not problems, f"{problems}\n{source}"
    return root


# --- PowerShell's reading of a single-quoted literal (Tokenizer.ScanStringLiteral) ----------------

PS_SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b"  # CharExtensions.IsSingleQuote


def literal_value(source: str) -> str:
    """The value of one whole single-quoted literal; fails if the literal ends before the text does."""
    assert source[:1] in PS_SINGLE_QUOTES, f"not a single-quoted literal: {source!r}"
    value, index = [], 1
    while index < len(source):
        char = source[index]
        if char in PS_SINGLE_QUOTES:
            if index + 1 < len(source) and source[index + 1] in PS_SINGLE_QUOTES:
                value.append(source[index + 1])  # two quotes in a row: the second one is kept
                index += 2
                continue
            assert index == len(source) - 1, f"the literal ends at {index}, before the text does: {source!r}"
            return "".join(value)
        value.append(char)
        index += 1
    raise AssertionError(f"unterminated literal: {source!r}")


def verbatim_literal(node: tree_sitter.Node) -> str:
    """The value of a node that must be exactly one single-quoted literal and nothing else."""
    while node.type in ("array_literal_expression", "unary_expression", "command_name_expr"):
        assert len(node.named_children) == 1, f"not a single value: {text(node)!r}"
        assert text(node.named_children[0]) == text(node), f"more than the literal: {text(node)!r}"
        node = node.named_children[0]
    assert node.type == "string_literal", f"{node.type}: {text(node)!r}"
    assert [child.type for child in node.named_children] == ["verbatim_string_characters"], text(node)
    return literal_value(text(node))


def native_calls(root: tree_sitter.Node) -> list[list[str]]:
    """Every ``& 'program' 'argument' …`` command, as [program, argument, …]."""
    calls = []
    for command in of_type(root, "command"):
        if not any(child.type == "command_invokation_operator" for child in command.children):
            continue
        call = [verbatim_literal(command.child_by_field_name("command_name"))]
        elements = command.child_by_field_name("command_elements")
        for element in elements.children if elements else []:
            if element.type not in ("command_argument_sep", "redirection"):  # 2> $null is no argument
                assert element.type == "array_literal_expression", f"{element.type}: {text(element)!r}"
                call.append(verbatim_literal(element))
        calls.append(call)
    return calls


def literal_values(root: tree_sitter.Node) -> list[str]:
    return [verbatim_literal(node) for node in of_type(root, "string_literal")]


# --- Windows PowerShell 5.1 passing arguments to a native program ------------------------------


def dotnet_is_white_space(char: str) -> bool:
    """System.Char.IsWhiteSpace."""
    return char in "\t\n\v\f\r\x85\xa0" or unicodedata.category(char) in ("Zs", "Zl", "Zp")


def need_quotes_5_1(argument: str) -> bool:
    """NativeCommandParameterBinder.NeedQuotes: whitespace outside (unescaped) double quotes."""
    need, following_backslash, quotes = False, False, 0
    for char in argument:
        if char == '"' and not following_backslash:
            quotes += 1
        elif dotnet_is_white_space(char) and quotes % 2 == 0:
            need = True
        following_backslash = char == "\\"
    return need


def legacy_command_line(arguments: list[str]) -> str | None:
    """The command line 5.1 builds (AppendOneNativeArgument); None after a --% argument."""
    parts = []
    for argument in arguments:
        if argument == "--%":
            return None  # taken as the stop-parsing token: dropped, and the rest passed verbatim
        if argument:  # empty arguments are left out
            parts.append(f'"{argument}"' if need_quotes_5_1(argument) else argument)
    return " ".join(parts)


def c_runtime_argv(line: str) -> list[str]:
    """The Microsoft C runtime's parsing of a command line (after the program name)."""
    arguments, index = [], 0
    while True:
        while index < len(line) and line[index] in " \t":
            index += 1
        if index >= len(line):
            return arguments
        argument, quoted = [], False
        while index < len(line) and (quoted or line[index] not in " \t"):
            if line[index] == "\\":
                end = index
                while end < len(line) and line[end] == "\\":
                    end += 1
                if end < len(line) and line[end] == '"':
                    argument.append("\\" * ((end - index) // 2))
                    if (end - index) % 2:
                        argument.append('"')
                        end += 1
                else:
                    argument.append("\\" * (end - index))
                index = end
            elif line[index] == '"':
                if quoted and line[index + 1 : index + 2] == '"':
                    argument.append('"')
                    index += 2
                else:
                    quoted = not quoted
                    index += 1
            else:
                argument.append(line[index])
                index += 1
        arguments.append("".join(argument))


def passes_unchanged(arguments: list[str]) -> bool:
    line = legacy_command_line(arguments)
    return line is not None and c_runtime_argv(line) == arguments


# --- hostile text ------------------------------------------------------------------------------

HOSTILE_PIECES = [
    "'", "''", "\u2018", "\u2019", "\u201a", "\u201b", '"', '""', "\u201c", "\u201d", "\u201e",
    ";", "$", "$(", "$(Get-Date)", ")", "${x}", "`", "`n", "`'", "\n", "\r\n", "\r", "#", "<#", "#>",
    "&", "&&", "|", "||", "@", "@(", "@'", "'@", '@"', "{", "}", "(", "[", "]", ",", " ", "  ", "\t",
    "\\", "\\\\", "--%", "--", "-", "/", "%PATH%", "^", ">", "2>&1", "\u2028", "\x85", "\xa0", "\u3000",
    "\u00e9", "\u4e2d", "\U0001f600",
]  # fmt: skip
HOSTILE_TEXT = st.lists(
    st.one_of(
        st.sampled_from(HOSTILE_PIECES),
        st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=4),
    ),
    max_size=14,
).map("".join)


def fake_password() -> str:
    """An obviously fake but well-formed recovery password: blocks 0, 11, 22, … 77."""
    return "-".join(f"{11 * block:06d}" for block in range(8))


# --- quote --------------------------------------------------------------------------------------


@settings(max_examples=400)
@given(HOSTILE_TEXT)
@example("")
@example("it's")
@example("\u2018\u2019\u201a\u201b'")
@example("'; Remove-Item C:\\ -Recurse; '")
@example("$(Invoke-Expression 'x')`n#")
def test_quote_is_one_literal_whose_value_is_the_input(value: str) -> None:
    source = powershell.quote(value)
    root = assert_parses(source)
    assert len(of_type(root, "pipeline")) == 1
    assert not of_type(root, "command")
    literals = of_type(root, "string_literal")
    assert len(literals) == 1 and text(literals[0]) == source
    assert verbatim_literal(literals[0]) == value


@pytest.mark.parametrize("quote_char", list(PS_SINGLE_QUOTES))
def test_quote_doubles_every_powershell_single_quote(quote_char: str) -> None:
    assert powershell.quote(f"a{quote_char}b") == f"'a{quote_char}{quote_char}b'"


def test_quote_leaves_double_quotes_and_expansion_alone() -> None:
    assert powershell.quote('"$x" `t \u201c\u201d') == "'\"$x\" `t \u201c\u201d'"


# --- native -------------------------------------------------------------------------------------


@settings(max_examples=400)
@given(HOSTILE_TEXT)
@example("C:\\Program Files\\")
@example("C:\\Windows\\")
@example("--%")
@example("a\u3000b\\")
def test_native_passes_one_literal_argument_or_refuses(value: str) -> None:
    problem = powershell.native_argument_problem(value)
    if not passes_unchanged(["query", value]):
        assert problem, f"5.1 would not pass {value!r} unchanged, but native() accepts it"
    if problem:
        with pytest.raises(ValueError, match=r"argument 2 of reg\.exe"):
            powershell.native("reg.exe", "query", value)
        return
    source = powershell.native("reg.exe", "query", value)
    root = assert_parses(source)
    assert len(of_type(root, "command")) == 1
    assert native_calls(root) == [["reg.exe", "query", value]]


@pytest.mark.parametrize(
    ("argument", "reason"),
    [
        ("", "is empty"),
        ('a"b', "double quote"),
        ('"', "double quote"),
        ("C:\\Program Files\\", "ends with a backslash"),
        ("a\tb\\\\", "ends with a backslash"),
        ("--%", "stop-parsing token"),
        ("a\x00b", "NUL"),
    ],
)
def test_native_refuses_what_windows_powershell_5_1_would_change(argument: str, reason: str) -> None:
    if "\x00" not in argument:
        assert not passes_unchanged(["x", argument])
    with pytest.raises(ValueError, match=re.escape(reason)) as raised:
        powershell.native("bcdedit.exe", "x", argument)
    assert "argument 2 of bcdedit.exe" in str(raised.value)


@pytest.mark.parametrize(
    "argument",
    ["C:\\Windows\\", "\\", "a b\\c", "'", "--", "-%", "\u201csmart\u201d", "a b", " ", "$(x)", "{default}"],
)
def test_native_accepts_what_passes_unchanged(argument: str) -> None:
    assert passes_unchanged(["x", argument])
    assert native_calls(assert_parses(powershell.native("reg.exe", "x", argument))) == [["reg.exe", "x", argument]]


@pytest.mark.parametrize("program", ["reg", "C:\\Windows\\reg.exe", "reg.exe; calc.exe", "", ".exe", 5])
def test_native_refuses_anything_but_a_bare_program_name(program: Any) -> None:
    with pytest.raises(ValueError, match="is not a bare program name"):
        powershell.native(program)


def test_native_refuses_non_string_arguments() -> None:
    with pytest.raises(ValueError, match=re.escape("argument 2 of reg.exe 5 must be a string")):
        powershell.native("reg.exe", "query", 5)


# --- script and encoded_command ----------------------------------------------------------------


def test_script_starts_with_the_preamble_and_can_return_the_native_exit_code() -> None:
    built = powershell.script(powershell.native("wpeutil.exe", "reboot"), powershell.exit_with_native_code())
    assert built.splitlines() == [
        "$ErrorActionPreference = 'Stop'",
        "$ProgressPreference = 'SilentlyContinue'",
        "& 'wpeutil.exe' 'reboot'",
        "exit $LASTEXITCODE",
    ]
    assert_parses(built)


def test_a_native_call_is_checked_when_made_and_is_no_script_until_placed_in_one() -> None:
    with pytest.raises(ValueError, match=r"argument 1 of reg\.exe '' is empty"):
        powershell.NativeCall("reg.exe", "")
    call = powershell.NativeCall("wpeutil.exe", "reboot")
    assert str(call) == powershell.native("wpeutil.exe", "reboot")
    for not_a_script in (lambda: powershell.encoded_command(call), lambda: powershell.script(call)):
        with pytest.raises(ValueError, match="must be a string, not NativeCall"):
            not_a_script()
    assert powershell.native_script(call) == powershell.script(str(call), "exit $LASTEXITCODE")
    assert powershell.checked(call) == [str(call), "if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }"]
    assert_parses(powershell.script(*powershell.checked(call), *powershell.checked(call), "exit 0"))


@pytest.mark.parametrize(("statements", "message"), [((), "at least one"), (("",), "empty"), (("\n",), "empty")])
def test_script_refuses_empty_statements(statements: tuple[str, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        powershell.script(*statements)


def decoded(line: str) -> str:
    assert line.startswith(powershell.ENCODED_COMMAND_PREFIX)
    return base64.b64decode(line[len(powershell.ENCODED_COMMAND_PREFIX) :], validate=True).decode("utf-16-le")


@settings(max_examples=200)
@given(HOSTILE_TEXT.filter(lambda value: value.strip()))
def test_encoded_command_round_trips(value: str) -> None:
    built = powershell.script(f"Write-Output {powershell.quote(value)}")
    assert decoded(powershell.encoded_command(built)) == built


def test_encoded_command_is_the_line_ansible_core_sends_unchanged() -> None:
    from ansible.plugins.shell.powershell import ShellModule

    prefix = ShellModule()._encode_script("", as_list=False, strict_mode=False, preserve_rc=False)
    line = powershell.encoded_command(powershell.script(*restart.last_boot_time()))
    assert line.startswith(prefix) and prefix == powershell.ENCODED_COMMAND_PREFIX
    assert " " not in line[len(prefix) :]  # ansible-core splits the line on spaces


def test_encoded_command_keeps_the_script_lines_exactly() -> None:
    built = powershell.script(*files.set_content("C:\\q\\manifest.json", "  indented\n\n  lines  \r\n"))
    assert decoded(powershell.encoded_command(built)) == built


def test_encoded_command_refuses_lines_cmd_exe_would_cut() -> None:
    secret_like = "x" * 4000
    with pytest.raises(ValueError, match="over the 8191") as raised:
        powershell.encoded_command(powershell.script(f"Write-Output {powershell.quote(secret_like)}"))
    assert secret_like not in str(raised.value)
    longest = powershell.script("Write-Output " + powershell.quote("x" * 2850))
    assert len(powershell.encoded_command(longest)) <= powershell.MAX_COMMAND_LINE


# --- every builder -------------------------------------------------------------------------------

KEY = "HKLM\\SOFTWARE\\Vendor \u2018it's\u2019 $(Get-Date); `n & | @{x} #"
HIVE = "D:\\Windows\\System32\\config\\SYSTEM"
STORE = "D:\\EFI\\Microsoft\\Boot\\BCD"
FOLDER = "C:\\Program Files\\O\u2019Brien's $(evil); `x` & @{} #[1]"
FILE = FOLDER + "\\C-00000291-00000000-00000032.sys"
QUARANTINE = "C:\\Lifeline quarantine\\2024-07-19T04.09 $(x)"
GUID = "{92f49998-3c5f-11ef-9f6a-000d3a6f1e1b}"
LEASE = "E:\\ProgramData\\Lifeline\\lease.json"
LEASE_TEXT = '{"owner": "O\u2019Brien\'s $(whoami) `n", "run_id": "r\'; Remove-Item C:\\\\ -Recurse; \'"}'

# (builder, args, kwargs, the native call it must make)
NATIVE_CASES: list[tuple[Callable[..., str], tuple, dict, list[str]]] = [
    (reg.reg_query, (KEY,), {}, ["reg.exe", "query", KEY]),
    (reg.reg_query, ("HKEY_LOCAL_MACHINE\\OFFLINE_SYSTEM\\Select", "Current"), {},
     ["reg.exe", "query", "HKLM\\OFFLINE_SYSTEM\\Select", "/v", "Current"]),
    (reg.reg_query, (KEY, ""), {}, ["reg.exe", "query", KEY, "/ve"]),
    (reg.reg_query, (KEY, "Start"), {"recursive": True}, ["reg.exe", "query", KEY, "/s", "/v", "Start"]),
    (reg.reg_add, (KEY, "Start", "REG_DWORD", 4), {},
     ["reg.exe", "add", KEY, "/v", "Start", "/t", "REG_DWORD", "/d", "4", "/f"]),
    (reg.reg_add, (KEY, "It's $(x)", "REG_QWORD", 2**40), {},
     ["reg.exe", "add", KEY, "/v", "It's $(x)", "/t", "REG_QWORD", "/d", str(2**40), "/f"]),
    (reg.reg_add, (KEY, "ImagePath", "REG_EXPAND_SZ", "%SystemRoot%\\drivers\\x y.sys"), {},
     ["reg.exe", "add", KEY, "/v", "ImagePath", "/t", "REG_EXPAND_SZ", "/d", "%SystemRoot%\\drivers\\x y.sys", "/f"]),
    (reg.reg_add, (KEY, "", "REG_SZ", ""), {}, ["reg.exe", "add", KEY, "/ve", "/t", "REG_SZ", "/f"]),
    (reg.reg_add, (KEY, "Group", "REG_SZ", "FSFilter Anti-Virus; 'x'"), {},
     ["reg.exe", "add", KEY, "/v", "Group", "/t", "REG_SZ", "/d", "FSFilter Anti-Virus; 'x'", "/f"]),
    (reg.reg_add, (KEY, "DependOnService", "REG_MULTI_SZ", ["FltMgr", "a b's"]), {},
     ["reg.exe", "add", KEY, "/v", "DependOnService", "/t", "REG_MULTI_SZ", "/d", "FltMgr\\0a b's", "/f"]),
    (reg.reg_add, (KEY, "Blob", "REG_BINARY", b"\xaa\x01\x00"), {},
     ["reg.exe", "add", KEY, "/v", "Blob", "/t", "REG_BINARY", "/d", "AA0100", "/f"]),
    (reg.reg_delete_value, (KEY, "Start"), {}, ["reg.exe", "delete", KEY, "/v", "Start", "/f"]),
    (reg.reg_delete_value, (KEY, ""), {}, ["reg.exe", "delete", KEY, "/ve", "/f"]),
    (reg.reg_delete_key, (KEY,), {}, ["reg.exe", "delete", KEY, "/f"]),
    (reg.reg_load, ("HKLM\\OFFLINE_SYSTEM", HIVE), {}, ["reg.exe", "load", "HKLM\\OFFLINE_SYSTEM", HIVE]),
    (reg.reg_load, ("hku\\Lifeline-1", "C:\\Users\\A B\\NTUSER.DAT"), {},
     ["reg.exe", "load", "HKU\\Lifeline-1", "C:\\Users\\A B\\NTUSER.DAT"]),
    (reg.reg_unload, ("HKLM\\OFFLINE_SYSTEM",), {}, ["reg.exe", "unload", "HKLM\\OFFLINE_SYSTEM"]),
    (bcdedit.bcdedit_enum, (), {}, ["bcdedit.exe", "/enum", "/v"]),
    (bcdedit.bcdedit_enum, (STORE, False), {"entries": "ALL"}, ["bcdedit.exe", "/store", STORE, "/enum", "all"]),
    (bcdedit.bcdedit_enum, (), {"entries": GUID}, ["bcdedit.exe", "/enum", GUID, "/v"]),
    (bcdedit.bcdedit_set, ("{default}", "safeboot", "network"), {},
     ["bcdedit.exe", "/set", "{default}", "safeboot", "network"]),
    (bcdedit.bcdedit_set, (GUID, "bootstatuspolicy", "IgnoreAllFailures"), {"store": STORE},
     ["bcdedit.exe", "/store", STORE, "/set", GUID, "bootstatuspolicy", "IgnoreAllFailures"]),
    (bcdedit.bcdedit_deletevalue, ("{current}", "safeboot"), {},
     ["bcdedit.exe", "/deletevalue", "{current}", "safeboot"]),
    (bcdedit.bcdedit_deletevalue, ("{bootmgr}", "timeout", STORE), {},
     ["bcdedit.exe", "/store", STORE, "/deletevalue", "{bootmgr}", "timeout"]),
    (bcdedit.bcdedit_delete, (GUID,), {}, ["bcdedit.exe", "/delete", GUID]),
    (bcdedit.bcdedit_delete, (GUID, STORE), {}, ["bcdedit.exe", "/store", STORE, "/delete", GUID]),
    (manage_bde.manage_bde_status, (), {}, ["manage-bde.exe", "-status"]),
    (manage_bde.manage_bde_status, ("d:",), {}, ["manage-bde.exe", "-status", "D:"]),
    (dism.dism_get_packages, (), {}, ["dism.exe", "/Online", "/English", "/Get-Packages"]),
    (dism.dism_get_packages, ("C:\\",), {}, ["dism.exe", "/Image:C:\\", "/English", "/Get-Packages"]),
    (dism.dism_remove_package, ("D:\\", "Package_for_KB1234567~31bf3856ad364e35~amd64~~17763.2090.1.3"), {},
     ["dism.exe", "/Image:D:\\", "/English", "/Remove-Package",
      "/PackageName:Package_for_KB1234567~31bf3856ad364e35~amd64~~17763.2090.1.3", "/NoRestart"]),
    (dism.dism_revert_pending, ("D:\\Mount dir",), {},
     ["dism.exe", "/Image:D:\\Mount dir", "/English", "/Cleanup-Image", "/RevertPendingActions"]),
    (dism.dism_revert_pending, (None,), {},
     ["dism.exe", "/Online", "/English", "/Cleanup-Image", "/RevertPendingActions"]),
    (restart.shutdown_restart, (0,), {}, ["shutdown.exe", "/r", "/t", "0", "/f"]),
    (restart.shutdown_restart, (30, "Lifeline: it's fixed; restart $(now)"), {},
     ["shutdown.exe", "/r", "/t", "30", "/f", "/c", "Lifeline: it's fixed; restart $(now)"]),
    (restart.wpeutil_reboot, (), {}, ["wpeutil.exe", "reboot"]),
    (dism.dism_mount_image, ("C:\\Windows\\System32\\Recovery\\Winre.wim", "C:\\Lifeline mount"), {},
     ["dism.exe", "/English", "/Mount-Image", "/ImageFile:C:\\Windows\\System32\\Recovery\\Winre.wim", "/Index:1",
      "/MountDir:C:\\Lifeline mount"]),
    (dism.dism_mount_image, ("D:\\x.wim", "D:\\m"), {"index": 2, "read_only": True},
     ["dism.exe", "/English", "/Mount-Image", "/ImageFile:D:\\x.wim", "/Index:2", "/MountDir:D:\\m", "/ReadOnly"]),
    (dism.dism_unmount_image, ("D:\\m", True), {},
     ["dism.exe", "/English", "/Unmount-Image", "/MountDir:D:\\m", "/Commit"]),
    (dism.dism_unmount_image, ("D:\\m", False), {},
     ["dism.exe", "/English", "/Unmount-Image", "/MountDir:D:\\m", "/Discard"]),
    (dism.dism_get_mounted_image_info, (), {}, ["dism.exe", "/English", "/Get-MountedImageInfo"]),
    (reagentc.reagentc_info, (), {}, ["reagentc.exe", "/info"]),
    (reagentc.reagentc_disable, (), {}, ["reagentc.exe", "/disable"]),
    (reagentc.reagentc_enable, (), {}, ["reagentc.exe", "/enable"]),
]  # fmt: skip

# (builder, args, kwargs, values each of which must be one whole literal in the script)
CMDLET_CASES: list[tuple[Callable[..., str], tuple, dict, list[str]]] = [
    (files.get_child_items_json, (FOLDER, "C-00000291*.sys"), {}, [FOLDER, "C-00000291*.sys"]),
    (files.get_child_items_json, (FOLDER, "*\u2019s $x;.sys"), {"recurse": True}, [FOLDER, "*\u2019s $x;.sys"]),
    (files.file_header_hex, (FILE, 8), {}, [FILE]),
    (files.file_hash, (FILE,), {}, [FILE]),
    (files.move_item, (FILE, QUARANTINE + "\\C-00000291.sys"), {}, [FILE, QUARANTINE + "\\C-00000291.sys"]),
    (files.new_directory, (QUARANTINE,), {}, [QUARANTINE]),
    (files.test_path, (FILE,), {}, [FILE]),
    (files.test_path, ("C:\\",), {}, ["C:\\"]),
    (files.set_content, (QUARANTINE + "\\manifest.json", '{"path": "C:\\\\x\'s"}\n\u2018$(x)\u2019 `n'), {},
     [QUARANTINE + "\\manifest.json", '{"path": "C:\\\\x\'s"}\n\u2018$(x)\u2019 `n']),
    (files.get_content, (QUARANTINE + "\\manifest.json",), {}, [QUARANTINE + "\\manifest.json"]),
    (restart.last_boot_time, (), {}, ["Win32_OperatingSystem"]),
    # win_quarantine_files (more in test_win_quarantine_files.py)
    (quarantine.quarantine_survey, (FOLDER.replace("[1]", "1"), ["C-00000291*.sys", "*\u2019s $x;.sys"], 8,
                                  QUARANTINE + "\\id", "C:\\r\u2019s\\q.json", QUARANTINE + "\\id\\m.json"), {},
     [FOLDER.replace("[1]", "1"), "C-00000291*.sys", "*\u2019s $x;.sys", QUARANTINE + "\\id",
      "C:\\r\u2019s\\q.json", QUARANTINE + "\\id\\m.json"]),
    (quarantine.quarantine_apply, (), {}, ["Directory", "UTF8"]),
    # win_recovery_lease (_lease.py; more in test_win_recovery_lease.py)
    (lease.lease_read, (LEASE,), {}, [LEASE]),
    (lease.lease_swap, (LEASE, None, LEASE_TEXT), {}, [LEASE, LEASE[: LEASE.rindex("\\")], LEASE_TEXT]),
    (lease.lease_swap, (LEASE, "0" * 64, LEASE_TEXT), {}, [LEASE, "0" * 64, LEASE_TEXT]),
    (lease.lease_swap, (LEASE, "F" * 64, None), {}, [LEASE, "F" * 64]),
]  # fmt: skip


def case_id(case: tuple) -> str:
    return case[0].__name__


@pytest.mark.parametrize("case", NATIVE_CASES, ids=case_id)
def test_native_builder_parses_and_passes_each_value_as_one_argument(case: tuple) -> None:
    builder, args, kwargs, expected = case
    call = builder(*args, **kwargs)
    assert isinstance(call, powershell.NativeCall)
    built = powershell.native_script(call)
    root = assert_parses(built)
    assert native_calls(root) == [expected]
    assert passes_unchanged(expected[1:])
    assert built.splitlines()[: len(powershell.PREAMBLE)] == list(powershell.PREAMBLE)
    assert built.splitlines()[-1] == "exit $LASTEXITCODE"
    assert len(powershell.encoded_command(built)) <= powershell.MAX_COMMAND_LINE


@pytest.mark.parametrize("case", CMDLET_CASES, ids=case_id)
def test_cmdlet_builder_parses_and_keeps_each_value_one_literal(case: tuple) -> None:
    builder, args, kwargs, expected = case
    built = builder(*args, **kwargs)
    if isinstance(built, list):  # a cmdlet's statements, as a script of their own
        built = powershell.script(*built)
    root = assert_parses(built)
    assert not native_calls(root)
    values = literal_values(root)
    for value in expected:
        assert value in values, f"{value!r} is not one whole literal in:\n{built}"
    assert built.splitlines()[: len(powershell.PREAMBLE)] == list(powershell.PREAMBLE)
    assert len(powershell.encoded_command(built)) <= powershell.MAX_COMMAND_LINE


TOOL_MODULES = (reg, bcdedit, manage_bde, dism, files, restart, reagentc)


def makes_a_call_or_statements(function: object) -> bool:
    return inspect.isfunction(function) and inspect.signature(function).return_annotation in ("NativeCall", "list[str]")


def test_every_builder_is_parsed_with_the_real_grammar() -> None:
    builders = {
        name for module in TOOL_MODULES for name in module.__all__ if makes_a_call_or_statements(getattr(module, name))
    }
    builders |= {"manage_bde_unlock_if_locked"}  # the unlock script (_manage_bde.py)
    builders |= {"quarantine_survey", "quarantine_apply", "servicing_survey", "recovery_environment_survey"}  # modules'
    builders |= {"lease_read", "lease_swap"}  # the scripts of _lease.py (the rest of it is pure logic)
    covered = {case[0].__name__ for case in NATIVE_CASES + CMDLET_CASES}
    covered.add("manage_bde_unlock_if_locked")  # a variable argument: test_win_bitlocker_unlock.py parses it
    covered.add("servicing_survey")  # dism and cmdlets in one script: test_win_servicing.py parses it
    covered.add("recovery_environment_survey")  # the host survey: test_win_recovery_facts.py parses it
    covered.add("with_hive_loaded")  # reg load, the statements, reg unload: test_win_boot_driver.py parses them
    assert builders == covered


def test_recursion_is_asked_for_only_when_wanted() -> None:
    assert " -Recurse" not in powershell.script(*files.get_child_items_json("C:\\x", "*.sys"))
    assert " -Recurse" in powershell.script(*files.get_child_items_json("C:\\x", "*.sys", recurse=True))


def test_header_and_listing_commands_read_what_the_modules_need() -> None:
    listing = powershell.script(*files.get_child_items_json("C:\\x", "*.sys"))
    for name in ("FullName", "Length", "CreationTimeUtc", "LastWriteTimeUtc"):
        assert name in literal_values(parse(listing))
    assert "ConvertTo-Json -InputObject $items -Compress" in listing
    assert "-TotalCount 8 -Force)\n" in powershell.script(*files.file_header_hex("C:\\x.sys", 8))


# --- bad input ---------------------------------------------------------------------------------

GOOD_KEY = "HKLM\\OFFLINE_SYSTEM\\ControlSet001\\Services\\csagent"

BAD_INPUT: list[tuple[Callable[[], object], str]] = [
    (lambda: powershell.quote("a\x00b"), "NUL"),
    (lambda: powershell.quote("\ud800"), "lone surrogate"),
    (lambda: powershell.quote(5), "must be a string"),
    (lambda: reg.reg_query("HKXX\\Software"), "registry key 'HKXX\\\\Software' does not start with HKLM"),
    (lambda: reg.reg_query("\\\\server\\HKLM\\x"), "does not start with HKLM"),
    (lambda: reg.reg_query("HKLM\\Software\\"), "empty component"),
    (lambda: reg.reg_query('HKLM\\Soft"ware'), "double quote"),
    (lambda: reg.reg_query("HKLM\\x\ny"), "control character"),
    (lambda: reg.reg_query("HKLM\\" + "k" * 256), "255"),
    (lambda: reg.reg_query(GOOD_KEY, "/s"), "registry value name '/s' starts with / or -"),
    (lambda: reg.reg_query(GOOD_KEY, 'a"b'), "double quote"),
    (lambda: reg.reg_add(GOOD_KEY, "Start", "REG_WORD", 4), "registry type 'REG_WORD'"),
    (lambda: reg.reg_add(GOOD_KEY, "Start", "REG_DWORD", 2**32), "REG_DWORD data 4294967296 is not an integer"),
    (lambda: reg.reg_add(GOOD_KEY, "Start", "REG_DWORD", -1), "from 0 to 4294967295"),
    (lambda: reg.reg_add(GOOD_KEY, "Start", "REG_DWORD", True), "REG_DWORD data True"),
    (lambda: reg.reg_add(GOOD_KEY, "Start", "REG_DWORD", "4"), "REG_DWORD data '4'"),
    (lambda: reg.reg_add(GOOD_KEY, "Blob", "REG_BINARY", "ABC"), "even number of hex digits"),
    (lambda: reg.reg_add(GOOD_KEY, "List", "REG_MULTI_SZ", "a"), "must be a list of strings"),
    (lambda: reg.reg_add(GOOD_KEY, "List", "REG_MULTI_SZ", ["a\\0b"]), "reg's separator"),
    (lambda: reg.reg_add(GOOD_KEY, "List", "REG_MULTI_SZ", ["a", ""]), "empty item"),
    (lambda: reg.reg_add(GOOD_KEY, "Group", "REG_SZ", "/f"), "REG_SZ data '/f' starts with / or -"),
    (lambda: reg.reg_add(GOOD_KEY, "Group", "REG_SZ", 5), "REG_SZ data must be a string"),
    (lambda: reg.reg_add(GOOD_KEY, "Path", "REG_SZ", "C:\\Program Files\\"), "ends with a backslash"),
    (lambda: reg.reg_delete_value(GOOD_KEY, "-v"), "starts with / or -"),
    (lambda: reg.reg_delete_key("HKLM\\Software\\"), "empty component"),
    (lambda: reg.reg_query(GOOD_KEY, "Start", recursive="yes"), "recursive must be true or false"),
    (lambda: reg.reg_load("HKCU\\X", HIVE), "hive mount key 'HKCU\\\\X' is not HKLM"),
    (lambda: reg.reg_load("HKLM\\A\\B", HIVE), "is not HKLM"),
    (lambda: reg.reg_load("HKLM\\A B", HIVE), "is not HKLM"),
    (lambda: reg.reg_load("HKLM\\X", "Windows\\System32\\config\\SYSTEM"), "hive file 'Windows"),
    (lambda: reg.reg_unload("HKLM"), "is not HKLM"),
    (lambda: bcdedit.bcdedit_set("{defualt}", "safeboot", "network"), "BCD identifier '{defualt}'"),
    (lambda: bcdedit.bcdedit_set("default", "safeboot", "network"), "BCD identifier 'default'"),
    (lambda: bcdedit.bcdedit_set("{92f49998-3c5f}", "safeboot", "network"), "nor a GUID"),
    (lambda: bcdedit.bcdedit_set("{default}", "safe boot", "network"), "BCD element 'safe boot'"),
    (lambda: bcdedit.bcdedit_set("{default}", "SafeBoot", "network"), "BCD element 'SafeBoot'"),
    (lambda: bcdedit.bcdedit_set("{default}", "safeboot", "network; x"), "BCD value 'network; x'"),
    (lambda: bcdedit.bcdedit_set("{default}", "safeboot", "/network"), "BCD value '/network'"),
    (lambda: bcdedit.bcdedit_set("{default}", "safeboot", ""), "BCD value ''"),
    (lambda: bcdedit.bcdedit_deletevalue("{current}", "safeboot", "BCD"), "BCD store 'BCD'"),
    (lambda: bcdedit.bcdedit_enum(entries="{nonsense}"), "BCD identifier '{nonsense}'"),
    (lambda: bcdedit.bcdedit_delete("{default}"), "only an object named by its GUID is deleted, not '{default}'"),
    (lambda: bcdedit.bcdedit_delete("{bootmgr}", STORE), "not '{bootmgr}'"),
    (lambda: bcdedit.bcdedit_enum(verbose="yes"), "verbose must be true or false"),
    (lambda: manage_bde.manage_bde_status("C"), "volume 'C' is not a drive letter"),
    (lambda: manage_bde.manage_bde_status("CD:"), "volume 'CD:'"),
    (lambda: manage_bde.manage_bde_unlock_if_locked("1:"), "volume '1:'"),
    (lambda: manage_bde.manage_bde_unlock_if_locked("D:\\"), "volume 'D:\\\\'"),
    (lambda: manage_bde.manage_bde_unlock_if_locked("D:", check_mode="yes"), "check_mode must be true or false"),
    (lambda: dism.dism_get_packages("C:"), "Windows image 'C:' is not an absolute path"),
    (lambda: dism.dism_get_packages("C:\\Windows\\..\\x"), "'..'"),
    (lambda: dism.dism_remove_package(None, "Package for KB1"), "package name 'Package for KB1'"),
    (lambda: dism.dism_remove_package(None, "/Quiet"), "package name '/Quiet'"),
    (lambda: dism.dism_revert_pending("\\\\server\\share"), "is not an absolute path"),
    (lambda: dism.dism_mount_image("x.wim", "C:\\m"), "image file 'x.wim' is not an absolute path"),
    (lambda: dism.dism_mount_image("C:\\x.wim", "C:\\m[1]"), "contains [ ], not allowed here"),
    (lambda: dism.dism_mount_image("C:\\x.wim", "C:\\m", index=0), "image index 0"),
    (lambda: dism.dism_mount_image("C:\\x.wim", "C:\\m", read_only="yes"), "read_only must be true or false"),
    (lambda: dism.dism_unmount_image("C:\\m", commit=None), "commit must be true or false"),
    (lambda: restart.shutdown_restart(-1), "restart delay -1 is not an integer from 0 to 315360000"),
    (lambda: restart.shutdown_restart(315360001), "from 0 to 315360000"),
    (lambda: restart.shutdown_restart(1.5), "restart delay 1.5"),
    (lambda: restart.shutdown_restart(True), "restart delay True"),
    (lambda: restart.shutdown_restart(0, "x" * 513), "512"),
    (lambda: restart.shutdown_restart(0, 'say "hi"'), "double quote"),
    (lambda: files.get_child_items_json("C:\\x", "..\\*.sys"), "file name pattern '..\\\\*.sys'"),
    (lambda: files.get_child_items_json("C:\\x", ""), "file name pattern ''"),
    (lambda: files.get_child_items_json("C:\\x", ".."), "file name pattern '..'"),
    (lambda: files.get_child_items_json("C:\\x", "a<b"), "file name pattern"),
    (lambda: files.get_child_items_json("C:\\x", "*", recurse="yes"), "recurse must be true or false"),
    (lambda: files.get_child_items_json("relative\\x", "*"), "folder 'relative"),
    (lambda: files.file_header_hex("C:\\x.sys", 0), "header length 0"),
    (lambda: files.file_header_hex("C:\\x.sys", 4097), "from 1 to 4096"),
    (lambda: files.move_item("C:\\x.sys", "C:\\q\\a[1].sys"), "destination 'C:\\\\q\\\\a[1].sys' contains [ ]"),
    (lambda: files.new_directory("C:\\q\\*"), "contains *"),
    (lambda: files.test_path("C:\\a\\b."), "ending in a space or dot"),
    (lambda: files.test_path("C:\\a\\b "), "ending in a space or dot"),
    (lambda: files.test_path("C:/Windows"), "is not an absolute path"),
    (lambda: files.test_path("C:\\a\\\\b"), "empty component"),
    (lambda: files.test_path("C:\\a\\b.sys:stream"), "contains :"),
    (lambda: files.test_path("C:\\a\tb"), "control character"),
    (lambda: files.file_hash(None), "file must be a string"),
    (lambda: files.set_content("C:\\m.json", "a\x00b"), "NUL"),
]  # fmt: skip


@pytest.mark.parametrize(("build", "message"), BAD_INPUT, ids=[message for _, message in BAD_INPUT])
def test_bad_input_is_refused_with_a_message_naming_it(build: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        build()
