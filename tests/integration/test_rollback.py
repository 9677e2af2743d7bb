"""playbooks/rollback.yml after playbooks/remediate.yml: every host's files, services, boot settings
and packages are as they were before the remediation (the lab's ground truth, compared whole)."""

from __future__ import annotations

import pytest

from .conftest import lab, start_fleet
from .rollout_support import LAB_MAPPING, REMEDIATE, ROLLBACK, on_disk, rollout_inventory, run

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("scenario", "signature"), [("crowdstrike-291", "0x50:csagent.sys"), ("bad-boot-driver", "0x7e:ctxflt.sys")]
)
def test_remediate_then_rollback_puts_every_host_back_as_it_was(tmp_path, scenario, signature):
    fleet = start_fleet(tmp_path, "--scenario", scenario, "--hosts", "2", "--reboot-seconds", "0.3")
    try:
        names = [host["name"] for host in fleet.hosts]
        inventory = rollout_inventory(fleet, tmp_path, dict.fromkeys(names, "canary"), signature)
        before = {name: on_disk(fleet.show(name)) for name in names}

        remediated = run(inventory, REMEDIATE, tmp_path, *LAB_MAPPING)
        assert remediated.returncode == 0, remediated.stdout[-4000:]
        assert all(on_disk(fleet.show(name)) != before[name] for name in names)  # the remediation changed them

        rolled_back = run(inventory, ROLLBACK, tmp_path, *LAB_MAPPING)
        assert rolled_back.returncode == 0, rolled_back.stdout[-4000:]
        for name in names:
            assert on_disk(fleet.show(name)) == before[name], name

        again = run(inventory, ROLLBACK, tmp_path, *LAB_MAPPING)
        assert again.returncode == 0 and "changed=0" in again.stdout, again.stdout[-3000:]
    finally:
        lab("down", "--fleet-file", str(fleet.fleet_file))
