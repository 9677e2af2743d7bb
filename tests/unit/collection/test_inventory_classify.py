"""The fleet inventory's pure parts: the verdicts on the host survey the probe reads, and the sources' readers."""

from __future__ import annotations

import csv
import datetime
import json

import pytest

from ansible_collections.lifeline.recovery.plugins.plugin_utils._classify import classify, group_name, recovery_ring
from ansible_collections.lifeline.recovery.plugins.plugin_utils._probe import ProbeResult
from ansible_collections.lifeline.recovery.plugins.plugin_utils._readiness import (
    newest,
    read_readiness,
    readiness_report,
)
from ansible_collections.lifeline.recovery.plugins.plugin_utils._recovery_survey import parse_environment_survey
from ansible_collections.lifeline.recovery.plugins.plugin_utils._sources import (
    CSV_FIELD_LIMIT,
    SourceError,
    address_range,
    merge_hosts,
    read_cmdb,
    read_signals,
    signals_by_host,
    static_hosts,
)

from .surveys import RUNNING, SAFE_BOOT_OPTION, dump_header, minidump, sample, survey_json, volume

NOW = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
STATUS_LOCKED_F = sample("mbde_status_locked.txt")
WINRE_LOCKED = {"volumes": [volume("X:")], "manage_bde": STATUS_LOCKED_F}  # D: not readable, F: locked
SAFE_MODE_NETWORK = {**RUNNING, "safeboot": SAFE_BOOT_OPTION.format(2), "safeboot_rc": 0}


def answered(text: str) -> ProbeResult:
    look = parse_environment_survey(text)
    return ProbeResult("WS-1", "answered", f"answered in {look.environment}", look, NOW, 0.1)


def silent(reachability: str = "no_answer") -> ProbeResult:
    return ProbeResult("WS-1", reachability, "no answer to WS-Man Identify", None, NOW, 0.1)


def in_safe_mode_with(*dumps: dict) -> ProbeResult:
    """A host that answered from Safe Mode with Networking, these minidumps in C:\\Windows\\Minidump."""
    return answered(survey_json(**{**SAFE_MODE_NETWORK, "volumes": [volume("C:", minidumps=list(dumps))]}))


# --- verdicts ---------------------------------------------------------------------------------


def test_a_cut_off_minidump_is_evidence_not_a_bugcheck() -> None:
    verdict = classify("WS-1", in_safe_mode_with(minidump("x.dmp", 1721362140000, dump_header(0x50)[:40])), None)
    assert verdict.failure_signature is None
    assert "latest minidump x.dmp (2024-07-19T04:09:00Z): an unreadable header" in verdict.evidence


def test_bitlocker_lock_of_the_windows_volume_and_what_could_not_be_read() -> None:
    assert classify("WS-1", answered(survey_json(**RUNNING)), None).bitlocker_locked is False
    assert classify("WS-1", answered(survey_json(**WINRE_LOCKED)), None).bitlocker_locked is True
    unreadable = classify(
        "WS-1", answered(survey_json(**{**WINRE_LOCKED, "manage_bde": "Ceci n'est pas manage-bde"})), None
    )
    assert unreadable.bitlocker_locked is None
    assert any(item.startswith("could not read: ") for item in unreadable.evidence)


def signals(*lines: dict) -> dict:
    found, problems = read_signals("\n".join(json.dumps(line) for line in lines), "signals.jsonl")
    assert not problems
    return signals_by_host(found)


CRASH = {"host": "WS-1", "event": "crash", "time": "2026-01-01T10:00:00Z", "bugcheck": "0x00000050",
         "module": "CSAgent.sys", "last_heartbeat": "2026-01-01T09:59:00Z"}  # fmt: skip


