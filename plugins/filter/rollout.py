# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for playbooks/remediate.yml: the rollout plan and the verdict after each batch.

The logic lives in plugin_utils/_rollout.py (pure functions, unit tested); these filters adapt
Ansible's hostvars, read the remediation mapping and the roles' argument specs, and turn a bad
mapping into a clear error.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

import yaml
from ansible.errors import AnsibleFilterError
from ansible.utils.display import Display

from ansible_collections.lifeline.recovery.plugins.plugin_utils._prerequisites import missing_prerequisite
from ansible_collections.lifeline.recovery.plugins.plugin_utils._rollout import (
    OUT_OF_BAND,
    RolloutError,
    plan,
    remediation_from_facts,
    verdict,
)
from ansible_collections.lifeline.recovery.plugins.plugin_utils._rollout_report import rollout_report, stats_summary

display = Display()
_PLAN_VARIABLES = (
    "lifeline_recovery_state",
    "lifeline_reachability",
    "lifeline_operator_error",
    "lifeline_recovery_path",
    "lifeline_recovery_path_reason",
    "lifeline_failure_signature",
    "lifeline_recovery_ring",
    "lifeline_boot_environment",
    "lifeline_bitlocker_locked",
)


def _variables(hostvars: Mapping, host: str, names: Iterable[str]) -> dict:
    try:
        variables = hostvars[host]
    except KeyError:
        return {}
    return {name: variables.get(name) for name in names}


def read_mapping(path: str) -> Any:
    """``lifeline_remediations`` from the mapping file; a YAML error names the file, line and column."""
    try:
        with open(path, encoding="utf-8") as handle:
            document = yaml.safe_load(handle)
    except OSError as error:
        raise RolloutError(f"cannot read the remediation mapping {path}: {error.strerror or error}") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise RolloutError(f"the remediation mapping {path} is not valid YAML{where}: {problem}") from None
    if not isinstance(document, Mapping) or "lifeline_remediations" not in document:
        raise RolloutError(f"the remediation mapping {path} has no top-level key lifeline_remediations")
    return document["lifeline_remediations"]


def role_options(role: str) -> Mapping | None:
    """The options role ``role`` (a FQCN) declares in meta/argument_specs.yml for its entry point main;
    None when no installed collection has the role."""
    from ansible.utils.collection_loader._collection_finder import _get_collection_role_path

    found = _get_collection_role_path(role)
    if not found:
        return None
    path = os.path.join(found[1], "meta", "argument_specs.yml")
    try:
        with open(path, encoding="utf-8") as handle:
            specs = yaml.safe_load(handle) or {}
    except FileNotFoundError:
        raise RolloutError(
            f"role {role} has no meta/argument_specs.yml: Lifeline runs only remediations whose inputs it can check"
        ) from None
    except (OSError, yaml.YAMLError) as error:
        raise RolloutError(f"cannot read {path}: {error}") from None
    main = ((specs.get("argument_specs") or {}).get("main") or {}) if isinstance(specs, Mapping) else {}
    return dict(main.get("options") or {})


def rollout_plan(
    hosts: Iterable[str], hostvars: Mapping, mapping_file: str, min_canary: Any = 1, waves: Any = None, sliced=False
):
    hosts = list(hosts)
    try:
        result = plan(
            hosts,
            {host: _variables(hostvars, host, _PLAN_VARIABLES) for host in hosts},
            read_mapping(mapping_file),
            mapping_file,
            role_options,
            min_canary,
            waves,
            bool(sliced),
        )
    except RolloutError as error:
        raise AnsibleFilterError(str(error)) from None
    for warning in result["warnings"]:
        display.warning(f"rollout plan: {warning}")
    result["blocked"] = _blocked(result["hosts"], hostvars)
    return result


def _blocked(planned: Mapping, hostvars: Mapping) -> dict[str, str]:
    """The hosts the run fails before it touches any, with the reason: those the plan blocked (the operator's
    settings kept the inventory from looking), and those it remediates that lack what their path needs (a
    secret, the out-of-band recovery image; plugin_utils/_prerequisites.py). Reasons name variables, never
    their values."""
    blocked = {}
    for host, record in planned.items():
        if record["action"] == "blocked":
            blocked[host] = record["reason"]
        elif record["action"] == "remediate":
            try:
                variables = hostvars[host]
            except KeyError:
                variables = {}
            missing = missing_prerequisite(variables, record["path"] == OUT_OF_BAND)
            if missing:
                blocked[host] = missing
    return blocked


def rollout_verdict(batch: Iterable[str], hostvars: Mapping, wave: str, max_failure_rate: Any, batch_number: int = 1):
    batch = list(batch)
    outcomes = {
        host: _variables(hostvars, host, ["lifeline_rollout_outcome"])["lifeline_rollout_outcome"] for host in batch
    }
    try:
        return verdict(batch, outcomes, wave, max_failure_rate, batch_number)
    except RolloutError as error:
        raise AnsibleFilterError(str(error)) from None


def rollout_remediation(planned: Mapping, facts: Any, remediations: Iterable[Mapping]):
    return remediation_from_facts(planned, facts, remediations)


def rollout_summary(
    plan: Mapping,
    hostvars: Mapping,
    batches: list,
    halt_reason: str = "",
    run_id: str = "",
    halted_by_peer: bool = False,
):
    """The counts of the rollout report (what the rollout_summary callback writes), for set_stats: AWX and
    ansible-runner keep them as the job's artifacts."""
    outcomes = {
        host: _variables(hostvars, host, ["lifeline_rollout_outcome"]).get("lifeline_rollout_outcome")
        for host in (plan.get("hosts") or {})
    }
    plain = {host: dict(outcome) for host, outcome in outcomes.items() if isinstance(outcome, Mapping)}
    report = rollout_report(
        plan,
        plain,
        list(batches or []),
        str(halt_reason or ""),
        run_id=str(run_id),
        halted_by_peer=bool(halted_by_peer),
    )
    return stats_summary(report)


class FilterModule:
    def filters(self) -> dict:
        return {
            "rollout_plan": rollout_plan,
            "rollout_remediation": rollout_remediation,
            "rollout_summary": rollout_summary,
            "rollout_verdict": rollout_verdict,
        }
