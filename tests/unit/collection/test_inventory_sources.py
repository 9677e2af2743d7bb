"""The fleet inventory's sources through ansible-inventory: combined, and malformed ones reported by
file and line without losing the others (no probe: these hosts do not exist)."""

from __future__ import annotations

import json
from pathlib import Path

from .test_inventory_fleet import inventory_list, run, write_config


def test_sources_combine_and_bad_records_are_warnings_naming_file_and_line(tmp_path: Path) -> None:
    cmdb = tmp_path / "cmdb.csv"
    cmdb.write_text("name,address,ring,site\nWS-1,10.0.0.1,canary,paris\nWS 2,10.0.0.2,,x\n")
    signals = tmp_path / "signals.jsonl"
    signals.write_text(
        json.dumps({"host": "WS-7", "time": "2026-01-01T10:00:00Z", "bugcheck": "0x50", "module": "CSAgent.sys"})
        + "\n{broken\n"
    )
    config = write_config(
        tmp_path / "fleet.lifeline.yml",
        hosts=["WS-5"],
        address_ranges=["10.1.0.0/30"],
        cmdb_files=["cmdb.csv", "missing.csv"],
        signals_files=["signals.jsonl"],
    )

    result = run("ansible-inventory", "-i", str(config), "--list", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    stderr = " ".join(result.stderr.split())
    assert f"{cmdb} line 3: host name 'WS 2' is not a valid host name" in stderr
    assert f"{signals} line 2: not valid JSON" in stderr
    assert f"cannot read the CMDB export {tmp_path / 'missing.csv'}" in stderr
    listed = inventory_list("-i", str(config), cwd=tmp_path)
    hostvars = listed["_meta"]["hostvars"]
    assert sorted(hostvars) == ["10.1.0.1", "10.1.0.2", "WS-1", "WS-5", "WS-7"]
    assert hostvars["WS-1"]["lifeline_recovery_ring"] == "canary"
    assert hostvars["WS-1"]["lifeline_source_data"] == {"site": "paris"}
    assert hostvars["WS-1"]["ansible_host"] == "10.0.0.1"
    assert hostvars["WS-7"]["lifeline_recovery_state"] == "unbootable"  # probe off: the signal says it
    assert listed["signature_0x50_csagent_sys"]["hosts"] == ["WS-7"]
    assert "ansible_password" not in hostvars["WS-7"]


def test_strict_sources_make_any_problem_an_error(tmp_path: Path) -> None:
    signals = tmp_path / "signals.jsonl"
    signals.write_text('{"host": "WS-1", "event": "heartbeat", "time": "2026-01-01T00:00:00Z"}\n[]\n')
    config = write_config(tmp_path / "fleet.lifeline.yml", signals_files=[str(signals)], strict_sources=True)

    result = run("ansible-inventory", "-i", str(config), "--list", cwd=tmp_path)

    assert result.returncode != 0
    assert f"{signals} line 2: is not a JSON object" in " ".join(result.stderr.split())


def test_connection_settings_come_from_the_config_never_from_a_source(tmp_path: Path) -> None:
    cmdb = tmp_path / "cmdb.json"
    cmdb.write_text(json.dumps([{"name": "WS-1", "ansible_connection": "local", "ansible_port": 22, "scheme": "http"}]))
    config = write_config(
        tmp_path / "fleet.lifeline.yml",
        cmdb_files=[str(cmdb)],
        winrm_scheme="http",
        winrm_user="svc",
        winrm_password="secret",
    )
    hostvars = inventory_list("-i", str(config), cwd=tmp_path)["_meta"]["hostvars"]["WS-1"]
    assert hostvars["ansible_connection"] == "ansible.builtin.winrm"
    assert hostvars["ansible_port"] == 5985
    assert hostvars["ansible_winrm_message_encryption"] == "always"
    assert hostvars["ansible_user"] == "svc"
    assert hostvars["lifeline_source_data"] == {"ansible_connection": "local", "ansible_port": "22", "scheme": "http"}

    basic = write_config(tmp_path / "basic.lifeline.yml", hosts=["WS-1"], winrm_scheme="http", winrm_transport="basic")
    result = run("ansible-inventory", "-i", str(basic), "--list", cwd=tmp_path)
    assert result.returncode != 0
    assert "Basic over plain HTTP" in result.stderr
