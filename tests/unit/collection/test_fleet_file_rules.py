"""The pure rules behind the fleet inventory: reading and checking the lab's fleet file."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ansible_collections.lifeline.recovery.plugins.plugin_utils._lab_fleet import (
    FleetFileError,
    LabFleet,
    LabHost,
    cacheable_document,
    connection_vars,
    parse_fleet,
    read_fleet_document,
    winrm_auth,
)


def host_entry(**overrides):
    entry = {
        "name": "WS-0001",
        "address": "127.42.0.1",
        "http_port": 5985,
        "https_port": 5986,
        "username": "Administrator",
        "password": "secret",
        "transports": ["basic", "ntlm"],
        "allow_unencrypted": False,
    }
    entry.update(overrides)
    return entry


def lab_host(transports=("basic", "ntlm")) -> LabHost:
    return LabHost("WS-0001", "127.42.0.1", 5985, 5986, "Administrator", "secret", transports, False)


def test_yaml_and_json_read_the_same(tmp_path: Path) -> None:
    document = {"version": 1, "ca_file": "ca.pem", "hosts": [host_entry()]}
    (tmp_path / "fleet.json").write_text(json.dumps(document))
    (tmp_path / "fleet.yaml").write_text(
        "version: 1\nca_file: ca.pem\nhosts:\n"
        + "".join(
            f"  {'-' if index == 0 else ' '} {key}: {json.dumps(value)}\n"
            for index, (key, value) in enumerate(host_entry().items())
        )
    )
    assert read_fleet_document(str(tmp_path / "fleet.json")) == read_fleet_document(str(tmp_path / "fleet.yaml"))


def test_relative_ca_file_is_relative_to_the_fleet_file(tmp_path: Path) -> None:
    fleet = parse_fleet({"version": 1, "ca_file": "state/ca.pem", "hosts": []}, str(tmp_path / "fleet.yml"))
    assert fleet.ca_file == str(tmp_path / "state" / "ca.pem")


def test_cacheable_document_leaves_the_control_channel_out() -> None:
    document = {"version": 1, "pid": 1, "control": {"token": "t"}, "ca_file": "/ca.pem", "hosts": []}
    assert cacheable_document(document) == {"version": 1, "ca_file": "/ca.pem", "hosts": []}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"hosts": []}, "has version None"),
        ({"version": 1}, "must have a 'hosts' list"),
        ({"version": 1, "hosts": ["WS-0001"]}, "hosts[0] must be a mapping"),
        ({"version": 1, "hosts": [host_entry(https_port=70000)]}, "hosts[0] (WS-0001).https_port must be a port"),
        ({"version": 1, "hosts": [host_entry(http_port=True)]}, "http_port must be a port"),
        ({"version": 1, "hosts": [host_entry(password=1234)]}, "password must be a string"),
        ({"version": 1, "hosts": [host_entry(name="")]}, "hosts[0].name must be a non-empty string"),
        ({"version": 1, "hosts": [host_entry(transports="ntlm")]}, "transports must be a list of strings"),
        ({"version": 1, "hosts": [host_entry(allow_unencrypted="no")]}, "allow_unencrypted must be true or false"),
        ({"version": 1, "hosts": [host_entry(), host_entry()]}, "lists host 'WS-0001' more than once"),
        ({"version": 1, "ca_file": 3, "hosts": []}, "the fleet.ca_file must be a string"),
    ],
)
def test_bad_documents_are_refused_with_the_file_named(document, message) -> None:
    with pytest.raises(FleetFileError) as caught:
        parse_fleet(document, "/srv/lab/fleet.yml")
    assert "/srv/lab/fleet.yml" in str(caught.value)
    assert message in str(caught.value)


def test_a_host_with_a_bad_name_or_address_is_left_out_not_the_whole_file() -> None:
    document = {
        "version": 1,
        "hosts": [
            host_entry(name="WS-0001\nWS-0009"),
            host_entry(name="W" * 5000),
            host_entry(name="WS-0003", address="127.0.0.9@127.33.0.2"),
            host_entry(name="WS-0004", address="host:5985/#"),
            host_entry(name="WS-0005"),
        ],
    }

    fleet = parse_fleet(document, "/srv/lab/fleet.yml")

    assert [host.name for host in fleet.hosts] == ["WS-0005"]
    prefix = "the lab fleet file /srv/lab/fleet.yml: "
    rule = "is not an IPv4 or IPv6 address or a DNS host name (RFC 1123"
    assert (
        fleet.skipped[0]
        == f"{prefix}hosts[0]: host name 'WS-0001\\nWS-0009' is not a valid host name (letters, digits, . _ -)"
    )
    assert fleet.skipped[1].startswith(f"{prefix}hosts[1]: host name 'WWWW") and len(fleet.skipped[1]) < 200
    assert fleet.skipped[2].startswith(f"{prefix}hosts[2] (WS-0003): address '127.0.0.9@127.33.0.2' {rule}")
    assert fleet.skipped[3].startswith(f"{prefix}hosts[3] (WS-0004): address 'host:5985/#' {rule}")
    assert len(fleet.skipped) == 4


@pytest.mark.parametrize(
    ("transports", "transport", "expected"),
    [
        (("basic", "ntlm"), "https", "ntlm"),
        (("basic", "ntlm"), "http", "ntlm"),
        (None, "http", "ntlm"),
        (("basic",), "https", "basic"),
        (("basic",), "http", None),
        ((), "https", None),
    ],
)
def test_winrm_auth_never_picks_basic_over_http(transports, transport, expected) -> None:
    assert winrm_auth(lab_host(transports), transport) == expected


def test_https_needs_the_ca_file() -> None:
    fleet = LabFleet(path="/srv/lab/fleet.yml", scenario=None, ca_file=None, hosts=(lab_host(),))
    with pytest.raises(FleetFileError, match=re.escape("/srv/lab/fleet.yml has no ca_file")):
        connection_vars(lab_host(), fleet, "https", "ntlm")
    assert connection_vars(lab_host(), fleet, "http", "ntlm")["ansible_winrm_message_encryption"] == "always"


def test_unknown_transport_is_a_programming_error() -> None:
    fleet = LabFleet(path="f", scenario=None, ca_file="/ca.pem", hosts=())
    with pytest.raises(ValueError, match="unknown lab transport"):
        connection_vars(lab_host(), fleet, "ssh", "ntlm")
