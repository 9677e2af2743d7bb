# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a host's run needs from the operator before anything is touched: the connection's secrets, and for a
host reached through its BMC the recovery image's address. One set of rules for every playbook:
playbooks/tasks/secrets.yml (prepare, rollback) checks one host through the missing_secret filter; the rollout
plan (plugins/filter/rollout.py) checks every host of remediate.yml at once.

The secrets never come from the inventory (an inventory sync stores what it returns): the operator supplies
them as variables (docs/connection-secrets.md). A message names the variable, never its value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["WINRM_CONNECTIONS", "missing_prerequisite", "missing_secret"]

# The connections that log in with ansible_password.
WINRM_CONNECTIONS = ("winrm", "ansible.builtin.winrm", "lifeline.recovery.winrm")
_HOW = (
    "pass it as an extra var (-e @secrets.yml, vault-encrypted: --ask-vault-pass) or from an AWX/AAP credential "
    "that injects it (docs/connection-secrets.md)"
)
NO_WINRM_PASSWORD = f"ansible_password is not set: the inventory never holds the WinRM account's password; {_HOW}"
NO_BMC_PASSWORD = f"lifeline_bmc_password is not set: the inventory never holds the BMC account's password; {_HOW}"
NO_RECOVERY_IMAGE = (
    "the inventory found this host down with a BMC that answers (out of band), but no oob_recovery_image_url "
    "says where the BMC gets the Lifeline recovery image (docs/oob-image.md)"
)


def _given(value: Any) -> bool:
    """Set and not empty (Jinja's ``default('', true) | string | length > 0``)."""
    return bool(value) and len(str(value)) > 0


def missing_secret(variables: Mapping, bmc: bool = False) -> str:
    """Why the host's secrets fall short (the first missing one), or "" when every one it needs is given.

    ``variables`` are the host's variables (hostvars[host]); ``bmc``: the host is reached through its BMC
    too, which takes oob_recovery_password or lifeline_bmc_password."""
    if str(variables.get("ansible_connection") or "") in WINRM_CONNECTIONS and not _given(
        variables.get("ansible_password")
    ):
        return NO_WINRM_PASSWORD
    if bmc and not (_given(variables.get("oob_recovery_password")) or _given(variables.get("lifeline_bmc_password"))):
        return NO_BMC_PASSWORD
    return ""


def missing_prerequisite(variables: Mapping, out_of_band: bool = False) -> str:
    """missing_secret, then for a host reached out of band the recovery image its BMC boots
    (oob_recovery_image_url); "" when nothing is missing."""
    missing = missing_secret(variables, out_of_band)
    if missing or not out_of_band:
        return missing
    image = variables.get("oob_recovery_image_url")
    return "" if image is not None and len(str(image)) > 0 else NO_RECOVERY_IMAGE
