# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read the lab's fleet file and turn each simulated host into WinRM connection variables.

The fleet file is written by ``lifeline-lab up --fleet-file PATH``: YAML when PATH ends in
``.yml``/``.yaml``, JSON otherwise. Everything here is a pure function over plain data, so the
inventory plugin stays thin and the rules are easy to test. Nothing in this module templates or
trusts what it reads: marking strings unsafe is the inventory plugin's job.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from ansible_collections.lifeline.recovery.plugins.plugin_utils._sources import address_problem, name_problem

FLEET_FILE_VERSION = 1
LAB_TRANSPORTS = ("https", "http")
YAML_SUFFIXES = (".yml", ".yaml")


class FleetFileError(ValueError):
    """The fleet file is missing, unreadable or not in the expected shape; the message names the file."""


class HostDropped(FleetFileError):
    """One host's name or address breaks the sources' input rules: that host is left out, not the file."""


@dataclass(frozen=True)
class LabHost:
    """One simulated Windows machine as the fleet file describes it."""

    name: str
    address: str
    http_port: int
    https_port: int
    username: str
    password: str
    transports: tuple[str, ...] | None
    allow_unencrypted: bool


@dataclass(frozen=True)
class LabFleet:
    """The whole fleet file: which scenario runs, the CA that signed every host's certificate, the hosts."""

    path: str
    scenario: str | None
    ca_file: str | None
    hosts: tuple[LabHost, ...]
    signals_file: str | None = None  # the lab's monitoring export (JSON lines), when it wrote one
    skipped: tuple[str, ...] = ()  # why each left-out host was left out (file, hosts[index], problem)


def read_fleet_document(path: str) -> dict[str, Any]:
    """Load the fleet file at ``path`` (YAML or JSON by suffix) and return its top-level mapping."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        raise FleetFileError(f"cannot read the lab fleet file {path}: {exc.strerror or exc}") from exc
    try:
        document = yaml.safe_load(text) if path.lower().endswith(YAML_SUFFIXES) else json.loads(text)
    except (yaml.YAMLError, ValueError) as exc:
        kind = "YAML" if path.lower().endswith(YAML_SUFFIXES) else "JSON"
        raise FleetFileError(f"the lab fleet file {path} is not valid {kind}: {exc}") from exc
    if not isinstance(document, Mapping):
        raise FleetFileError(f"the lab fleet file {path} must hold a mapping, not {type(document).__name__}")
    return dict(document)


def cacheable_document(document: Mapping[str, Any]) -> dict[str, Any]:
    """The part of a fleet document worth caching: the hosts and CA, not the lab's control channel."""
    kept = ("version", "scenario", "ca_file", "hosts", "signals_file")
    return {key: document[key] for key in kept if key in document}


def parse_fleet(document: Mapping[str, Any], path: str) -> LabFleet:
    """Validate a fleet document read from ``path`` and return the fleet it describes."""
    version = document.get("version")
    if version != FLEET_FILE_VERSION:
        raise FleetFileError(
            f"the lab fleet file {path} has version {version!r}; this plugin reads version {FLEET_FILE_VERSION}"
        )
    hosts = document.get("hosts")
    if not isinstance(hosts, list):
        raise FleetFileError(f"the lab fleet file {path} must have a 'hosts' list")
    ca_file = _optional_str(document, "ca_file", path, "the fleet")
    if ca_file is not None and not os.path.isabs(ca_file):
        ca_file = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(path)), ca_file))
    parsed: list[LabHost] = []
    skipped: list[str] = []
    seen: set[str] = set()
    for index, entry in enumerate(hosts):
        try:
            host = _parse_host(entry, f"hosts[{index}]", path)
        except HostDropped as exc:
            skipped.append(str(exc))
            continue
        if host.name in seen:
            raise FleetFileError(f"the lab fleet file {path} lists host {host.name!r} more than once")
        seen.add(host.name)
        parsed.append(host)
    return LabFleet(
        path=path,
        scenario=_optional_str(document, "scenario", path, "the fleet"),
        ca_file=ca_file,
        hosts=tuple(parsed),
        signals_file=_optional_str(document, "signals_file", path, "the fleet"),
        skipped=tuple(skipped),
    )


