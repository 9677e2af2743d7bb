"""What a staged remediation of a whole fleet costs, measured on the lab.

Brings up a lab fleet (default: 500 hosts of the crowdstrike-291 scenario, reboots of 3 s), runs the real
`playbooks/remediate.yml` through the real `lifeline.recovery.fleet` inventory, and prints:
- wall time of the inventory (probe and classification) and of the rollout, and hosts recovered per minute;
- controller CPU seconds per host (ansible-playbook and its forked workers, from the kernel's child rusage);
- WinRM round trips (HTTP requests) and bytes in and out per host, from the lab's own counters;
- how many hosts the lab's ground truth shows running normally afterwards.

Run: .venv/bin/python bench/fleet_remediation.py [--hosts 500] [--scenario crowdstrike-291]
     [--reboot-seconds 3] [--forks 50]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
# The armed hosts of a scenario carry the collection's own WinRE failover.
FAILOVER = REPO / "roles" / "winre_failover" / "files" / "lifeline-failover.cmd"
BIN = Path(sys.executable).parent


def lab(*arguments: str) -> str:
    result = subprocess.run([sys.executable, "-m", "lifeline_lab", *arguments], capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"lifeline-lab {arguments[0]} failed ({result.returncode}): {result.stderr.strip()}")
    return result.stdout


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], environment: dict[str, str]) -> tuple[float, float, subprocess.CompletedProcess]:
    """Wall seconds and controller CPU seconds (the command and all its children) of one command."""
    cpu_before, started = children_cpu_seconds(), time.monotonic()
    completed = subprocess.run(command, capture_output=True, text=True, env=environment, cwd=REPO)
    return time.monotonic() - started, children_cpu_seconds() - cpu_before, completed


def counters(fleet_file: Path) -> dict[str, dict]:
    status = json.loads(lab("status", "--fleet-file", str(fleet_file), "--json"))
    return {host["name"]: host for host in status["hosts"]}


def totals(status: dict[str, dict], key: str) -> int:
    return sum(host["counters"][key] for host in status.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", type=int, default=500)
    parser.add_argument("--scenario", default="crowdstrike-291")
    parser.add_argument("--reboot-seconds", type=float, default=3.0)
    parser.add_argument("--forks", type=int, default=50)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="lifeline-bench-") as directory:
        fleet_file = Path(directory) / "fleet.yml"
        lab("up", "--fleet-file", str(fleet_file), "--scenario", args.scenario, "--hosts", str(args.hosts),
            "--reboot-seconds", str(args.reboot_seconds), "--winre-failover", str(FAILOVER))  # fmt: skip
        try:
            described = yaml.safe_load(fleet_file.read_text())
            escrow = described["bitlocker_escrow_file"]
            inventory = described["inventory_files"]["http"]  # what the lab writes for its estate: NTLM, sealed
            # The lab estate's mapping: the shipped one plus the lab scenarios' fictional incidents.
            mapping = f"lifeline_remediations_file={REPO / 'inventories' / 'lab' / 'remediations.yml'}"
            environment = dict(
                os.environ,
                LIFELINE_BITLOCKER_ESCROW_FILE=escrow,  # the lab's escrow export: recovery passwords for the unlock
                ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
                ANSIBLE_FORKS=str(args.forks),
                ANSIBLE_NOCOLOR="1",
                LIFELINE_REPORT_DIR=directory,
            )
            inventory_wall, inventory_cpu, listed = timed(
                [str(BIN / "ansible-inventory"), "-i", str(inventory), "--list"], environment
            )
            if listed.returncode != 0:
                raise SystemExit(f"ansible-inventory failed: {listed.stderr[-2000:]}")
            before = counters(fleet_file)
            wall, cpu, run = timed(
                # The passwords come from the secrets vars file the lab writes (the inventory hands out none).
                [str(BIN / "ansible-playbook"), "-i", inventory, "-e", f"@{described['secrets_file']}", "-e", mapping,
                 "playbooks/remediate.yml"],
                environment,
            )  # fmt: skip
            after = counters(fleet_file)
        finally:
            lab("down", "--fleet-file", str(fleet_file))

    hosts = len(after)
    normal = sum(1 for host in after.values() if host["power"] == "running" and host["environment"] == "normal")
    touched = [name for name in after if after[name]["counters"]["commands"] > before[name]["counters"]["commands"]]
    requests = totals(after, "requests") - totals(before, "requests")
    traffic = (totals(after, "bytes_in") + totals(after, "bytes_out")) - (
        totals(before, "bytes_in") + totals(before, "bytes_out")
    )
    per = max(len(touched), 1)
    print(f"fleet: {hosts} hosts, scenario {args.scenario}, reboots of {args.reboot_seconds} s, {args.forks} forks")
    print(f"inventory (probe + classification): {inventory_wall:.1f} s wall, {inventory_cpu:.1f} s controller CPU")
    print(f"remediate.yml: exit {run.returncode}, {wall:.1f} s wall")
    print(f"  hosts remediated (WinRM commands seen by the lab): {len(touched)}")
    print(f"  hosts running normally afterwards (lab ground truth): {normal} of {hosts}")
    print(f"  hosts recovered per minute: {normal / (wall / 60):.0f}")
    print(f"  controller CPU: {cpu:.1f} s in all, {cpu / per:.2f} s per remediated host")
    print(f"  WinRM round trips per remediated host: {requests / per:.1f}")
    print(f"  WinRM bytes per remediated host: {traffic / per / 1024:.1f} KiB (in + out, on the wire)")
    if run.returncode != 0:
        print("remediate.yml output (tail):\n" + run.stdout[-3000:], file=sys.stderr)


if __name__ == "__main__":
    main()
