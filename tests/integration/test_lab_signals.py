"""The lab's monitoring export: heartbeats and crash events that agree with each host's ground truth."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import LabFleet, lab, start_fleet


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabFleet]:
    started = start_fleet(tmp_path_factory.mktemp("signals"), "--scenario", "mixed", "--hosts", "40")
    yield started
    lab("down", "--fleet-file", str(started.fleet_file))


def test_signals_export_reports_every_recorded_bugcheck_and_the_heartbeat_before_it(mixed: LabFleet) -> None:
    path = Path(mixed.content["signals_file"])
    assert path.parent == Path(mixed.content["state_dir"])
    events = [json.loads(line) for line in path.read_text().splitlines()]
    for host in mixed.hosts:
        truth = mixed.show(host["name"])["machine"]
        mine = [event for event in events if event["host"] == host["name"]]
        heartbeats = [event for event in mine if event["event"] == "heartbeat"]
        crashes = [event for event in mine if event["event"] == "crash"]
        assert len(heartbeats) == 1
        exported = [(c["time"], c["bugcheck"], c["module"]) for c in crashes]
        expected = [(c["time"], c["bugcheck"], c["module"]) for c in truth["crashes"] if c["bugcheck"]]
        if truth["power"] == "running":
            assert exported == expected
        else:  # a boot loop goes on crashing after the export was written
            assert exported and {c[1:] for c in exported} == {c[1:] for c in expected}
        if truth["environment"] == "normal" and truth["power"] == "running":
            assert not truth["crashes"]
        else:
            assert truth["crashes"], host["name"]
            assert heartbeats[0]["time"] < truth["crashes"][0]["time"]
            assert all(c["last_heartbeat"] == heartbeats[0]["time"] for c in crashes)
