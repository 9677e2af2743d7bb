"""What a staged remediation of a whole fleet costs, measured on the lab.

Brings up a lab fleet (default: 500 hosts of the crowdstrike-291 scenario, reboots of 3 s), runs the real
`playbooks/remediate.yml` through the real `lifeline.recovery.fleet` inventory, and prints:
- wall time of the inventory (probe and classification) and of the rollout, and hosts recovered per minute;
- controller CPU seconds per host (ansible-playbook and its forked workers, from the kernel's child rusage);
- WinRM round trips (HTTP requests) and bytes in and out per host, from the lab's own counters;
- how many hosts the lab's ground truth shows running normally afterwards;
- the lab's CPU per WinRM command (it must not be the bottleneck).
Controller CPU includes the session keepers of lifeline.recovery.winrm (the bench adopts and reaps them).
It does so once per connection plugin (default: ansible.builtin.winrm, then lifeline.recovery.winrm), each on a
fresh fleet of the same scenario in the same run, and prints the ratios against the first.

Run: .venv/bin/python bench/fleet_remediation.py [--hosts 500] [--scenario crowdstrike-291]
     [--reboot-seconds 3] [--forks 50] [--connections ansible.builtin.winrm,lifeline.recovery.winrm]
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
# The armed hosts of a scenario carry the collection's own WinRE failover.
FAILOVER = REPO / "roles" / "winre_failover" / "files" / "lifeline-failover.cmd"
BIN = Path(sys.executable).parent
BASELINE = "ansible.builtin.winrm"
KEPT = "lifeline.recovery.winrm"  # the collection's connection: one session and shell per host for the run
# 0, or 2 when hosts failed: the scenario has hosts out of WinRM's reach (needs hands, or out of band
# without a recovery image), which the rollout fails in its last play.
EXPECTED_EXIT_CODES = (0, 2)
PR_SET_CHILD_SUBREAPER = 36  # linux/prctl.h
KEEPER_END_SECONDS = 3.0


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


@dataclass
class Figures:
    connection: str
    hosts: int
    touched: int
    normal: int
    exit_code: int
    wall: float
    cpu: float
    requests: int
    traffic: int
    shells: int
    commands: int
    lab_cpu: float
    inventory_wall: float
    inventory_cpu: float
    tail: str

    @property
    def per(self) -> int:
        return max(self.touched, 1)

    def rows(self) -> dict[str, float]:
        """The figures compared between connections (per remediated host unless said)."""
        return {
            "wall s": self.wall,
            "hosts recovered per minute": self.normal / (self.wall / 60),
            "controller CPU-s per host": self.cpu / self.per,
            "WinRM round trips per host": self.requests / self.per,
            "KiB on the wire per host": self.traffic / self.per / 1024,
            "shells per host": self.shells / self.per,
            "commands per host": self.commands / self.per,
            "lab CPU-ms per command": 1000 * self.lab_cpu / max(self.commands, 1),
        }


def adopt_orphans() -> None:
    """Become the child subreaper (Linux prctl PR_SET_CHILD_SUBREAPER): the session keepers that
    lifeline.recovery.winrm forks away from ansible-playbook's workers are then reaped here, and their CPU
    counted in the controller's (RUSAGE_CHILDREN), like the workers'."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise SystemExit(f"prctl(PR_SET_CHILD_SUBREAPER) failed: errno {ctypes.get_errno()}")


