"""A fleet: many hosts in one process, each on its own loopback address with ports 5985 and 5986.

Beside the fleet file the fleet also writes what an organisation's estate gives Lifeline: a CMDB
export, the monitoring signals, the BitLocker escrow export, an inventory configuration for the
lifeline.recovery.fleet inventory, as an operator would write it for the estate, and the secrets vars file
an operator passes to the playbooks (``-e @secrets.yml``).
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import errno
import json
import os
import random
import secrets
import socket
import ssl
import string
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from . import scenarios
from .bmc import BMC_PORT, Bmc, BmcSpec
from .bmc import server as bmc_server
from .host import HostSpec, LabHost
from .machine import new_machine
from .machine.machine import PIN_PROMPT
from .pki import CertificateAuthority
from .scenarios import Profile, Scenario
from .wire.auth import Account, write_ntlm_user_file
from .wire.endpoint import serve_connection

HTTP_PORT = 5985
HTTPS_PORT = 5986
HOSTS_PER_SUBNET = 250
MAX_HOSTS = 250 * 256
MONITOR_SECONDS = 1.0  # how often the monitoring samples the fleet (heartbeats, new crashes)


@dataclass
class FleetOptions:
    hosts: int
    username: str = "Administrator"
    password: str | None = None  # the fleet's one account (a service account); None: a random password
    transports: tuple[str, ...] = ("basic", "ntlm")
    allow_unencrypted: bool = False
    idle_timeout: float = 300.0  # seconds before an abandoned shell is collected
    first_octet: int | None = None  # the 127.N.x.y block; None: pick a free one
    reboot_seconds: float | None = None  # None: the scenario's
    winre_failover: bytes | None = None  # the script armed profiles install into winre.wim (--winre-failover)
    bmc_username: str = "lifeline-oob"  # the fleet's one BMC account, apart from the WinRM account
    bmc_password: str | None = None  # None: a random password
    oob_image_script: bytes | None = None  # the script of the Lifeline recovery image (--oob-image-script)


@dataclass
class Fleet:
    scenario: Scenario
    options: FleetOptions
    state_dir: Path
    hosts: list[LabHost] = field(default_factory=list)
    ca_file: Path | None = None
    password: str = field(default="", repr=False)  # of the fleet's one account
    bmc_password: str = field(default="", repr=False)  # of the fleet's one BMC account
    _bmc_connections: list[set] = field(default_factory=list)
    _servers: list[asyncio.Server] = field(default_factory=list)
    _collector: asyncio.Task | None = None
    _monitor: asyncio.Task | None = None
    _heartbeats: dict[str, dt.datetime] = field(default_factory=dict)  # the monitoring agent's last heartbeat
    _monitored: tuple = ()  # what the signals export last showed: (host, runs normally, crashes) per host

    async def start(self) -> None:
        """Bind every listener, issue certificates, and serve. Returns once every host accepts connections."""
        if not 1 <= self.options.hosts <= MAX_HOSTS:
            raise ValueError(f"--hosts must be between 1 and {MAX_HOSTS}")
        (self.state_dir / "certs").mkdir(parents=True, exist_ok=True)
        (self.state_dir / "accounts").mkdir(parents=True, exist_ok=True)
        sockets = bind_block(self.options.hosts, self.options.first_octet)
        authority = CertificateAuthority()
        self.ca_file = self.state_dir / "ca.pem"
        authority.write_ca_file(self.ca_file)
        profiles = self.scenario.assign(self.options.hosts)
        self.password = self.options.password or _random_password()
        self.bmc_password = self.options.bmc_password or _random_password()
        with_bmc = [index for index, profile in enumerate(profiles) if profile.bmc]
        bmc_sockets = bind_bmc_block(with_bmc, int(sockets[0][0].split(".")[1])) if with_bmc else {}
        for index, (address, http_socket, https_socket) in enumerate(sockets):
            host = self._make_host(index, address, authority, profiles[index])
            self.hosts.append(host)
            self._servers.append(await asyncio.start_server(_handler(host), sock=http_socket))
            self._servers.append(
                await asyncio.start_server(_handler(host, _tls(self.state_dir, host.name)), sock=https_socket)
            )
            if index in bmc_sockets:
                await self._add_bmc(host, authority, *bmc_sockets[index])
        self._collector = asyncio.create_task(self._collect_idle_shells())
        self._monitor = asyncio.create_task(self._monitor_fleet())
        for host in self.hosts:
            if host.machine.power in ("booting", PIN_PROMPT):
                host.machine.restart(0)  # boot-looping machines and those at the PIN prompt start their cycle now

    def _make_host(self, index: int, address: str, authority: CertificateAuthority, profile: Profile) -> LabHost:
        name = f"{self.scenario.name_prefix}-{index + 1:04d}"
        spec = HostSpec(
            name=name,
            address=address,
            http_port=HTTP_PORT,
            https_port=HTTPS_PORT,
            username=self.options.username,
            password=self.password,
            transports=self.options.transports,
            allow_unencrypted=self.options.allow_unencrypted,
        )
        user_file = self.state_dir / "accounts" / f"{name}.ntlm"
        write_ntlm_user_file(user_file, spec.username, self.password, name)
        certificate = authority.issue(name, address, self.state_dir / "certs")
        account = Account(spec.username, self.password, name, user_file)
        machine = new_machine(name, serial_seed=0x1F2E0000 + index * 4)
        machine.reboot_seconds = self.options.reboot_seconds or self.scenario.reboot_seconds
        rng = random.Random(f"{self.scenario.name}/{index}")
        scenarios.apply(machine, profile, rng, self.options.winre_failover)
        return LabHost(spec, account, certificate.der, machine, profile=profile)

    async def _add_bmc(self, host: LabHost, authority: CertificateAuthority, address: str, sock: socket.socket) -> None:
        """The server's BMC on its own address, HTTPS with a certificate from the fleet's CA."""
        name = f"{host.name}-BMC"
        authority.issue(name, address, self.state_dir / "certs")
        spec = BmcSpec(address, BMC_PORT, self.options.bmc_username, self.bmc_password)
        host.bmc = Bmc(spec, host.machine, host.faults, self.options.oob_image_script)
        server, connections = await bmc_server.serve(host.bmc, _tls(self.state_dir, name), sock)
        self._servers.append(server)
        self._bmc_connections.append(connections)

    async def _collect_idle_shells(self) -> None:
        while True:
            await asyncio.sleep(min(30.0, self.options.idle_timeout))
            for host in self.hosts:
                host.winrs.collect_idle(self.options.idle_timeout)

    async def _monitor_fleet(self) -> None:
        """The organisation's monitoring, sampled every MONITOR_SECONDS: a host running Windows normally
        heartbeats, and the export is written again when a host stopped or started running normally or
        crashed since (a bad update landing on running hosts reaches the inventory this way)."""
        while True:
            await asyncio.sleep(MONITOR_SECONDS)
            self._sample_heartbeats()
            if self._monitored != self._monitoring_state():
                self.write_signals_export()

    def _sample_heartbeats(self) -> None:
        now = dt.datetime.now(dt.UTC)
        for host in self.hosts:
            machine = host.machine
            if machine.power == "running" and machine.environment == "normal":
                self._heartbeats[host.name] = now
            elif host.name not in self._heartbeats:
                # Failed before the fleet came up: the agent fell silent just before the first crash.
                first = machine.crashes[0].time if machine.crashes else machine.boot_time
                self._heartbeats[host.name] = first - dt.timedelta(seconds=1)

    def _monitoring_state(self) -> tuple:
        return tuple(
            (host.name, host.machine.power == "running" and host.machine.environment == "normal",
             host.machine.crashes[-1].time if host.machine.crashes else None)
            for host in self.hosts
        )  # fmt: skip

    def host(self, name: str) -> LabHost | None:
        return next((host for host in self.hosts if host.name.lower() == name.lower()), None)

    async def stop(self) -> None:
        for task in (self._collector, self._monitor):
            if task:
                task.cancel()
        for server in self._servers:
            server.close()
        for host in self.hosts:
            host.winrs.close_all()
            for writer in list(host.connections):
                writer.close()
            if host.bmc is not None:
                host.bmc.close()
        for connections in self._bmc_connections:
            for writer in list(connections):
                writer.close()
        await asyncio.gather(*(server.wait_closed() for server in self._servers), return_exceptions=True)

    def describe(self) -> dict:
        """The fleet file's host part and CA (what clients need to reach every host), and the files of
        the estate the fleet plays, written now."""
        cmdb_file = self.write_cmdb_export()
        signals_file = self.write_signals_export()
        return {
            "scenario": self.scenario.name,
            "ca_file": str(self.ca_file),
            "bitlocker_escrow_file": str(self.write_escrow_export()),
            "signals_file": str(signals_file),
            "cmdb_file": str(cmdb_file),
            "inventory_files": {
                scheme: str(path) for scheme, path in self.write_inventory_configs(cmdb_file, signals_file).items()
            },
            "secrets_file": str(self.write_secrets_vars()),
            "hosts": [host.fleet_entry() for host in self.hosts],
        }

    def write_cmdb_export(self) -> Path:
        """The fleet as an organisation's CMDB exports its Windows servers: one CSV row per machine,
        its name and address, and its BMC's address and port (empty for a server without one; never the BMC's
        credentials). It knows nothing about failures."""
        path = self.state_dir / "cmdb.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["name", "address", "bmc_address", "bmc_port"])
            for host in self.hosts:
                bmc = host.bmc.spec if host.bmc is not None else None
                writer.writerow([host.name, host.spec.address, bmc.address if bmc else "", bmc.port if bmc else ""])
        return path

    @property
    def reports_dir(self) -> Path:
        """``<fleet file>.reports``: where the demo and the tests keep Lifeline's run reports (LIFELINE_REPORT_DIR)."""
        return self.state_dir.with_name(self.state_dir.name.removesuffix(".d") + ".reports")

    def write_inventory_configs(self, cmdb_file: Path, signals_file: Path) -> dict[str, Path]:
        """The lifeline.recovery.fleet inventory configuration an operator would write for this estate:
        the CMDB export and the monitoring signals as sources, the readiness reports of playbooks/prepare.yml
        (which say why a silent host needs hands), the fleet's one account, and either HTTPS
        validated against the fleet's CA (``https``) or NTLM with message encryption over HTTP
        (``http``, only where the hosts accept NTLM), and the BMC account where hosts have a BMC. Mode 0600:
        they hold the accounts' passwords."""
        transports = self.options.transports
        configs = {"https": {"winrm_scheme": "https", "winrm_ca_file": str(self.ca_file)}}
        if "ntlm" in transports:
            configs["http"] = {"winrm_scheme": "http"}
        written = {}
        for scheme, connection in configs.items():
            config = {
                "plugin": "lifeline.recovery.fleet",
                "cmdb_files": [str(cmdb_file)],
                "signals_files": [str(signals_file)],
                # Where the operator keeps playbooks/prepare.yml's readiness reports: beside the fleet file.
                "readiness_files": [str(self.reports_dir / "readiness-*.json")],
                **connection,
                "winrm_transport": "ntlm" if "ntlm" in transports else "basic",
                "winrm_user": self.options.username,
                "winrm_password": self.password,
            }
            if any(host.bmc is not None for host in self.hosts):
                # The estate's BMC account (the CMDB names each BMC, never its credentials).
                config |= {
                    "bmc_user": self.options.bmc_username,
                    "bmc_password": self.bmc_password,
                    "bmc_ca_file": str(self.ca_file),
                }
            path = self.state_dir / f"inventory-{scheme}.lifeline.yml"
            _write_private(path, f"# Written by lifeline-lab up.\n{yaml.safe_dump(config, sort_keys=False)}")
            written[scheme] = path
        return written

    def write_secrets_vars(self) -> Path:
        """The fleet's accounts as the vars file an operator passes to the playbooks (``-e @secrets.yml``, in
        a real estate vault-encrypted), since the inventory hands the playbooks no password: the service
        account's as ``ansible_password`` (the variable Ansible's winrm connection reads) and, where hosts
        have a BMC, the BMC account's as ``lifeline_bmc_password``. Mode 0600, beside the inventory
        configurations."""
        secrets_vars = {"ansible_password": self.password}
        if any(host.bmc is not None for host in self.hosts):
            secrets_vars["lifeline_bmc_password"] = self.bmc_password
        path = self.state_dir / "secrets.yml"
        text = "# Written by lifeline-lab up: pass it to ansible-playbook with -e @<this file>.\n"
        _write_private(path, text + yaml.safe_dump(secrets_vars, sort_keys=False))
        return path

    def write_escrow_export(self) -> Path:
        """The fleet's BitLocker recovery passwords as an escrow export (one row per protected OS volume),
        as an organisation exports them from AD DS or Intune: the secret a recovery needs, kept apart
        from the fleet file and readable only by its owner."""
        path = self.state_dir / "bitlocker-escrow.csv"
        rows = ["ComputerName,VolumeType,KeyProtectorId,RecoveryPassword"]
        for host in self.hosts:
            bitlocker = host.machine.os_volume.bitlocker
            if bitlocker is not None:
                rows.append(f"{host.name},OperatingSystem,{bitlocker.protector_id},{bitlocker.recovery_password}")
        _write_private(path, "\r\n".join(rows) + "\r\n")
        return path

    def write_signals_export(self) -> Path:
        """What the organisation's monitoring knows about the fleet, as a JSON-lines export (one event per
        line): the time of each host's last heartbeat, and the bugchecks its crash reporting saw.

        Monitoring data, not Windows behaviour: an agent heartbeats while Windows runs normally (it does
        not start in Safe Mode or WinRE), sampled every MONITOR_SECONDS, so a host that fails falls
        silent just before its crash (one that had failed before the fleet came up, just before its first
        recorded crash); the export is rewritten as the fleet changes (_monitor_fleet); a crash is
        reported with its bugcheck code and the faulting module (as the crash analytics names it). Boot
        failures without a bugcheck (a broken BCD, servicing) leave only the silence."""
        self._sample_heartbeats()
        self._monitored = self._monitoring_state()
        lines = []
        for host in self.hosts:
            machine = host.machine
            crashes = machine.crashes
            heartbeat = self._heartbeats[host.name]
            lines.append({"host": host.name, "event": "heartbeat", "time": heartbeat.isoformat()})
            for crash in crashes:
                if crash.bugcheck is not None:
                    lines.append(
                        {
                            "host": host.name,
                            "event": "crash",
                            "time": crash.time.isoformat(),
                            "bugcheck": f"0x{crash.bugcheck:08X}",
                            "module": crash.module,
                            "last_heartbeat": heartbeat.isoformat(),
                        }
                    )
        path = self.state_dir / "monitoring-signals.jsonl"
        partial = path.with_name(path.name + ".tmp")
        partial.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
        partial.replace(path)  # readers see the old export or the new one, never half of one
        return path


