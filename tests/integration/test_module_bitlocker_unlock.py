"""lifeline.recovery.win_bitlocker_unlock with real ansible-playbook over real WinRM, on crowdstrike-291 lab hosts.

On real Windows the module meets a BitLocker volume over WinRM only in Windows: an armed host the WinRE failover
sent to Safe Mode with Networking runs from C:, which its TPM-only protector unlocked at boot. A locked volume is
one in stock WinRE, which answers no WinRM: the module cannot reach it, sends nothing, and the volume stays locked
(unlocking from WinRE is a person's job; the unit tests run manage-bde -unlock in WinRE in-process). The recovery
password comes from the lookup reading the lab's escrow export, as in production. The lab's ground truth
(`lifeline-lab show`) is the witness: locked or not, and how many unlock attempts the volume saw.

Issue 10: the module sends ONE script (status, unlock only if locked, status again) and never
`manage-bde -protectors -get`, which prints an unlocked volume's recovery password
(`test_one_command_that_never_lists_the_key_protectors`).

The issue's test is `test_the_password_appears_nowhere_at_the_highest_verbosity`: a play at -vvvvvv whose whole
output and Ansible log file are searched for the password, plain and base64-encoded (UTF-8 and UTF-16LE, at
every alignment, so that any encoded line containing it is found too). The password travels in the script even
when the volume turns out to be unlocked, so the search means the same in Safe Mode.
"""

from __future__ import annotations

import base64
import csv
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from .conftest import REPO, LabFleet, lab, start_fleet
from .playbooks import BIN, PlayRun, ansible_playbook, static_inventory
from .rollout_support import recap

pytestmark = pytest.mark.integration

LOOKUP = "lookup('lifeline.recovery.bitlocker_recovery_password', inventory_hostname, escrow_file=escrow_file)"
# Valid in form (each block divisible by 11) but not any host's password; built, so no real one is written here.
WRONG_BUT_WELL_FORMED = "-".join(f"{11 * block:06d}" for block in (7, 1, 9, 3, 5, 2, 8, 4))


class Site:
    def __init__(self, fleet: LabFleet, directory: Path) -> None:
        self.fleet = fleet
        self.directory = directory
        self.inventory = static_inventory(fleet, directory)
        self.escrow_file = fleet.content["bitlocker_escrow_file"]
        self.winre = self.pick("winre")  # locked, and unreachable: stock WinRE runs no WinRM
        self.safe_mode = self.pick("safe_mode_network")  # armed: failed over to Safe Mode, C: unlocked by the TPM

    def pick(self, environment: str) -> str:
        for host in self.fleet.hosts:
            machine = self.fleet.show(host["name"])["machine"]
            if machine["environment"] == environment and machine["bitlocker"] is not None:
                return host["name"]
        raise AssertionError(f"no BitLocker host in {environment}")

    def bitlocker(self, name: str) -> dict:
        return self.fleet.show(name)["machine"]["bitlocker"]

    def escrow_row(self, name: str) -> dict:
        with open(self.escrow_file, newline="") as handle:
            return next(row for row in csv.DictReader(handle) if row["ComputerName"] == name)

    def play(self, name: str, tasks: list[dict], *arguments: str, env: dict | None = None, hosts: str = "") -> PlayRun:
        playbook = self.directory / f"{name}.yml"
        document = [
            {
                "name": name,
                "hosts": hosts or self.safe_mode,
                "gather_facts": False,
                "vars": {"escrow_file": self.escrow_file},
                "tasks": tasks,
            }
        ]
        playbook.write_text(yaml.safe_dump(document, sort_keys=False))
        return ansible_playbook(self.inventory, playbook, *arguments, env=env)


def unlock_task(name: str, password: str = "{{ " + LOOKUP + " }}", **options) -> dict:
    return {
        "name": name,
        "lifeline.recovery.win_bitlocker_unlock": {"recovery_password": password, **options},
        "no_log": False,  # deliberately: the module alone must keep the password out of the output
    }


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    directory = tmp_path_factory.mktemp("bitlocker")
    fleet = start_fleet(directory, "--scenario", "crowdstrike-291", "--hosts", "4", "--reboot-seconds", "0.3")
    try:
        yield Site(fleet, directory)
    finally:
        lab("down", "--fleet-file", str(fleet.fleet_file))


