"""playbooks/rollback.yml after playbooks/remediate.yml: every host's files, services, boot settings
and packages are as they were before the remediation (the lab's ground truth, compared whole), whatever mapping
the remediation used, from the host's records alone; a host without records has nothing to restore. The one
exception is by design: the WinRE failover's marker, which exit_recovery deletes so the failover is armed again,
is not put back (win_boot_config state=absent writes no record for it)."""

from __future__ import annotations

import pytest
import yaml

from .conftest import REPO, lab, start_fleet
from .playbooks import static_inventory
from .rollout_support import LAB_MAPPING, REMEDIATE, ROLLBACK, on_disk, recap, rollout_inventory, run

pytestmark = pytest.mark.integration

MARKER = "{07b12ddd-c467-4140-8aab-3313b0711336}"  # the WinRE failover's BCD object: Safe Mode was tried


def armed_again(state: dict) -> dict:
    """``on_disk`` state as a rollback leaves it: the same, without the failover's marker."""
    entries = {name: entry for name, entry in state["bcd"]["entries"].items() if name != MARKER}
    return {**state, "bcd": {**state["bcd"], "entries": entries}}


def reachable(fleet) -> list[str]:
    """The hosts whose WinRM answers (armed hosts in Safe Mode with Networking): the ones Lifeline remediates. Hosts
    in stock WinRE need hands; what rollout.yml does with unreachable hosts is tested with the rollout."""
    names = [host["name"] for host in fleet.hosts if fleet.show(host["name"])["winrm_reachable"]]
    assert len(names) >= 2, names
    return names


@pytest.mark.parametrize(
    ("scenario", "signature"), [("crowdstrike-291", "0x50:csagent.sys"), ("bad-boot-driver", "0x7e:ctxflt.sys")]
)
def test_remediate_then_rollback_puts_every_host_back_as_it_was(tmp_path, scenario, signature):
    fleet = start_fleet(tmp_path, "--scenario", scenario, "--hosts", "4", "--reboot-seconds", "0.3")
    try:
        names = reachable(fleet)
        inventory = rollout_inventory(fleet, tmp_path, dict.fromkeys(names, "canary"), signature)
        before = {name: on_disk(fleet.show(name)) for name in names}
        assert all(MARKER in before[name]["bcd"]["entries"] for name in names)  # the armed hosts failed over

        remediated = run(inventory, REMEDIATE, tmp_path, *LAB_MAPPING)
        assert remediated.returncode == 0, remediated.stdout[-4000:]
        assert all(on_disk(fleet.show(name)) != before[name] for name in names)  # the remediation changed them

        rolled_back = run(inventory, ROLLBACK, tmp_path)
        assert rolled_back.returncode == 0, rolled_back.stdout[-4000:]
        for name in names:
            assert on_disk(fleet.show(name)) == armed_again(before[name]), name

        again = run(inventory, ROLLBACK, tmp_path)
        assert again.returncode == 0 and "changed=0" in again.stdout, again.stdout[-3000:]
    finally:
        lab("down", "--fleet-file", str(fleet.fleet_file))


def test_a_remediation_with_its_own_mapping_is_rolled_back_without_the_mapping(tmp_path):
    """The mapping names another quarantine id and pattern than the role's defaults; rollback.yml is not told
    which mapping the remediation used: the host's records say what to undo."""
    fleet = start_fleet(tmp_path, "--scenario", "crowdstrike-291", "--hosts", "4", "--reboot-seconds", "0.3")
    try:
        names = reachable(fleet)
        inventory = rollout_inventory(fleet, tmp_path, dict.fromkeys(names, "canary"), "0x50:csagent.sys")
        mapping = yaml.safe_load((REPO / "playbooks" / "vars" / "remediations.yml").read_text())
        falcon = mapping["lifeline_remediations"][0]["vars"]
        falcon.update(channel_file_remediation_patterns=["C-00000291-*.sys"],
                      channel_file_remediation_quarantine_id="contoso-falcon-291")  # fmt: skip
        (tmp_path / "mapping.yml").write_text(yaml.safe_dump(mapping))
        before = {name: on_disk(fleet.show(name)) for name in names}

        remediated = run(inventory, REMEDIATE, tmp_path, "-e", f"lifeline_remediations_file={tmp_path / 'mapping.yml'}")
        assert remediated.returncode == 0, remediated.stdout[-4000:]
        for name in names:
            files = fleet.show(name)["machine"]["files"]
            assert any("\\quarantine\\contoso-falcon-291\\" in path.lower() for path in files), name

        rolled_back = run(inventory, ROLLBACK, tmp_path)
        assert rolled_back.returncode == 0, rolled_back.stdout[-4000:]
        for name in names:
            assert on_disk(fleet.show(name)) == armed_again(before[name]), name
            undone = rolled_back.result("Undo what the host's records say, newest first", name)
            assert undone["changed"] is True and "quarantine" in [step["kind"] for step in undone["undone"]]
    finally:
        lab("down", "--fleet-file", str(fleet.fleet_file))


def test_a_host_without_records_rolls_back_as_ok_and_unchanged(tmp_path):
    fleet = start_fleet(tmp_path, "--scenario", "healthy", "--hosts", "1")
    try:
        (name,) = [host["name"] for host in fleet.hosts]
        before = on_disk(fleet.show(name))
        rolled_back = run(static_inventory(fleet, tmp_path), ROLLBACK, tmp_path)
        assert rolled_back.returncode == 0, rolled_back.stdout[-4000:]
        counts = recap(rolled_back.stdout, name)
        assert (counts["changed"], counts["failed"], counts["ignored"]) == (0, 0, 0), counts
        undone = rolled_back.result("Undo what the host's records say, newest first", name)
        assert undone["_status"] == "ok" and undone["nothing_to_restore"] is True and undone["records"] == []
        # nothing failed and was then excused by its error text
        assert "there is no rollback record" not in rolled_back.stdout
        assert on_disk(fleet.show(name)) == before
    finally:
        lab("down", "--fleet-file", str(fleet.fleet_file))
