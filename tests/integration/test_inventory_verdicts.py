"""The fleet inventory against running lab fleets: verdicts host by host against the lab's ground truth,
unreachable hosts told apart, outside signals, and hostile data from sources and hosts kept inert."""

from __future__ import annotations

import datetime
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from .conftest import REPO, LabFleet, lab, sealed_session, start_fleet
from .playbooks import ansible_playbook, static_inventory
from .test_ansible_raw import parse_adhoc_output

BIN = Path(sys.executable).parent
sys.path.insert(0, str(REPO / ".collections"))
from ansible_collections.lifeline.recovery.plugins.plugin_utils._powershell import encoded_command, native_script  # noqa: E402
from ansible_collections.lifeline.recovery.plugins.plugin_utils._reg import reg_add  # noqa: E402


def run(tool: str, *arguments: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("ANSIBLE_", "LIFELINE_"))}
    environment.update(ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    environment.update(env or {})
    return subprocess.run(
        [str(BIN / tool), *arguments], capture_output=True, text=True, cwd=cwd, env=environment, timeout=300
    )


def plain(value):
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def inventory(config: Path, cwd: Path, env: dict[str, str] | None = None) -> dict:
    result = run("ansible-inventory", "-i", str(config), "--list", cwd=cwd, env=env)
    assert result.returncode == 0, result.stderr
    return plain(json.loads(result.stdout))


def write_config(path: Path, **options) -> Path:
    path.touch(mode=0o600)  # it may hold a password
    path.write_text(yaml.safe_dump({"plugin": "lifeline.recovery.fleet", **options}, sort_keys=False))
    return path


def lab_config(fleet: LabFleet, scheme: str = "https") -> Path:
    """The inventory configuration the lab wrote for its estate: CMDB export, monitoring signals, one account."""
    return Path(fleet.content["inventory_files"][scheme])


def lab_options(fleet: LabFleet, scheme: str = "https") -> dict:
    """The lab's inventory configuration without its BMC account: these tests judge the in-band verdicts
    (test_oob_recovery.py judges what the BMCs add)."""
    options = yaml.safe_load(lab_config(fleet, scheme).read_text())
    return {key: value for key, value in options.items() if not key.startswith("bmc_")}


def signature(crash: dict) -> str:
    """The lab's crash as the inventory documents its signature: 0x50:csagent.sys."""
    return f"0x{int(crash['bugcheck'], 16):x}:{crash['module'].lower()}"


def expected_verdict(truth: dict, with_signals: bool) -> dict:
    """The documented mapping from the lab's ground truth (`lifeline-lab show --json`) to a verdict."""
    machine = truth["machine"]
    bugchecks = [crash for crash in machine["crashes"] if crash["bugcheck"]]
    bitlocker = machine["bitlocker"]
    if truth["winrm_reachable"]:
        environment = machine["environment"]
        healthy = environment == "normal"
        return {
            "lifeline_recovery_state": "healthy" if healthy else "recovery_reachable",
            "lifeline_recovery_path": None if healthy else "in_band",
            "lifeline_reachability": "answered" if healthy else "answered_in_recovery",
            "lifeline_boot_environment": environment,
            "lifeline_bitlocker_locked": bool(bitlocker and bitlocker["locked"]),
            # Without signals only the minidump tells the bugcheck, and a locked OS volume hides it.
            "lifeline_failure_signature": None
            if healthy or not bugchecks or (not with_signals and bitlocker and bitlocker["locked"])
            else (signature(bugchecks[-1]) if with_signals else f"0x{int(bugchecks[-1]['bugcheck'], 16):x}"),
        }
    down = with_signals and bool(bugchecks)
    return {
        "lifeline_recovery_state": "unbootable" if down else "unknown",
        # Stock WinRE and a boot loop answer no WinRM: only hands (or out-of-band access) reach them.
        "lifeline_recovery_path": "needs_hands" if down else None,
        "lifeline_reachability": "no_answer",
        "lifeline_boot_environment": "unknown",
        "lifeline_bitlocker_locked": None,
        "lifeline_failure_signature": signature(bugchecks[-1]) if down else None,
    }


def running_fleet(directory: Path, scenario: str, hosts: int) -> Iterator[LabFleet]:
    """A lab fleet for the tests of one module, taken down after them."""
    started = start_fleet(directory, "--scenario", scenario, "--hosts", str(hosts), "--reboot-seconds", "0.3")
    yield started
    lab("down", "--fleet-file", str(started.fleet_file))


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabFleet]:
    yield from running_fleet(tmp_path_factory.mktemp("mixed"), "mixed", 105)