def test_a_locked_volume_in_stock_winre_is_out_of_reach_and_stays_locked(site: Site) -> None:
    truth = site.bitlocker(site.winre)
    assert truth["locked"] is True
    run = site.play("winre", [unlock_task("Unlock", volume="D:")], hosts=site.winre)
    assert run.returncode != 0
    assert recap(run.stdout, site.winre)["unreachable"] == 1, run.stdout[-3000:]
    assert site.fleet.show(site.winre)["counters"]["commands"] == 0
    assert site.bitlocker(site.winre) == truth  # still locked, no unlock attempt
    assert site.escrow_row(site.winre)["RecoveryPassword"] not in run.stdout + run.stderr


def test_an_unlocked_volume_is_left_alone(site: Site) -> None:
    failures = site.bitlocker(site.safe_mode)["unlock_failures"]
    key_id = site.escrow_row(site.safe_mode)["KeyProtectorId"]
    tasks = [
        # What win_recovery_facts records in Safe Mode: Windows is on C: (the module's default volume).
        {"name": "Facts", "ansible.builtin.set_fact": {"lifeline_recovery": {"os_volume": "C:"}, "cacheable": True}},
        unlock_task("Unlock", key_protector_id=key_id),
        unlock_task("Unlock C:", volume="C:"),
    ]
    run = site.play("running", tasks)
    assert run.returncode == 0, run.stdout[-3000:]
    for task in ("Unlock", "Unlock C:"):
        result = run.result(task, site.safe_mode)
        assert (result["changed"], result["lock_status_before"], result["commands_sent"]) == (False, "Unlocked", 1)
        assert result["volume"] == "C:"
        assert result["msg"] == "volume C: is already unlocked; the recovery password was not used"
    truth = site.bitlocker(site.safe_mode)
    assert truth["locked"] is False and truth["unlock_failures"] == failures
    assert site.escrow_row(site.safe_mode)["RecoveryPassword"] not in run.stdout + run.stderr


def test_check_mode_changes_nothing(site: Site) -> None:
    before = site.bitlocker(site.safe_mode)
    run = site.play("check", [unlock_task("Unlock", volume="C:")], "--check", "--diff")
    result = run.result("Unlock", site.safe_mode)
    assert result["changed"] is False and result["lock_status_before"] == "Unlocked", result
    assert result["commands_sent"] == 1
    assert site.bitlocker(site.safe_mode) == before


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        (WRONG_BUT_WELL_FORMED[:-1] + "5", "a block is not divisible by 11"),
        (WRONG_BUT_WELL_FORMED.replace("-", " "), "not 8 blocks of 6 digits"),
        ("999999" + WRONG_BUT_WELL_FORMED[6:], "not below 720896"),
    ],
)
def test_a_malformed_password_fails_before_anything_is_sent(site: Site, password: str, problem: str) -> None:
    commands = site.fleet.show(site.safe_mode)["counters"]["commands"]
    before = site.bitlocker(site.safe_mode)
    run = site.play("malformed", [unlock_task("Unlock", password, volume="C:")])
    result = run.result("Unlock", site.safe_mode)
    assert result["_status"] == "fatal" and result["commands_sent"] == 0
    assert "recovery_password is not a valid BitLocker recovery password" in result["msg"] and problem in result["msg"]
    assert password not in run.stdout + run.stderr
    assert site.bitlocker(site.safe_mode) == before
    assert site.fleet.show(site.safe_mode)["counters"]["commands"] == commands


def test_one_command_that_never_lists_the_key_protectors(site: Site) -> None:
    """What the WinRM layer sent, as it logs it at -vvvvv: one script, and no `manage-bde -protectors` in it."""
    run = site.play("one-command", [unlock_task("Unlock", volume="C:")], "-vvvvv")
    result = run.result("Unlock", site.safe_mode)
    assert result["changed"] is False and result["commands_sent"] == 1, result
    assert site.bitlocker(site.safe_mode)["locked"] is False
    sent = re.findall(r"WINRM EXEC .*'-EncodedCommand', '([A-Za-z0-9+/=]+)'", run.stdout)
    scripts = [base64.b64decode(encoded).decode("utf-16-le") for encoded in sent]
    assert len(scripts) == 1 and "'manage-bde.exe' '-unlock'" in scripts[0], run.stdout[-3000:]
    assert not any("protectors" in script.lower() for script in scripts)