def _handler(host: LabHost, tls: ssl.SSLContext | None = None):
    """Serve one connection; over HTTPS, the TLS handshake happens only while WinRM runs.

    Windows' HTTPS listener is HTTP.sys with the certificate bound to the port (`netsh http add
    sslcert`, https://learn.microsoft.com/en-us/windows/win32/http/add-sslcert), serving the URL the
    WinRM service registered (https://learn.microsoft.com/en-us/windows/win32/winrm/installation-and-configuration-for-windows-remote-management):
    a machine that is down, or runs where WinRM does not, presents no certificate at all.
    """

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if tls is not None:
            if not host.serving:
                writer.close()  # nothing listens: no TLS handshake, no certificate
                return
            try:
                await writer.start_tls(tls)
            except (ssl.SSLError, ConnectionError, TimeoutError):  # the client gave up on the handshake
                writer.close()
                return
        await serve_connection(host, tls is not None, reader, writer)

    return handle


def _tls(state_dir: Path, name: str) -> ssl.SSLContext:
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.minimum_version = ssl.TLSVersion.TLSv1_2
    tls.load_cert_chain(state_dir / "certs" / f"{name}.pem")
    return tls


def _write_private(path: Path, text: str) -> None:
    """Write a file that holds secrets, readable by its owner only from the start."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # a file left from an earlier fleet keeps its mode otherwise
    with os.fdopen(fd, "w", newline="") as handle:
        handle.write(text)


def _random_password() -> str:
    alphabet = string.ascii_letters + string.digits + "!#%+-=?@^_"
    # Windows' default complexity rules want three of: upper, lower, digit, symbol.
    return "Lf1!" + "".join(secrets.choice(alphabet) for _ in range(16))


def host_address(first_octet: int, index: int) -> str:
    return f"127.{first_octet}.{index // HOSTS_PER_SUBNET}.{index % HOSTS_PER_SUBNET + 1}"


def bind_block(count: int, first_octet: int | None) -> list[tuple[str, socket.socket, socket.socket]]:
    """Bind 5985 and 5986 on `count` addresses of one free 127.N block (another fleet may hold one)."""
    candidates = [first_octet] if first_octet else random.sample(range(16, 255), 60)
    last_error: OSError | None = None
    for octet in candidates:
        bound: list[tuple[str, socket.socket, socket.socket]] = []
        try:
            for index in range(count):
                address = host_address(octet, index)
                bound.append((address, _listen(address, HTTP_PORT), _listen(address, HTTPS_PORT)))
            return bound
        except OSError as exc:
            for _, *pair in bound:
                for sock in pair:
                    sock.close()
            if exc.errno != errno.EADDRINUSE:
                raise
            last_error = exc
    raise OSError(errno.EADDRINUSE, f"no free 127.N block for {count} hosts: {last_error}")


def bind_bmc_block(indexes: list[int], host_octet: int) -> dict[int, tuple[str, socket.socket]]:
    """Bind BMC_PORT for the hosts `indexes` on another free 127.M block: the BMC of 127.N.x.y is 127.M.x.y
    (a management network beside the servers' own)."""
    candidates = [octet for octet in random.sample(range(16, 255), 60) if octet != host_octet]
    last_error: OSError | None = None
    for octet in candidates:
        bound: dict[int, tuple[str, socket.socket]] = {}
        try:
            for index in indexes:
                address = host_address(octet, index)
                bound[index] = (address, _listen(address, BMC_PORT))
            return bound
        except OSError as exc:
            for _, sock in bound.values():
                sock.close()
            if exc.errno != errno.EADDRINUSE:
                raise
            last_error = exc
    raise OSError(errno.EADDRINUSE, f"no free 127.M block for {len(indexes)} BMCs: {last_error}")


def _listen(address: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((address, port))
        sock.listen(128)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock
