"""How big a fleet the lab serves on this machine.

Brings up a fleet (default 1,000 hosts) through the real CLI and prints:
- start-up time (until every host serves),
- resident memory of the lab process per host,
- commands per second with N concurrent pywinrm clients (default 200), each on its own host,
  and the lab process's CPU time per command, for Basic over HTTPS and NTLM sealed over HTTP.

Run: .venv/bin/python bench/lab_capacity.py [--hosts 1000] [--clients 200] [--seconds 10]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import winrm
import yaml

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def lab(*arguments: str) -> str:
    result = subprocess.run([sys.executable, "-m", "lifeline_lab", *arguments], capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"lifeline-lab {arguments[0]} failed ({result.returncode}): {result.stderr.strip()}")
    return result.stdout


def process_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def resident_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def client_for(host: dict, mode: str, ca_file: str) -> winrm.Session:
    if mode == "basic-https":
        return winrm.Session(
            f"https://{host['address']}:{host['https_port']}/wsman",
            auth=(host["username"], host["password"]),
            transport="basic",
            server_cert_validation="validate",
            ca_trust_path=ca_file,
        )
    return winrm.Session(
        f"http://{host['address']}:{host['http_port']}/wsman",
        auth=(host["username"], host["password"]),
        transport="ntlm",
        message_encryption="always",
    )


def load(hosts: list[dict], mode: str, ca_file: str, clients: int, seconds: float, pid: int) -> tuple[int, float]:
    """Each client runs `hostname` in a loop on its own host; returns (commands, lab CPU seconds)."""
    stop = threading.Event()
    counts = [0] * clients
    errors: list[str] = []

    def worker(index: int) -> None:
        session = client_for(hosts[index % len(hosts)], mode, ca_file)
        while not stop.is_set():
            try:
                session.run_cmd("hostname")
                counts[index] += 1
            except Exception as exc:  # a benchmark reports failures, it does not hide them
                errors.append(f"{type(exc).__name__}: {exc}")
                return

    cpu_before = process_cpu_seconds(pid)
    with ThreadPoolExecutor(max_workers=clients) as pool:
        futures = [pool.submit(worker, index) for index in range(clients)]
        time.sleep(seconds)
        stop.set()
        for future in futures:
            future.result()
    if errors:
        print(f"  {len(errors)} client(s) failed, first: {errors[0]}")
    return sum(counts), process_cpu_seconds(pid) - cpu_before


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        fleet_file = Path(directory) / "fleet.yml"
        started = time.monotonic()
        lab("up", "--hosts", str(args.hosts), "--fleet-file", str(fleet_file))
        startup = time.monotonic() - started
        try:
            fleet = yaml.safe_load(fleet_file.read_text())
            pid = fleet["pid"]
            rss = resident_kib(pid)
            print(f"fleet: {args.hosts} hosts up in {startup:.1f} s")
            print(f"memory: {rss / 1024:.0f} MiB resident, {rss / args.hosts:.0f} KiB per host")
            for mode in ("basic-https", "ntlm-http-sealed"):
                commands, cpu = load(fleet["hosts"], mode, fleet["ca_file"], args.clients, args.seconds, pid)
                print(
                    f"{mode}: {args.clients} concurrent clients, {commands / args.seconds:.0f} commands/s, "
                    f"lab CPU {1000 * cpu / max(commands, 1):.2f} ms per command "
                    f"(each command = shell create, command, receive, signal, delete)"
                )
        finally:
            lab("down", "--fleet-file", str(fleet_file))
    return 0


if __name__ == "__main__":
    sys.exit(main())