def test_a_vault_encrypted_escrow_export_is_read(site: Site) -> None:
    vault_password = site.directory / "vault-password"
    vault_password.write_text("lifeline-test-vault\n")
    encrypted = site.directory / "escrow.csv.vault"
    encrypted.write_bytes(Path(site.escrow_file).read_bytes())
    subprocess.run(
        [str(BIN / "ansible-vault"), "encrypt", "--vault-password-file", str(vault_password), str(encrypted)],
        check=True,
        capture_output=True,
        cwd=REPO,
    )
    password = site.escrow_row(site.safe_mode)["RecoveryPassword"]
    assert password.encode() not in encrypted.read_bytes()
    vault_lookup = LOOKUP.replace("escrow_file=escrow_file", f"escrow_file='{encrypted}'")
    run = site.play(
        "vault",
        [unlock_task("Unlock", "{{ " + vault_lookup + " }}", volume="C:")],
        "--vault-password-file",
        str(vault_password),
    )
    # decrypted and well formed (a malformed one fails before anything is sent), sent, and not needed
    result = run.result("Unlock", site.safe_mode)
    assert result["_status"] == "ok" and result["commands_sent"] == 1, result
    assert result["lock_status_after"] == "Unlocked" and site.bitlocker(site.safe_mode)["locked"] is False
    assert password not in run.stdout + run.stderr


def encoded_forms(secret: str) -> dict[str, str]:
    """``secret`` as it could appear in output: itself, and base64 of its UTF-8 and UTF-16LE bytes at each of the
    three byte alignments (the characters that depend on the secret's bytes alone), so base64 of any longer text
    containing it (a script line, stdin with CRLF) is caught too."""
    forms = {"plain": secret}
    for encoding in ("utf-8", "utf-16-le"):
        data = secret.encode(encoding)
        for offset in range(3):
            encoded = base64.b64encode(b"\0" * offset + data).decode("ascii")
            start, end = -(-4 * offset // 3), 4 * (offset + len(data)) // 3
            forms[f"base64 {encoding} +{offset}"] = encoded[start:end]
    return forms


def test_encoded_forms_find_the_secret_inside_encoded_lines() -> None:
    secret = WRONG_BUT_WELL_FORMED
    for line in (secret + "\r\n", f"$p = '{secret}'\n", f"x{secret}", f"xy{secret}"):
        for encoding in ("utf-8", "utf-16-le"):
            encoded = base64.b64encode(line.encode(encoding)).decode("ascii")
            assert any(form in encoded for form in encoded_forms(secret).values()), (line, encoding)


def test_the_password_appears_nowhere_at_the_highest_verbosity(site: Site, tmp_path: Path) -> None:
    password = site.escrow_row(site.safe_mode)["RecoveryPassword"]
    log_file = tmp_path / "ansible.log"
    tasks = [
        {**unlock_task("Wrong first", WRONG_BUT_WELL_FORMED, volume="C:"), "ignore_errors": True},
        unlock_task("Unlock", volume="C:"),
        unlock_task("Again", volume="C:"),
    ]
    env = {"ANSIBLE_DEBUG": "False", "ANSIBLE_LOG_PATH": str(log_file), "ANSIBLE_NO_LOG": "False"}
    run = site.play("verbose", tasks, "-vvvvvv", env=env)
    assert run.returncode == 0, run.stdout[-3000:]
    assert site.bitlocker(site.safe_mode)["locked"] is False
    assert run.result("Unlock", site.safe_mode)["commands_sent"] == 1  # the script, password included, was sent
    # The play ran at the highest verbosity: the WinRM layer printed every command's output.
    assert "WINRM STDOUT" in run.stdout and "EXEC" in run.stdout
    log = log_file.read_text()
    assert "WINRM STDOUT" in log
    for secret in (password, WRONG_BUT_WELL_FORMED):
        for form, value in encoded_forms(secret).items():
            # `is False`: a failure must not print the text around the secret
            assert (value in run.stdout) is False, f"the password ({form}) is in stdout"
            assert (value in run.stderr) is False, f"the password ({form}) is in stderr"
            assert (value in log) is False, f"the password ({form}) is in the Ansible log file"
        blocks = secret.split("-")
        for pair in ("-".join(blocks[index : index + 2]) for index in range(7)):
            assert (pair in run.stdout + run.stderr + log) is False, "two blocks of the password are in the output"
