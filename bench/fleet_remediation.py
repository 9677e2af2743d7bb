"""What a staged remediation of a whole fleet costs, measured on the lab.

Brings up a lab fleet (default: 500 hosts of the crowdstrike-291 scenario, reboots of 3 s), runs the real
`playbooks/remediate.yml` through the real `lifeline.recovery.fleet` inventory, and prints:
- wall time of the inventory (probe and classification) and of the rollout, and hosts recovered per minute;
- controller CPU seconds per host (ansible-playbook and its forked workers, from the kernel's child rusage);
- WinRM round trips (HTTP requests) and bytes in and out per host, from the lab's own counters;
- how many hosts the lab's ground truth shows running normally afterwards.

With --out-of-band the hosts' BMCs take part: the lab's Lifeline recovery image runs the collection's
lifeline-oob.cmd, the inventory configuration gets the fleet's BMC account, and remediate.yml runs once per
path (the hosts the inventory puts in band, then those it puts out of band, with --limit), so each path's hosts,
minutes and hosts per minute are printed apart. `--scenario mixed` gives BMCs to hosts they can bring back;
crowdstrike-291's first host of five (TPM-only BitLocker, unprepared) waits out --oob-boot-timeout.

Run: .venv/bin/python bench/fleet_remediation.py [--hosts 500] [--scenario crowdstrike-291]
     [--reboot-seconds 3] [--forks 50] [--out-of-band [--oob-boot-timeout 300]]
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
OOB_SCRIPT = REPO / "roles" / "oob_recovery" / "files" / "lifeline-oob.cmd"
# The lab knows the Lifeline recovery image by this file name (lab/README.md, BMCs).
IMAGE_URL = "https://deploy.example.net/images/lifeline-recovery.iso"
PATHS = ("in_band", "out_of_band")
RUNNING_NORMALLY = ("normal", "running")
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


def bmc_inventory(described: dict, directory: str) -> str:
    """The lab's inventory configuration plus the fleet's BMC account and the lab CA, as an operator adds them."""
    config = yaml.safe_load(Path(described["inventory_files"]["http"]).read_text())
    account = next((host["bmc"] for host in described["hosts"] if "bmc" in host), None)
    if account is None:
        raise SystemExit("--out-of-band: no host of this fleet has a BMC (try --scenario mixed)")
    config.update(bmc_user=account["username"], bmc_password=account["password"], bmc_ca_file=described["ca_file"])
    path = Path(directory) / "fleet-bmc.lifeline.yml"
    path.write_text(yaml.safe_dump(config))
    path.chmod(0o600)
    return str(path)


def hosts_by_path(listing: str) -> dict[str, list[str]]:
    """The hosts `ansible-inventory --list` puts on each path (lifeline_recovery_path)."""
    hostvars = json.loads(listing)["_meta"]["hostvars"]
    found: dict[str, list[str]] = {path: [] for path in PATHS}
    for name, variables in hostvars.items():
        path = variables.get("lifeline_recovery_path")
        path = path.get("__ansible_unsafe") if isinstance(path, dict) else path
        if path in found:
            found[path].append(name)
    return found


def path_runs(args, inventory: str, mapping: str, listing: str, environment: dict, fleet_file: Path):
    """remediate.yml once per path; a line per path (hosts, minutes, recovered by the lab's ground truth, hosts/min),
    and the runs' wall and CPU seconds together and the exit code of the last that failed (else 0)."""
    lines, wall_total, cpu_total, code = [], 0.0, 0.0, 0
    extra = ["-e", f"oob_recovery_image_url={IMAGE_URL}", "-e", f"oob_recovery_boot_timeout={args.oob_boot_timeout}"]
    for path, names in hosts_by_path(listing).items():
        if not names:
            lines.append(f"  {path}: no hosts")
            continue
        command = [str(BIN / "ansible-playbook"), "-i", inventory, "-e", mapping, *extra, "--limit", ",".join(names)]
        wall, cpu, run = timed([*command, "playbooks/remediate.yml"], environment)
        wall_total, cpu_total, code = wall_total + wall, cpu_total + cpu, run.returncode or code
        status = counters(fleet_file)
        normal = sum(1 for name in names if (status[name]["environment"], status[name]["power"]) == RUNNING_NORMALLY)
        lines.append(
            f"  {path}: {len(names)} hosts, {wall / 60:.1f} min (exit {run.returncode}), {normal} running normally "
            f"afterwards, {normal / (wall / 60):.1f} hosts recovered per minute"
        )
    return lines, wall_total, cpu_total, subprocess.CompletedProcess([], code, "", "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", type=int, default=500)
    parser.add_argument("--scenario", default="crowdstrike-291")
    parser.add_argument("--reboot-seconds", type=float, default=3.0)
    parser.add_argument("--forks", type=int, default=50)
    parser.add_argument("--out-of-band", action="store_true", help="BMCs take part; time each path apart")
    parser.add_argument("--oob-boot-timeout", type=int, default=300, help="oob_recovery_boot_timeout (seconds)")
    args = parser.parse_args()
    oob = ("--oob-image-script", str(OOB_SCRIPT)) if args.out_of_band else ()
    by_path: list[str] = []

    with tempfile.TemporaryDirectory(prefix="lifeline-bench-") as directory:
        fleet_file = Path(directory) / "fleet.yml"
        lab("up", "--fleet-file", str(fleet_file), "--scenario", args.scenario, "--hosts", str(args.hosts),
            "--reboot-seconds", str(args.reboot_seconds), "--winre-failover", str(FAILOVER), *oob)  # fmt: skip
        try:
            described = yaml.safe_load(fleet_file.read_text())
            escrow = described["bitlocker_escrow_file"]
            inventory = described["inventory_files"]["http"]  # what the lab writes for its estate: NTLM, sealed
            if args.out_of_band:
                inventory = bmc_inventory(described, directory)
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
            if args.out_of_band:
                by_path, wall, cpu, run = path_runs(args, inventory, mapping, listed.stdout, environment, fleet_file)
            else:
                wall, cpu, run = timed(
                    [str(BIN / "ansible-playbook"), "-i", inventory, "-e", mapping, "playbooks/remediate.yml"],
                    environment,
                )
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
    if by_path:
        print("per path (one remediate.yml run each, one after the other; the figures above add them up):")
        print("\n".join(by_path))
    if run.returncode != 0:
        print("remediate.yml output (tail):\n" + run.stdout[-3000:], file=sys.stderr)


if __name__ == "__main__":
    main()
