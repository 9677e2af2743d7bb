"""The one host model (``_host_model.py``): its rules on the host survey's JSON (environment, where Windows is, the
newest crash), where the inventory's probe and win_recovery_facts used to read the same host differently."""

from __future__ import annotations

import pytest

from ansible_collections.lifeline.recovery.plugins.plugin_utils._host_model import latest_crash, locate_windows
from ansible_collections.lifeline.recovery.plugins.plugin_utils._parsers import ParseError
from ansible_collections.lifeline.recovery.plugins.plugin_utils._recovery_survey import (
    dump_bugcheck,
    parse_environment_survey,
)

from .surveys import RUNNING, SAFE_BOOT_OPTION, dump_header, minidump, sample, survey_json, volume

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