def winrm_auth(host: LabHost, transport: str) -> str | None:
    """The WinRM authentication to use for ``host`` over ``transport`` (``https`` or ``http``).

    NTLM everywhere it is accepted (sealed messages over HTTP, channel binding over HTTPS); Basic
    only inside TLS. ``None`` means the host accepts nothing this plugin is willing to use.
    """
    if host.transports is None or "ntlm" in host.transports:
        return "ntlm"
    if transport == "https" and "basic" in host.transports:
        return "basic"
    return None


def connection_vars(host: LabHost, fleet: LabFleet, transport: str, auth: str) -> dict[str, Any]:
    """The Ansible host variables that reach ``host`` over WinRM with ``transport`` and ``auth``.

    Values taken from the fleet file are returned as they are; the caller marks them unsafe.
    """
    if transport not in LAB_TRANSPORTS:
        raise ValueError(f"unknown lab transport {transport!r}; expected one of {', '.join(LAB_TRANSPORTS)}")
    variables: dict[str, Any] = {
        "ansible_host": host.address,
        "ansible_connection": "winrm",
        "ansible_shell_type": "powershell",
        "ansible_user": host.username,
        "ansible_password": host.password,
        "ansible_winrm_scheme": transport,
        "ansible_winrm_transport": [auth],
    }
    if transport == "https":
        if not fleet.ca_file:
            raise FleetFileError(
                f"the lab fleet file {fleet.path} has no ca_file, which HTTPS needs to validate the hosts' certificates"
            )
        variables["ansible_port"] = host.https_port
        variables["ansible_winrm_server_cert_validation"] = "validate"
        variables["ansible_winrm_ca_trust_path"] = fleet.ca_file
    else:
        variables["ansible_port"] = host.http_port
        variables["ansible_winrm_message_encryption"] = "always"
    return variables


def _parse_host(entry: Any, where: str, path: str) -> LabHost:
    if not isinstance(entry, Mapping):
        raise FleetFileError(f"the lab fleet file {path}: {where} must be a mapping")
    name = _required_str(entry, "name", path, where)
    problem = name_problem(name)
    if problem is not None:
        raise HostDropped(f"the lab fleet file {path}: {where}: {problem}")
    where = f"{where} ({name})"
    transports = entry.get("transports")
    if transports is not None and (
        not isinstance(transports, list) or not all(isinstance(item, str) for item in transports)
    ):
        raise FleetFileError(f"the lab fleet file {path}: {where}.transports must be a list of strings")
    allow_unencrypted = entry.get("allow_unencrypted", False)
    if not isinstance(allow_unencrypted, bool):
        raise FleetFileError(f"the lab fleet file {path}: {where}.allow_unencrypted must be true or false")
    address = _required_str(entry, "address", path, where)
    problem = address_problem(address)
    if problem is not None:
        raise HostDropped(f"the lab fleet file {path}: {where}: {problem}")
    return LabHost(
        name=name,
        address=address,
        http_port=_port(entry, "http_port", path, where),
        https_port=_port(entry, "https_port", path, where),
        username=_required_str(entry, "username", path, where),
        password=_required_str(entry, "password", path, where, allow_empty=True),
        transports=None if transports is None else tuple(item.lower() for item in transports),
        allow_unencrypted=allow_unencrypted,
    )


def _required_str(entry: Mapping[str, Any], key: str, path: str, where: str, allow_empty: bool = False) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or (not value and not allow_empty):
        wanted = "a string" if allow_empty else "a non-empty string"
        raise FleetFileError(f"the lab fleet file {path}: {where}.{key} must be {wanted}")
    return value


def _optional_str(entry: Mapping[str, Any], key: str, path: str, where: str) -> str | None:
    value = entry.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise FleetFileError(f"the lab fleet file {path}: {where}.{key} must be a string")
    return value


def _port(entry: Mapping[str, Any], key: str, path: str, where: str) -> int:
    value = entry.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
        raise FleetFileError(f"the lab fleet file {path}: {where}.{key} must be a port number (1-65535)")
    return value
