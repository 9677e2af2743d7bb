"""Out-of-band recovery against the lab's BMCs: the fleet inventory's BMC evidence, and remediate.yml bringing an
unarmed host in WinRE back through its BMC (role oob_recovery, community.general's redfish modules), each BMC
fault leaving the host as it was with the reason; asserted against the lab's ground truth (`lifeline-lab show`).

crowdstrike-291, five hosts: CS-0001 (WinRE, BitLocker TPM, BMC), CS-0002 (armed, Safe Mode with Networking),
CS-0003 (WinRE, BMC), CS-0004 (armed, Safe Mode with Networking, BitLocker), CS-0005 (boot loop, no BMC).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from .conftest import REPO, LabFleet, lab, start_fleet
from .playbooks import BIN, ansible_playbook, secrets
from .rollout_support import LAB_MAPPING, REMEDIATE, report, run_env

OOB_SCRIPT = REPO / "roles" / "oob_recovery" / "files" / "lifeline-oob.cmd"
# The lab knows the Lifeline recovery image by this file name (lab/README.md, BMCs).
IMAGE_URL = "https://deploy.example.net/images/lifeline-recovery.iso"
UNCHANGED = ("power", "environment", "boots", "bcd")
BMC_STATE = ("virtual_media", "boot_override")
SECRET_VARS = {"ansible_password", "lifeline_bmc_password"}


@pytest.fixture(scope="module")
def oob_fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabFleet]:
    directory = tmp_path_factory.mktemp("oob")
    arguments = ("--scenario", "crowdstrike-291", "--hosts", "5", "--reboot-seconds", "0.2")
    started = start_fleet(directory, *arguments, "--oob-image-script", str(OOB_SCRIPT))
    yield started
    lab("down", "--fleet-file", str(started.fleet_file))


def inventory_config(fleet: LabFleet, directory: Path, **changes) -> Path:
    """The lab's own inventory configuration (CMDB with the BMC columns, signals, the WinRM account) plus the
    BMC account from the fleet file and the lab CA, as an operator would add them."""
    config = yaml.safe_load(Path(fleet.content["inventory_files"]["https"]).read_text())
    bmc = next(host["bmc"] for host in fleet.hosts if "bmc" in host)
    config.update(
        bmc_user=bmc["username"], bmc_password=bmc["password"], bmc_ca_file=str(fleet.ca_file), probe_timeout=8
    )
    config.update(changes)
    path = directory / "fleet.lifeline.yml"
    path.write_text(yaml.safe_dump(config))
    path.chmod(0o600)
    return path


def plain(value):
    """Undo the {'__ansible_unsafe': ...} markers that `ansible-inventory --list` may print."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {key: plain(item) for key, item in value.items()}
    return [plain(item) for item in value] if isinstance(value, list) else value


