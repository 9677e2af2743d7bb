"""Shared by the rollout tests: a lab fleet with the inventory's verdicts as static variables, and
ground-truth snapshots to compare before and after a playbook."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from .conftest import REPO, LabFleet
from .playbooks import PlayRun, ansible_playbook, static_inventory

REMEDIATE = REPO / "playbooks" / "remediate.yml"
ROLLBACK = REPO / "playbooks" / "rollback.yml"
# The lab estate's mapping (the shipped one plus the lab scenarios' fictional incidents), as extra vars.
LAB_MAPPING = ("-e", f"lifeline_remediations_file={REPO / 'inventories' / 'lab' / 'remediations.yml'}")


def rollout_inventory(
    fleet: LabFleet, directory: Path, rings: dict[str, str], signature: str | dict[str, str | None] | None
) -> Path:
    """The fleet as the lifeline.recovery.fleet inventory would classify it: a host whose WinRM answers (the lab's
    ground truth) reachable in recovery, one that does not (stock WinRE, a boot loop) unbootable and needing
    hands; each with `signature` (one for all, or per host; None: the inventory saw no crash), in the ring
    `rings` names (only those hosts); the escrow export for BitLocker hosts; fast lab restarts."""
    path = static_inventory(fleet, directory, names=list(rings))
    document = yaml.safe_load(path.read_text())
    for name, variables in document["all"]["hosts"].items():
        reachable = fleet.show(name)["winrm_reachable"]
        variables.update(
            lifeline_recovery_state="recovery_reachable" if reachable else "unbootable",
            lifeline_recovery_path="in_band" if reachable else "needs_hands",
            lifeline_failure_signature=signature.get(name) if isinstance(signature, dict) else signature,
            lifeline_recovery_ring=rings[name],
        )
    document["all"]["vars"] = {
        "lifeline_bitlocker_escrow_file": fleet.content["bitlocker_escrow_file"],
        "exit_recovery_pre_reboot_delay": 0,
        "exit_recovery_reboot_timeout": 20,
    }
    path.write_text(yaml.safe_dump(document))
    return path


def run_env(directory: Path) -> dict[str, str]:
    """Each test's reports and controller locks in its own folder."""
    return {"LIFELINE_REPORT_DIR": str(directory / "reports"), "LIFELINE_LOCK_DIR": str(directory / "locks")}


def run(inventory: Path, playbook: Path, directory: Path, *arguments: str) -> PlayRun:
    return ansible_playbook(inventory, playbook, *arguments, env=run_env(directory))


def set_host_vars(inventory: Path, **per_host: dict) -> None:
    """Add variables to hosts of a static inventory: ``set_host_vars(path, HOST={"var": value})``."""
    document = yaml.safe_load(inventory.read_text())
    for name, variables in per_host.items():
        document["all"]["hosts"][name.replace("_", "-")].update(variables)
    inventory.write_text(yaml.safe_dump(document))


def recap(stdout: str, host: str) -> dict[str, int]:
    """The host's line of Ansible's PLAY RECAP as numbers: ok, changed, unreachable, failed, ..."""
    line = re.search(rf"^{re.escape(host)}\s+: (.*)$", stdout, re.M)
    assert line, stdout[-2000:]
    return {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", line.group(1))}


def report(directory: Path) -> dict:
    reports = sorted((directory / "reports").glob("rollout-*.json"))
    assert reports, "the rollout_summary callback wrote no report"
    return yaml.safe_load(reports[-1].read_text())


def on_disk(truth: dict) -> dict:
    """What a remediation may change and a rollback must restore: files (outside Lifeline's own
    quarantine and records, crash dumps and hive files), services, the BCD store and packages."""
    machine = truth["machine"]
    skipped = ("\\lifeline\\", "\\minidump\\", "\\system32\\config\\")
    files = {
        path: entry["sha256"] for path, entry in machine["files"].items() if not any(s in path.lower() for s in skipped)
    }
    return {
        "files": files,
        "services": machine["registry"]["services"],
        "bcd": machine["bcd"],
        "packages": machine["packages"],
    }