def test_mixed_fleet_verdicts_match_the_ground_truth_host_by_host(mixed: LabFleet, tmp_path: Path) -> None:
    listed = inventory(write_config(tmp_path / "signals.lifeline.yml", **lab_options(mixed)), tmp_path)
    options = {key: value for key, value in lab_options(mixed, "http").items() if key != "signals_files"}
    unsignalled = inventory(write_config(tmp_path / "nosignals.lifeline.yml", **options), tmp_path)
    with ThreadPoolExecutor(2) as pool:
        truths = dict(
            zip([h["name"] for h in mixed.hosts], pool.map(mixed.show, [h["name"] for h in mixed.hosts]), strict=True)
        )

    mismatches = []
    for name, truth in truths.items():
        for seen, with_signals in ((listed, True), (unsignalled, False)):
            hostvars = seen["_meta"]["hostvars"][name]
            got = {key: hostvars[key] for key in expected_verdict(truth, with_signals)}
            if got != expected_verdict(truth, with_signals):
                mismatches.append((name, with_signals, got, expected_verdict(truth, with_signals)))
    assert not mismatches, (len(mismatches), mismatches[:3])

    states = {truth["machine"]["environment"] for truth in truths.values()}
    assert {"normal", "winre", "safe_mode_network"} <= states  # the fleet really is mixed
    for name, hostvars in listed["_meta"]["hostvars"].items():
        state, ring = hostvars["lifeline_recovery_state"], hostvars["lifeline_recovery_ring"]
        assert name in listed[f"recovery_state_{state}"]["hosts"]
        assert name in listed[f"ring_{ring}"]["hosts"]
        assert hostvars["lifeline_evidence"]
        if hostvars["lifeline_failure_signature"] == "0x50:csagent.sys":
            assert name in listed["signature_0x50_csagent_sys"]["hosts"]
        if state == "unbootable":
            assert any("monitoring-signals.jsonl line" in item for item in hostvars["lifeline_evidence"])
    assert len(listed["recovery_state_unbootable"]["hosts"]) > 0
    # an unbootable host (stock WinRE, unarmed or armed where Safe Mode failed too; a boot loop) needs hands
    verdicts = listed["_meta"]["hostvars"]
    unbootable = set(listed["recovery_state_unbootable"]["hosts"])
    assert set(listed["recovery_path_needs_hands"]["hosts"]) == unbootable
    assert all(verdicts[name]["lifeline_recovery_path"] == "needs_hands" for name in unbootable)
    assert any(truths[name]["machine"]["environment"] == "winre" for name in unbootable)
    assert unsignalled.get("recovery_state_unbootable", {}).get("hosts", []) == []


def test_unreachable_hosts_are_told_apart(mixed: LabFleet, tmp_path: Path) -> None:
    healthy = next(h["name"] for h in mixed.hosts if mixed.show(h["name"])["machine"]["environment"] == "normal")
    lab("fault", healthy, "refuse-logins", "--fleet-file", str(mixed.fleet_file))
    try:
        listed = inventory(lab_config(mixed), tmp_path)
    finally:
        lab("fault", healthy, "clear", "--fleet-file", str(mixed.fleet_file))
    hostvars = listed["_meta"]["hostvars"]
    refused = hostvars[healthy]
    assert refused["lifeline_reachability"] == "login_refused"
    assert refused["lifeline_recovery_state"] == "unknown"
    assert any("login was refused" in item for item in refused["lifeline_evidence"])
    kinds = {vars_["lifeline_reachability"] for vars_ in hostvars.values()}
    assert {"no_answer", "login_refused", "answered", "answered_in_recovery"} <= kinds
    for name in listed["reachability_no_answer"]["hosts"]:
        assert any("no answer to WS-Man Identify" in item for item in hostvars[name]["lifeline_evidence"])


