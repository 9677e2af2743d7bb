"""The lifeline.recovery.fleet inventory plugin, run through ansible's own command-line tools.

Each test writes a CMDB export and an inventory config in tmp_path, as an operator does for a real
estate, then runs ansible-inventory or ansible with the repository's ansible.cfg, so the plugin is
loaded exactly as users load it: from the collection, in place, through `.collections`.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent


CMDB = "name,address,site\nWS-0001,10.20.0.1,paris\nWS-0002,10.20.0.2,paris\nWS-0003,10.20.0.3,lyon\n"


def write_cmdb(path: Path, text: str = CMDB) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def write_config(path: Path, **options: Any) -> Path:
    options.setdefault("probe", False)  # these hosts do not exist: connection variables only
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"plugin": "lifeline.recovery.fleet", **options}, sort_keys=False))
    return path


def run(tool: str, *arguments: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("ANSIBLE_", "LIFELINE_"))}
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


def test_a_cmdb_export_over_https(tmp_path: Path) -> None:
    write_cmdb(tmp_path / "cmdb" / "servers.csv")
    config = write_config(
        tmp_path / "inventory" / "fleet.lifeline.yml",
        cmdb_files=["../cmdb/servers.csv"],  # relative to the configuration file
        winrm_ca_file="/etc/pki/corp-ca.pem",
        winrm_user="CORP\\svc-lifeline",
        winrm_password="pw-1",
    )

    hostvars = inventory_list("-i", str(config), cwd=tmp_path)["_meta"]["hostvars"]

    assert sorted(hostvars) == ["WS-0001", "WS-0002", "WS-0003"]
    assert hostvars["WS-0002"] == {
        "ansible_host": "10.20.0.2",
        "ansible_port": 5986,
        "ansible_connection": "ansible.builtin.winrm",
        "ansible_shell_type": "powershell",
        "ansible_user": "CORP\\svc-lifeline",
        "ansible_winrm_scheme": "https",
        "ansible_winrm_transport": ["ntlm"],
        "ansible_winrm_server_cert_validation": "validate",
        "ansible_winrm_ca_trust_path": "/etc/pki/corp-ca.pem",
        "lifeline_source_data": {"site": "paris"},
    }


def test_a_json_cmdb_export_over_http_uses_ntlm_with_encryption(tmp_path: Path) -> None:
    cmdb = write_cmdb(tmp_path / "cmdb.json", json.dumps({"hosts": [{"name": "WS-0001", "ip": "10.20.0.1"}]}))
    config = write_config(
        tmp_path / "fleet.lifeline.yaml", cmdb_files=[str(cmdb)], winrm_scheme="http", winrm_user="svc"
    )

    hostvars = inventory_list("-i", str(config), cwd=tmp_path)["_meta"]["hostvars"]

    assert hostvars == {
        "WS-0001": {
            "ansible_host": "10.20.0.1",
            "ansible_port": 5985,
            "ansible_connection": "ansible.builtin.winrm",
            "ansible_shell_type": "powershell",
            "ansible_user": "svc",
            "ansible_winrm_scheme": "http",
            "ansible_winrm_transport": ["ntlm"],
            "ansible_winrm_message_encryption": "always",
        }
    }


def test_basic_is_taken_inside_https(tmp_path: Path) -> None:
    config = write_config(tmp_path / "fleet.lifeline.yml", hosts=["WS-0001"], winrm_transport="basic")

    hostvars = inventory_list("-i", str(config), cwd=tmp_path)["_meta"]["hostvars"]["WS-0001"]

    assert (hostvars["ansible_winrm_scheme"], hostvars["ansible_winrm_transport"]) == ("https", ["basic"])


def test_the_default_inventory_is_what_the_lab_writes_for_the_fleet_at_dot_lab() -> None:
    """ansible.cfg's inventory links to the HTTPS configuration `lifeline-lab up --fleet-file .lab/fleet.yml`
    writes: no option of the plugin knows the lab."""
    default = REPO / "inventories" / "lab" / "fleet.lifeline.yml"
    assert "inventory = inventories/lab/fleet.lifeline.yml" in (REPO / "ansible.cfg").read_text().splitlines()
    assert default.is_symlink()
    assert default.resolve() == REPO / ".lab" / "fleet.yml.d" / "inventory-https.lifeline.yml"
    # Beside it, not in group_vars/ (an AWX sync would store it): the playbooks' secrets, for -e @<it>.
    assert (REPO / "inventories" / "lab" / "secrets.yml").resolve() == REPO / ".lab" / "fleet.yml.d" / "secrets.yml"
    assert not (REPO / "inventories" / "lab" / "group_vars").exists()


def test_constructed_groups_and_compose(tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "fleet.lifeline.yml",
        cmdb_files=[str(write_cmdb(tmp_path / "cmdb.csv"))],
        strict=True,
        compose={"lifeline_ring": "'canary' if inventory_hostname == 'WS-0001' else 'wave'"},
        groups={"first_host": "inventory_hostname == 'WS-0001'"},
        keyed_groups=[{"key": "lifeline_source_data.site", "prefix": "site"}],
    )

    inventory = inventory_list("-i", str(config), cwd=tmp_path)

    assert inventory["first_host"]["hosts"] == ["WS-0001"]
    assert inventory["site_paris"]["hosts"] == ["WS-0001", "WS-0002"]
    assert inventory["site_lyon"]["hosts"] == ["WS-0003"]
    assert inventory["_meta"]["hostvars"]["WS-0001"]["lifeline_ring"] == "canary"
    assert inventory["_meta"]["hostvars"]["WS-0003"]["lifeline_ring"] == "wave"


def test_hostile_source_data_and_passwords_are_never_templated(tmp_path: Path) -> None:
    marker = tmp_path / f"pwned-{secrets.token_hex(8)}"
    hostile = "{{ lookup('pipe', 'touch " + str(marker) + "') }}"
    cmdb = write_cmdb(tmp_path / "cmdb.json", json.dumps([{"name": "WS-0001", "owner": hostile}]))
    config = write_config(
        tmp_path / "fleet.lifeline.yml", cmdb_files=[str(cmdb)], winrm_user=hostile + "-user", winrm_password=hostile
    )

    hostvars = inventory_list("-i", str(config), cwd=tmp_path)["_meta"]["hostvars"]["WS-0001"]
    assert "ansible_password" not in hostvars  # the password serves the probe only
    assert hostvars["ansible_user"] == hostile + "-user"
    assert hostvars["lifeline_source_data"] == {"owner": hostile}
    assert not marker.exists()

    # A task that reads the variables, directly and through a template of the task's own.
    for argument in (
        "var=ansible_user",
        "msg={{ lifeline_source_data.owner }}",
    ):
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
        ("cmdb.json", '[{"name": "WS-1",', "line 1: not valid JSON"),
        ("cmdb.json", '{"servers": []}', "must be a list of hosts or hold one under 'hosts'"),
        ("cmdb.csv", "owner,site\nops,paris\n", "line 1: the CSV header names no host column"),
        (None, None, "cannot read the CMDB export"),
    ],
)
def test_a_cmdb_export_that_cannot_be_read_is_an_error_naming_the_file(tmp_path: Path, name, content, expected):
    cmdb = tmp_path / (name or "missing.csv")
    if content is not None:
        cmdb.write_text(content)
    config = write_config(tmp_path / "fleet.lifeline.yml", cmdb_files=[str(cmdb)])

    result = run("ansible-inventory", "-i", str(config), "--list", cwd=tmp_path)

    assert result.returncode != 0
    assert str(cmdb) in result.stderr
    assert expected in " ".join(result.stderr.split())


def test_a_cmdb_host_with_a_bad_name_or_address_is_skipped_with_a_warning(tmp_path: Path) -> None:
    cmdb = write_cmdb(
        tmp_path / "cmdb.csv", 'name,address\n"WS-0001\nINJECTED",10.0.0.1\nWS-0002,127.0.0.9@127.33.0.2\nWS-0003,\n'
    )
    config = write_config(tmp_path / "fleet.lifeline.yml", cmdb_files=[str(cmdb)])

    result = run("ansible-inventory", "-i", str(config), "--list", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert sorted(plain(json.loads(result.stdout))["_meta"]["hostvars"]) == ["WS-0003"]
    warnings = " ".join(result.stderr.split())
    assert f"{cmdb} line 3: host name 'WS-0001\\nINJECTED' is not a valid host name" in warnings
    assert f"{cmdb} line 4: address '127.0.0.9@127.33.0.2' is not" in warnings


def test_config_file_name_must_end_in_lifeline_yml(tmp_path: Path) -> None:
    config = write_config(tmp_path / "inventory.yml", hosts=["WS-0001"])

    result = run("ansible-inventory", "-i", str(config), "--list", cwd=tmp_path)

    assert result.returncode != 0
    assert "could not be verified by inventory plugin 'lifeline.recovery.fleet'" in result.stderr


def cache_options(tmp_path: Path) -> dict[str, Any]:
    return {"cache": True, "cache_plugin": "ansible.builtin.jsonfile", "cache_connection": str(tmp_path / "cache")}


def cached(tmp_path: Path) -> str:
    return "".join(path.read_text() for path in (tmp_path / "cache").iterdir())


def test_cache_is_read_until_flushed(tmp_path: Path) -> None:
    cmdb = write_cmdb(tmp_path / "cmdb.csv")
    config = write_config(tmp_path / "fleet.lifeline.yml", cmdb_files=[str(cmdb)], **cache_options(tmp_path))
    names = ["WS-0001", "WS-0002", "WS-0003"]
    assert sorted(inventory_list("-i", str(config), cwd=tmp_path)["_meta"]["hostvars"]) == names
    assert "WS-0003" in cached(tmp_path)

    write_cmdb(cmdb, "name,address\nWS-0001,10.20.0.1\n")

    assert sorted(inventory_list("-i", str(config), cwd=tmp_path)["_meta"]["hostvars"]) == names
    flushed = inventory_list("-i", str(config), "--flush-cache", cwd=tmp_path)["_meta"]["hostvars"]
    assert sorted(flushed) == ["WS-0001"]


def test_no_password_in_any_variable_nor_in_the_cache(tmp_path: Path) -> None:
    """An inventory sync (AWX/AAP) stores what the inventory returns: the WinRM password serves the probe
    only; the playbooks get it as ansible_password from the operator (extra vars, a credential)."""
    configured = f"config-secret-{secrets.token_hex(8)}"
    options = {"cmdb_files": [str(write_cmdb(tmp_path / "cmdb.csv"))], "winrm_user": "svc", **cache_options(tmp_path)}
    config = write_config(tmp_path / "fleet.lifeline.yml", **options, winrm_password=configured)

    for _ in ("fresh", "from the cache"):
        result = run("ansible-inventory", "-i", str(config), "--list", "--export", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        hostvars = plain(json.loads(result.stdout))["_meta"]["hostvars"]
        assert sorted(hostvars) == ["WS-0001", "WS-0002", "WS-0003"]
        assert all(found["ansible_user"] == "svc" and "ansible_password" not in found for found in hostvars.values())
        assert configured not in result.stdout + result.stderr
        assert "WS-0001" in cached(tmp_path)
        assert configured not in cached(tmp_path)


def test_a_playbook_without_the_password_stops_before_touching_a_host_naming_the_variable(tmp_path) -> None:
    """The inventory hands out no password: without ansible_password from the operator each host stops at the
    first task, the variable named, before any connection (these hosts do not exist). rollback.yml imports the
    same check first; remediate.yml's plan: tests/integration/test_oob_recovery.py."""
    config = write_config(tmp_path / "fleet.lifeline.yml", cmdb_files=[str(write_cmdb(tmp_path / "cmdb.csv"))])
    environment = {"LIFELINE_REPORT_DIR": str(tmp_path / "reports"), "LIFELINE_LOCK_DIR": str(tmp_path / "locks")}

    result = run(
        "ansible-playbook", "-i", str(config), "-e", "lifeline_target=all", str(REPO / "playbooks/prepare.yml"),
        cwd=tmp_path, env=environment,
    )  # fmt: skip

    assert result.returncode != 0
    output = " ".join(result.stdout.split())
    assert "ansible_password is not set: the inventory never holds the WinRM account's password" in output
    for name in ("WS-0001", "WS-0002", "WS-0003"):
        assert f"fatal: [{name}]: FAILED! => " in output
        assert f"{name} : ok=0 changed=0 unreachable=0 failed=1" in output


