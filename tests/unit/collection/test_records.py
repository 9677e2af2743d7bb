"""The rollback records (plugin_utils/_records.py): one folder and file naming, one versioned format that 0.1.0's
files are read into, the scripts that write, read and list them (parsed with the real PowerShell grammar, hostile
text one literal, run on in-process lab machines), and what undoes each record."""

from __future__ import annotations

import json

import pytest
from hypothesis import example, given, settings

from ansible_collections.lifeline.recovery.plugins.plugin_utils import _records as records
from ansible_collections.lifeline.recovery.plugins.plugin_utils._parsers import ParseError
from ansible_collections.lifeline.recovery.plugins.plugin_utils._powershell import encoded_command
from lifeline_lab.machine import new_machine

from ..lab.support import run
from .test_powershell_builders import HOSTILE_TEXT, assert_parses, literal_values, native_calls

FOLDER = "C:\\ProgramData\\Lifeline\\records"
TIME = "2024-07-19T06:00:00+00:00"
FILE = {
    "name": "C-00000291-00000000-00000032.sys",
    "original_path": "D:\\Windows\\System32\\drivers\\CrowdStrike\\C-00000291-00000000-00000032.sys",
    "quarantined_path": "D:\\Lifeline\\Quarantine\\channel-file-291\\C-00000291-00000000-00000032.sys",
    "size": 40960,
    "sha256": "328F53AFA28EDD77EF1E155A85184A38FB4D4EA3796B773AE2F4DD09CD0947C0",
    "last_write_time": "2024-07-19T04:09:00.000Z",
    "quarantined_at": "2024-07-19T06:00:00.000Z",
    "restored_at": None,
}
# What Lifeline 0.1.0 wrote (its record_text/merge_record/manifest_text, win_recovery_reboot and win_servicing).
LEGACY = {
    "boot_driver-ctxflt.json": {
        "control_set": "ControlSet001", "element": "Start", "module": "win_boot_driver", "offline": True,
        "previous": {"Group": "FSFilter Activity Monitor", "ImagePath": "x.sys", "Start": 0}, "service": "ctxflt",
        "time": TIME, "value": {"Start": 4},
    },
    "boot_config-default.json": {
        "changes": [{"element": "safeboot", "entry": "{default}", "previous": "Network", "value": None}],
        "entry": "{default}", "module": "win_boot_config", "store": None, "time": "2024-07-19T06:00:01+00:00",
    },
    "boot_config-default-safeboot.json": {
        "module": "win_recovery_reboot", "store": None, "entry": "{default}", "element": "safeboot",
        "previous": None, "value": "Minimal", "record": None, "time": "2024-07-19T05:59:00+00:00",
    },
    "safeboot_network.json": {
        "added": [{"kind": "Service", "name": "WinRM"}], "key": "HKLM\\SYSTEM\\CurrentControlSet\\Control\\SafeBoot"
        "\\Network", "module": "win_safe_mode_network_service", "time": "2024-07-01T00:00:00+00:00",
    },
    "servicing-Package_for_RollupFix~31bf3856ad364e35~amd64~~20348.2582.1.7.json": {
        "module": "win_servicing", "action": "removed", "selected_by": "newest_quality_update", "image": "D:\\",
        "package": {"identity": "Package_for_RollupFix~31bf3856ad364e35~amd64~~20348.2582.1.7"}, "rc": 0,
        "restorable": False, "time": "2024-07-19T06:00:02+00:00",
    },
}  # fmt: skip
LEGACY_MANIFEST = {
    "kind": "lifeline.recovery.win_quarantine_files", "version": 1, "quarantine_id": "channel-file-291",
    "folder": "D:\\Windows\\System32\\drivers\\CrowdStrike", "patterns": ["C-00000291*.sys"], "state": "quarantined",
    "updated": "2024-07-19T06:00:00.500Z", "files": [FILE],
}  # fmt: skip
MANIFEST_PATH = "C:\\Lifeline\\Quarantine\\channel-file-291\\lifeline-quarantine-manifest.json"


