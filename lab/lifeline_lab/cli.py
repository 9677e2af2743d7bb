"""lifeline-lab: bring a simulated Windows fleet up, look at it, take it down.

  lifeline-lab up --scenario healthy --hosts 5 --fleet-file .lab/fleet.yml
  lifeline-lab status --fleet-file .lab/fleet.yml [--json]
  lifeline-lab down --fleet-file .lab/fleet.yml
  lifeline-lab fault WS-0001 crowdstrike-291 --fleet-file .lab/fleet.yml
  lifeline-lab incident crowdstrike-291 --share 0.5 --seed 7 --fleet-file .lab/fleet.yml
  lifeline-lab pin WS-0001 --fleet-file .lab/fleet.yml

`up` starts the fleet as a background process (`serve`) and returns once every host serves.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from . import control, fleetfile, incidents, scenarios
from .fleet import Fleet, FleetOptions
from .host import FAULTS
from .machine.windows_image import SERVICES as STOCK_SERVICES

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (fleetfile.FleetFileError, scenarios.ScenarioError) as exc:
        print(f"lifeline-lab: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lifeline-lab", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    def fleet_command(name: str, run, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("--fleet-file", type=Path, required=True, help="where the fleet is described (.yml or .json)")
        sub.set_defaults(run=run)
        return sub

    for name, run, help_text in (
        ("up", _up, "start a fleet in the background; returns once every host serves"),
        ("serve", _serve, "run a fleet in the foreground (what `up` starts)"),
    ):
        sub = fleet_command(name, run, help_text)
        sub.add_argument("--scenario", default="healthy", help=f"one of: {', '.join(scenarios.available())}")
        sub.add_argument("--hosts", type=int, default=5, help="number of hosts (default 5)")
        sub.add_argument("--username", default="Administrator", help="the fleet's one account, as a service account")
        sub.add_argument("--password", help="that account's password on every host (default: a random one)")
        sub.add_argument(
            "--transports", default="basic,ntlm", help="authentication the hosts accept: basic, ntlm (default both)"
        )
        sub.add_argument("--allow-unencrypted", action="store_true", help="allow unsealed traffic over HTTP")
        sub.add_argument("--idle-timeout", type=float, default=300.0, help="seconds before idle shells are collected")
        sub.add_argument("--first-octet", type=int, help="serve on 127.N.x.y (default: a free N)")
        sub.add_argument("--reboot-seconds", type=float, help="how long a restart takes (default: the scenario's)")
        sub.add_argument(
            "--winre-failover", type=Path, help="the failover script armed profiles install into winre.wim"
        )
        sub.add_argument(
            "--oob-image-script",
            type=Path,
            help="the script the Lifeline recovery image (lifeline-recovery.iso on a BMC's virtual media) runs",
        )
        sub.add_argument("--bmc-username", default="lifeline-oob", help="the fleet's one BMC account")
        sub.add_argument("--bmc-password", help="that BMC account's password on every BMC (default: a random one)")
        if name == "up":
            sub.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for the fleet to serve")

    status = fleet_command("status", _status, "show the fleet's hosts and counters")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    fleet_command("down", _down, "stop the fleet and remove its files")
    show = fleet_command("show", _show, "print a host's ground truth: boot state, crashes, files, registry, BCD")
    show.add_argument("host", help="host name, e.g. WS-0001")
    show.add_argument("--json", action="store_true", help="everything, machine-readable")
    fault = fleet_command(
        "fault", _fault, "inject a fault into a host, land a failure on it as a bad update would, or clear its faults"
    )
    fault.add_argument("host", help="host name")
    fault.add_argument(
        "kind",
        choices=[*FAULTS, *incidents.ARRIVING, "clear"],
        help="; ".join(f"{k}: {v}" for k, v in FAULTS.items()) + "; " + _FAILURE_HELP,
    )
    fault.add_argument("--value", type=float, default=1.0, help="N for the fault (count or seconds; default 1)")
    fault.add_argument("--restart", action="store_true", help=_RESTART_HELP)
    incident = fleet_command(
        "incident", _incident, "land a failure on a share of the hosts running Windows normally; prints which"
    )
    incident.add_argument("failure", choices=incidents.ARRIVING, help=_FAILURE_HELP)
    incident.add_argument("--share", type=float, default=1.0, help="share of those hosts, above 0 and at most 1")
    incident.add_argument("--seed", type=int, default=0, help="chooses the hosts: the same seed, the same hosts")
    incident.add_argument("--restart", action="store_true", help=_RESTART_HELP)
    pin = fleet_command("pin", _pin, "type the BitLocker PIN at a TPM And PIN host's pre-boot prompt: the boot goes on")
    pin.add_argument("host", help="host name")
    return parser


_FAILURE_HELP = "a failure lands on a running Windows as its update would, and bites " + "; ".join(
    f"{name}: {when}" for name, when in incidents.WHEN.items()
)
_RESTART_HELP = "restart the struck host(s) now, so a failure that bites at the next restart bites at once"


def _options(args: argparse.Namespace) -> FleetOptions:
    transports = tuple(t.strip().lower() for t in args.transports.split(",") if t.strip())
    unknown = set(transports) - {"basic", "ntlm"}
    if unknown or not transports:
        raise scenarios.ScenarioError(f"--transports takes basic and/or ntlm, not {args.transports!r}")
    if args.first_octet is not None and not 1 <= args.first_octet <= 254:
        raise scenarios.ScenarioError("--first-octet must be between 1 and 254")
    return FleetOptions(
        hosts=args.hosts,
        username=args.username,
        password=args.password,
        transports=transports,
        allow_unencrypted=args.allow_unencrypted,
        idle_timeout=args.idle_timeout,
        first_octet=args.first_octet,
        reboot_seconds=args.reboot_seconds,
        winre_failover=_failover_script(args.winre_failover),
        bmc_username=args.bmc_username,
        bmc_password=args.bmc_password,
        oob_image_script=_failover_script(args.oob_image_script, "--oob-image-script"),
    )


def _failover_script(path: Path | None, option: str = "--winre-failover") -> bytes | None:
    if path is None:
        return None
    try:
        return path.read_bytes()
    except OSError as error:
        raise scenarios.ScenarioError(f"{option} {path}: {error.strerror}") from None


# --- up / serve ------------------------------------------------------------------------------


def _up(args: argparse.Namespace) -> int:
    fleet_file: Path = args.fleet_file.resolve()
    scenario = scenarios.load(args.scenario)
    if args.winre_failover is None and any(profile.armed for profile in scenario.profiles):
        raise scenarios.ScenarioError(f"scenario {scenario.name} arms hosts: give --winre-failover PATH")
    _options(args)  # refuse bad options here, not in the background process
    if fleet_file.exists() and _running(fleetfile.read(fleet_file)):
        print(f"lifeline-lab: a fleet is already running for {fleet_file}; run `down` first", file=sys.stderr)
        return EXIT_USAGE
    state_dir = fleetfile.state_dir_for(fleet_file)
    state_dir.mkdir(parents=True, exist_ok=True)
    fleet_file.unlink(missing_ok=True)
    command = [sys.executable, "-m", "lifeline_lab", "serve", "--fleet-file", str(fleet_file), *_serve_arguments(args)]
    started = time.monotonic()
    with open(state_dir / "lab.log", "ab") as log:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True, close_fds=True
        )
    while time.monotonic() - started < args.timeout:
        if process.poll() is not None:
            print(f"lifeline-lab: the fleet did not start (exit {process.returncode}):", file=sys.stderr)
            print(_tail(state_dir / "lab.log"), file=sys.stderr)
            return EXIT_FAILED
        if fleet_file.exists():
            content = fleetfile.read(fleet_file)
            if content.get("pid") == process.pid and _running(content):
                elapsed = time.monotonic() - started
                print(
                    f"lab up: {len(content['hosts'])} host(s), scenario {content['scenario']}, "
                    f"in {elapsed:.1f} s; fleet file {fleet_file}"
                )
                return EXIT_OK
        time.sleep(0.05)
    process.terminate()
    print(f"lifeline-lab: the fleet did not serve within {args.timeout:.0f} s", file=sys.stderr)
    return EXIT_FAILED


def _serve_arguments(args: argparse.Namespace) -> list[str]:
    arguments = [
        "--scenario", args.scenario,
        "--hosts", str(args.hosts),
        "--username", args.username,
        "--transports", args.transports,
        "--idle-timeout", str(args.idle_timeout),
    ]  # fmt: skip
    if args.password:
        arguments += ["--password", args.password]
    if args.allow_unencrypted:
        arguments.append("--allow-unencrypted")
    if args.first_octet is not None:
        arguments += ["--first-octet", str(args.first_octet)]
    if args.reboot_seconds is not None:
        arguments += ["--reboot-seconds", str(args.reboot_seconds)]
    if args.winre_failover is not None:
        arguments += ["--winre-failover", str(args.winre_failover.resolve())]
    if args.oob_image_script is not None:
        arguments += ["--oob-image-script", str(args.oob_image_script.resolve())]
    arguments += ["--bmc-username", args.bmc_username]
    if args.bmc_password:
        arguments += ["--bmc-password", args.bmc_password]
    return arguments


def _serve(args: argparse.Namespace) -> int:
    fleet_file: Path = args.fleet_file.resolve()
    scenario = scenarios.load(args.scenario)
    options = _options(args)
    _raise_open_file_limit()
    return asyncio.run(_serve_fleet(fleet_file, scenario, options))


async def _serve_fleet(fleet_file: Path, scenario: scenarios.Scenario, options: FleetOptions) -> int:
    from .control import ControlServer

    state_dir = fleetfile.state_dir_for(fleet_file)
    fleet = Fleet(scenario, options, state_dir)
    stop = asyncio.Event()
    await fleet.start()
    token = secrets.token_urlsafe(24)
    control_server = ControlServer(fleet, token, stop.set)
    await control_server.start()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    fleetfile.write(
        fleet_file,
        {
            "version": fleetfile.VERSION,
            **fleet.describe(),
            "pid": os.getpid(),
            "state_dir": str(state_dir),
            "control": {"address": "127.0.0.1", "port": control_server.port, "token": token},
        },
    )
    print(f"serving {len(fleet.hosts)} host(s) for {fleet_file}", flush=True)
    await stop.wait()
    await control_server.close()
    await fleet.stop()
    return EXIT_OK


def _raise_open_file_limit() -> None:
    """Each host holds two listening sockets plus its clients' connections."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# --- status / down ---------------------------------------------------------------------------


