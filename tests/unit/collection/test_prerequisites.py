"""What a host's run needs from the operator before anything is touched (plugin_utils/_prerequisites.py): one set
of rules for tasks/secrets.yml (the missing_secret filter) and the rollout plan's blocked hosts."""

from __future__ import annotations

import yaml

from ansible_collections.lifeline.recovery.plugins.filter import rollout
from ansible_collections.lifeline.recovery.plugins.plugin_utils._prerequisites import (
    NO_BMC_PASSWORD,
    NO_RECOVERY_IMAGE,
    NO_WINRM_PASSWORD,
    missing_prerequisite,
    missing_secret,
)

MAPPING = [{"name": "channel file", "signatures": ["0x50:csagent.sys"], "role": "channel_file_remediation"}]
SECRET = "Pa55word-never-shown"
WINRM = {"ansible_connection": "lifeline.recovery.winrm", "ansible_password": SECRET}


def test_a_winrm_host_needs_its_password_and_a_bmc_host_the_bmcs():
    assert missing_secret(WINRM) == ""
    assert missing_secret({**WINRM, "ansible_password": ""}) == NO_WINRM_PASSWORD
    assert missing_secret({"ansible_connection": "winrm"}) == NO_WINRM_PASSWORD
    assert missing_secret({"ansible_connection": "local"}) == ""  # no WinRM login, no WinRM password
    assert missing_secret(WINRM, bmc=True) == NO_BMC_PASSWORD
    assert missing_secret({**WINRM, "lifeline_bmc_password": SECRET}, bmc=True) == ""
    assert missing_secret({**WINRM, "oob_recovery_password": SECRET, "lifeline_bmc_password": ""}, bmc=True) == ""


def test_an_out_of_band_host_needs_the_recovery_image_after_its_secrets():
    bmc = {**WINRM, "lifeline_bmc_password": SECRET}
    assert missing_prerequisite(bmc, out_of_band=True) == NO_RECOVERY_IMAGE
    assert missing_prerequisite({**bmc, "oob_recovery_image_url": "http://images/lifeline.iso"}, True) == ""
    assert missing_prerequisite(WINRM, out_of_band=True) == NO_BMC_PASSWORD  # the secrets are checked first
    assert missing_prerequisite(WINRM) == ""  # in band needs no image


def test_the_plan_names_the_hosts_the_run_fails_first_with_the_reason_never_a_secret(monkeypatch):
    monkeypatch.setattr(rollout, "read_mapping", lambda _path: MAPPING)
    monkeypatch.setattr(rollout, "role_options", lambda _role: {})
    reachable = {"lifeline_recovery_state": "recovery_reachable", "lifeline_failure_signature": "0x50:csagent.sys"}
    hostvars = {
        "A": {**reachable, **WINRM},
        "B": {**reachable, "ansible_connection": "winrm"},
        "C": {**reachable, **WINRM, "lifeline_recovery_state": "unbootable", "lifeline_recovery_path": "out_of_band",
              "lifeline_bmc_password": SECRET},
        "D": {**WINRM, "lifeline_reachability": "login_refused", "lifeline_operator_error": "login refused"},
        "E": {"lifeline_recovery_state": "unbootable"},  # needs hands: no secrets asked of it
    }  # fmt: skip
    result = rollout.rollout_plan(hostvars, hostvars, "remediations.yml")
    assert result["blocked"] == {"B": NO_WINRM_PASSWORD, "C": NO_RECOVERY_IMAGE, "D": "login refused"}
    assert [result["hosts"][name]["action"] for name in "ABCDE"] == [
        "remediate", "remediate", "remediate", "blocked", "needs_hands"]  # fmt: skip
    assert SECRET not in yaml.safe_dump(result)
