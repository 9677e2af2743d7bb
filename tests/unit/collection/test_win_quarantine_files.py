"""win_quarantine_files: the protected-paths policy, pattern rules, filters, survey parsing and its builders."""

from __future__ import annotations

import datetime
import random
import re

import pytest
from hypothesis import example, given

from ansible_collections.lifeline.recovery.plugins.action.win_quarantine_files import ActionModule as QuarantineAction
from ansible_collections.lifeline.recovery.plugins.plugin_utils import _quarantine as q
from ansible_collections.lifeline.recovery.plugins.plugin_utils._parsers import ParseError
from lifeline_lab import failures
from lifeline_lab.machine import ground_truth, new_machine

from .in_process import in_safe_mode, lab_action
from .test_powershell_builders import HOSTILE_TEXT, assert_parses, literal_values, parse

UTC = datetime.UTC
FOLDER = "C:\\Windows\\System32\\drivers\\CrowdStrike"
HEADER = bytes.fromhex("AAAAAAAA01002301")
BAD_SHA = "328F53AFA28EDD77EF1E155A85184A38FB4D4EA3796B773AE2F4DD09CD0947C0"
QFOLDER = "C:\\Lifeline\\Quarantine\\x"
RECORD = "C:\\ProgramData\\Lifeline\\records\\quarantine-x.json"
LEGACY = QFOLDER + "\\lifeline-quarantine-manifest.json"


# --- where: folders and the protected-paths policy ------------------------------------------------


def test_relative_path_resolves_against_the_os_volume_and_absolute_keeps_its_own() -> None:
    assert q.resolve_folder("Windows\\System32\\drivers\\CrowdStrike", "d:") == (
        "D:",
        "Windows\\System32\\drivers\\CrowdStrike",
    )
    assert q.resolve_folder("C:\\ProgramData\\Vendor\\", "D:") == ("C:", "ProgramData\\Vendor")
    assert q.resolve_folder("Program Files/Vendor", "C:") == ("C:", "Program Files\\Vendor")


@pytest.mark.parametrize(
    ("path", "volume", "message"),
    [
        ("Windows\\System32\\drivers\\..\\config", "C:", "'..'"),
        ("ProgramData\\a:stream", "C:", "alternate data streams"),
        ("ProgramData\\*", "C:", "literal"),
        ("ProgramData\\[x]", "C:", "literal"),
        ("ProgramData\\\\x", "C:", "empty component"),
        ("ProgramData\\x.", "C:", "space or dot"),
        ("\\\\server\\share", "C:", "starts with a separator"),
        ("C:relative", "C:", "not absolute"),
        ("ProgramData\\x", None, "os_volume None"),
        ("ProgramData\\x", "CD:", "os_volume 'CD:'"),
        ("ProgramData\\x\ny", "C:", "control character"),
    ],
)
def test_bad_folders_are_refused_with_the_reason(path, volume, message) -> None:
    with pytest.raises(ValueError, match=message.replace("*", r"\*").replace("[", r"\[")):
        q.resolve_folder(path, volume)


@pytest.mark.parametrize(
    "relative",
    ["Windows\\System32\\drivers\\CrowdStrike", "windows\\system32\\DRIVERS", "ProgramData\\Vendor\\cache",
     "Program Files\\Vendor", "Program Files (x86)\\V", "Windows\\Temp"],
)  # fmt: skip
def test_default_allowed_roots(relative) -> None:
    q.check_folder_policy(relative)


@pytest.mark.parametrize(
    ("relative", "allowed", "message"),
    [
        ("", ["Windows"], "volume root"),
        ("Windows", ["Windows"], "protected"),
        ("Windows\\System32", ["Windows"], "protected"),
        ("windows\\SYSTEM32\\config", ["Windows"], "protected"),
        ("Windows\\System32\\config\\TxR", ["Windows"], "protected"),
        ("EFI\\Microsoft\\Boot", [""], "protected"),
        ("Boot", ["Boot"], "protected"),
        ("Windows\\WinSxS\\x", ["Windows"], "protected"),
        ("Lifeline\\Quarantine\\x", ["Lifeline"], "protected"),
        ("ProgramData\\Lifeline\\records", None, "protected"),
        ("Users\\Public", None, "outside allowed_roots"),
        ("Windows\\System32\\DriverStore", None, "outside allowed_roots"),
        ("ProgramDataX", None, "outside allowed_roots"),  # a prefix is not a parent
        ("ProgramData\\x", ["..\\x"], "allowed_roots entry"),
    ],
)
def test_protected_and_unlisted_folders_are_refused(relative, allowed, message) -> None:
    with pytest.raises(ValueError, match=message):
        q.check_folder_policy(relative, allowed)