def hostvars(config: Path, directory: Path) -> tuple[dict, str]:
    """`ansible-inventory --list` with the repository's ansible.cfg: the hosts' variables, and all it printed."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("ANSIBLE_", "LIFELINE_"))}
    environment.update(ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    result = subprocess.run(
        [str(BIN / "ansible-inventory"), "-i", str(config), "--list"],
        capture_output=True, text=True, cwd=directory, env=environment, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return plain(json.loads(result.stdout))["_meta"]["hostvars"], result.stdout + result.stderr


def test_the_inventory_adds_each_silent_hosts_bmc_evidence_and_picks_the_path(oob_fleet, tmp_path) -> None:
    found, output = hostvars(inventory_config(oob_fleet, tmp_path), tmp_path)

    for name in ("CS-0001", "CS-0003"):
        truth = oob_fleet.show(name)
        bmc = found[name]["lifeline_bmc"]
        assert bmc["reachability"] == "answered", bmc["detail"]
        assert (bmc["power_state"], truth["machine"]["power"], truth["environment"]) == ("On", "running", "winre")
        assert bmc["boot_progress"] == "OSRunning"  # WinRE is an OS the firmware started
        assert bmc["os_stop"] is not None  # the bugcheck that sent it to WinRE
        assert (found[name]["lifeline_recovery_state"], found[name]["lifeline_recovery_path"]) == (
            "unbootable",
            "out_of_band",
        )
    # No BMC: needs hands, as before.
    assert found["CS-0005"]["lifeline_recovery_path"] == "needs_hands"
    assert "lifeline_bmc" not in found["CS-0005"]
    # Hosts that answer in band are not asked.
    assert found["CS-0002"]["lifeline_recovery_path"] == "in_band"
    # The passwords serve the probe only: in no variable (an AWX inventory sync would store them).
    bmc_password = next(host["bmc"]["password"] for host in oob_fleet.hosts if "bmc" in host)
    assert [output.count(password) for password in (bmc_password, oob_fleet.host()["password"])] == [0, 0]
    assert not [name for name, found_vars in found.items() if SECRET_VARS & set(found_vars)]


def test_a_run_without_the_secrets_stops_before_touching_a_host_naming_the_variable(oob_fleet, tmp_path) -> None:
    """The inventory hands the playbooks no password: without the operator's (extra vars, an AWX credential)
    each host stops in the plan, the variable named, and is never touched."""
    config = inventory_config(oob_fleet, tmp_path)
    names = ("CS-0002", "CS-0003")  # in band (Safe Mode with Networking), out of band (WinRE, BMC)
    before = {name: oob_fleet.show(name) for name in names}
    only_winrm = tmp_path / "winrm-only.yml"
    only_winrm.write_text(yaml.safe_dump({"ansible_password": oob_fleet.host()["password"]}))
    arguments = (*LAB_MAPPING, "-e", f"oob_recovery_image_url={IMAGE_URL}")

    for extra, limit, variable in (
        ((), ",".join(names), "ansible_password"),
        (("-e", f"@{only_winrm}"), "CS-0003", "lifeline_bmc_password"),
    ):
        directory = tmp_path / variable
        done = ansible_playbook(config, REMEDIATE, *arguments, *extra, "--limit", limit, env=run_env(directory))
        assert done.returncode != 0, done.stdout[-4000:]
        hosts = report(directory)["hosts"]
        assert sorted(hosts) == sorted(limit.split(","))
        for host in hosts.values():
            assert host["status"] == "blocked", host
            assert host["reason"].startswith(f"{variable} is not set"), host["reason"]
        assert "Remediate one batch" not in done.stdout  # no wave started

    for name in names:
        after = oob_fleet.show(name)
        assert [after["machine"][key] for key in UNCHANGED] == [before[name]["machine"][key] for key in UNCHANGED]
    bmc_after = oob_fleet.show("CS-0003")["bmc"]
    assert [bmc_after[key] for key in BMC_STATE] == [before["CS-0003"]["bmc"][key] for key in BMC_STATE]


@pytest.mark.parametrize("fault", ["bmc-refuse-logins", "bmc-error", "bmc-media-refused"])
def test_a_bmc_that_refuses_leaves_the_host_as_it_was_with_the_reason(oob_fleet, tmp_path, fault) -> None:
    name = "CS-0001"
    config = inventory_config(oob_fleet, tmp_path)
    before = oob_fleet.show(name)
    lab("fault", name, fault, "--fleet-file", str(oob_fleet.fleet_file))
    try:
        if fault == "bmc-media-refused":
            done = ansible_playbook(
                config, REMEDIATE, *secrets(oob_fleet), *LAB_MAPPING, "-e", f"oob_recovery_image_url={IMAGE_URL}",
                "--limit", name, env=run_env(tmp_path),
            )  # fmt: skip
            assert done.returncode != 0, done.stdout[-6000:]
            host = report(tmp_path)["hosts"][name]
            assert (host["status"], host["path"]) == ("failed", "out_of_band")
            assert "VirtualMediaInsert" in host["reason"] or "insert" in host["reason"]
        else:
            found, _ = hostvars(config, tmp_path)
            assert found[name]["lifeline_recovery_path"] == "needs_hands"
            assert "its BMC cannot help" in found[name]["lifeline_recovery_path_reason"]
    finally:
        lab("fault", name, "clear", "--fleet-file", str(oob_fleet.fleet_file))
    after = oob_fleet.show(name)
    assert {key: after["machine"][key] for key in UNCHANGED} == {key: before["machine"][key] for key in UNCHANGED}
    assert after["bmc"]["virtual_media"]["inserted"] is False
    assert after["bmc"]["boot_override"]["enabled"] == "Disabled"


def test_remediate_brings_an_unarmed_host_in_winre_back_through_its_bmc(oob_fleet, tmp_path) -> None:
    name = "CS-0003"
    assert oob_fleet.show(name)["environment"] == "winre"
    config = inventory_config(oob_fleet, tmp_path)

    done = ansible_playbook(
        config, REMEDIATE, *secrets(oob_fleet), *LAB_MAPPING, "-e", f"oob_recovery_image_url={IMAGE_URL}",
        "-e", "oob_recovery_poll_interval=3", "-e", "oob_recovery_boot_timeout=120",
        "-e", "exit_recovery_pre_reboot_delay=0", "--limit", name, env=run_env(tmp_path),
    )  # fmt: skip

    assert done.returncode == 0, done.stdout[-4000:]
    host = report(tmp_path)["hosts"][name]
    assert (host["status"], host["path"]) == ("recovered", "out_of_band")
    truth = oob_fleet.show(name)
    assert truth["environment"] == "normal" and truth["winrm_reachable"]
    assert truth["bmc"]["virtual_media"]["inserted"] is False
    assert truth["bmc"]["boot_override"]["enabled"] == "Disabled"


@pytest.mark.parametrize("fault", ["bmc-boot-ignored", "bmc-reset-hang"])
def test_a_bmc_that_ignores_the_boot_or_hangs_the_reset_gives_a_clear_verdict_soon(oob_fleet, tmp_path, fault) -> None:
    """Within seconds, not oob_recovery_boot_timeout: a reset that never answers fails the host at the request's
    timeout with nothing done; a one-time boot the firmware ignores shows as a new OS stop in the BMC's log after
    the restart (Windows booted from its disk and crashed again), each of the two attempts, and the host needs
    hands. Either way the host is where it was (WinRE, the same boot configuration), the image ejected."""
    name = "CS-0001"
    config = inventory_config(oob_fleet, tmp_path)
    before = oob_fleet.show(name)
    lab("fault", name, fault, "--fleet-file", str(oob_fleet.fleet_file))
    # Only the reset is made to give up early: the log reads while the host boots keep the default time.
    hang_timeout = ("-e", "oob_recovery_request_timeout=5") if fault == "bmc-reset-hang" else ()
    try:
        started = time.monotonic()
        done = ansible_playbook(
            config, REMEDIATE, *secrets(oob_fleet), *LAB_MAPPING, "-e", f"oob_recovery_image_url={IMAGE_URL}",
            "-e", "oob_recovery_poll_interval=5", "-e", "oob_recovery_boot_timeout=300", *hang_timeout,
            "--limit", name, env=run_env(tmp_path),
        )  # fmt: skip
        took = time.monotonic() - started
    finally:
        lab("fault", name, "clear", "--fleet-file", str(oob_fleet.fleet_file))
    host = report(tmp_path)["hosts"][name]
    after = oob_fleet.show(name)
    assert took < 90, f"{took:.0f} s: the role waited instead of reading what the BMC did"
    assert host["path"] == "out_of_band"
    if fault == "bmc-reset-hang":
        assert done.returncode != 0, done.stdout[-6000:]
        assert host["status"] == "failed"
        assert "turn the system off failed" in host["reason"], host["reason"]
        assert {key: after["machine"][key] for key in UNCHANGED} == {key: before["machine"][key] for key in UNCHANGED}
    else:
        assert host["status"] == "needs_hands", host["reason"]
        assert "new OS stop" in host["reason"] and "attempt 2 of 2" in host["reason"], host["reason"]
        assert "one-time boot was ignored" in host["reason"]
        # Restarted by the BMC, it booted its disk (not the image) and crashed back into WinRE: no change made.
        assert after["machine"]["boots"] > before["machine"]["boots"]
        assert len(after["machine"]["crashes"]) > len(before["machine"]["crashes"])
        unchanged = ("environment", "bcd")
        assert {key: after["machine"][key] for key in unchanged} == {key: before["machine"][key] for key in unchanged}
    assert after["bmc"]["virtual_media"]["inserted"] is False
    assert after["bmc"]["boot_override"]["enabled"] == "Disabled"


# Last of the tests on the module's fleet (--dist loadscope keeps a module's tests in order on one worker): it
# leaves CS-0001 in Safe Mode with Networking, where the earlier tests need it in WinRE.
def test_a_host_running_windows_without_winrm_needs_hands_after_the_grace_not_the_boot_timeout(
    oob_fleet, tmp_path
) -> None:
    """CS-0001, unprepared with a TPM-only BitLocker volume: the recovery image cannot read the locked volume, so it
    sets only safeboot network (the BCD on the EFI partition); Windows starts Safe Mode with Networking and unlocks
    itself, but WinRM is not listed under SafeBoot\\Network and never answers, and nothing crashes. The BMC
    reports OSRunning, so after oob_recovery_winrm_grace the host needs hands with the reason, at once (no second
    boot of the image), not after oob_recovery_boot_timeout."""
    name = "CS-0001"
    before = oob_fleet.show(name)
    assert before["environment"] == "winre" and "WinRM" not in before["machine"]["registry"]["safeboot"]["Network"]
    # Small, for the role's looks are made up front (boot_timeout / poll_interval of them, skipped once one ended
    # the wait), yet more than the run takes: the timeout cannot be what ends it.
    boot_timeout = 60
    started = time.monotonic()
    done = ansible_playbook(
        inventory_config(oob_fleet, tmp_path), REMEDIATE, *secrets(oob_fleet), *LAB_MAPPING,
        "-e", f"oob_recovery_image_url={IMAGE_URL}", "-e", "oob_recovery_poll_interval=2",
        "-e", f"oob_recovery_boot_timeout={boot_timeout}", "-e", "oob_recovery_winrm_grace=6",
        "--limit", name, env=run_env(tmp_path),
    )  # fmt: skip
    took = time.monotonic() - started
    host = report(tmp_path)["hosts"][name]
    truth = oob_fleet.show(name)
    assert took < boot_timeout, f"{took:.0f} s: the role waited for WinRM instead of reading what the BMC reports"
    assert (host["status"], host["path"]) == ("needs_hands", "out_of_band"), (host, done.stdout[-4000:])
    reason = host["reason"]
    for said in ("BootProgress.LastState OSRunning", "WinRM did not answer in Safe Mode with Networking",
                 "not listed under SafeBoot\\Network", "BitLocker-locked", "never prepared",
                 "keeps safeboot network", "bcdedit /deletevalue {default} safeboot", "attempt 1 of 2"):  # fmt: skip
        assert said in reason, reason
    # Ground truth: Windows runs Safe Mode with Networking without WinRM, the volume unlocked by its TPM; the boot
    # configuration keeps safeboot network; one boot through the BMC; the image ejected, the override cleared.
    machine = truth["machine"]
    assert (machine["power"], truth["environment"], truth["winrm_reachable"]) == ("running", "safe_mode_network", False)
    assert machine["bitlocker"]["locked"] is False
    assert machine["bcd"]["entries"][machine["bcd"]["os_entry"]].get("safeboot", "").lower() == "network"
    assert "WinRM" not in machine["registry"]["safeboot"]["Network"]
    assert len(machine["crashes"]) == len(before["machine"]["crashes"])
    assert truth["bmc"]["virtual_media"]["inserted"] is False
    assert truth["bmc"]["boot_override"]["enabled"] == "Disabled"


def test_a_failure_that_breaks_safe_mode_too_needs_hands_without_waiting_out_the_boot_timeout(tmp_path) -> None:
    """An unprepared server with a BMC whose storport update bugchecks in Safe Mode too: the recovery image boots
    and sets Safe Mode with Networking, Windows crashes there, the BMC logs the OS stop, and the host needs hands
    after the two attempts, long before oob_recovery_boot_timeout."""
    fleet = start_fleet(tmp_path / "lab", "--scenario", "estate", "--hosts", "1", "--reboot-seconds", "0.2",
                        "--oob-image-script", str(OOB_SCRIPT))  # fmt: skip
    name = "EST-0001"
    try:
        lab("fault", name, "bad-quality-update", "--restart", "--fleet-file", str(fleet.fleet_file))
        deadline = time.monotonic() + 30
        while fleet.show(name)["environment"] != "winre" and time.monotonic() < deadline:
            time.sleep(0.2)
        crashes = len(fleet.show(name)["machine"]["crashes"])
        started = time.monotonic()
        ansible_playbook(
            inventory_config(fleet, tmp_path), REMEDIATE, *secrets(fleet), *LAB_MAPPING,
            "-e", f"oob_recovery_image_url={IMAGE_URL}", "-e", "oob_recovery_poll_interval=5",
            "-e", "oob_recovery_boot_timeout=300", env=run_env(tmp_path),
        )  # fmt: skip
        took = time.monotonic() - started
        host = report(tmp_path)["hosts"][name]
        truth = fleet.show(name)
    finally:
        lab("down", "--fleet-file", str(fleet.fleet_file))
    assert took < 90, f"{took:.0f} s: the role waited instead of reading the BMC's log"
    assert (host["status"], host["path"]) == ("needs_hands", "out_of_band"), host
    assert "new OS stop" in host["reason"] and "breaks Safe Mode with Networking" in host["reason"], host["reason"]
    # Windows crashed again after the boots through the BMC, and the host is back in WinRE.
    assert len(truth["machine"]["crashes"]) > crashes and truth["environment"] == "winre"
    assert truth["bmc"]["virtual_media"]["inserted"] is False
    assert truth["bmc"]["boot_override"]["enabled"] == "Disabled"
