"""The output parsers: plugin_utils/_parsers.py and the parsers of _reg/_bcdedit/_manage_bde/_dism/_files.py.

Every parser is run on real output samples (samples/*.txt, CRLF line endings as Windows prints them;
SAMPLE_SOURCES below says where each comes from), on localized and garbled variants, which must
raise ParseError naming the tool and the line, and on edge cases. No other error type may escape:
`assert_only_parse_errors` feeds every parser cut-off and mangled versions of every sample.

No recovery password is written literally here: `fake_password` builds an obviously fake one.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from ansible_collections.lifeline.recovery.plugins.plugin_utils._bcdedit import BcdEntry, parse_bcdedit_enum
from ansible_collections.lifeline.recovery.plugins.plugin_utils._dism import (
    DismError,
    MountedImage,
    Package,
    parse_dism_error,
    parse_dism_mounted_images,
    parse_dism_packages,
)
from ansible_collections.lifeline.recovery.plugins.plugin_utils._files import FileEntry, parse_get_child_items_json
from ansible_collections.lifeline.recovery.plugins.plugin_utils._manage_bde import (
    BitLockerVolume,
    ManageBdeError,
    UnlockError,
    parse_manage_bde_status,
    parse_manage_bde_unlock,
)
from ansible_collections.lifeline.recovery.plugins.plugin_utils._parsers import (
    ParseError,
    shown_line,
    split_lines,
)
from ansible_collections.lifeline.recovery.plugins.plugin_utils._reagentc import (
    ReagentcInfo,
    parse_reagentc_info,
    parse_reagentc_result,
)
from ansible_collections.lifeline.recovery.plugins.plugin_utils._reg import RegKey, RegValue, parse_reg_query

SAMPLES = Path(__file__).parent / "samples"
UTC = datetime.UTC

# Where each sample comes from. "windows-tools.md" is lab/docs/windows-tools.md; its [S:...] tags name
# the original source (Microsoft Learn, Wine's conformance tests run on real Windows, transcripts).
SAMPLE_SOURCES = {
    # reg query (windows-tools.md 1.3)
    "reg_wine_values.txt": "Wine programs/reg/tests/query.c, values only [S:CT-wine-query], verbatim",
    "reg_wine_value_v.txt": "same, reg query ... /v Test1, verbatim",
    "reg_wine_values_and_subkey.txt": "same, values and a subkey (no /s), verbatim",
    "reg_wine_subkeys_only.txt": "same, no values and 4 subkeys: the key itself is not printed, verbatim",
    "reg_wine_recursive.txt": "same, /s, verbatim",
    "reg_wine_recursive_subkeys_only.txt": "same, /s with only subkeys (the doc elides after subkey2)",
    "reg_wine_search.txt": "same, /v Wine /s, plus the 'End of search' line of [S:T-regloc]",
    "reg_lsa_security_packages.txt": "[S:T-reg-multisz]: key in the case typed, name with a space, REG_MULTI_SZ",
    "reg_value_types.txt": "assembled: each value line verbatim from the windows-tools.md 1.3 data table",
    "reg_default_not_set.txt": "[S:T-reg-default] the (value not set) line (reg query HKCU\\Environment /ve)",
    "reg_offline_select_current.txt": "shared/reference/windows-recovery.md 'Offline registry', laid out as 1.3",
    "reg_zh_cn_default.txt": "[S:T-regloc] zh-CN host: the (Default) line verbatim",
    "reg_zh_cn_search.txt": "[S:T-regloc] zh-CN host: the summary line verbatim (value line constructed)",
    # bcdedit /enum (windows-tools.md 2.3)
    "bcdedit_ms_current.txt": "Microsoft Learn, Boot Options Identifiers: bcdedit /enum {current}, verbatim",
    "bcdedit_ms_globalsettings.txt": "same: bcdedit /enum {globalsettings} (inherit on 3 lines), verbatim",
    "bcdedit_packt_active.txt": "[S:T-bcd-packt] bcdedit on Windows 10 UEFI, verbatim (leading blank line added, 2.3)",
    "bcdedit_reference_safeboot.txt": "shared/reference/windows-recovery.md 'Boot configuration' (annotation dropped)",
    "bcdedit_de_de.txt": "de-DE transcript, public index id 41950868013, verbatim (prompt line dropped)",
    "bcdedit_fr_fr.txt": "fr-FR transcript, public index id 56718476506, first entry verbatim",
    # manage-bde (windows-tools.md 3.2, 3.4)
    "mbde_status_azure_cut_off.txt": "[S:T-mbde-azure] manage-bde -status, Server 2025, verbatim (capture is cut off)",
    "mbde_status_azure_first_volume.txt": "same, up to the end of volume C:",
    "mbde_status_fully_decrypted.txt": "[S:T-mbde-py] manage-bde -status c:, Windows 11 22000, verbatim",
    "mbde_status_tr_tr.txt": "[S:T-mbde-tr] tr-TR host (English labels, decimal comma), verbatim",
    "mbde_status_tr_tr_garbled.txt": "same, with the question its author typed after the last line, verbatim",
    "mbde_status_locked.txt": "[S:T-mbde-locked] a locked volume, verbatim (no banner in the capture)",
    "mbde_status_reference.txt": "shared/reference/windows-recovery.md 'BitLocker' (command line dropped)",
    "mbde_error_8031005a.txt": "[S:T-mbde-errors] manage-bde -protectors C: -disable, verbatim",
    "mbde_error_80310001.txt": "[S:T-mbde-errors] manage-bde -protectors C: -enable, verbatim",
    "mbde_error_volume_locked.txt": "[S:T-mbde-locked] manage-bde -protectors -get f: -sek ..., verbatim",
    "mbde_unlock_ok.txt": "banner of [S:T-mbde-errors] + the sentence of [S:T-mbde-unlock-ok] (windows-tools.md 3.4)",
    "mbde_unlock_wrong_password.txt": "DERIVED in windows-tools.md 3.4: error format + FVE_E_FAILED_AUTHENTICATION",
    # dism (windows-tools.md 4.2, 4.3)
    "dism_get_packages_chef.txt": "[S:CHEF-cab] chef spec fixture of real DISM 6.1 /Get-Packages output, verbatim",
    "dism_error_87.txt": "[S:P-pastebin-dism87] dism /restorehealth, verbatim",
    "dism_error_740.txt": "[S:T-dism-restart] not elevated, verbatim",
    "dism_error_0x800f0906.txt": "console paste that lost its blank lines, public index id 6718506426, verbatim",
    "dism_remove_package.txt": "[S:T-dism-remove] /Remove-Package, verbatim",
    "dism_get_mounted_image_info.txt": "DISM 10.0.22621.1 /Get-MountedImageInfo capture, public index id 49047540601",
    "dism_mount_image.txt": "[S:T-bcd-minimal]-style capture: /Mount-Image, DISM 10.0.26100.1150, id 61958096505",
    # reagentc (windows-tools.md 8; Microsoft Learn "REAgentC command-line options" shows no output)
    "reagentc_info_enabled.txt": "[S:T-bcd-minimal] ReAgentc.exe /info, Server 2025 build 26100, verbatim",
    "reagentc_info_disabled.txt": "same transcript, /info after /disable, verbatim",
    "reagentc_enable.txt": "same transcript, ReAgentc.exe /enable (and /disable), verbatim",
}


def sample(name: str) -> str:
    """A sample as the parser receives it: decoded, line endings untouched."""
    assert name in SAMPLE_SOURCES, f"{name} has no recorded source"
    return (SAMPLES / name).read_bytes().decode("utf-8")


def fake_password() -> str:
    """An obviously fake recovery password in the valid shape (8 blocks of 6 digits, each divisible by 11)."""
    return "-".join(f"{11 * block:06d}" for block in range(1, 9))


def test_every_sample_is_recorded_and_uses_crlf() -> None:
    assert sorted(path.name for path in SAMPLES.glob("*.txt")) == sorted(SAMPLE_SOURCES)
    for name in SAMPLE_SOURCES:
        data = (SAMPLES / name).read_bytes()
        assert b"\n" in data and data.count(b"\n") == data.count(b"\r\n"), name


# --- shared rules --------------------------------------------------------------------------------


def test_split_lines_keeps_trailing_spaces_and_drops_the_final_break() -> None:
    assert split_lines("\ufeffa  \r\nb\nc\rd\r\n") == ["a  ", "b", "c", "d"]
    assert split_lines("") == []
    assert split_lines("\r\n") == [""]


def test_shown_line_withholds_digit_runs_and_shortens() -> None:
    shown = shown_line(f"-RecoveryPassword {fake_password()}")
    assert "000011" not in shown and "[withheld]" in shown
    assert len(shown_line("x" * 500)) < 110


def test_parse_error_names_the_tool_and_the_line() -> None:
    error = ParseError("reg query", "not a value line", 3, "    (默认)    REG_SZ    (数值未设置)")
    assert str(error).startswith("cannot read the output of reg query at line 3 ")
    assert "(默认)" in str(error) and error.line_number == 3 and error.tool == "reg query"
    assert isinstance(error, ValueError)


# --- reg query -----------------------------------------------------------------------------------


def test_reg_query_values() -> None:
    (key,) = parse_reg_query(sample("reg_wine_values.txt"))
    assert key == RegKey(
        "HKEY_CURRENT_USER\\Software\\Wine\\reg_test",
        (RegValue("Test1", "REG_SZ", "Hello, World"), RegValue("Test2", "REG_DWORD", 0x123)),
    )
    assert key.value("test2") == RegValue("Test2", "REG_DWORD", 0x123)
    assert key.value("missing") is None


def test_reg_query_one_value() -> None:
    (key,) = parse_reg_query(sample("reg_wine_value_v.txt"))
    assert key.values == (RegValue("Test1", "REG_SZ", "Hello, World"),)


def test_reg_query_values_and_subkeys() -> None:
    (key,) = parse_reg_query(sample("reg_wine_values_and_subkey.txt"))
    assert [value.name for value in key.values] == ["Test1", "Test2", "Wine"]
    assert key.subkeys == ("HKEY_CURRENT_USER\\Software\\Wine\\reg_test\\subkey",)


def test_reg_query_subkeys_only_names_the_parent() -> None:
    (key,) = parse_reg_query(sample("reg_wine_subkeys_only.txt"))
    assert key.path == "HKEY_CURRENT_USER\\Software\\Wine\\reg_test"
    assert key.values == ()
    assert [subkey.rsplit("\\", 1)[1] for subkey in key.subkeys] == ["subkey1", "subkey2", "subkey3", "subkey4"]


def test_reg_query_recursive() -> None:
    keys = parse_reg_query(sample("reg_wine_recursive.txt"), recursive=True)
    assert [key.path.rsplit("\\", 1)[1] for key in keys] == ["reg_test", "subkey"]
    assert keys[1].values == (
        RegValue("Test3", "REG_SZ", "Some string data"),
        RegValue("Test4", "REG_DWORD", 0xABC),
        RegValue("Wine", "REG_SZ", "Second instance"),
    )


def test_reg_query_recursive_keys_without_values() -> None:
    keys = parse_reg_query(sample("reg_wine_recursive_subkeys_only.txt"), recursive=True)
    assert [(key.path.rsplit("\\", 1)[1], key.values) for key in keys] == [("subkey1", ()), ("subkey2", ())]


def test_reg_query_search_ends_with_end_of_search() -> None:
    keys = parse_reg_query(sample("reg_wine_search.txt"), recursive=True)
    assert [key.values[0].data for key in keys] == ["First instance", "Second instance"]
    # A search that found nothing prints only the summary line.
    assert parse_reg_query("\r\nEnd of search: 0 match(es) found.\r\n") == []


def test_reg_query_multi_sz_and_a_name_with_spaces() -> None:
    (key,) = parse_reg_query(sample("reg_lsa_security_packages.txt"))
    assert key.path == "HKEY_LOCAL_MACHINE\\system\\currentcontrolset\\control\\lsa"
    assert key.value("Security Packages") == RegValue(
        "Security Packages", "REG_MULTI_SZ", ("kerberos", "msv1_0", "schannel", "wdigest", "tspkg", "pku2u")
    )


def test_reg_query_converts_each_type() -> None:
    (key,) = parse_reg_query(sample("reg_value_types.txt"))
    assert {value.name: value.data for value in key.values} == {
        "": "C:\\Windows\\media\\Windows User Account Control.wav",
        "ObjectName": "LocalSystem",
        "ImagePath": "%windir%\\system32\\svchost.exe -k netsvcs -p",
        "DependOnService": ("RpcSs", "wcmsvc"),
        "Bounds": bytes.fromhex("0030000000200000"),
        "OneDrive": bytes.fromhex("03000000D674D894ED16D801"),
        "qword_val": 42,
        "string_val_empty": "",
        "Start": 0,
    }


def test_reg_query_default_value_not_set_is_left_out() -> None:
    (key,) = parse_reg_query(sample("reg_default_not_set.txt"))
    assert key == RegKey("HKEY_CURRENT_USER\\Environment")
    assert key.value("") is None


def test_reg_query_offline_select_current() -> None:
    (key,) = parse_reg_query(sample("reg_offline_select_current.txt"))
    assert key.value("Current") == RegValue("Current", "REG_DWORD", 1)


def test_reg_query_data_with_four_spaces_and_empty_data() -> None:
    text = (
        "\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Test\r\n"
        "    My Value    REG_SZ    a    b    REG_SZ    c\r\n"
        "    Empty    REG_SZ\r\n"  # data empty and the trailing separator lost
    )
    (key,) = parse_reg_query(text)
    assert key.values == (RegValue("My Value", "REG_SZ", "a    b    REG_SZ    c"), RegValue("Empty", "REG_SZ", ""))


@pytest.mark.parametrize("text", ["", "\r\n", "\r\n\r\n"])
def test_reg_query_empty_output_lists_nothing(text: str) -> None:
    # reg query ... /v missing prints "\r\n\r\n" on stdout and exits 1 (windows-tools.md 1.2 / [S:T-regloc]).
    assert parse_reg_query(text) == []


@pytest.mark.parametrize(
    ("name", "recursive", "line_number"),
    [("reg_zh_cn_default.txt", False, 3), ("reg_zh_cn_search.txt", False, 5)],
)
def test_reg_query_refuses_localized_output(name: str, recursive: bool, line_number: int) -> None:
    with pytest.raises(ParseError, match="reg query") as caught:
        parse_reg_query(sample(name), recursive=recursive)
    assert caught.value.line_number == line_number
    assert "en-US" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("\r\n    Test1    REG_SZ    x\r\n", "key line"),
        ("\r\nHKEY_LOCAL_MACHINE\\X\r\n    Test1    REG_DWORD    123\r\n", "0x hexadecimal"),
        ("\r\nHKEY_LOCAL_MACHINE\\X\r\n    Test1    REG_DWORD    0x100000000\r\n", "32-bit"),
        ("\r\nHKEY_LOCAL_MACHINE\\X\r\n    Test1    REG_BINARY    ABC\r\n", "pairs"),
        ("\r\nHKEY_LOCAL_MACHINE\\X\r\n    Test1    REG_WHATEVER    1\r\n", "unknown registry type"),
        ("\r\nHKEY_LOCAL_MACHINE\\X\r\n    Test1    REG_SZ    first line\r\nsecond line\r\n", "not a value line"),
        ("\r\nHKLM\\X\r\n    Test1    REG_SZ    x\r\n", "neither a key"),
        ("\r\nERROR: The system was unable to find the specified registry key or value.\r\n", "neither a key"),
        ("\r\nHKEY_LOCAL_MACHINE\\X\r\n    (Standard)    REG_SZ    (Wert nicht festgelegt)\r\n", "localized"),
        ("\r\nHKEY_LOCAL_MACHINE\\X\\a\r\nHKEY_LOCAL_MACHINE\\Y\\b\r\n", "not a direct subkey"),
        (
            "\r\nHKEY_LOCAL_MACHINE\\X\r\n    A    REG_SZ    x\r\n\r\nEnd of search: 1 match(es) found.\r\nmore\r\n",
            "after",
        ),
    ],
)
def test_reg_query_refuses_garbled_output(text: str, problem: str) -> None:
    with pytest.raises(ParseError, match=problem):
        parse_reg_query(text)


def test_reg_query_plain_and_recursive_output_are_not_confused() -> None:
    with pytest.raises(ParseError, match="/s"):
        parse_reg_query(sample("reg_wine_recursive.txt"))
    with pytest.raises(ParseError, match="second key"):
        parse_reg_query(sample("reg_wine_subkeys_only.txt"), recursive=True)


# --- bcdedit /enum -------------------------------------------------------------------------------


def test_bcdedit_current_entry() -> None:
    (entry,) = parse_bcdedit_enum(sample("bcdedit_ms_current.txt"))
    assert entry.title == "Windows Boot Loader"
    assert entry.identifier == "{current}"
    assert list(entry.elements) == ["identifier", "device", "path", "description", "locale", "inherit"]
    assert entry.elements["path"] == "\\WINDOWS\\system32\\winload.exe"
    assert entry.get("inherit") == ("{bootloadersettings}",)
    assert entry.get("safeboot") is None


def test_bcdedit_continuation_lines_become_a_tuple() -> None:
    (entry,) = parse_bcdedit_enum(sample("bcdedit_ms_globalsettings.txt"))
    assert entry == BcdEntry(
        "Global Settings",
        "{globalsettings}",
        {"identifier": "{globalsettings}", "inherit": ("{dbgsettings}", "{emssettings}", "{badmemory}")},
    )


def test_bcdedit_active_store() -> None:
    manager, loader = parse_bcdedit_enum(sample("bcdedit_packt_active.txt"))
    assert (manager.title, manager.identifier) == ("Windows Boot Manager", "{bootmgr}")
    assert manager.elements["displayorder"] == ("{current}",)
    assert manager.elements["toolsdisplayorder"] == ("{memdiag}",)
    assert manager.elements["timeout"] == "0"
    assert (loader.title, loader.identifier) == ("Windows Boot Loader", "{current}")
    assert loader.elements["allowedinmemorysettings"] == "0x15000075"
    assert loader.elements["displaymessageoverride"] == "Recovery"
    assert loader.elements["recoverysequence"] == ("{92f49998-fef7-11e8-a8e2-e508765ab07c}",)
    assert list(loader.elements)[-1] == "debug"


def test_bcdedit_reference_safeboot() -> None:
    (entry,) = parse_bcdedit_enum(sample("bcdedit_reference_safeboot.txt"))
    assert entry.get("safeboot") == "Network"
    assert entry.get("recoveryenabled") == "Yes"


def test_bcdedit_one_or_more_or_no_blank_lines_between_entries() -> None:
    text = sample("bcdedit_packt_active.txt")
    expected = parse_bcdedit_enum(text)
    assert (
        parse_bcdedit_enum(text.replace("timeout                 0\r\n\r\n", "timeout                 0\r\n\r\n\r\n"))
        == expected
    )
    # A pasted capture that lost the blank line still reads the same (the title has its line of dashes).
    assert (
        parse_bcdedit_enum(text.replace("timeout                 0\r\n\r\n", "timeout                 0\r\n"))
        == expected
    )


def test_bcdedit_entries_are_hashable_and_frozen() -> None:
    (entry,) = parse_bcdedit_enum(sample("bcdedit_ms_current.txt"))
    assert hash(entry) == hash(parse_bcdedit_enum(sample("bcdedit_ms_current.txt"))[0])
    with pytest.raises(AttributeError):
        entry.identifier = "{default}"  # type: ignore[misc]


@pytest.mark.parametrize(("name", "line_number"), [("bcdedit_de_de.txt", 4), ("bcdedit_fr_fr.txt", 3)])
def test_bcdedit_refuses_localized_output(name: str, line_number: int) -> None:
    with pytest.raises(ParseError, match="bcdedit /enum") as caught:
        parse_bcdedit_enum(sample(name))
    assert caught.value.line_number == line_number
    assert "en-US" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "no entries"),
        ("\r\n\r\n", "no entries"),
        (
            "The boot configuration data store could not be opened.\r\nThe system cannot find the file specified.\r\n",
            "title",
        ),
        ("\r\nWindows Boot Loader\r\n---------\r\nidentifier              {current}\r\n", "as long as the title"),
        ("\r\nWindows Boot Loader\r\n-------------------\r\n", "without elements"),
        ("\r\nWindows Boot Loader\r\n-------------------\r\ndevice                  partition=C:\r\n", "identifier"),
        ("\r\nWindows Boot Loader\r\n-------------------\r\nidentifier {current}\r\n", "column"),
        (
            "\r\nWindows Boot Loader\r\n-------------------\r\nidentifier              {current}\r\n"
            "nx                      OptIn\r\nnx                      OptOut\r\n",
            "twice",
        ),
        (
            "\r\nWindows Boot Loader\r\n-------------------\r\nidentifier              {current}\r\n"
            "\tdisplayorder\t{current}\r\n",
            "not an element line",
        ),
        (
            "\r\nWindows Boot Loader\r\n-------------------\r\nidentifier              {current}\r\n"
            "                        {default}\r\n",
            "identifier",
        ),
    ],
)
def test_bcdedit_refuses_garbled_output(text: str, problem: str) -> None:
    with pytest.raises(ParseError, match=problem):
        parse_bcdedit_enum(text)


# --- manage-bde -status --------------------------------------------------------------------------


def test_manage_bde_status_os_volume() -> None:
    (volume,) = parse_manage_bde_status(sample("mbde_status_azure_first_volume.txt"))
    assert volume == BitLockerVolume(
        mount_point="C:",
        label="Windows",
        volume_type="OS Volume",
        size_gb=126.45,
        bitlocker_version="2.0",
        conversion_status="Used Space Only Encrypted",
        percentage_encrypted=100.0,
        encryption_method="XTS-AES 256",
        protection_on=True,
        locked=False,
        identification_field="Unknown",
        automatic_unlock=None,
        key_protectors=("External Key", "Numerical Password"),
    )


def test_manage_bde_status_cut_off_capture_is_refused() -> None:
    with pytest.raises(ParseError, match=r"cut off: no Percentage Encrypted, .*Key Protectors") as caught:
        parse_manage_bde_status(sample("mbde_status_azure_cut_off.txt"))
    assert "\\\\?\\Volume{e2af13ec-0000-0000-0000-100000000000}\\" in str(caught.value)


def test_manage_bde_status_fully_decrypted() -> None:
    (volume,) = parse_manage_bde_status(sample("mbde_status_fully_decrypted.txt"))
    assert (volume.mount_point, volume.label, volume.size_gb) == ("C:", "OS", 930.77)
    assert volume.conversion_status == "Fully Decrypted"
    assert (volume.percentage_encrypted, volume.encryption_method) == (0.0, "None")
    assert (volume.protection_on, volume.locked, volume.key_protectors) == (False, False, ())


def test_manage_bde_status_decimal_comma_and_data_volume() -> None:
    system, data = parse_manage_bde_status(sample("mbde_status_tr_tr.txt"))
    assert (system.label, system.size_gb, system.percentage_encrypted) == ("", 476.31, 100.0)
    assert (data.mount_point, data.label, data.volume_type) == ("D:", "UBUNTU 24_0", "Data Volume")
    assert (data.size_gb, data.automatic_unlock) == (28.8, "Disabled")


def test_manage_bde_status_garbled_last_line_is_refused() -> None:
    with pytest.raises(ParseError, match="Key Protectors"):
        parse_manage_bde_status(sample("mbde_status_tr_tr_garbled.txt"))


def test_manage_bde_status_locked_volume() -> None:
    (volume,) = parse_manage_bde_status(sample("mbde_status_locked.txt"))
    assert (volume.mount_point, volume.label, volume.volume_type) == ("F:", None, "Data Volume")
    assert (volume.size_gb, volume.percentage_encrypted, volume.protection_on) == (None, None, None)
    assert (volume.conversion_status, volume.locked, volume.key_protectors) == ("Unknown", True, ("External Key",))


def test_manage_bde_status_reference_sample() -> None:
    (volume,) = parse_manage_bde_status(sample("mbde_status_reference.txt"))
    assert (volume.label, volume.size_gb, volume.locked, volume.protection_on) == ("Local Disk", 1000.0, True, True)
    assert volume.key_protectors == ("TPM", "Numerical Password")


def test_manage_bde_status_error_is_the_tools_error() -> None:
    with pytest.raises(ManageBdeError) as caught:
        parse_manage_bde_status(sample("mbde_error_80310001.txt"))
    assert (caught.value.code, caught.value.code_text) == (0x80310001, "0x80310001")
    assert caught.value.message == "This drive is not encrypted."
    with pytest.raises(ManageBdeError) as caught:
        parse_manage_bde_status(sample("mbde_error_volume_locked.txt"))
    assert caught.value.code is None
    assert caught.value.message == "The operation cannot be performed because the volume is locked."


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "no volumes"),
        ("\r\n".join(["BitLocker Drive Encryption: Configuration Tool version 10.0.26100", ""]), "copyright"),
        (
            "BitLocker-Laufwerkverschlüsselung: Konfigurationstool, Version 10.0.19041\r\n"
            "Copyright (C) 2013 Microsoft Corporation. Alle Rechte vorbehalten.\r\n",
            "en-US",
        ),
        ("Volume C: [OS]\r\n[Betriebssystemvolume]\r\n", "OS Volume"),
        ("Volume C: [OS]\r\n[OS Volume]\r\n\r\n    Größe:                126,45 GB\r\n", "not a field"),
        ("Volume C: [OS]\r\n[OS Volume]\r\n\r\n    Size: 126.45 GB\r\n", "column"),
    ],
)
def test_manage_bde_status_refuses_garbled_output(text: str, problem: str) -> None:
    with pytest.raises(ParseError, match=problem):
        parse_manage_bde_status(text)


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("Protection On", "Schutz aktiviert", "Protection Status"),
        ("Lock Status:          Unlocked", "Lock Status:          Entsperrt", "Lock Status"),
        ("126.45 GB", "126.45 GiB", "Size"),
        ("100.0%", "100.0 %", "Percentage Encrypted"),
        ("    Lock Status:          Unlocked\r\n", "", "cut off: no Lock Status"),
        ("        External Key\r\n        Numerical Password\r\n", "", "lists nothing"),
        ("    Encryption Method:    XTS-AES 256\r\n", "    Encryption Method:    XTS-AES 256\r\n" * 2, "twice"),
    ],
)
def test_manage_bde_status_refuses_unknown_values(old: str, new: str, problem: str) -> None:
    text = sample("mbde_status_azure_first_volume.txt")
    assert old in text
    with pytest.raises(ParseError, match=problem):
        parse_manage_bde_status(text.replace(old, new))


# --- manage-bde -unlock --------------------------------------------------------------------------


def test_manage_bde_unlock_success() -> None:
    assert parse_manage_bde_unlock(sample("mbde_unlock_ok.txt"), "C:") is True
    assert parse_manage_bde_unlock(sample("mbde_unlock_ok.txt"), "c:") is True
    # The transcript quotes the sentence without its final period.
    assert parse_manage_bde_unlock("The password successfully unlocked volume D:\r\n", "D:") is True


def test_manage_bde_unlock_wrong_password() -> None:
    with pytest.raises(UnlockError) as caught:
        parse_manage_bde_unlock(sample("mbde_unlock_wrong_password.txt"), "C:")
    assert (caught.value.code, caught.value.code_text) == (0x80310027, "0x80310027")
    assert caught.value.message == "The volume cannot be unlocked with the provided information."
    assert str(caught.value) == (
        "manage-bde -unlock failed (code 0x80310027): The volume cannot be unlocked with the provided information."
    )


def test_manage_bde_unlock_other_error_codes() -> None:
    with pytest.raises(UnlockError, match="0x8031005a") as caught:
        parse_manage_bde_unlock(sample("mbde_error_8031005a.txt"), "C:")
    assert caught.value.message.startswith("This version of Windows does not support this feature")
    with pytest.raises(UnlockError) as caught:
        parse_manage_bde_unlock(sample("mbde_error_volume_locked.txt"), "C:")
    assert caught.value.code is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "no success sentence"),
        ("\r\n".join(["BitLocker Drive Encryption: Configuration Tool version 10.0.26100", "x", ""]), "copyright"),
        ("The password successfully unlocked volume D:.\r\n", "names volume D:, not C:"),
        ("Das Kennwort hat das Volume C: erfolgreich entsperrt.\r\n", "unexpected line"),
        ("The password successfully unlocked volume C:.\r\nanother line\r\n", "unexpected line"),
        ('The file "C:\\BEK\\x.BEK" successfully unlocked volume C:.\r\n', "unexpected line"),
    ],
)
def test_manage_bde_unlock_refuses_anything_else(text: str, problem: str) -> None:
    with pytest.raises(ParseError, match=problem):
        parse_manage_bde_unlock(text, "C:")


def test_manage_bde_unlock_needs_a_drive_letter() -> None:
    with pytest.raises(ValueError, match="drive letter"):
        parse_manage_bde_unlock(sample("mbde_unlock_ok.txt"), "C")


def secret_shapes(password: str) -> list[str]:
    """The password and pieces of it that must not appear in any message."""
    blocks = password.split("-")
    return [password, password.replace("-", ""), password.replace("-", " "), *blocks]


@pytest.mark.parametrize(
    "template",
    [
        # Output that echoes the command line (a wrapper, a transcript), before the success sentence.
        "manage-bde -unlock C: -RecoveryPassword {password}\r\nThe password successfully unlocked volume C:.\r\n",
        # A localized or unexpected sentence that quotes the password.
        "Das Kennwort {password} hat das Volume C: nicht entsperrt.\r\n",
        # The password without dashes, or cut across lines.
        "{bare}\r\n",
        "BitLocker Drive Encryption: Configuration Tool version 10.0.26100\r\n{password}\r\n",
        "The password successfully unlocked volume D:. ({password})\r\n",
    ],
)
def test_manage_bde_unlock_parse_errors_never_contain_the_password(template: str) -> None:
    password = fake_password()
    text = template.format(password=password, bare=password.replace("-", ""))
    with pytest.raises(ParseError) as caught:
        parse_manage_bde_unlock(text, "C:")
    assert_no_secret(caught.value, password)


@pytest.mark.parametrize(
    "template",
    [
        "ERROR: An error occurred (code 0x80310027):\r\nThe recovery password {password} is not valid.\r\n",
        "ERROR: The recovery password {password} was rejected.\r\n",
        "ERROR: An error occurred (code 0x80310027):\r\n{spaced}\r\nNOTE: try again\r\n",
    ],
)
def test_manage_bde_unlock_errors_never_contain_the_password(template: str) -> None:
    password = fake_password()
    text = template.format(password=password, spaced=password.replace("-", " "))
    with pytest.raises(UnlockError) as caught:
        parse_manage_bde_unlock(text, "C:")
    assert_no_secret(caught.value, password)
    assert "[withheld]" in caught.value.message


def assert_no_secret(error: Exception, password: str) -> None:
    texts = [
        str(error),
        repr(error),
        *(str(arg) for arg in error.args),
        *(str(value) for value in vars(error).values()),
    ]
    for text in texts:
        for shape in secret_shapes(password):
            assert shape not in text, f"{shape!r} leaked into {text!r}"


# --- dism ----------------------------------------------------------------------------------------


def test_dism_get_packages() -> None:
    assert parse_dism_packages(sample("dism_get_packages_chef.txt")) == [
        Package(
            "Package_for_KB2999486~31bf3856ad364e35~amd64~~6.1.9768.0",
            "Installed",
            "Language Pack",
            datetime.datetime(2015, 2, 11, 23, 33),
        ),
        Package(
            "Package_for_KB2664825~31bf3856ad364e35~amd64~~6.1.3.0",
            "Installed",
            "Feature Pack",
            datetime.datetime(2010, 11, 21, 3, 40),
        ),
    ]


# The banner as windows-tools.md 4.2 gives it (a Python literal there).
DISM_BANNER = (
    "\r\nDeployment Image Servicing and Management tool\r\nVersion: 10.0.26100.1150\r\n\r\n"
    "Image Version: 10.0.17763.7314\r\n\r\n"
)


def dism_listing(*blocks: str) -> str:
    return DISM_BANNER + "Packages listing:\r\n\r\n" + "".join(blocks) + "The operation completed successfully.\r\n"


def test_dism_get_packages_single_pending_package_and_none() -> None:
    block = (
        "Package Identity : Package_for_RollupFix~31bf3856ad364e35~amd64~~17134.345.1.5\r\nState : Install Pending\r\n"
        "Release Type : Security Update\r\nInstall Time : \r\n\r\n"
    )
    (package,) = parse_dism_packages(dism_listing(block))
    assert package == Package(
        "Package_for_RollupFix~31bf3856ad364e35~amd64~~17134.345.1.5", "Install Pending", "Security Update", None
    )
    assert parse_dism_packages(dism_listing(block.replace("Install Time : \r\n", "Install Time :\r\n"))) == [package]
    assert parse_dism_packages(dism_listing()) == []


def test_dism_get_packages_noon_and_midnight() -> None:
    block = "Package Identity : P~1\r\nState : Installed\r\nRelease Type : Update\r\nInstall Time : {}\r\n\r\n"
    noon, midnight = parse_dism_packages(
        dism_listing(block.format("7/19/2024 12:05 PM"), block.format("7/19/2024 12:05 AM"))
    )
    assert (noon.install_time, midnight.install_time) == (
        datetime.datetime(2024, 7, 19, 12, 5),
        datetime.datetime(2024, 7, 19, 0, 5),
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "banner"),
        (sample("dism_get_packages_chef.txt").replace("The operation completed successfully.\r\n", ""), "cut off"),
        (sample("dism_get_packages_chef.txt").replace("Install Time : 11/21/2010 3:40 AM\r\n", ""), "Install Time"),
        (sample("dism_get_packages_chef.txt").replace("State : ", "Status : "), "State"),
        (sample("dism_get_packages_chef.txt").replace("Package Identity", "Paketidentität"), "Package Identity"),
        (sample("dism_get_packages_chef.txt").replace("Packages listing:", "Paketauflistung:"), "Packages listing"),
        (sample("dism_get_packages_chef.txt").replace("Deployment Image", "Imageverwaltung"), "banner"),
        (sample("dism_get_packages_chef.txt").replace("11/21/2010 3:40 AM", "21.11.2010 03:40"), "M/D/YYYY"),
        (sample("dism_get_packages_chef.txt").replace("11/21/2010 3:40 AM", "21/11/2010 3:40 AM"), "valid"),
        (sample("dism_get_packages_chef.txt").replace("11/21/2010 3:40 AM", "11/21/2010 15:40 PM"), "1-12"),
        (sample("dism_get_packages_chef.txt") + "Restart Windows to complete this operation.\r\n", "after"),
        (sample("dism_get_packages_chef.txt").replace("~6.1.3.0", "~6.1.3.0 (x)"), "identity"),
    ],
)
def test_dism_get_packages_refuses_garbled_output(text: str, problem: str) -> None:
    with pytest.raises(ParseError, match=problem):
        parse_dism_packages(text)


def test_dism_get_packages_reports_dism_errors() -> None:
    with pytest.raises(ParseError, match="Error: 87: The restorehealth option is unknown"):
        parse_dism_packages(sample("dism_error_87.txt"))


def test_dism_error_87() -> None:
    error = parse_dism_error(sample("dism_error_87.txt"))
    assert error == DismError(
        87,
        "The restorehealth option is unknown. For more information, refer to the help by running DISM.exe /?.",
        "C:\\WINDOWS\\Logs\\DISM\\dism.log",
    )
    assert error is not None and str(error).startswith("Error: 87: ")


def test_dism_error_740_without_banner_or_log() -> None:
    assert parse_dism_error(sample("dism_error_740.txt")) == DismError(
        740, "Elevated permissions are required to run DISM. Use an elevated command prompt to complete these tasks."
    )


def test_dism_error_hresult_after_a_progress_bar() -> None:
    error = parse_dism_error(sample("dism_error_0x800f0906.txt"))
    assert error is not None
    assert (error.code, error.code_text) == (0x800F0906, "0x800f0906")
    assert error.message.startswith('The source files could not be downloaded. Use the "source" option')
    assert error.log_path == "C:\\WINDOWS\\Logs\\DISM\\dism.log"


def test_dism_error_none_on_success() -> None:
    assert parse_dism_error(sample("dism_remove_package.txt")) is None
    assert parse_dism_error(sample("dism_get_packages_chef.txt")) is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty output"),
        ("\r\nFehler: 87\r\n\r\nDie Option restorehealth ist unbekannt.\r\n", "neither"),
        (sample("dism_remove_package.txt").replace("The operation completed successfully.\r\n", ""), "neither"),
        ("Error: 87\r\n", "without a message"),
        (
            "Error: 87\r\n\r\nThe DISM log file can be found at C:\\WINDOWS\\Logs\\DISM\\dism.log\r\n",
            "without a message",
        ),
    ],
)
def test_dism_error_refuses_what_it_cannot_read(text: str, problem: str) -> None:
    with pytest.raises(ParseError, match=problem):
        parse_dism_error(text)


# --- Get-ChildItem | ConvertTo-Json --------------------------------------------------------------

CHANNEL_FILE = "C:\\Windows\\System32\\drivers\\CrowdStrike\\C-00000291-00000000-00000032.sys"
BAD_TIME = datetime.datetime(2024, 7, 19, 4, 9, tzinfo=UTC)


def test_get_child_items_iso_dates_from_the_builder() -> None:
    # The builder (_files.get_child_items_json) writes DateTime.ToString('o') of the *Utc properties.
    text = json.dumps(
        [
            {
                "FullName": CHANNEL_FILE,
                "Length": 40960,
                "CreationTimeUtc": "2024-07-19T04:09:00.0000000Z",
                "LastWriteTimeUtc": "2024-07-19T05:27:13.1234567Z",
            }
        ],
        separators=(",", ":"),
    )
    (entry,) = parse_get_child_items_json(text + "\r\n")
    assert entry == FileEntry(
        CHANNEL_FILE, 40960, BAD_TIME, datetime.datetime(2024, 7, 19, 5, 27, 13, 123456, tzinfo=UTC)
    )
    assert entry.name == "C-00000291-00000000-00000032.sys"


def test_get_child_items_powershell_5_dates_and_a_single_object() -> None:
    # Windows PowerShell 5.1: one piped item is not wrapped in an array; dates are "\/Date(ms)\/".
    text = (
        '{"FullName":"' + CHANNEL_FILE.replace("\\", "\\\\") + '","Length":40960,'
        '"CreationTimeUtc":"\\/Date(1721362140000)\\/","LastWriteTimeUtc":"\\/Date(1721362140000)\\/"}'
    )
    (entry,) = parse_get_child_items_json(text)
    assert (entry.full_name, entry.creation_time_utc, entry.last_write_time_utc) == (CHANNEL_FILE, BAD_TIME, BAD_TIME)


def test_get_child_items_offsets_and_wrapped_dates() -> None:
    item = {
        "FullName": "D:\\a.txt",
        "Length": 0,
        "CreationTimeUtc": "2024-07-19T06:09:00+02:00",
        "LastWriteTimeUtc": {
            "value": "\\/Date(1721362140000)\\/",
            "DisplayHint": 2,
            "DateTime": "Friday, July 19, 2024",
        },
    }
    (entry,) = parse_get_child_items_json(json.dumps(item).replace("\\\\/", "\\/"))
    assert entry.creation_time_utc == BAD_TIME and entry.creation_time_utc.tzinfo == UTC
    assert entry.last_write_time_utc == BAD_TIME


@pytest.mark.parametrize("text", ["", "\r\n", "[]", "[]\r\n", "\ufeff[]"])
def test_get_child_items_empty(text: str) -> None:
    assert parse_get_child_items_json(text) == []


GOOD_ITEM = {
    "FullName": "C:\\x",
    "Length": 1,
    "CreationTimeUtc": "2024-07-19T04:09:00Z",
    "LastWriteTimeUtc": "2024-07-19T04:09:00Z",
}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Get-ChildItem : Cannot find path 'C:\\x' because it does not exist.", "not JSON"),
        ('[{"FullName":"C:\\\\x"', "not JSON"),
        ("[1]", "item 1 is a number"),
        ("null", "item 1 is a null"),
        (json.dumps([GOOD_ITEM, {**GOOD_ITEM, "Length": None}]), "item 2: Length is a null"),
        (json.dumps({**GOOD_ITEM, "Length": -1}), "Length"),
        (json.dumps({**GOOD_ITEM, "Length": True}), "Length is a boolean"),
        (json.dumps({**GOOD_ITEM, "Length": 1.5}), "Length is a number"),
        (json.dumps({**GOOD_ITEM, "FullName": ""}), "FullName"),
        (json.dumps({k: v for k, v in GOOD_ITEM.items() if k != "LastWriteTimeUtc"}), "lacks LastWriteTimeUtc"),
        (json.dumps({**GOOD_ITEM, "Mode": "-a----"}), "unexpected properties 'Mode'"),
        (json.dumps({**GOOD_ITEM, "CreationTimeUtc": "2024-07-19T04:09:00"}), "neither ISO 8601 with a zone"),
        (json.dumps({**GOOD_ITEM, "CreationTimeUtc": "19.07.2024 04:09:00"}), "neither ISO 8601"),
        (json.dumps({**GOOD_ITEM, "CreationTimeUtc": "2024-02-30T04:09:00Z"}), "not a valid date"),
        (json.dumps({**GOOD_ITEM, "CreationTimeUtc": "/Date(999999999999999)/"}), "out of range"),
        (json.dumps({**GOOD_ITEM, "CreationTimeUtc": 1721362140000}), "is a number, not a date"),
        ('{"FullName":"C:\\\\x","Length":NaN}', "not usable JSON"),
        ("[" * 100000, "JSON"),
    ],
)
def test_get_child_items_refuses_garbled_output(text: str, problem: str) -> None:
    with pytest.raises(ParseError, match=problem) as caught:
        parse_get_child_items_json(text)
    assert "Get-ChildItem" in str(caught.value)


# --- no parser lets anything but its documented errors escape -----------------------------------

PARSERS: dict[str, Callable[[str], object]] = {
    "reg": parse_reg_query,
    "reg /s": lambda text: parse_reg_query(text, recursive=True),
    "bcdedit": parse_bcdedit_enum,
    "manage-bde -status": parse_manage_bde_status,
    "manage-bde -unlock": lambda text: parse_manage_bde_unlock(text, "C:"),
    "dism packages": parse_dism_packages,
    "dism error": parse_dism_error,
    "json": parse_get_child_items_json,
    "dism mounted images": parse_dism_mounted_images,
    "reagentc /info": parse_reagentc_info,
}
EXPECTED_ERRORS = (ParseError, ManageBdeError)


def variants(text: str) -> list[str]:
    """Cut-off and mangled versions of ``text``: every prefix by lines, each line dropped, doubled,
    stripped, or reindented, and the whole text with LF endings and trailing spaces removed."""
    lines = text.split("\r\n")
    found = {text, text.replace("\r\n", "\n"), "\r\n".join(line.rstrip() for line in lines)}
    for index in range(len(lines)):
        found.add("\r\n".join(lines[:index]))
        found.add("\r\n".join(lines[:index] + lines[index + 1 :]))
        found.add("\r\n".join(lines[: index + 1] + lines[index:]))
        found.add("\r\n".join([*lines[:index], lines[index].strip(), *lines[index + 1 :]]))
        found.add("\r\n".join([*lines[:index], "  " + lines[index], *lines[index + 1 :]]))
        found.add(text[: len(text) * index // max(len(lines), 1)])
    return sorted(found)


@pytest.mark.parametrize("name", sorted(SAMPLE_SOURCES))
def test_no_parser_raises_anything_else_on_any_variant_of_any_sample(name: str) -> None:
    for text in variants(sample(name)):
        for parser in PARSERS.values():
            try:
                parser(text)
            except EXPECTED_ERRORS:
                pass


# --- reagentc and dism image management ---------------------------------------------------------------------


def test_reagentc_info_reads_status_location_and_identifier() -> None:
    assert parse_reagentc_info(sample("reagentc_info_enabled.txt")) == ReagentcInfo(
        True,
        "\\\\?\\GLOBALROOT\\device\\harddisk0\\partition4\\Recovery\\WindowsRE",
        "8e73986c-289e-11f0-bf53-a4d06eada308",
    )
    assert parse_reagentc_info(sample("reagentc_info_disabled.txt")) == ReagentcInfo(False, None, None)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (sample("reagentc_info_enabled.txt").replace("Windows RE status", "Windows RE-Status"), "Windows RE status"),
        (sample("reagentc_info_enabled.txt").replace("Enabled", "Aktiviert"), "neither Enabled nor Disabled"),
        (sample("reagentc_info_enabled.txt").replace("REAGENTC.EXE: Operation Successful.\r\n", ""), "cut off"),
        (
            sample("reagentc_info_enabled.txt").replace("\\\\?\\GLOBALROOT\\device\\harddisk0\\partition4", "C:"),
            "GLOBALROOT",
        ),
        ("REAGENTC.EXE: Operation failed: 5\r\n\r\nREAGENTC.EXE: An error has occurred.\r\n", "Operation failed: 5"),
        ("", "expected"),
    ],
)
def test_reagentc_info_refuses_what_it_does_not_understand(text: str, problem: str) -> None:
    with pytest.raises(ParseError, match=problem.replace("(", "\\(")):
        parse_reagentc_info(text)


def test_reagentc_enable_and_disable_succeed_only_on_the_success_line() -> None:
    assert parse_reagentc_result(sample("reagentc_enable.txt")) is None
    assert parse_reagentc_result("REAGENTC.EXE: Unable to update Boot Configuration Data.\r\n") == (
        "Unable to update Boot Configuration Data."
    )
    assert parse_reagentc_result("") == "no output"
    assert "en-US" in parse_reagentc_result("Vorgang erfolgreich.\r\n")


def test_dism_mounted_images_and_mount_output() -> None:
    assert parse_dism_mounted_images(sample("dism_get_mounted_image_info.txt")) == [
        MountedImage("C:\\Users\\W10\\Downloads\\montar", "C:\\Users\\W10\\Downloads\\prueba_disn.wim", 1, True, "Ok")
    ]
    empty = "Deployment Image Servicing and Management tool\r\nVersion: 10.0.22621.1\r\n\r\nMounted images:\r\n\r\n"
    assert parse_dism_mounted_images(empty + "The operation completed successfully.\r\n") == []
    assert parse_dism_error(sample("dism_mount_image.txt")) is None
    with pytest.raises(ParseError, match="cut off"):
        parse_dism_mounted_images(empty)
    with pytest.raises(ParseError, match="Mount Dir"):
        parse_dism_mounted_images(sample("dism_get_mounted_image_info.txt").replace("Mount Dir", "Bereitstellungsverz"))
    with pytest.raises(ParseError, match="Error: 87"):
        parse_dism_mounted_images(sample("dism_error_87.txt"))
