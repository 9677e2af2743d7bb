"""Shared by the rollout tests: a lab fleet with the inventory's verdicts as static variables, and
ground-truth snapshots to compare before and after a playbook."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import yaml

from ..unit.collection.report_pages import Page, read_page
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


# A recovery password as manage-bde and escrow exports write it: eight groups of six digits.
_RECOVERY_PASSWORD = re.compile(r"\b\d{6}(?:-\d{6}){7}\b")


def browser_dom(page: Path) -> str:
    """The page as headless Chromium (Debian package chromium, installed by scripts/test) builds its DOM."""
    chromium = shutil.which("chromium")
    assert chromium, "no chromium: run scripts/bootstrap as root, or apt-get install chromium"
    # --no-sandbox: the suite runs as root in CI, where Chromium's sandbox refuses to start.
    command = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", page.as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0 and "</html>" in done.stdout, done.stderr[-2000:]
    return done.stdout


def renderings(directory: Path, fleet: LabFleet) -> tuple[Page, ET.Element]:
    """The newest rollout report's HTML page as Chromium renders it, and its JUnit XML; neither (nor the JSON
    report) holds a secret of the fleet: an account password or an escrowed recovery password."""
    newest = sorted((directory / "reports").glob("rollout-*.json"))[-1]
    html, junit = newest.with_suffix(".html"), newest.with_name(newest.stem + ".junit.xml")
    secrets = {host["password"] for host in fleet.hosts}
    secrets |= set(_RECOVERY_PASSWORD.findall(Path(fleet.content["bitlocker_escrow_file"]).read_text()))
    for path in (newest, html, junit):
        text = path.read_text()
        assert not [secret for secret in secrets if secret in text], path
    return read_page(browser_dom(html)), ET.fromstring(junit.read_text())


def junit_verdicts(junit: ET.Element) -> dict[str, str]:
    """Each host's JUnit verdict: passed, failure or skipped."""
    return {case.get("name"): (case[0].tag if len(case) else "passed") for case in junit.iter("testcase")}


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


def wrong_mapping(directory: Path) -> Path:
    """The shipped mapping quarantining a good channel file (290) instead of 291: a remediated host comes back
    crashing, so its boot proof fails (what the halt tests need)."""
    mapping = yaml.safe_load((REMEDIATE.parent / "vars" / "remediations.yml").read_text())
    wrong = mapping["lifeline_remediations"][0]["vars"]
    wrong["channel_file_remediation_patterns"] = ["C-00000290*.sys"]
    wrong["channel_file_remediation_modified_after"] = wrong["channel_file_remediation_modified_before"] = ""
    wrong["channel_file_remediation_quarantine_id"] = "wrong-file"
    path = directory / "remediations.yml"
    path.write_text(yaml.safe_dump(mapping))
    return path