def _call(content: dict, operation: str, **arguments) -> dict:
    endpoint = content["control"]
    return control.call(endpoint["address"], endpoint["port"], endpoint["token"], operation, **arguments)


def _running(content: dict) -> bool:
    try:
        os.kill(int(content.get("pid", 0)), 0)
        _call(content, "status")
    except (OSError, ValueError, RuntimeError, KeyError):
        return False
    return True


def _status(args: argparse.Namespace) -> int:
    content = fleetfile.read(args.fleet_file)
    try:
        answer = _call(content, "status")
    except (OSError, RuntimeError) as exc:
        print(f"lifeline-lab: the fleet of {args.fleet_file} is not running ({exc})", file=sys.stderr)
        return EXIT_FAILED
    answer.pop("ok", None)
    answer["pid"] = content["pid"]
    if args.json:
        print(json.dumps(answer, indent=2))
        return EXIT_OK
    print(f"scenario {answer['scenario']}, {len(answer['hosts'])} host(s), pid {content['pid']}")
    print(f"{'HOST':<10} {'ADDRESS':<16} {'STATE':<28} {'FAILURE':<22} {'SHELLS':>6} {'REQUESTS':>9} {'COMMANDS':>9}")
    for host in answer["hosts"]:
        counters = host["counters"]
        state = host["environment"] if host["power"] == "running" else host["power"]
        state += "" if host["winrm_reachable"] else " (no WinRM)"
        print(
            f"{host['name']:<10} {host['address']:<16} {state:<28} {host['failure']:<22} {host['open_shells']:>6} "
            f"{counters['requests']:>9} {counters['commands']:>9}"
        )
    return EXIT_OK


