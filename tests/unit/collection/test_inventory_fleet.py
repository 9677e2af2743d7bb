"""The lifeline.recovery.fleet inventory plugin, run through ansible's own command-line tools.

Each test writes a lab fleet file (the format `lifeline-lab up` writes) and an inventory config in
tmp_path, then runs ansible-inventory or ansible with the repository's ansible.cfg, so the plugin
is loaded exactly as users load it: from the collection, in place, through `.collections`.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent


def fleet_document(ca_file: str = "/srv/lab/ca.pem", **host_overrides: Any) -> dict[str, Any]:
    hosts = [
        {
            "name": f"WS-000{index}",
            "address": f"127.42.0.{index}",
            "http_port": 5985,
            "https_port": 5986,
            "username": "Administrator",
            "password": f"pw-{index}",
            "transports": ["basic", "ntlm"],
            "allow_unencrypted": False,
        }
        for index in (1, 2, 3)
    ]
    hosts[0].update(host_overrides)
    return {
        "version": 1,
        "scenario": "healthy",
        "ca_file": ca_file,
        "pid": 12345,
        "control": {"address": "127.0.0.1", "port": 40123, "token": "control-token"},
        "hosts": hosts,
    }


def write_fleet(path: Path, document: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix in (".yml", ".yaml"):
        path.write_text(yaml.safe_dump(document, sort_keys=False))
    else:
        path.write_text(json.dumps(document, indent=2))
    return path


def write_config(path: Path, **options: Any) -> Path:
    options.setdefault("probe", False)  # these hosts do not exist: connection variables only
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"plugin": "lifeline.recovery.fleet", **options}, sort_keys=False))
    return path


def run(tool: str, *arguments: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("ANSIBLE_", "LIFELINE_LAB_"))}
    environment.update(ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    environment.update(env or {})
    return subprocess.run(
        [str(BIN / tool), *arguments], capture_output=True, text=True, cwd=cwd, env=environment, timeout=120
    )


def plain(value: Any) -> Any:
    """Undo the {'__ansible_unsafe': ...} markers that `ansible-inventory --list` may print."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def inventory_list(*arguments: str, cwd: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    result = run("ansible-inventory", *arguments, "--list", cwd=cwd, env=env)
    assert result.returncode == 0, result.stderr
    return plain(json.loads(result.stdout))


def test_yaml_fleet_over_https(tmp_path: Path) -> None:
    write_fleet(tmp_path / "lab" / "fleet.yml", fleet_document())
    config = write_config(tmp_path / "inventory" / "fleet.lifeline.yml", lab_fleet_file="../lab/fleet.yml")

    inventory = inventory_list("-i", str(config), cwd=tmp_path)

    assert inventory["lab"]["hosts"] == ["WS-0001", "WS-0002", "WS-0003"]
    assert inventory["_meta"]["hostvars"]["WS-0002"] == {
        "ansible_host": "127.42.0.2",
        "ansible_port": 5986,
        "ansible_connection": "winrm",
        "ansible_shell_type": "powershell",
        "ansible_user": "Administrator",
        "ansible_password": "pw-2",
        "ansible_winrm_scheme": "https",
        "ansible_winrm_transport": ["ntlm"],
        "ansible_winrm_server_cert_validation": "validate",
        "ansible_winrm_ca_trust_path": "/srv/lab/ca.pem",
    }


def test_json_fleet_over_http_uses_ntlm_with_encryption(tmp_path: Path) -> None:
    fleet = write_fleet(tmp_path / "fleet.json", fleet_document())
    config = write_config(tmp_path / "fleet.lifeline.yaml", lab_fleet_file=str(fleet), lab_transport="http")

    hostvars = inventory_list("-i", str(config), cwd=tmp_path)["_meta"]["hostvars"]

    assert sorted(hostvars) == ["WS-0001", "WS-0002", "WS-0003"]
    assert hostvars["WS-0001"] == {
        "ansible_host": "127.42.0.1",
        "ansible_port": 5985,
        "ansible_connection": "winrm",
        "ansible_shell_type": "powershell",
        "ansible_user": "Administrator",
        "ansible_password": "pw-1",
        "ansible_winrm_scheme": "http",
        "ansible_winrm_transport": ["ntlm"],
        "ansible_winrm_message_encryption": "always",
    }


