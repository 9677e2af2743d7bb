"""How fast the fleet inventory classifies a big fleet, against the usual reachability sweep.

Brings up a `mixed` lab fleet (default 1,000 hosts) through the real CLI, then in the same run:
1. `ansible-inventory --list` with the inventory configuration the lab writes for its estate: sources,
   the concurrent probe (Identify + one authenticated look per host) and every verdict, with
   `probe_workers` = N;
2. `ansible all -m ansible.builtin.raw -a hostname --forks N` over the same hosts and connection
   variables (the same inventory with the probe off): the usual way to see who answers.
It prints wall and CPU time of each, the CPU seconds per probed host of the controller and of the lab apart
(the lab must not be the bottleneck), the verdict counts, and the speed-up. Target (issue 15): >= 12x, <= 8 s on a
quiet machine.

Run: .venv/bin/python bench/inventory_scale.py [--hosts 1000] [--concurrency 25]
"""

from __future__ import annotations

import argparse
import collections
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


def lab(*arguments: str) -> None:
    result = subprocess.run([sys.executable, "-m", "lifeline_lab", *arguments], capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"lifeline-lab {arguments[0]} failed ({result.returncode}): {result.stderr.strip()}")


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float, subprocess.CompletedProcess]:
    """Wall seconds and the children's CPU seconds of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, result


def lab_cpu_seconds(fleet_file: Path) -> float:
    """User + system seconds of the running lab process so far (from /proc; the fleet file names its PID)."""
    pid = int(yaml.safe_load(fleet_file.read_text())["pid"])
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=25)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="lifeline-bench-") as directory:
        fleet_file = Path(directory) / "fleet.yml"
        lab("up", "--fleet-file", str(fleet_file), "--scenario", "mixed", "--hosts", str(args.hosts),
            "--reboot-seconds", "0.3", "--winre-failover", str(FAILOVER))  # fmt: skip
        try:
            written = yaml.safe_load(fleet_file.read_text())["inventory_files"]["https"]
            config = Path(directory) / "bench.lifeline.yml"
            config.touch(mode=0o600)  # it holds the fleet account's password
            config.write_text(
                yaml.safe_dump({**yaml.safe_load(Path(written).read_text()), "probe_workers": args.concurrency})
            )
            env = {key: value for key, value in os.environ.items() if not key.startswith(("ANSIBLE_", "LIFELINE_"))}
            env.update(ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_HOST_KEY_CHECKING="False")

            print(f"load average {os.getloadavg()[0]:.2f} at the start")
            lab_before = lab_cpu_seconds(fleet_file)
            wall, cpu, listed = timed([str(BIN / "ansible-inventory"), "-i", str(config), "--list"], env)
            lab_cpu = lab_cpu_seconds(fleet_file) - lab_before
            if listed.returncode != 0:
                raise SystemExit(f"ansible-inventory failed: {listed.stderr}")
            hostvars = json.loads(listed.stdout)["_meta"]["hostvars"]
            states = collections.Counter(
                (
                    vars_["lifeline_recovery_state"]["__ansible_unsafe"]
                    if isinstance(vars_["lifeline_recovery_state"], dict)
                    else vars_["lifeline_recovery_state"]
                )
                for vars_ in hostvars.values()
            )
            print(f"fleet inventory: {len(hostvars)} hosts classified in {wall:.1f} s wall, {cpu:.1f} CPU-s "
                  f"(probe_workers {args.concurrency}): {dict(sorted(states.items()))}")  # fmt: skip
            print(f"  CPU-s per probed host: controller {cpu / len(hostvars):.4f}, lab {lab_cpu / len(hostvars):.4f}")

            sweep_env = {**env, "LIFELINE_PROBE": "false"}
            # The inventory hands out no password: the sweep gets the fleet account's from the lab's secrets file.
            secrets = yaml.safe_load(fleet_file.read_text())["secrets_file"]
            command = [str(BIN / "ansible"), "all", "-i", str(config), "-e", f"@{secrets}", "-m", "ansible.builtin.raw",
                       "-a", "hostname", "--forks", str(args.concurrency), "-o"]  # fmt: skip
            sweep_wall, sweep_cpu, swept = timed(command, sweep_env)
            answered = sum(" | CHANGED | " in line or " | SUCCESS | " in line for line in swept.stdout.splitlines())
            print(f"ansible raw hostname sweep: {answered}/{args.hosts} answered in {sweep_wall:.1f} s wall, "
                  f"{sweep_cpu:.1f} CPU-s (--forks {args.concurrency})")  # fmt: skip
            print(f"speed-up: {sweep_wall / wall:.1f}x (target >= 12x); inventory within 8 s: {wall <= 8}")
            print(f"load average {os.getloadavg()[0]:.2f} at the end")
        finally:
            lab("down", "--fleet-file", str(fleet_file))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