def _down(args: argparse.Namespace) -> int:
    fleet_file: Path = args.fleet_file.resolve()
    if not fleet_file.exists():
        print(f"no fleet at {fleet_file}: nothing to stop")
        return EXIT_OK
    content = fleetfile.read(fleet_file)
    pid = int(content.get("pid", 0))
    try:
        _call(content, "stop", timeout=5.0)
    except (OSError, RuntimeError):
        _signal(pid, signal.SIGTERM)
    if not _wait_for_exit(pid, 20.0):
        _signal(pid, signal.SIGKILL)
        _wait_for_exit(pid, 5.0)
    fleet_file.unlink(missing_ok=True)
    shutil.rmtree(fleetfile.state_dir_for(fleet_file), ignore_errors=True)
    print(f"lab down: {len(content.get('hosts', []))} host(s) stopped")
    return EXIT_OK


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def _wait_for_exit(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        if _is_zombie(pid):
            return True  # it has exited; its parent (often init, after `up` returned) has not reaped it yet
        # A child of ours that exited stays a zombie until reaped.
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return True
        except ChildProcessError:
            pass
        time.sleep(0.05)
    return False


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _show(args: argparse.Namespace) -> int:
    content = fleetfile.read(args.fleet_file)
    try:
        host = _call(content, "show", host=args.host)["host"]
    except (OSError, RuntimeError) as exc:
        print(f"lifeline-lab: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(json.dumps(host, indent=2) if args.json else describe_host(host))
    return EXIT_OK


def describe_host(host: dict) -> str:
    """A short human summary of `show`'s ground truth; --json has everything."""
    machine = host["machine"]
    winrm = "answers" if machine["winrm_reachable"] else "does not answer"
    bitlocker = machine["bitlocker"]
    lines = [
        f"{host['name']} ({host['address']}): {machine['power']}, {machine['environment']}, WinRM {winrm}, "
        f"hostname {machine['hostname']}",
        f"  scenario failure: {host['failure']}; booted {machine['boot_time']}",
        f"  BitLocker: {_describe_bitlocker(bitlocker)}",
    ]
    for crash in machine["crashes"][-3:]:
        lines.append(f"  crash {crash['time']}: {crash['bugcheck'] or '-'} {crash['module'] or ''} ({crash['reason']})")
    entry = machine["bcd"].get("entries", {}).get(machine["bcd"].get("os_entry") or "", {})
    shown = ", ".join(f"{k} {entry[k]}" for k in ("device", "safeboot", "recoveryenabled") if k in entry)
    lines.append(f"  Windows loader: {shown}")
    services = machine["registry"].get("services", {})
    third_party = [
        f"{name} (Start {values.get('Start')})" for name, values in services.items() if name not in STOCK_SERVICES
    ]
    lines.append(f"  third-party services: {', '.join(third_party) or 'none'}")
    packages = ", ".join(f"{p['identity'].split('~')[0]} {p['state']}" for p in machine["packages"])
    lines.append(f"  packages: {packages}")
    return "\n".join(lines)


def _describe_bitlocker(bitlocker: dict | None) -> str:
    if bitlocker is None:
        return "off"
    state = "locked" if bitlocker["locked"] else "unlocked"
    waiting = ", waiting at the PIN prompt" if bitlocker["pin_prompt"] else ""
    return f"{state}, protectors {', '.join(bitlocker['key_protectors'])}{waiting}"


def _fault(args: argparse.Namespace) -> int:
    content = fleetfile.read(args.fleet_file)
    try:
        answer = _call(content, "fault", host=args.host, kind=args.kind, value=args.value, restart=args.restart)
    except (OSError, RuntimeError) as exc:
        print(f"lifeline-lab: {exc}", file=sys.stderr)
        return EXIT_FAILED
    host = answer["host"]
    if answer.get("happened"):
        print(f"{host['name']}: {args.kind} {answer['happened']}")
    else:
        print(f"{host['name']}: faults {host['faults'] or 'none'}")
    return EXIT_OK


def _incident(args: argparse.Namespace) -> int:
    content = fleetfile.read(args.fleet_file)
    try:
        answer = _call(
            content, "incident", failure=args.failure, share=args.share, seed=args.seed, restart=args.restart
        )
    except (OSError, RuntimeError) as exc:
        print(f"lifeline-lab: {exc}", file=sys.stderr)
        return EXIT_FAILED
    struck = answer["hosts"]
    print(f"{args.failure} landed on {len(struck)} of {answer['eligible']} host(s) running Windows normally")
    for name, happened in struck.items():
        print(f"  {name}: {happened}")
    return EXIT_OK


def _pin(args: argparse.Namespace) -> int:
    content = fleetfile.read(args.fleet_file)
    try:
        host = _call(content, "pin", host=args.host)["host"]
    except (OSError, RuntimeError) as exc:
        print(f"lifeline-lab: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"{host['name']}: PIN entered; the boot goes on")
    return EXIT_OK