def test_healthy_and_recovery_reachable() -> None:
    healthy = classify("WS-1", answered(survey_json(**RUNNING)), None)
    assert (healthy.recovery_state, healthy.boot_environment, healthy.failure_signature) == ("healthy", "normal", None)
    in_winre = classify("WS-1", answered(survey_json(**WINRE_LOCKED)), signals(CRASH)["ws-1"])
    assert in_winre.recovery_state == "recovery_reachable"
    assert in_winre.reachability == "answered_in_recovery"
    assert in_winre.failure_signature == "0x50:csagent.sys"
    assert in_winre.bitlocker_locked is True
    assert in_winre.last_seen == "2026-01-02T03:04:05Z"


def test_a_minidump_alone_gives_the_bugcheck_without_a_module() -> None:
    verdict = classify("WS-1", in_safe_mode_with(minidump("a.dmp", 1721362140000, dump_header(0x7E))), None)
    assert verdict.failure_signature == "0x7e"
    assert any("latest minidump a.dmp" in item for item in verdict.evidence)


def test_a_silent_host_is_unbootable_only_with_a_crash_after_its_last_heartbeat() -> None:
    verdict = classify("WS-1", silent(), signals(CRASH)["ws-1"])
    assert verdict.recovery_state == "unbootable"
    assert verdict.failure_signature == "0x50:csagent.sys"
    assert verdict.last_seen == "2026-01-01T09:59:00Z"
    assert any(item.startswith("signal (signals.jsonl line 1): crash") for item in verdict.evidence)

    assert classify("WS-1", silent(), None).recovery_state == "unknown"
    came_back = signals(CRASH, {"host": "WS-1", "event": "heartbeat", "time": "2026-01-01T11:00:00Z"})["ws-1"]
    assert classify("WS-1", silent(), came_back).recovery_state == "unknown"


def readiness_of(**hosts: dict) -> dict:
    report = readiness_report(hosts, NOW)
    found, problems = read_readiness(json.dumps(report), "readiness.json")
    assert problems == []
    return found


def test_a_silent_host_needs_hands_and_its_readiness_says_why() -> None:
    crash = signals(CRASH)["ws-1"]
    armed = readiness_of(**{"WS-1": {"ready": True, "armed": True}})["ws-1"]
    unarmed = readiness_of(**{"WS-1": {"armed": False, "lacking": ["Windows RE is disabled"]}})["ws-1"]
    pin = readiness_of(**{"WS-1": {"armed": True, "tpm_pin": True}})["ws-1"]
    reasons = {}
    for label, record in (("armed", armed), ("unarmed", unarmed), ("pin", pin), ("none", None)):
        verdict = classify("WS-1", silent(), crash, readiness=record)
        assert (verdict.recovery_state, verdict.recovery_path) == ("unbootable", "needs_hands")
        assert f"readiness{' (readiness.json)' if record else ''}: {verdict.recovery_path_reason}" in verdict.evidence
        reasons[label] = verdict.recovery_path_reason
    assert "Safe Mode with Networking failed" in reasons["armed"] and "2026-01-02T03:04:05" in reasons["armed"]
    assert "failover not armed" in reasons["unarmed"] and "Windows RE is disabled" in reasons["unarmed"]
    assert "PIN prompt" in reasons["pin"]
    assert "no readiness record" in reasons["none"]
    quiet = classify("WS-1", silent(), None, readiness=pin)  # silent, no crash signal: not known to be down
    assert (quiet.recovery_state, quiet.recovery_path) == ("unknown", None)
    said = "readiness (readiness.json), if it is down: BitLocker TPM+PIN"
    assert any(item.startswith(said) for item in quiet.evidence)
    reachable = classify("WS-1", in_safe_mode_with(), None, readiness=armed)
    assert (reachable.recovery_path, reachable.recovery_path_reason) == (
        "in_band",
        "WinRM answers in safe_mode_network",
    )
    assert classify("WS-1", answered(survey_json(**RUNNING)), None).recovery_path is None