def test_allowed_roots_widen_but_never_reach_the_always_refused() -> None:
    q.check_folder_policy("Users\\Public\\x", ["Users"])
    with pytest.raises(ValueError, match="protected"):
        q.check_folder_policy("Windows\\System32\\config", ["Windows\\System32"])


# --- what: patterns -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("..\\x.sys", "'..'"),
        ("..", "'..'"),
        ("a\\b.sys", "separators"),
        ("a/b.sys", "separators"),
        ("C:x.sys", "drive letters"),
        ("x.sys:Zone.Identifier", "alternate data streams"),
        ('x"y', "separators"),
        ("x<y", "separators"),
        ("x.sys.", "space or dot"),
        ("*", "matches every file"),
        ("*.*", "matches every file"),
        ("", "1 to 255"),
        ("a\nb", "control character"),
    ],
)
def test_patterns_that_could_leave_the_folder_are_refused(pattern, message) -> None:
    with pytest.raises(ValueError, match=message):
        q.check_pattern(pattern)


def test_pattern_matching_is_case_insensitive_and_only_star_and_question_are_special() -> None:
    assert q.matches_pattern("C-00000291-00000000-00000032.sys", "c-00000291*.SYS")
    assert not q.matches_pattern("C-00000291-00000000-00000032.sysx", "C-00000291*.sys")  # no 8.3 widening
    assert q.matches_pattern("a[1].sys", "a[1].sys") and not q.matches_pattern("a1.sys", "a[1].sys")
    assert q.matches_pattern("C-00000290-x.sys", "C-0000029?-*.sys")
    assert not q.matches_pattern("C-0000029-x.sys", "C-0000029?-*.sys")


@given(HOSTILE_TEXT)
@example("..\\..\\Windows\\System32\\config\\SYSTEM")
@example("x'; Remove-Item C:\\ -Recurse; '")
@example("$(Stop-Computer)*.sys")
@example("C-1\u2028.sys")  # a line separator: the pattern rules and the builder once disagreed on it
@example("C-1\u2029.sys")
def test_hostile_patterns_are_refused_or_stay_one_literal_in_the_survey(value: str) -> None:
    try:
        pattern = q.check_pattern(value)
    except ValueError:
        return
    built = q.quarantine_survey(FOLDER, [pattern], 8, QFOLDER, RECORD, LEGACY)
    root = assert_parses(built)
    assert pattern in literal_values(root)
    assert "\\" not in pattern and ":" not in pattern and ".." not in pattern


@given(HOSTILE_TEXT)
@example("Vendor'; Remove-Item C:\\ -Recurse; '")
@example("O\u2019Brien $(x) `n")
def test_hostile_folders_are_refused_or_stay_one_literal_in_the_survey(value: str) -> None:
    try:
        volume, relative = q.resolve_folder("ProgramData\\" + value, "C:")
        q.check_folder_policy(relative)
        folder = f"{volume}\\{relative}"
        built = q.quarantine_survey(folder, ["C-1*.sys"], 0, QFOLDER, RECORD, LEGACY)
    except ValueError:
        return
    assert folder in literal_values(assert_parses(built))
    assert ".." not in folder


# --- which: filters -------------------------------------------------------------------------------


def listed(name: str, when: str, header: bytes = HEADER, sha: str = BAD_SHA) -> q.Listed:
    moment = datetime.datetime.fromisoformat(when)
    return q.Listed(f"{FOLDER}\\{name}", 4104, moment, sha, header)


