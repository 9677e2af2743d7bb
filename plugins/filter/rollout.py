# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for playbooks/remediate.yml: the rollout plan and the verdict after each batch.

The logic lives in plugin_utils/_rollout.py (pure functions, unit tested); these filters only
adapt Ansible's hostvars and turn a bad mapping into a clear error.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.lifeline.recovery.plugins.plugin_utils._rollout import (
    RolloutError,
    plan,
    remediation_from_facts,
    verdict,
)


def _variables(hostvars: Mapping, host: str, names: Iterable[str]) -> dict:
    try:
        variables = hostvars[host]
    except KeyError:
        return {}
    return {name: variables.get(name) for name in names}


def rollout_plan(hosts: Iterable[str], hostvars: Mapping, remediations: Any, source: str = "lifeline_remediations"):
    names = (
        "lifeline_recovery_state",
        "lifeline_failure_signature",
        "lifeline_recovery_ring",
        "lifeline_boot_environment",
    )
    hosts = list(hosts)
    try:
        return plan(hosts, {host: _variables(hostvars, host, names) for host in hosts}, remediations, source)
    except RolloutError as error:
        raise AnsibleFilterError(str(error)) from None


def rollout_verdict(batch: Iterable[str], hostvars: Mapping, wave: str, max_failure_rate: Any, batch_number: int = 1):
    batch = list(batch)
    outcomes = {
        host: _variables(hostvars, host, ["lifeline_rollout_outcome"])["lifeline_rollout_outcome"] for host in batch
    }
    try:
        return verdict(batch, outcomes, wave, max_failure_rate, batch_number)
    except RolloutError as error:
        raise AnsibleFilterError(str(error)) from None


def rollout_remediation(planned: Mapping, facts: Any, remediations: Any, source: str = "lifeline_remediations"):
    try:
        return remediation_from_facts(planned, facts, remediations, source)
    except RolloutError as error:
        raise AnsibleFilterError(str(error)) from None


class FilterModule:
    def filters(self) -> dict:
        return {
            "rollout_plan": rollout_plan,
            "rollout_remediation": rollout_remediation,
            "rollout_verdict": rollout_verdict,
        }