def test_readiness_reports_are_checked_and_the_newest_record_wins() -> None:
    with pytest.raises(ValueError, match=r"old\.json: not a Lifeline readiness report"):
        read_readiness(json.dumps({"hosts": {}}), "old.json")
    with pytest.raises(ValueError, match=r"bad\.json: not valid JSON"):
        read_readiness("{", "bad.json")
    found, problems = read_readiness(
        json.dumps({"kind": "lifeline_readiness", "hosts": {"WS-1": "armed", "WS-2": {"armed": "yes"}}}), "r.json"
    )
    assert problems == ["r.json: the record of host 'WS-1' is not a mapping"]
    assert found["ws-2"].armed is False  # only a JSON true arms a host
    earlier = readiness_of(**{"WS-1": {"armed": True, "checked": "2026-01-01T00:00:00+00:00"}})
    later = readiness_of(**{"WS-1": {"armed": False, "checked": "2026-01-03T00:00:00+00:00"}})
    assert newest([later, earlier])["ws-1"].armed is False


def test_a_refused_login_is_unknown_even_with_a_crash_signal() -> None:
    verdict = classify("WS-1", silent("login_refused"), signals(CRASH)["ws-1"])
    assert (verdict.recovery_state, verdict.reachability) == ("unknown", "login_refused")
    assert verdict.last_seen == "2026-01-02T03:04:05Z"


def test_rings_are_deterministic_and_overridable() -> None:
    rings = [recovery_ring(f"WS-{index:04d}", None, 5, 20) for index in range(2000)]
    assert rings == [recovery_ring(f"ws-{index:04d}", None, 5, 20) for index in range(2000)]
    assert 50 < rings.count("canary") < 150 and 300 < rings.count("pilot") < 500
    assert recovery_ring("WS-0001", "canary", 0, 0) == "canary"
    assert classify("WS-1", None, None, ring_override="pilot").recovery_ring == "pilot"


def test_group_names_are_plain() -> None:
    assert group_name("signature", "0x50:csagent.sys") == "signature_0x50_csagent_sys"


# --- sources ----------------------------------------------------------------------------------


def test_cmdb_csv_and_json_with_bad_records_named_by_line() -> None:
    records, problems = read_cmdb(
        "ComputerName,IP,Ring,Owner\nWS-1,10.0.0.1,Canary,ops\nbad name,10.0.0.2,,x\nWS-3,10.0.0.3,wave,x\nWS-4,,,\n",
        "cmdb.csv",
    )
    assert [(r.name, r.address, r.ring, dict(r.data)) for r in records] == [
        ("WS-1", "10.0.0.1", "canary", {"owner": "ops"}),
        ("WS-4", None, None, {"owner": ""}),
    ]
    assert [str(p) for p in problems] == [
        "cmdb.csv line 3: host name 'bad name' is not a valid host name (letters, digits, . _ -)",
        "cmdb.csv line 4: ring 'wave' of WS-3 is not one of canary, pilot, broad",
    ]
    records, problems = read_cmdb('{"hosts": [{"hostname": "WS-9"}, 7]}', "cmdb.json")
    assert [r.name for r in records] == ["WS-9"] and str(problems[0]) == "cmdb.json item 2: is not an object"
    with pytest.raises(SourceError, match=r"cmdb\.json line 2: not valid JSON"):
        read_cmdb('[\n{"name": }]', "cmdb.json")
    with pytest.raises(SourceError, match=r"cmdb\.csv line 1: the CSV header names no host column"):
        read_cmdb("serial,owner\n1,2\n", "cmdb.csv")


def test_an_oversized_csv_field_drops_its_record_only() -> None:
    process_limit = csv.field_size_limit()
    big = "x" * (CSV_FIELD_LIMIT + 1)
    smuggled = f"{big}\nEVIL-1,10.6.6.6,inside the quoted field\n"  # one record over three lines
    text = f'name,address,notes\nWS-1,10.0.0.1,ok\nWS-2,10.0.0.2,{big}\nWS-3,10.0.0.3,"{smuggled}"\nWS-4,,fine\n'

    records, problems = read_cmdb(text, "cmdb.csv")

    assert [record.name for record in records] == ["WS-1", "WS-4"]
    assert [str(problem) for problem in problems] == [
        f"cmdb.csv line 3: field 'notes' is {len(big)} characters long, over the limit of {CSV_FIELD_LIMIT}",
        f"cmdb.csv line 6: field 'notes' is {len(smuggled)} characters long, over the limit of {CSV_FIELD_LIMIT}",
    ]
    assert csv.field_size_limit() == process_limit  # the process-wide setting is left as it was