FILES = [
    listed("C-00000285-00000000-00000052.sys", "2024-07-16T21:43:00+00:00", sha="A" * 64),
    listed("C-00000290-00000000-00000107.sys", "2024-07-18T23:51:00+00:00", sha="B" * 64),
    listed("C-00000291-00000000-00000032.sys", "2024-07-19T04:09:00+00:00"),
    listed("C-00000291-00000000-00000033.sys", "2024-07-19T05:27:00+00:00", sha="C" * 64),  # the fix
    listed("C-00000291-zero.sys", "2024-07-19T04:10:00+00:00", header=b"\0" * 8, sha="D" * 64),
    listed("CSAgent.sys", "2024-05-02T14:00:00+00:00", header=b"MZ\x90\x00", sha="E" * 64),
]


def names(files: list[q.Listed]) -> list[str]:
    return [entry.name for entry in files]


def test_the_time_window_picks_the_0409_file_not_the_0527_fix() -> None:
    after = q.parse_time("2024-07-19T04:00:00Z", "a")
    before = q.parse_time("2024-07-19T05:27:00Z", "b")
    chosen = q.select(FILES, ["C-00000291*.sys"], HEADER, frozenset(), after, before)
    assert names(chosen) == ["C-00000291-00000000-00000032.sys"]


def test_header_and_hash_filters() -> None:
    assert names(q.select(FILES, ["C-*.sys"], HEADER)) == names(FILES[:4])
    assert names(q.select(FILES, ["*.sys"], b"MZ")) == ["CSAgent.sys"]
    assert names(q.select(FILES, ["*.sys"], sha256=q.parse_sha256([BAD_SHA.lower()]))) == [FILES[2].name]
    short = q.Listed(f"{FOLDER}\\x.sys", 2, FILES[0].last_write_time, BAD_SHA, b"\xaa\xaa")
    assert q.select([short], ["x.sys"], HEADER) == []  # shorter than the header: no match


def test_window_is_half_open_and_duplicates_are_listed_once() -> None:
    at = q.parse_time("2024-07-19T04:09:00", "a")  # no offset: UTC
    assert names(q.select(FILES, ["C-00000291-0*.sys"], modified_after=at)) == [FILES[2].name, FILES[3].name]
    assert names(q.select(FILES, ["C-00000291-0*.sys"], modified_before=at)) == []
    assert names(q.select(FILES + FILES, ["C-00000291-00000000-00000032.sys", "C-00000291*"])) == names(FILES[2:5])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: q.parse_header("AAA"), "hex digits"),
        (lambda: q.parse_header("GG"), "hex digits"),
        (lambda: q.parse_header("AA" * 65), "1 to 64 bytes"),
        (lambda: q.parse_sha256(["abc"]), "64 hex digits"),
        (lambda: q.parse_sha256([5]), "64 hex digits"),
        (lambda: q.parse_time("19 July 2024", "modified_after"), "modified_after '19 July 2024'"),
        (lambda: q.check_quarantine_id("../x"), "quarantine_id"),
        (lambda: q.check_quarantine_id("a b"), "quarantine_id"),
    ],
)
def test_bad_filter_values(call, message) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_header_accepts_separators_and_times_accept_offsets() -> None:
    assert q.parse_header("AA AA-AA:aa 01 00 23 01") == HEADER
    assert q.parse_header(None) is None
    moment = q.parse_time("2024-07-19T06:09:00+02:00", "x")
    assert moment == datetime.datetime(2024, 7, 19, 4, 9, tzinfo=UTC)


def test_default_quarantine_id_is_stable_and_safe() -> None:
    one = q.default_quarantine_id("Windows\\System32\\drivers\\CrowdStrike", ["C-00000291*.sys", "b*"])
    two = q.default_quarantine_id("windows\\system32\\drivers\\crowdstrike", ["B*", "c-00000291*.SYS"])
    assert one == two and one.startswith("crowdstrike-")
    assert q.check_quarantine_id(one) == one
    assert q.default_quarantine_id("ProgramData\\O'Brien $(x)", ["a*"]).startswith("o-brien-x-")


# --- survey output --------------------------------------------------------------------------------