# --- where ---------------------------------------------------------------------------------------------------


def test_one_folder_and_one_file_per_changed_thing() -> None:
    assert records.RECORD_FOLDER == "ProgramData\\Lifeline\\records"
    assert records.path("d:", "boot_driver", "ctxflt") == "D:\\ProgramData\\Lifeline\\records\\boot_driver-ctxflt.json"
    assert records.file_name("boot_config", "{Default}") == "boot_config-default.json"
    assert records.file_name("safeboot_network", None) == "safeboot_network.json"
    assert records.file_name("quarantine", "channel-file-291") == "quarantine-channel-file-291.json"
    assert records.pattern("servicing") == "servicing-*.json"


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: records.path("C", "boot_driver", "x"), "volume 'C'"),
        (lambda: records.path("C:", "driver", "x"), "kind 'driver'"),
        (lambda: records.file_name("boot_driver", "a\\b"), "file name"),
        (lambda: records.file_name("boot_driver", "a*"), "file name"),
        (lambda: records.file_name("boot_driver", " a"), "file name"),
        (lambda: records.file_name("boot_driver", "a\nb"), "control character"),
        (lambda: records.file_name("boot_driver", ""), "file name"),
        (lambda: records.pattern("other"), "kind 'other'"),
    ],
)
def test_bad_places_are_refused_before_anything_is_built(build, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()


# --- the format ----------------------------------------------------------------------------------------------


def test_a_record_round_trips_as_one_line_of_ascii_json() -> None:
    record = records.new("boot_driver", "win_boot_driver", service="caf\u00e9", control_set="ControlSet001",
                         previous={"Start": 0}, value={"Start": 4})  # fmt: skip
    assert (record["version"], record["kind"], record["module"], record["restored_at"]) == (
        1, "boot_driver", "win_boot_driver", None,
    )  # fmt: skip
    text = records.dumps(record)
    assert text.isascii() and "\n" not in text
    assert records.parse("\ufeff" + text, "boot_driver") == record  # Set-Content -Encoding UTF8 writes a BOM
    used = records.restored(record)
    assert used["restored_at"] and not records.pending(used) and records.pending(record)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (None, "not JSON"),
        ({"version": 2}, "version is 2"),
        ({"version": True}, "version is True"),
        ({"kind": "registry"}, "kind 'registry'"),
        ({"kind": "boot_config"}, "not a boot_driver record"),
        ({"time": "yesterday"}, "time 'yesterday'"),
        ({"time": "2024-07-19T06:00:00"}, "with a zone"),
        ({"restored_at": 5}, "restored_at 5"),
        ({"service": None}, "its service is None"),
        ({"previous": []}, "previous"),
    ],
)
def test_what_is_not_a_record_this_lifeline_reads_is_refused(change: dict | None, message: str) -> None:
    record = records.new("boot_driver", "win_boot_driver", service="x", control_set="c", previous={}, value={})
    text = "{" if change is None else json.dumps({**record, **change})
    with pytest.raises(ParseError, match=message):
        records.parse(text, "boot_driver")