def test_ansible_doc_finds_the_plugin_from_any_directory_and_it_knows_no_lab(tmp_path: Path) -> None:
    result = run("ansible-doc", "-t", "inventory", "--json", "lifeline.recovery.fleet", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    entry = json.loads(result.stdout)["lifeline.recovery.fleet"]
    assert {"cmdb_files", "signals_files", "winrm_user", "keyed_groups", "cache"} <= set(entry["doc"]["options"])
    # A real estate has no lab: no option, group, variable or sentence of the plugin's documentation names one.
    assert not re.findall(r"\blab\b|lifeline.lab", json.dumps(entry), re.IGNORECASE)


def test_the_example_inventory_as_the_readme_passes_it_holds_exactly_the_cmdb_hosts(tmp_path: Path) -> None:
    """inventories/example copied as the README says, passed with -i as its README says (the configuration
    file): the hosts are the CMDB export's, grouped by its sites; no line of the CSV became a host."""
    example = tmp_path / "example"
    subprocess.run(["cp", "-r", str(REPO / "inventories" / "example"), str(example)], check=True)
    config = example / "fleet.lifeline.yml"
    readme = (REPO / "inventories" / "example" / "README.md").read_text()
    assert "-i inventories/example/fleet.lifeline.yml" in readme and "-i inventories/example " not in readme
    options = yaml.safe_load(config.read_text())
    # These addresses do not exist: no probe, no cache under ~; every other setting as shipped.
    options.update(probe=False, cache=False, signals_files=[])
    config.write_text(yaml.safe_dump(options, sort_keys=False))
    with (example / "cmdb" / "windows-servers.csv").open() as export:
        rows = [line.split(",") for line in export.read().splitlines()[1:]]
    listed = inventory_list("-i", str(config), cwd=tmp_path)
    hostvars = listed["_meta"]["hostvars"]
    assert sorted(hostvars) == sorted(row[0] for row in rows)
    assert not listed.get("ungrouped", {}).get("hosts")
    for name, address, _ring, site, _owner in rows:
        assert hostvars[name]["ansible_host"] == address
        assert name in listed[f"site_{site}"]["hosts"]  # the example's keyed_groups, from the CSV's columns


def test_discover_prints_the_table_and_no_line_per_host(tmp_path: Path) -> None:
    """At normal verbosity playbooks/discover.yml prints the counts and the table only: no `skipping:` line and
    no task result per host; with -v the evidence joins the table."""
    write_cmdb(tmp_path / "cmdb.csv")
    config = write_config(tmp_path / "fleet.lifeline.yml", cmdb_files=[str(tmp_path / "cmdb.csv")])
    played = run("ansible-playbook", "-i", str(config), str(REPO / "playbooks/discover.yml"), cwd=tmp_path)
    assert played.returncode == 0, played.stdout + played.stderr
    results = [line for line in played.stdout.splitlines() if re.match(r"^(ok|changed|skipping|failed): ", line)]
    assert not [line for line in results if line.startswith("skipping")], played.stdout
    assert len(results) == 4 and all("[localhost]" in line for line in results), played.stdout  # 3 counts, 1 table
    assert all(f'"WS-000{number}  ' in played.stdout for number in (1, 2, 3))
    assert "The evidence for each verdict" not in played.stdout
    verbose = run("ansible-playbook", "-v", "-i", str(config), str(REPO / "playbooks/discover.yml"), cwd=tmp_path)
    assert "The evidence for each verdict" in verbose.stdout and "skipping" not in verbose.stdout


def test_the_kept_session_connection_is_chosen_in_the_configuration(tmp_path: Path) -> None:
    """winrm_connection names the hosts' connection plugin (an extra var would also take over the tasks a play
    delegates to the controller); anything but the two WinRM plugins is refused."""
    config = write_config(
        tmp_path / "fleet.lifeline.yml", hosts=["WS-0001"], winrm_connection="lifeline.recovery.winrm"
    )
    hostvars = inventory_list("-i", str(config), cwd=tmp_path)["_meta"]["hostvars"]["WS-0001"]
    assert hostvars["ansible_connection"] == "lifeline.recovery.winrm"

    refused = write_config(tmp_path / "ssh.lifeline.yml", hosts=["WS-0001"], winrm_connection="ssh")
    result = run("ansible-inventory", "-i", str(refused), "--list", cwd=tmp_path)
    assert result.returncode != 0
    assert "winrm_connection" in result.stderr
