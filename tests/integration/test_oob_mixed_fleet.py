"""Out of band on the mixed lab fleet: every host with a BMC that the in-band path cannot reach comes back to a
normal boot through its BMC with no hands (role oob_recovery, the recovery image once), and the unreachable hosts
without one are left untouched with their reason; asserted against the lab's ground truth (`lifeline-lab show`).

A module of its own, so its fleet boots beside test_oob_recovery's on the other test worker.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .conftest import LabFleet, lab, start_fleet
from .playbooks import ansible_playbook, secrets
from .rollout_support import LAB_MAPPING, REMEDIATE, report, run_env
from .test_oob_recovery import IMAGE_URL, OOB_SCRIPT, inventory_config


@pytest.fixture(scope="module")
def mixed_fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabFleet]:
    """The mixed scenario's first 16 hosts: one of each BMC profile (MX-0004 unarmed in WinRE, MX-0009 boot loop,
    MX-0016 Safe Mode without WinRM) beside unreachable hosts without a BMC (WinRE with BitLocker, Safe Mode
    broken by storport, broken BCD, stuck servicing)."""
    directory = tmp_path_factory.mktemp("mixed-oob")
    arguments = ("--scenario", "mixed", "--hosts", "16", "--reboot-seconds", "0.2")
    started = start_fleet(directory, *arguments, "--oob-image-script", str(OOB_SCRIPT))
    yield started
    lab("down", "--fleet-file", str(started.fleet_file))


def test_on_a_mixed_fleet_every_bmc_host_out_of_reach_comes_back_and_the_others_need_hands(mixed_fleet, tmp_path):
    truths = {host["name"]: mixed_fleet.show(host["name"]) for host in mixed_fleet.hosts}
    silent = sorted(name for name, truth in truths.items() if not truth["winrm_reachable"])
    with_bmc = sorted(name for name in silent if any(h["name"] == name and "bmc" in h for h in mixed_fleet.hosts))
    assert with_bmc == ["MX-0004", "MX-0009", "MX-0016"], with_bmc  # one per BMC profile of the scenario

    done = ansible_playbook(
        inventory_config(mixed_fleet, tmp_path), REMEDIATE, *secrets(mixed_fleet), *LAB_MAPPING,
        "-e", f"oob_recovery_image_url={IMAGE_URL}", "-e", "oob_recovery_poll_interval=3",
        "-e", "oob_recovery_boot_timeout=120", "-e", "exit_recovery_pre_reboot_delay=0", "--limit", ",".join(silent),
        # One batch (the waves' order is tested elsewhere): the three BMC hosts boot side by side.
        "-e", "lifeline_min_canary=0", "-e", '{"lifeline_broad_batches": ["100%"]}', env=run_env(tmp_path),
    )  # fmt: skip

    hosts = report(tmp_path)["hosts"]
    for name in with_bmc:
        truth = mixed_fleet.show(name)
        assert (hosts[name]["status"], hosts[name]["path"]) == ("recovered", "out_of_band"), (name, hosts[name])
        assert (truth["environment"], truth["winrm_reachable"]) == ("normal", True), name
        assert truth["bmc"]["virtual_media"]["inserted"] is False
    for name in sorted(set(silent) - set(with_bmc)):
        # Not touched: a needs-hands verdict with the reason, or (no crash seen, broken BCD or stuck servicing)
        # skipped as not known to be reachable, with that reason.
        assert hosts[name]["status"] in ("needs_hands", "skipped") and hosts[name]["reason"], (name, hosts[name])
        assert mixed_fleet.show(name)["machine"]["boots"] == truths[name]["machine"]["boots"], name
    assert done.returncode == 0, done.stdout[-4000:]