@pytest.mark.parametrize(
    ("kind", "payload", "message"),
    [
        ("quarantine", {"quarantine_id": "q", "folder": "C:\\x", "patterns": ["a*"], "files": [{"name": "a"}]},
         "an item of its files"),
        ("quarantine", {"quarantine_id": "q", "folder": "C:\\x", "patterns": "a*", "files": []}, "patterns"),
        ("boot_config", {"entry": "{default}", "changes": [{"element": "safeboot", "previous": 1, "value": None}]},
         "an item of its changes"),
        ("safeboot_network", {"added": [{"name": "WinRM"}]}, "an item of its added"),
        ("servicing", {"action": None}, "its action is None"),
    ],
)  # fmt: skip
def test_each_kinds_payload_has_its_shape(kind: str, payload: dict, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        records.parse(records.dumps(records.new(kind, records.KINDS[kind], **payload)))


def test_the_records_of_lifeline_0_1_0_are_read_as_version_1() -> None:
    kinds = {name: records.parse(json.dumps(document))["kind"] for name, document in LEGACY.items()}
    assert list(kinds.values()) == ["boot_driver", "boot_config", "boot_config", "safeboot_network", "servicing"]
    reboot = records.parse(json.dumps(LEGACY["boot_config-default-safeboot.json"]))
    assert reboot["changes"] == [{"element": "safeboot", "previous": None, "value": "Minimal"}]
    driver = records.parse(json.dumps({**LEGACY["boot_driver-ctxflt.json"], "restored_at": TIME}))
    assert driver["restored_at"] == TIME and driver["previous"]["Start"] == 0
    manifest = records.parse("\ufeff" + json.dumps(LEGACY_MANIFEST, indent=2) + "\r\n")
    assert (manifest["kind"], manifest["module"], manifest["time"], manifest["restored_at"]) == (
        "quarantine", "win_quarantine_files", "2024-07-19T06:00:00.500Z", None,
    )  # fmt: skip
    assert "state" not in manifest and manifest["files"] == [FILE] and records.pending(manifest)
    finished = records.parse(json.dumps({**LEGACY_MANIFEST, "state": "restored"}))
    assert finished["restored_at"] == LEGACY_MANIFEST["updated"]


# --- what undoes a record ----------------------------------------------------------------------------------------


def test_each_record_names_the_module_call_that_undoes_it() -> None:
    def undo(name: str, document: dict) -> tuple[dict | None, str]:
        return records.undo(records.parse(json.dumps(document)), f"{FOLDER}\\{name}")

    assert undo("boot_driver-ctxflt.json", LEGACY["boot_driver-ctxflt.json"]) == (
        {"module": "lifeline.recovery.win_boot_driver", "args": {"state": "restored", "name": "ctxflt",
                                                                 "missing_ok": True}}, "",
    )  # fmt: skip
    assert undo("boot_config-default.json", LEGACY["boot_config-default.json"])[0] == {
        "module": "lifeline.recovery.win_boot_config",
        "args": {"state": "restored", "identifier": "{default}", "missing_ok": True},
    }
    assert undo("safeboot_network.json", LEGACY["safeboot_network.json"])[0] == {
        "module": "lifeline.recovery.win_safe_mode_network_service", "args": {"services": ["WinRM"], "state": "absent"},
    }  # fmt: skip
    manifest = records.parse(json.dumps({**LEGACY_MANIFEST, "allowed_roots": ["Vendor"]}))
    quarantine = {
        "state": "restored",
        "path": "Windows\\System32\\drivers\\CrowdStrike",
        "patterns": ["C-00000291*.sys"],
        "quarantine_id": "channel-file-291",
        "allowed_roots": ["Vendor"],
    }
    assert records.undo(manifest, MANIFEST_PATH)[0]["args"] == quarantine  # the drive letter of the day is the facts'
    assert records.undo(manifest, f"{FOLDER}\\quarantine-channel-file-291.json")[0]["args"] == quarantine
    task, why = undo(
        "servicing-x.json", LEGACY["servicing-Package_for_RollupFix~31bf3856ad364e35~amd64~~20348.2582.1.7.json"]
    )
    assert task is None and "DISM cannot put a removed package back" in why
    task, why = undo("boot_config-default-safeboot.json", LEGACY["boot_config-default-safeboot.json"])
    assert task is None and "0.1.0's win_recovery_reboot" in why and "safeboot was absent" in why
    # a record under another record's name is not the one its module would read: not applied
    assert undo("boot_driver-other.json", LEGACY["boot_driver-ctxflt.json"])[0] is None


# --- the scripts ------------------------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(HOSTILE_TEXT)
@example("x'; Remove-Item C:\\ -Recurse; '")
@example("O\u2019Brien $(x) `n")
def test_hostile_record_text_stays_one_literal(value: str) -> None:
    record = records.new("boot_driver", "win_boot_driver", service=value, control_set="c", previous={}, value={})
    built = records.write_script("C:", "boot_driver", "ctxflt", record)
    assert records.dumps(record) in literal_values(assert_parses(built))
    assert native_calls(assert_parses(built)) == []


def test_the_scripts_parse_and_name_only_the_records_folder() -> None:
    for built in (records.read_script("D:", "boot_config", "{default}"), records.listing_script("D:")):
        root = assert_parses(built)
        assert native_calls(root) == [] and "[System." not in built  # cmdlets only
    assert "D:\\ProgramData\\Lifeline\\records\\boot_config-default.json" in literal_values(
        assert_parses(records.read_script("D:", "boot_config", "{default}"))
    )
    listing = literal_values(assert_parses(records.listing_script("d:")))
    assert FOLDER.replace("C:", "D:") in listing and "D:\\Lifeline\\Quarantine" in listing


def test_written_records_are_listed_newest_first_on_a_lab_machine() -> None:
    machine = new_machine("T-0901", 901)
    driver = records.parse(json.dumps(LEGACY["boot_driver-ctxflt.json"]))
    config = records.new("boot_config", "win_boot_config", entry="{default}", store=None, changes=[])
    for kind, key, record in (("boot_driver", "ctxflt", driver), ("boot_config", "{default}", config)):
        assert run(machine, encoded_command(records.write_script("C:", kind, key, record))).exit_code == 0
    found = run(machine, encoded_command(records.read_script("C:", "boot_driver", "ctxflt")))
    assert records.parse(records.parse_read(found.stdout)) == driver
    assert (
        records.parse_read(run(machine, encoded_command(records.read_script("C:", "servicing", "none"))).stdout) is None
    )
    listed, unreadable = records.parse_listing(run(machine, encoded_command(records.listing_script("C:"))).stdout)
    assert [(path, record["kind"]) for path, record in listed] == [
        (f"{FOLDER}\\boot_config-default.json", "boot_config"),  # written now
        (f"{FOLDER}\\boot_driver-ctxflt.json", "boot_driver"),  # 2024
    ] and unreadable == []
    empty = run(machine, encoded_command(records.listing_script("D:"))).stdout  # no records folder, no quarantine
    assert records.parse_listing(empty) == ([], [])


def test_a_0_1_0_manifest_is_listed_unless_its_quarantine_has_a_record_and_strangers_are_named() -> None:
    record = records.parse(json.dumps(LEGACY_MANIFEST))
    listing = {
        "records": [{"path": f"{FOLDER}\\notes.json", "text": "not a record"}],
        "manifests": {"path": MANIFEST_PATH, "text": json.dumps(LEGACY_MANIFEST)},  # one item: maybe unwrapped
    }
    listed, unreadable = records.parse_listing(json.dumps(listing))
    assert listed == [(MANIFEST_PATH, record)]
    assert unreadable == [{"path": f"{FOLDER}\\notes.json", "problem": "not JSON"}]
    listing["records"] = [{"path": f"{FOLDER}\\quarantine-channel-file-291.json", "text": records.dumps(record)}]
    listed, _ = records.parse_listing(json.dumps(listing))
    assert [path for path, _ in listed] == [f"{FOLDER}\\quarantine-channel-file-291.json"]
    with pytest.raises(ParseError, match="not JSON"):
        records.parse_listing("Get-ChildItem : Access is denied")


def test_each_record_says_in_one_line_what_was_changed() -> None:
    described = [records.describe(records.parse(json.dumps(document))) for document in LEGACY.values()]
    assert described == [
        "service ctxflt: Start 0 -> 4",
        "boot entry {default}: safeboot Network -> absent",
        "boot entry {default}: safeboot absent -> Minimal",
        "listed under SafeBoot\\Network: WinRM",
        "servicing removed: Package_for_RollupFix~31bf3856ad364e35~amd64~~20348.2582.1.7",
    ]
    assert records.describe(records.parse(json.dumps(LEGACY_MANIFEST))) == (
        f"quarantine channel-file-291: {FILE['name']} away from D:\\Windows\\System32\\drivers\\CrowdStrike"
    )