# Recorded from the lab (Windows PowerShell 5.1 ConvertTo-Json forms: "\/Date(ms)\/", bytes as numbers),
# the quarantine_survey script on a crowdstrike-291 host in Safe Mode.
SURVEY = (
    '{"folder_found":true,"candidates":[{"FullName":"C:\\\\Windows\\\\System32\\\\drivers\\\\CrowdStrike\\\\'
    'C-00000291-00000000-00000032.sys","Length":40960,"LastWriteTimeUtc":"\\/Date(1721362140000)\\/",'
    '"SHA256":"328F53AFA28EDD77EF1E155A85184A38FB4D4EA3796B773AE2F4DD09CD0947C0","Header":[170,170,170,170,1,0,35,1]}'
    '],"quarantined":[{"FullName":"C:\\\\Lifeline\\\\Quarantine\\\\x\\\\lifeline-quarantine-manifest.json",'
    '"Length":40,"LastWriteTimeUtc":"\\/Date(1795884784819)\\/","SHA256":"' + "0" * 64 + '"}],'
    '"record":null,"legacy_manifest":null}'
)


def test_survey_is_read_with_header_bytes_and_a_0_1_0_manifest_left_out() -> None:
    survey = q.parse_survey(SURVEY + "\r\n", with_header=True)
    assert survey.folder_found and survey.quarantined == () and survey.record_text is None
    legacy = q.parse_survey(SURVEY.replace('"legacy_manifest":null', '"legacy_manifest":"{}"'), with_header=True)
    assert legacy.record_text == "{}"  # the record Lifeline 0.1.0 kept in the quarantine folder, when no other
    both = SURVEY.replace('"record":null,"legacy_manifest":null', '"record":"[1]","legacy_manifest":"{}"')
    assert q.parse_survey(both, with_header=True).record_text == "[1]"
    (entry,) = survey.candidates
    assert entry.header == HEADER and entry.size == 40960 and entry.sha256 == BAD_SHA
    assert entry.last_write_time == datetime.datetime(2024, 7, 19, 4, 9, tzinfo=UTC)
    assert entry.as_result()["last_write_time"] == "2024-07-19T04:09:00.000Z"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not JSON"),
        ("Get-ChildItem : Access to the path is denied.", "not JSON"),
        ("[]", "folder_found"),
        (SURVEY.replace('"SHA256":"328F', '"SHA256":null,"x":"'), "SHA256"),
        (SURVEY.replace('"Length":40960', '"Length":"40960"'), "Length"),
        (SURVEY.replace("[170,170", '["AA",170'), "Header"),
        (SURVEY.replace("\\/Date(1721362140000)\\/", "19.07.2024 04:09"), "LastWriteTimeUtc"),
    ],
)
def test_unexpected_survey_output_is_a_clear_error(text, message) -> None:
    with pytest.raises(ParseError, match=message):
        q.parse_survey(text, with_header=True)


def test_survey_builder_reads_headers_only_when_asked_and_both_records() -> None:
    with_header = q.quarantine_survey(FOLDER, ["a*"], 8, QFOLDER, RECORD, LEGACY)
    without = q.quarantine_survey(FOLDER, ["a*"], 0, QFOLDER, RECORD, LEGACY)
    assert "-Encoding 'Byte' -TotalCount 8 -Force" in with_header and "Header" not in without
    assert "[System." not in with_header and "::" not in with_header  # no .NET: cmdlets only
    assert {RECORD, LEGACY} <= set(literal_values(assert_parses(without)))
    for bad in ([], "a*", ["..\\x"], ["a:b"]):
        with pytest.raises(ValueError):
            q.quarantine_survey(FOLDER, bad, 0, QFOLDER, RECORD, LEGACY)
    with pytest.raises(ValueError, match="quarantine folder"):
        q.quarantine_survey(FOLDER, ["a*"], 0, "C:\\Lifeline\\Quarantine\\[x]", RECORD, LEGACY)