GOOD_ADDRESSES = ["10.0.0.1", "::1", "2001:db8::5", "ws-1.corp.example.com", "WS-0001", "1host.example", "a" * 63]
BAD_ADDRESSES = [
    "127.0.0.9@127.33.0.2",  # user part: the URL would go to 127.33.0.2
    "host:5985/#",
    "10.0.0.1:5985",
    "http://10.0.0.1",
    "host/wsman",
    "[::1]",
    "fe80::1%eth0",
    "-host",
    "host-",
    "a..b",
    "host_1",
    "127.1",  # a last label of digits: getaddrinfo would read it as 127.0.0.1
    "10.0.0.256",
    " 10.0.0.1",
    "10.0.0.1\n",
    "a" * 64,
    ".".join(["a" * 63] * 4),  # 255 characters
]


def test_addresses_are_ip_literals_or_rfc_1123_names_and_nothing_else() -> None:
    addresses = GOOD_ADDRESSES + BAD_ADDRESSES
    items = [{"name": f"WS-{index}", "address": address} for index, address in enumerate(addresses, start=1)]

    records, problems = read_cmdb(json.dumps(items), "cmdb.json")

    assert [record.address for record in records] == GOOD_ADDRESSES
    rule = "is not an IPv4 or IPv6 address or a DNS host name (RFC 1123: labels of letters, digits and hyphens; "
    assert len(problems) == len(BAD_ADDRESSES)
    for index, problem in enumerate(problems, start=len(GOOD_ADDRESSES) + 1):
        assert str(problem).startswith(f"cmdb.json item {index}: address "), problem
        assert rule in str(problem) and str(problem).endswith(f"(host WS-{index})"), problem
    csv_records, csv_problems = read_cmdb("name,address\nWS-1,127.0.0.9@127.33.0.2\nWS-2,10.0.0.2\n", "cmdb.csv")
    assert [record.name for record in csv_records] == ["WS-2"]
    assert str(csv_problems[0]).startswith("cmdb.csv line 2: address '127.0.0.9@127.33.0.2' is not an IPv4")


def test_signals_skip_bad_lines_naming_them() -> None:
    text = "\n".join(
        [
            json.dumps(CRASH),
            "{not json",
            json.dumps({"host": "WS-2", "bugcheck": "zz"}),
            "",
            json.dumps({"host": "WS-3", "event": "heartbeat"}),
        ]
    )
    found, problems = read_signals(text, "/x/signals.jsonl")
    assert [s.host for s in found] == ["WS-1"]
    assert [str(p).split(":")[0] for p in problems] == [
        "/x/signals.jsonl line 2",
        "/x/signals.jsonl line 3",
        "/x/signals.jsonl line 5",
    ]


def test_static_hosts_ranges_and_merging() -> None:
    records, problems = static_hosts(["WS-1", {"name": "WS-2", "address": "10.0.0.2", "ring": "broad"}, 5])
    assert [r.name for r in records] == ["WS-1", "WS-2"] and len(problems) == 1
    assert address_range("10.0.0.0/30") == ["10.0.0.1", "10.0.0.2"]
    assert address_range("10.0.0.254-10.0.1.1") == ["10.0.0.254", "10.0.0.255", "10.0.1.0", "10.0.1.1"]
    with pytest.raises(SourceError, match="address range"):
        address_range("10.0.0.9-10.0.0.1")
    cmdb, _ = read_cmdb("name,address,site\nws-2,10.9.9.9,paris\n", "cmdb.csv")
    merged = merge_hosts([records, cmdb])
    assert [(r.name, r.address, r.ring, dict(r.data)) for r in merged] == [
        ("WS-1", None, None, {}),
        ("WS-2", "10.0.0.2", "broad", {"site": "paris"}),
    ]