def test_basic_only_host_gets_basic_inside_https_only(tmp_path: Path) -> None:
    fleet = write_fleet(tmp_path / "fleet.yml", fleet_document(transports=["basic"]))
    config = write_config(tmp_path / "fleet.lifeline.yml", lab_fleet_file=str(fleet))

    assert inventory_list("-i", str(config), cwd=tmp_path)["_meta"]["hostvars"]["WS-0001"][
        "ansible_winrm_transport"
    ] == ["basic"]

    http = write_config(tmp_path / "http.lifeline.yml", lab_fleet_file=str(fleet), lab_transport="http")
    result = run("ansible-inventory", "-i", str(http), "--host", "WS-0001", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["ansible_winrm_transport"] == ["ntlm"]
    assert "WS-0001 lists no transport usable over http" in result.stderr


def test_default_inventory_from_another_cwd_with_the_env_var(tmp_path: Path) -> None:
    fleet = write_fleet(tmp_path / "elsewhere" / "fleet.yml", fleet_document())
    workdir = tmp_path / "cwd"
    workdir.mkdir()

    # ansible.cfg's relative inventory and collections_path resolve against the cfg's directory;
    # a relative LIFELINE_LAB_FLEET_FILE resolves against the current directory.
    inventory = inventory_list(cwd=workdir, env={"LIFELINE_LAB_FLEET_FILE": "../elsewhere/fleet.yml"})

    assert inventory["lab"]["hosts"] == ["WS-0001", "WS-0002", "WS-0003"]
    assert fleet.exists()


def test_env_var_overrides_the_config_file(tmp_path: Path) -> None:
    write_fleet(tmp_path / "configured.yml", fleet_document())
    other = fleet_document()
    other["hosts"] = other["hosts"][:1]
    other["hosts"][0]["name"] = "FROM-ENV"
    chosen = write_fleet(tmp_path / "chosen.json", other)
    config = write_config(tmp_path / "fleet.lifeline.yml", lab_fleet_file="configured.yml")

    inventory = inventory_list("-i", str(config), cwd=tmp_path, env={"LIFELINE_LAB_FLEET_FILE": str(chosen)})

    assert inventory["lab"]["hosts"] == ["FROM-ENV"]


def test_constructed_groups_and_compose(tmp_path: Path) -> None:
    fleet = write_fleet(tmp_path / "fleet.yml", fleet_document(transports=["basic"]))
    config = write_config(
        tmp_path / "fleet.lifeline.yml",
        lab_fleet_file=str(fleet),
        strict=True,
        compose={"lifeline_ring": "'canary' if inventory_hostname == 'WS-0001' else 'wave'"},
        groups={"first_host": "inventory_hostname == 'WS-0001'"},
        keyed_groups=[{"key": "ansible_winrm_transport", "prefix": "auth"}],
    )

    inventory = inventory_list("-i", str(config), cwd=tmp_path)

    assert inventory["first_host"]["hosts"] == ["WS-0001"]
    assert inventory["auth_basic"]["hosts"] == ["WS-0001"]
    assert inventory["auth_ntlm"]["hosts"] == ["WS-0002", "WS-0003"]
    assert inventory["_meta"]["hostvars"]["WS-0001"]["lifeline_ring"] == "canary"
    assert inventory["_meta"]["hostvars"]["WS-0003"]["lifeline_ring"] == "wave"


def test_hostile_fleet_data_is_never_templated(tmp_path: Path) -> None:
    marker = tmp_path / f"pwned-{secrets.token_hex(8)}"
    hostile = "{{ lookup('pipe', 'touch " + str(marker) + "') }}"
    fleet = write_fleet(
        tmp_path / "fleet.yml",
        fleet_document(password=hostile, username=hostile + "-user", ca_file="{% raw %}x{% endraw %}"),
    )
    config = write_config(tmp_path / "fleet.lifeline.yml", lab_fleet_file=str(fleet))

    hostvars = inventory_list("-i", str(config), cwd=tmp_path)["_meta"]["hostvars"]["WS-0001"]
    assert hostvars["ansible_password"] == hostile
    assert hostvars["ansible_user"] == hostile + "-user"
    assert not marker.exists()

    # A task that reads the variables, directly and through a template of the task's own.
    for argument in ("var=ansible_password", "msg={{ ansible_password }}", "var=ansible_user"):
        result = run(
            "ansible",
            "WS-0001",
            "-i",
            str(config),
            "-e",
            "ansible_connection=local",
            "-m",
            "ansible.builtin.debug",
            "-a",
            argument,
            cwd=tmp_path,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "lookup('pipe', 'touch " + str(marker) in result.stdout
        assert not marker.exists()

    # Control: the same lookup in the task itself (trusted) does run, so the checks above can fail.
    control = tmp_path / "control"
    result = run(
        "ansible",
        "WS-0001",
        "-i",
        str(config),
        "-e",
        "ansible_connection=local",
        "-m",
        "ansible.builtin.debug",
        "-a",
        "msg={{ lookup('pipe', 'touch " + str(control) + "') }}",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert control.exists()


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("fleet.yml", "version: 1\nhosts: [\n", "is not valid YAML"),
        ("fleet.json", '{"version": 1, "hosts": [', "is not valid JSON"),
        ("fleet.yml", "- just\n- a list\n", "must hold a mapping"),
        ("fleet.yml", "version: 2\nhosts: []\n", "has version 2"),
        ("fleet.yml", "version: 1\nhosts:\n  - name: WS-1\n", "hosts[0] (WS-1).address"),
        (None, None, "does not exist"),
    ],
)
def test_bad_fleet_file_is_an_error_naming_the_file(tmp_path: Path, name, content, expected) -> None:
    fleet = tmp_path / (name or "missing.yml")
    if content is not None:
        fleet.write_text(content)
    config = write_config(tmp_path / "fleet.lifeline.yml", lab_fleet_file=str(fleet))

    result = run("ansible-inventory", "-i", str(config), "--list", cwd=tmp_path)

    assert result.returncode != 0
    assert str(fleet) in result.stderr
    assert expected in result.stderr


def test_a_fleet_host_with_a_bad_name_or_address_is_skipped_with_a_warning(tmp_path: Path) -> None:
    document = fleet_document(name="WS-0001\nINJECTED")
    document["hosts"][1]["address"] = "127.0.0.9@127.33.0.2"
    fleet = write_fleet(tmp_path / "fleet.yml", document)
    config = write_config(tmp_path / "fleet.lifeline.yml", lab_fleet_file=str(fleet))

    result = run("ansible-inventory", "-i", str(config), "--list", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert sorted(plain(json.loads(result.stdout))["_meta"]["hostvars"]) == ["WS-0003"]
    warnings = " ".join(result.stderr.split())
    assert f"the lab fleet file {fleet}: hosts[0]: host name 'WS-0001\\nINJECTED' is not a valid host name" in warnings
    assert f"the lab fleet file {fleet}: hosts[1] (WS-0002): address '127.0.0.9@127.33.0.2' is not" in warnings


def test_config_file_name_must_end_in_lifeline_yml(tmp_path: Path) -> None:
    fleet = write_fleet(tmp_path / "fleet.yml", fleet_document())
    config = write_config(tmp_path / "inventory.yml", lab_fleet_file=str(fleet))

    result = run("ansible-inventory", "-i", str(config), "--list", cwd=tmp_path)

    assert result.returncode != 0
    assert "could not be verified by inventory plugin 'lifeline.recovery.fleet'" in result.stderr


def test_cache_is_read_until_flushed(tmp_path: Path) -> None:
    fleet = write_fleet(tmp_path / "fleet.yml", fleet_document())
    config = write_config(
        tmp_path / "fleet.lifeline.yml",
        lab_fleet_file=str(fleet),
        cache=True,
        cache_plugin="ansible.builtin.jsonfile",
        cache_connection=str(tmp_path / "cache"),
    )
    assert inventory_list("-i", str(config), cwd=tmp_path)["lab"]["hosts"] == ["WS-0001", "WS-0002", "WS-0003"]
    cached = "".join(path.read_text() for path in (tmp_path / "cache").iterdir())
    assert "control-token" not in cached

    changed = fleet_document()
    changed["hosts"] = changed["hosts"][:1]
    write_fleet(fleet, changed)

    assert inventory_list("-i", str(config), cwd=tmp_path)["lab"]["hosts"] == ["WS-0001", "WS-0002", "WS-0003"]
    assert inventory_list("-i", str(config), "--flush-cache", cwd=tmp_path)["lab"]["hosts"] == ["WS-0001"]


def test_the_cache_holds_no_password_and_a_cached_run_reads_them_from_their_origin(tmp_path: Path) -> None:
    document = fleet_document()
    passwords = [f"fleet-secret-{secrets.token_hex(8)}" for _ in document["hosts"]]
    for host, password in zip(document["hosts"], passwords, strict=True):
        host["password"] = password
    fleet = write_fleet(tmp_path / "fleet.yml", document)
    configured = f"config-secret-{secrets.token_hex(8)}"
    config = write_config(
        tmp_path / "fleet.lifeline.yml",
        lab_fleet_file=str(fleet),
        hosts=[{"name": "CFG-1", "address": "10.0.0.1"}],
        winrm_user="svc-lifeline",
        winrm_password=configured,
        cache=True,
        cache_plugin="ansible.builtin.jsonfile",
        cache_connection=str(tmp_path / "cache"),
    )

    first = inventory_list("-i", str(config), cwd=tmp_path)["_meta"]["hostvars"]

    assert [first[f"WS-000{index}"]["ansible_password"] for index in (1, 2, 3)] == passwords
    assert first["CFG-1"]["ansible_password"] == configured

    def cached() -> str:
        return "".join(path.read_text() for path in (tmp_path / "cache").iterdir())

    assert "WS-0001" in cached()
    assert not [secret for secret in [*passwords, configured] if secret in cached()]

    # The fleet file changes its first password and drops a host: the run from the cache still lists
    # the dropped host, and every password comes from the fleet file or the configuration as they are now.
    rotated = f"rotated-{secrets.token_hex(8)}"
    document["hosts"][0]["password"] = rotated
    document["hosts"] = document["hosts"][:2]
    write_fleet(fleet, document)
    result = run("ansible-inventory", "-i", str(config), "--list", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    second = plain(json.loads(result.stdout))["_meta"]["hostvars"]
    assert sorted(second) == sorted(first)
    assert second["WS-0001"]["ansible_password"] == rotated
    assert second["WS-0002"]["ansible_password"] == passwords[1]
    assert second["CFG-1"]["ansible_password"] == configured
    assert "ansible_password" not in second["WS-0003"]
    warning = f"no password for 1 host from the inventory cache that the lab fleet file {fleet} no longer lists"
    assert f"{warning} (WS-0003)" in " ".join(result.stderr.split())
    assert not [secret for secret in [*passwords, configured, rotated] if secret in cached()]


def test_ansible_doc_finds_the_plugin_from_any_directory(tmp_path: Path) -> None:
    result = run("ansible-doc", "-t", "inventory", "--json", "lifeline.recovery.fleet", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)["lifeline.recovery.fleet"]["doc"]
    assert {"lab_fleet_file", "lab_transport", "keyed_groups", "cache"} <= set(doc["options"])
    assert doc["options"]["lab_fleet_file"]["env"] == [{"name": "LIFELINE_LAB_FLEET_FILE"}]