def test_apply_script_takes_everything_from_stdin() -> None:
    built = q.quarantine_apply()
    root = parse(built)
    assert "$input | Out-String | ConvertFrom-Json" in built
    assert set(literal_values(root)) <= {"Stop", "SilentlyContinue", "Directory", "UTF8", "done",
                                         "Lifeline refuses to overwrite "}  # fmt: skip
    assert "-Force" not in built.split("Move-Item", 1)[1].split("\n", 1)[0]  # Move-Item never overwrites


# --- the action on in-process lab machines: the host's files and its next boot are the ground truth -----------

CROWDSTRIKE = {
    "path": "Windows\\System32\\drivers\\CrowdStrike",
    "patterns": ["C-00000291*.sys"],
    "header": "AAAAAAAA01002301",
    "modified_after": "2024-07-19T04:09:00Z",
    "modified_before": "2024-07-19T04:10:00Z",
    "quarantine_id": "channel-file-291",
}
IN_SAFE_MODE = {"ansible_facts": {"lifeline_recovery": {"os_volume": "C:", "environment": "safe_mode_network"}}}
BAD_FILE = "C:\\Windows\\System32\\drivers\\CrowdStrike\\C-00000291-00000000-00000032.sys"  # as Windows names it


def crowdstrike_host_in_safe_mode(seed: int):
    """A host with the faulty channel file, in Safe Mode with Networking as the WinRE failover leaves it."""
    machine = new_machine(f"T-06{seed:02}", 600 + seed)
    failures.crowdstrike_291(machine, random.Random(seed))
    return in_safe_mode(machine)


def channel_files(machine) -> dict[str, str]:
    """The ground truth's SHA-256 of every CrowdStrike or quarantine file (named by its Windows path, C:)."""
    files = ground_truth.snapshot(machine)["files"]
    return {path: entry["sha256"] for path, entry in files.items() if re.search(r"crowdstrike|quarantine", path, re.I)}


def quarantine(machine, args: dict, check_mode: bool = False) -> tuple[dict, list]:
    module, sent = lab_action(QuarantineAction, machine, args, check_mode=check_mode, diff=True)
    return module.run(task_vars=IN_SAFE_MODE), sent


def test_quarantine_in_safe_mode_lets_the_host_boot_and_restore_brings_the_crash_back() -> None:
    machine = crowdstrike_host_in_safe_mode(1)
    assert machine.boot_outcome().environment is None  # the faulty channel file crashes the boot
    before = channel_files(machine)

    checked, _ = quarantine(machine, CROWDSTRIKE, check_mode=True)
    assert checked["changed"] and [p.rsplit("\\", 1)[1] for p in checked["quarantined"]] == [BAD_FILE.rsplit("\\")[-1]]
    assert channel_files(machine) == before and machine.boot_outcome().environment is None  # nothing moved

    done, sent = quarantine(machine, CROWDSTRIKE)
    assert done["changed"] and done["commands_sent"] == len(sent)
    after = channel_files(machine)
    assert BAD_FILE not in after and before[BAD_FILE] in after.values()  # moved aside, same bytes, not deleted
    assert {p: h for p, h in after.items() if p in before} == {p: h for p, h in before.items() if p != BAD_FILE}
    assert machine.boot_outcome().environment == "normal"

    again, _ = quarantine(machine, CROWDSTRIKE)
    assert not again["changed"] and channel_files(machine) == after

    restored, _ = quarantine(machine, {**CROWDSTRIKE, "state": "restored"})
    assert restored["changed"] and channel_files(machine).get(BAD_FILE) == before[BAD_FILE]
    assert machine.boot_outcome().environment is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"patterns": ["..\\..\\config\\SYSTEM"]}, "'..'"),
        ({"path": "Windows\\System32\\config"}, "protected"),
        ({"header": "not hex"}, "header"),
        ({"patterns": ["C-1\u2028.sys"]}, "control character"),
    ],
)
def test_bad_input_is_refused_before_anything_is_sent(change: dict, message: str) -> None:
    machine = crowdstrike_host_in_safe_mode(2)
    before = channel_files(machine)
    result, sent = quarantine(machine, {**CROWDSTRIKE, **change})
    assert result["failed"] and message in result["msg"], result
    assert sent == [] and result["commands_sent"] == 0 and channel_files(machine) == before