def test_hostile_source_and_host_data_stay_inert(mixed: LabFleet, tmp_path: Path) -> None:
    marker = tmp_path / f"pwned-{secrets.token_hex(6)}"
    hostile = "{{ lookup('pipe', 'touch " + str(marker) + "') }}"
    safe_mode = next(
        h
        for h in mixed.hosts
        if mixed.show(h["name"])["machine"]["environment"] == "safe_mode_network"
        and mixed.show(h["name"])["winrm_reachable"]
    )
    # Host-reported: the Safe Mode option value holds the hostile text instead of a number.
    key = r"HKLM\SYSTEM\CurrentControlSet\Control\SafeBoot\Option"
    answer = sealed_session(safe_mode).run_cmd(
        encoded_command(native_script(reg_add(key, "OptionValue", "REG_SZ", hostile)))
    )
    assert answer.status_code == 0, answer.std_err
    # Source data: a CMDB field and a signal's faulting module.
    cmdb = tmp_path / "cmdb.csv"
    cmdb.write_text(f'name,owner\n{safe_mode["name"]},"{hostile}"\n')
    signals = tmp_path / "signals.jsonl"
    signals.write_text(
        json.dumps({"host": "GHOST-1", "time": "2026-01-01T00:00:00Z", "bugcheck": "0x50", "module": hostile}) + "\n"
    )
    options = lab_options(mixed)
    options["cmdb_files"].append(str(cmdb))
    options["signals_files"].append(str(signals))
    config = write_config(tmp_path / "hostile.lifeline.yml", **options)
    try:
        hostvars = inventory(config, tmp_path)["_meta"]["hostvars"]
        played = run("ansible-playbook", "-v", "-i", str(config), str(REPO / "playbooks/discover.yml"), cwd=tmp_path)
    finally:
        sealed_session(safe_mode).run_cmd(encoded_command(native_script(reg_add(key, "OptionValue", "REG_DWORD", 2))))

    reported = hostvars[safe_mode["name"]]
    assert reported["lifeline_source_data"] == {"owner": hostile}
    assert reported["lifeline_recovery_state"] == "unknown"  # the kind of Safe Mode cannot be read
    assert any(hostile in item for item in reported["lifeline_evidence"])
    ghost = hostvars["GHOST-1"]
    assert ghost["lifeline_recovery_state"] == "unbootable"
    assert any(hostile in item for item in ghost["lifeline_evidence"])
    assert played.returncode == 0, played.stdout + played.stderr
    assert "lookup('pipe', 'touch " + str(marker) in played.stdout
    assert not marker.exists()


