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

With --out-of-band the hosts' BMCs take part: the lab's Lifeline recovery image runs the collection's
lifeline-oob.cmd, the inventory configuration gets the fleet's BMC account, and remediate.yml runs once per
path (the hosts the inventory puts in band, then those it puts out of band, with --limit), so each path's hosts,
minutes and hosts per minute are printed apart. `--scenario mixed` gives BMCs to hosts they can bring back.

Run: .venv/bin/python bench/fleet_remediation.py [--hosts 500] [--scenario crowdstrike-291]
     [--reboot-seconds 3] [--forks 50] [--connections ansible.builtin.winrm,lifeline.recovery.winrm]
     [--out-of-band [--oob-boot-timeout 300]]
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
OOB_SCRIPT = REPO / "roles" / "oob_recovery" / "files" / "lifeline-oob.cmd"
# The lab knows the Lifeline recovery image by this file name (lab/README.md, BMCs).
IMAGE_URL = "https://deploy.example.net/images/lifeline-recovery.iso"
PATHS = ("in_band", "out_of_band")
RUNNING_NORMALLY = ("normal", "running")
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
    by_path: list[str]

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


def bench_inventory(described: dict, directory: Path, connection: str, out_of_band: bool) -> str:
    """The lab's inventory configuration (NTLM over HTTP, sealed, as the lab writes for its estate) with the
    connection plugin under test (option winrm_connection) and, out of band, the fleet's BMC account and the lab CA,
    as an operator adds them."""
    config = yaml.safe_load(Path(described["inventory_files"]["http"]).read_text())
    config["winrm_connection"] = connection
    if out_of_band:
        account = next((host["bmc"] for host in described["hosts"] if "bmc" in host), None)
        if account is None:
            raise SystemExit("--out-of-band: no host of this fleet has a BMC (try --scenario mixed)")
        config.update(bmc_user=account["username"], bmc_password=account["password"], bmc_ca_file=described["ca_file"])
    path = directory / "fleet-bench.lifeline.yml"
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


def path_runs(args, command: list[str], listing: str, environment: dict, fleet_file: Path):
    """remediate.yml once per path; a line per path (hosts, minutes, recovered by the lab's ground truth, hosts/min),
    and the runs' wall and CPU seconds together and the exit code of the last that failed (else 0)."""
    lines, wall_total, cpu_total, code, tail = [], 0.0, 0.0, 0, ""
    extra = ["-e", f"oob_recovery_image_url={IMAGE_URL}", "-e", f"oob_recovery_boot_timeout={args.oob_boot_timeout}"]
    for path, names in hosts_by_path(listing).items():
        if not names:
            lines.append(f"  {path}: no hosts")
            continue
        wall, cpu, run = timed([*command, *extra, "--limit", ",".join(names), "playbooks/remediate.yml"], environment)
        wall_total, cpu_total, code = wall_total + wall, cpu_total + cpu, run.returncode or code
        tail = run.stdout[-3000:] if run.returncode not in EXPECTED_EXIT_CODES else tail
        status = counters(fleet_file)
        normal = sum(1 for name in names if (status[name]["environment"], status[name]["power"]) == RUNNING_NORMALLY)
        lines.append(
            f"  {path}: {len(names)} hosts, {wall / 60:.1f} min (exit {run.returncode}), {normal} running normally "
            f"afterwards, {normal / (wall / 60):.1f} hosts recovered per minute"
        )
    return lines, wall_total, cpu_total, subprocess.CompletedProcess([], code, tail, "")


def remediate(args: argparse.Namespace, connection: str, directory: Path) -> Figures:
    """One fresh fleet remediated by remediate.yml over ``connection``; the lab's counters and CPU around the run."""
    fleet_file = directory / "fleet.yml"
    lab("up", "--fleet-file", str(fleet_file), "--scenario", args.scenario, "--hosts", str(args.hosts),
        "--reboot-seconds", str(args.reboot_seconds), "--winre-failover", str(FAILOVER),
        *(("--oob-image-script", str(OOB_SCRIPT)) if args.out_of_band else ()))  # fmt: skip
    by_path: list[str] = []
    try:
        described = yaml.safe_load(fleet_file.read_text())
        escrow = described["bitlocker_escrow_file"]
        inventory = bench_inventory(described, directory, connection, args.out_of_band)
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
        # The passwords come from the secrets vars file the lab writes (the inventory hands out none).
        command = [str(BIN / "ansible-playbook"), "-i", inventory, "-e", f"@{described['secrets_file']}", "-e", mapping]
        if args.out_of_band:
            by_path, wall, cpu, run = path_runs(args, command, listed.stdout, environment, fleet_file)
        else:
            wall, cpu, run = timed([*command, "playbooks/remediate.yml"], environment)
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
        by_path=by_path,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", type=int, default=500)
    parser.add_argument("--scenario", default="crowdstrike-291")
    parser.add_argument("--reboot-seconds", type=float, default=3.0)
    parser.add_argument("--forks", type=int, default=50)
    parser.add_argument("--out-of-band", action="store_true", help="BMCs take part; time each path apart")
    parser.add_argument("--oob-boot-timeout", type=int, default=300, help="oob_recovery_boot_timeout (seconds)")
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
        if figures.by_path:
            print("  per path (one remediate.yml run each, one after the other; the figures below add them up):")
            print("\n".join(f"  {line}" for line in figures.by_path))
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