def reap_orphans() -> None:
    """Reap the adopted processes that have ended (keepers end within a second of their run; a lab that was
    brought down too), without waiting for the ones still running (the lab of the next run)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def process_cpu_seconds(pid: int) -> float:
    """User + system seconds of a running process (the lab's), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def remediate(args: argparse.Namespace, connection: str, directory: Path) -> Figures:
    """One fresh fleet remediated by remediate.yml over ``connection``; the lab's counters and CPU around the run."""
    fleet_file = directory / "fleet.yml"
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
            LIFELINE_REPORT_DIR=str(directory),
        )
        inventory_wall, inventory_cpu, listed = timed(
            [str(BIN / "ansible-inventory"), "-i", str(inventory), "--list"], environment
        )
        if listed.returncode != 0:
            raise SystemExit(f"ansible-inventory failed: {listed.stderr[-2000:]}")
        lab_pid = int(json.loads(lab("status", "--fleet-file", str(fleet_file), "--json"))["pid"])
        before, lab_before = counters(fleet_file), process_cpu_seconds(lab_pid)
        reap_orphans()  # a lab brought down before this run: not this run's CPU
        wall, cpu, run = timed(
            # The passwords come from the secrets vars file the lab writes (the inventory hands out none).
            [str(BIN / "ansible-playbook"), "-i", inventory, "-e", f"@{described['secrets_file']}", "-e", mapping,
             "-e", f"ansible_connection={connection}", "playbooks/remediate.yml"], environment,
        )  # fmt: skip
        cpu_before = children_cpu_seconds()
        time.sleep(KEEPER_END_SECONDS)  # the keepers see their run end (they look every second) and end
        reap_orphans()
        cpu += children_cpu_seconds() - cpu_before
        lab_cpu = process_cpu_seconds(lab_pid) - lab_before
        after = counters(fleet_file)
    finally:
        lab("down", "--fleet-file", str(fleet_file))
        reap_orphans()

    def delta(*keys: str) -> int:
        return sum(totals(after, key) - totals(before, key) for key in keys)

    return Figures(
        connection=connection,
        hosts=len(after),
        touched=sum(1 for name in after if after[name]["counters"]["commands"] > before[name]["counters"]["commands"]),
        normal=sum(1 for host in after.values() if host["power"] == "running" and host["environment"] == "normal"),
        exit_code=run.returncode,
        wall=wall,
        cpu=cpu,
        requests=delta("requests"),
        traffic=delta("bytes_in", "bytes_out"),
        shells=delta("shells"),
        commands=delta("commands"),
        lab_cpu=lab_cpu,
        inventory_wall=inventory_wall,
        inventory_cpu=inventory_cpu,
        tail=run.stdout[-3000:],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", type=int, default=500)
    parser.add_argument("--scenario", default="crowdstrike-291")
    parser.add_argument("--reboot-seconds", type=float, default=3.0)
    parser.add_argument("--forks", type=int, default=50)
    parser.add_argument(
        "--connections", default=f"{BASELINE},{KEPT}", help="comma-separated; the first is the baseline of the ratios"
    )
    args = parser.parse_args()
    adopt_orphans()

    fleet = f"{args.hosts} hosts, scenario {args.scenario}, reboots of {args.reboot_seconds} s, {args.forks} forks"
    print(f"fleet: {fleet}, load average {os.getloadavg()[0]:.2f} at the start")
    results = []
    for connection in args.connections.split(","):
        with tempfile.TemporaryDirectory(prefix="lifeline-bench-") as directory:
            figures = remediate(args, connection, Path(directory))
        results.append(figures)
        print(
            f"{connection}: remediate.yml exit {figures.exit_code}; inventory {figures.inventory_wall:.1f} s wall, "
            f"{figures.inventory_cpu:.1f} s controller CPU; {figures.touched} hosts remediated (WinRM commands seen "
            f"by the lab), {figures.normal} of {figures.hosts} running normally afterwards (lab ground truth)"
        )
        if figures.exit_code not in EXPECTED_EXIT_CODES:
            print(f"remediate.yml output over {connection} (tail):\n{figures.tail}", file=sys.stderr)
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    baseline = results[0].rows()
    columns = [figures.connection for figures in results] + [f"{figures.connection} ratio" for figures in results[1:]]
    width = max(map(len, columns)) + 2
    print(f"{'':30}" + "".join(f"{column:>{width}}" for column in columns))
    for row, base in baseline.items():
        values = [figures.rows()[row] for figures in results]
        ratios = [f"{value / base:.2f}" if base else "-" for value in values[1:]]
        print(
            f"{row:30}" + "".join(f"{value:>{width}.2f}" for value in values) + "".join(f"{r:>{width}}" for r in ratios)
        )


if __name__ == "__main__":
    main()