def subset_signals(fleet: LabFleet, hosts: list[dict], directory: Path) -> str:
    """The lab's monitoring export, cut down to ``hosts`` (a signal names a host: it would join the inventory)."""
    names = {host["name"] for host in hosts}
    lines = Path(fleet.content["signals_file"]).read_text().splitlines(keepends=True)
    path = directory / "signals.jsonl"
    path.write_text("".join(line for line in lines if json.loads(line)["host"] in names))
    return str(path)


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_wrong_password_is_an_operator_error_not_a_dead_fleet(mixed: LabFleet, tmp_path: Path, scheme: str) -> None:
    hosts = mixed.hosts[:24]
    password = f"wrong-{secrets.token_hex(8)}"
    config = write_config(
        tmp_path / "wrong.lifeline.yml",
        hosts=[{"name": host["name"], "address": host["address"]} for host in hosts],
        signals_files=[subset_signals(mixed, hosts, tmp_path)],  # crashes must not make refused hosts look dead
        winrm_scheme=scheme,
        winrm_ca_file=mixed.ca_file,
        winrm_user="svc-lifeline",
        winrm_password=password,
    )

    result = run("ansible-inventory", "-i", str(config), "--list", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    listed = plain(json.loads(result.stdout))
    up = sorted(host["name"] for host in hosts if mixed.show(host["name"])["winrm_reachable"])
    assert 0 < len(up) < len(hosts)  # some answer, some are down
    expected_error = (
        "the WinRM login as 'svc-lifeline' (ntlm) was refused: check the account and password in the "
        "inventory configuration; this says nothing about the machine"
    )
    for host in hosts:
        hostvars = listed["_meta"]["hostvars"][host["name"]]
        if host["name"] in up:
            assert hostvars["lifeline_reachability"] == "login_refused", hostvars["lifeline_evidence"]
            assert hostvars["lifeline_recovery_state"] == "unknown"
            assert hostvars["lifeline_operator_error"] == expected_error
        else:
            assert hostvars["lifeline_reachability"] == "no_answer"
            assert hostvars["lifeline_operator_error"] is None
        assert "ansible_password" not in hostvars  # the password serves the probe only
    assert sorted(listed["lifeline_operator_error"]["hosts"]) == up
    warnings = " ".join(result.stderr.split())
    assert warnings.count("the WinRM login was refused") == 1, warnings
    assert f"the WinRM login was refused on {len(up)} hosts as 'svc-lifeline' (ntlm)" in warnings
    assert password not in result.stdout + result.stderr

    played = run("ansible-playbook", "-i", str(config), str(REPO / "playbooks/discover.yml"), cwd=tmp_path)
    assert played.returncode == 0, played.stdout + played.stderr
    assert f'"{expected_error}"' in played.stdout  # shown once, without -v
    assert password not in played.stdout + played.stderr


def test_no_account_configured_is_an_operator_error_not_a_dead_fleet(mixed: LabFleet, tmp_path: Path) -> None:
    hosts = mixed.hosts[:24]
    config = write_config(
        tmp_path / "noaccount.lifeline.yml",
        hosts=[{"name": host["name"], "address": host["address"]} for host in hosts],
        signals_files=[subset_signals(mixed, hosts, tmp_path)],
        winrm_ca_file=mixed.ca_file,
    )

    result = run("ansible-inventory", "-i", str(config), "--list", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    hostvars = plain(json.loads(result.stdout))["_meta"]["hostvars"]
    truths = {host["name"]: mixed.show(host["name"]) for host in hosts}
    up = sorted(name for name, truth in truths.items() if truth["winrm_reachable"])
    assert 0 < len(up) < len(hosts)
    for name, truth in truths.items():
        found = hostvars[name]
        if name in up:
            assert (found["lifeline_reachability"], found["lifeline_recovery_state"]) == ("look_failed", "unknown")
            assert found["lifeline_operator_error"] == (
                "no WinRM account is configured for this host: set the account and password in the inventory "
                "configuration; the probe could not look at the machine"
            )
        else:  # still told apart: nothing answered, and the signals decide
            assert found["lifeline_reachability"] == "no_answer"
            assert found["lifeline_recovery_state"] == expected_verdict(truth, True)["lifeline_recovery_state"]
            assert found["lifeline_operator_error"] is None
    warnings = " ".join(result.stderr.split())
    assert f"no WinRM account is configured for {len(up)} hosts" in warnings, warnings


def other_ca(path: Path) -> Path:
    """A CA certificate that signed none of the lab's hosts: a wrong winrm_ca_file."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Some Other Root CA")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return path


def test_a_certificate_that_does_not_validate_is_an_operator_error(mixed: LabFleet, tmp_path: Path) -> None:
    hosts = mixed.hosts[:24]
    ca_file = other_ca(tmp_path / "other-ca.pem")
    password = f"pw-{secrets.token_hex(8)}"
    options = {
        "hosts": [{"name": host["name"], "address": host["address"]} for host in hosts],
        "signals_files": [subset_signals(mixed, hosts, tmp_path)],  # crashes must not make these hosts look dead
        "winrm_ca_file": str(ca_file),
        "winrm_user": "svc-lifeline",
        "winrm_password": password,
    }
    config = write_config(tmp_path / "otherca.lifeline.yml", **options)

    result = run("ansible-inventory", "-i", str(config), "--list", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    listed = plain(json.loads(result.stdout))
    up = sorted(host["name"] for host in hosts if mixed.show(host["name"])["winrm_reachable"])
    assert 0 < len(up) < len(hosts)
    for host in hosts:
        hostvars = listed["_meta"]["hostvars"][host["name"]]
        if host["name"] in up:
            assert hostvars["lifeline_reachability"] == "certificate_rejected", hostvars["lifeline_evidence"]
            assert hostvars["lifeline_recovery_state"] == "unknown"
            assert hostvars["lifeline_operator_error"] == (
                f"the certificate of https://{host['address']}:5986/wsman did not validate against the CA file "
                f"{ca_file} (unable to get local issuer certificate): check the CA file in the inventory "
                "configuration and the host's certificate; this says nothing about the machine"
            )
        else:
            assert hostvars["lifeline_reachability"] == "no_answer"
            assert hostvars["lifeline_operator_error"] is None
    assert sorted(listed["reachability_certificate_rejected"]["hosts"]) == up
    assert sorted(listed["lifeline_operator_error"]["hosts"]) == up
    warnings = " ".join(result.stderr.split())
    assert warnings.count("the server certificate did not validate") == 1, warnings
    assert f"did not validate on {len(up)} hosts against {ca_file}" in warnings
    assert password not in result.stderr

    # Validation off: the TLS servers are accepted (the login is what fails now), and one warning says so.
    unvalidated = write_config(tmp_path / "novalidation.lifeline.yml", **options, winrm_cert_validation=False)
    result = run("ansible-inventory", "-i", str(unvalidated), "--list", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    hostvars = plain(json.loads(result.stdout))["_meta"]["hostvars"]
    assert sorted(name for name, found in hostvars.items() if found["lifeline_reachability"] == "login_refused") == up
    warnings = " ".join(result.stderr.split())
    assert warnings.count("certificate validation is off") == 1, warnings
    assert f"certificate validation is off (winrm_cert_validation: false) for {len(hosts)} hosts" in warnings


CACHED_FLEET_PASSWORD = f"Lf1!{secrets.token_hex(8)}"


@pytest.mark.fleet_args("--hosts", "2", "--password", CACHED_FLEET_PASSWORD)
def test_a_run_from_the_cache_holds_no_password_and_connects_with_the_operators(small_fleet, tmp_path) -> None:
    cache = tmp_path / "cache"
    config = write_config(
        tmp_path / "cached.lifeline.yml",
        **lab_options(small_fleet),
        hosts=[{"name": "CONFIGURED-1", "address": small_fleet.hosts[1]["address"]}],
        cache=True,
        cache_plugin="ansible.builtin.jsonfile",
        cache_connection=str(cache),
    )
    names = [host["name"] for host in small_fleet.hosts] + ["CONFIGURED-1"]
    listed = inventory(config, tmp_path)  # probes, and writes the cache
    states = {name: found["lifeline_recovery_state"] for name, found in listed["_meta"]["hostvars"].items()}
    assert states == dict.fromkeys(names, "healthy")
    assert names[0] in "".join(path.read_text() for path in cache.iterdir())
    assert CACHED_FLEET_PASSWORD not in "".join(path.read_text() for path in cache.iterdir())
    assert CACHED_FLEET_PASSWORD not in json.dumps(listed)

    connections = [host["counters"]["connections"] for host in small_fleet.status()["hosts"]]
    assert inventory(config, tmp_path) == listed  # from the cache: no host was probed again
    assert [host["counters"]["connections"] for host in small_fleet.status()["hosts"]] == connections
    # The password from the operator (the lab's secrets vars file), never from the inventory.
    secrets_vars = ("-e", "@" + small_fleet.content["secrets_file"])
    result = run("ansible", "all", "-i", str(config), *secrets_vars, "-m", "ansible.builtin.raw", "-a", "hostname",
                 cwd=tmp_path)  # fmt: skip

    assert result.returncode == 0, result.stdout + result.stderr
    answers = parse_adhoc_output(result.stdout)
    assert {name: answer[:2] for name, answer in answers.items()} == dict.fromkeys(names, ("CHANGED", 0))
    assert CACHED_FLEET_PASSWORD not in result.stdout + result.stderr


# --- one host model: the inventory and win_recovery_facts judge a host the same way ------------------------------

MINIDUMP_32 = "C:\\Windows\\Minidump\\072024-99999-01.dmp"


def header_32(code: int, *parameters: int) -> list[int]:
    """A DUMP_HEADER32 (the Windows SDK's mindumpdef.h): 'PAGE' 'DUMP', the code at 0x28, four ULONGs at 0x2C."""
    header = bytearray(0x3C)
    header[0:8] = b"PAGEDUMP"
    for offset, value in zip(range(0x28, 0x3C, 4), (code, *parameters), strict=True):
        header[offset : offset + 4] = value.to_bytes(4, "little")
    return list(header)


@pytest.fixture(scope="module")
def by_kind_twice(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabFleet]:
    """crowdstrike-291 with two hosts of each kind (WinRE or Safe Mode with Networking, with or without BitLocker)
    and a boot loop."""
    yield from running_fleet(tmp_path_factory.mktemp("one_model"), "crowdstrike-291", 9)


def test_the_inventory_and_win_recovery_facts_judge_each_host_the_same(by_kind_twice: LabFleet, tmp_path: Path) -> None:
    fleet = by_kind_twice
    truths = {host["name"]: fleet.show(host["name"])["machine"] for host in fleet.hosts}
    kinds: dict[tuple[str, bool], list[dict]] = {}
    for host in fleet.hosts:
        truth = truths[host["name"]]
        if truth["power"] == "running":
            kinds.setdefault((truth["environment"], truth["bitlocker"] is not None), []).append(host)
    assert sorted(len(hosts) for hosts in kinds.values()) == [2, 2, 2, 2], kinds
    reachable = [host for (place, _), hosts in kinds.items() if place == "safe_mode_network" for host in hosts]
    # Where the two old readings of a host disagreed, made on hosts of two kinds over WinRM (a host in stock WinRE
    # answers no WinRM, so what WinPE's X: drive looks like cannot be changed or read remotely):
    option_3 = kinds[("safe_mode_network", True)][1]  # a Safe Mode option that is neither 1 nor 2
    answer = sealed_session(option_3).run_cmd(
        encoded_command(
            native_script(
                reg_add(r"HKLM\SYSTEM\CurrentControlSet\Control\SafeBoot\Option", "OptionValue", "REG_DWORD", 3)
            )
        )
    )
    assert answer.status_code == 0, answer.std_err
    dump_32 = kinds[("safe_mode_network", False)][1]  # the newest minidump has a 32-bit header
    bytes_32 = ",".join(map(str, header_32(0x7E, 0xC0000005, 0x8A1B2C3D, 0x9A8B7C6D, 0x9A8B7000)))
    answer = sealed_session(dump_32).run_ps(
        f"Set-Content -LiteralPath '{MINIDUMP_32}' -Value @({bytes_32}) -Encoding Byte"
    )
    assert answer.status_code == 0, answer.std_err

    options = {key: value for key, value in lab_options(fleet).items() if key != "signals_files"}
    config = write_config(tmp_path / "nosignals.lifeline.yml", **options)
    seen = inventory(config, tmp_path)["_meta"]["hostvars"]
    playbook = tmp_path / "facts.yml"
    playbook.write_text(
        yaml.safe_dump([{"hosts": "all", "gather_facts": False, "tasks": [
            {"name": "facts", "lifeline.recovery.win_recovery_facts": {"gather": ["environment", "crashes"]}}
        ]}])
    )  # fmt: skip
    names = [host["name"] for host in reachable]
    played = ansible_playbook(static_inventory(fleet, tmp_path, names=names), playbook)
    assert played.returncode == 0, played.stdout[-3000:]

    for name, truth in truths.items():
        if name not in names:  # no answer: without signals the inventory knows nothing, and guesses nothing
            assert (seen[name]["lifeline_reachability"], seen[name]["lifeline_recovery_state"]) == (
                "no_answer",
                "unknown",
            ), name
            continue
        hostvars, facts = seen[name], played.result("facts", name)["ansible_facts"]["lifeline_recovery"]
        crashes = facts["crashes"]
        from_facts = f"0x{int(crashes[0]['bugcheck'], 16):x}" if crashes else None
        assert hostvars["lifeline_boot_environment"] == facts["environment"], name
        assert hostvars["lifeline_failure_signature"] == from_facts, name
        # The facts' os_volume_locked is a bool; the inventory says null where no Windows volume is known.
        assert hostvars["lifeline_bitlocker_locked"] is facts["os_volume_locked"]
        locked = bool(truth["bitlocker"] and truth["bitlocker"]["locked"])
        if name == option_3["name"]:
            assert (facts["environment"], hostvars["lifeline_recovery_state"]) == ("unknown", "unknown")
            assert facts["environment_evidence"] in hostvars["lifeline_evidence"]
            assert "OptionValue 3: neither 1 (Safe Mode)" in facts["environment_evidence"]
        elif name == dump_32["name"]:
            assert (crashes[0]["file"], crashes[0]["bugcheck"], from_facts) == (
                MINIDUMP_32.rsplit("\\", 1)[1],
                "0x0000007E",
                "0x7e",
            )
        else:  # as the lab's ground truth has it
            last = truth["crashes"][-1]["bugcheck"]
            assert facts["environment"] == truth["environment"] and facts["os_volume_locked"] is locked
            assert hostvars["lifeline_failure_signature"] == (None if locked else f"0x{int(last, 16):x}")
