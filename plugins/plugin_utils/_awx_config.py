# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWX / Ansible Automation Platform objects that run Lifeline, derived from a few settings.

awx/configure.yml hands its settings (awx/settings.yml) to the filter lifeline.recovery.awx_config,
which calls :func:`awx_objects`; the playbook then only loops over the result with the awx.awx
modules. Every name, credential type, extra var and workflow edge is decided here, in one place that
unit tests cover (an AWX is out of reach of the tests).

Secrets never pass through here: credential types say which inputs exist and how they are injected
(extra vars for the playbooks, environment variables for the fleet inventory and the escrow lookup);
the values come from the operator's vault file, straight into the credential task.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

RINGS = ("canary", "pilot", "broad")
PLAYBOOKS = ("discover", "prepare", "remediate")
DEFAULT_PREFIX = "Lifeline"
DEFAULT_BRANCH = "main"
DEFAULT_SLICES = 1
DEFAULT_MAX_FAILURE_RATE = 20
INVENTORY_SUFFIXES = (".lifeline.yml", ".lifeline.yaml")
EE_PULL_CHOICES = ("always", "missing", "never")
# Variables the settings' extra_vars may not set: connection secrets come from credentials, and the
# rollout variables below are decided per job template.
_RESERVED_VAR = re.compile(r"^(ansible_|lifeline_(waves|remediations_file|max_failure_rate|run_id|bmc_))")
# The run's name in leases and reports: AWX passes awx_job_id to every job (each slice has its own).
RUN_ID = "awx-{{ awx_job_id }}"

# Environment variables the collection reads (plugins/inventory/fleet.py,
# plugins/lookup/bitlocker_recovery_password.py).
ENV_WINRM_USER = "LIFELINE_WINRM_USER"
ENV_WINRM_PASSWORD = "LIFELINE_WINRM_PASSWORD"
ENV_BMC_USER = "LIFELINE_BMC_USER"
ENV_BMC_PASSWORD = "LIFELINE_BMC_PASSWORD"
ENV_ESCROW_FILE = "LIFELINE_BITLOCKER_ESCROW_FILE"
ESCROW_FILE_VAR = "lifeline_bitlocker_escrow_file"


class AwxConfigError(ValueError):
    """A setting that cannot describe the AWX objects; the message names it."""


def _text(settings: Mapping, key: str, default: str | None = None) -> str:
    value = settings.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise AwxConfigError(f"lifeline_awx.{key} must be a non-empty string, not {value!r}")
    return value.strip()


def _optional_text(settings: Mapping, key: str) -> str | None:
    value = settings.get(key)
    if value in (None, ""):
        return None
    return _text(settings, key)


def _project_path(settings: Mapping, key: str, default: str | None = None) -> str:
    path = _text(settings, key, default)
    if path.startswith("/") or ".." in path.split("/"):
        raise AwxConfigError(f"lifeline_awx.{key} is a path inside the project (relative, no '..'), not {path!r}")
    return path


def _integer(settings: Mapping, key: str, default: int, low: int, high: int | None = None) -> int:
    value = settings.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        bounds = f"from {low} to {high}" if high is not None else f"of at least {low}"
        raise AwxConfigError(f"lifeline_awx.{key} must be a whole number {bounds}, not {value!r}")
    return value


def _flag(settings: Mapping, key: str, default: bool) -> bool:
    value = settings.get(key, default)
    if not isinstance(value, bool):
        raise AwxConfigError(f"lifeline_awx.{key} must be true or false, not {value!r}")
    return value


def _extra_vars(settings: Mapping) -> dict[str, Any]:
    value = settings.get("extra_vars") or {}
    if not isinstance(value, Mapping):
        raise AwxConfigError(f"lifeline_awx.extra_vars must be a mapping, not {type(value).__name__}")
    reserved = sorted(name for name in value if not isinstance(name, str) or _RESERVED_VAR.match(name))
    if reserved:
        raise AwxConfigError(
            "lifeline_awx.extra_vars may not set "
            + ", ".join(map(str, reserved))
            + ": connection secrets come from the credentials and the rollout variables from each job template"
        )
    return dict(value)


def _playbooks(settings: Mapping) -> dict[str, str]:
    given = settings.get("playbooks") or {}
    if not isinstance(given, Mapping):
        raise AwxConfigError(f"lifeline_awx.playbooks must be a mapping, not {type(given).__name__}")
    unknown = sorted(set(given) - set(PLAYBOOKS))
    if unknown:
        raise AwxConfigError(f"lifeline_awx.playbooks names unknown playbooks {unknown}; known: {list(PLAYBOOKS)}")
    defaults = {name: f"{name}.yml" for name in PLAYBOOKS}
    return {name: _project_path({**defaults, **given}, name) for name in PLAYBOOKS}


def credential_types(prefix: str) -> list[dict[str, Any]]:
    """The two custom credential types: the service accounts (WinRM, and the BMCs' Redfish account) and the
    BitLocker escrow export. Passwords reach the playbooks as extra vars (ansible_password,
    lifeline_bmc_password: the inventory puts no password in host variables, which an AWX inventory sync
    would store) and the fleet inventory's probe as its environment variables; the account names reach
    the inventory, which gives them to the hosts (ansible_user, lifeline_bmc_user). The escrow export
    is written to a private file AWX removes after the job, named to the lookup by its variable and
    environment variable (an ansible-vault encrypted export works with the job's vault credential)."""
    return [
        {
            "name": f"{prefix} service account",
            "description": "The account Lifeline logs on to the hosts with (WinRM), and to their BMCs (Redfish).",
            "kind": "cloud",
            "inputs": {
                "fields": [
                    {"id": "username", "type": "string", "label": "WinRM user (DOMAIN\\account)"},
                    {"id": "password", "type": "string", "label": "WinRM password", "secret": True},
                    {"id": "bmc_username", "type": "string", "label": "BMC user (Redfish)"},
                    {"id": "bmc_password", "type": "string", "label": "BMC password", "secret": True},
                ],
                "required": ["username", "password"],
            },
            "injectors": {
                "env": {
                    ENV_WINRM_USER: "{{ username }}",
                    ENV_WINRM_PASSWORD: "{{ password }}",
                    ENV_BMC_USER: "{{ bmc_username | default('') }}",
                    ENV_BMC_PASSWORD: "{{ bmc_password | default('') }}",
                },
                "extra_vars": {
                    "ansible_password": "{{ password }}",
                    "lifeline_bmc_password": "{{ bmc_password | default('') }}",
                },
            },
        },
        {
            "name": f"{prefix} BitLocker escrow",
            "description": "BitLocker recovery passwords: the escrow export (CSV), plain or ansible-vault.",
            "kind": "cloud",
            "inputs": {
                "fields": [
                    {
                        "id": "escrow_csv",
                        "type": "string",
                        "label": "Escrow export (CSV)",
                        "multiline": True,
                        "secret": True,
                    }
                ],
                "required": ["escrow_csv"],
            },
            "injectors": {
                "file": {"template.escrow": "{{ escrow_csv }}"},
                "env": {ENV_ESCROW_FILE: "{{ tower.filename.escrow }}"},
                "extra_vars": {ESCROW_FILE_VAR: "{{ tower.filename.escrow }}"},
            },
        },
    ]


def _node(identifier: str, template: Mapping[str, Any], then: str | None) -> dict[str, Any]:
    return {
        "identifier": identifier,
        "unified_job_template": dict(template),
        "related": {"success_nodes": [{"identifier": then}] if then else []},
    }


def awx_objects(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Every AWX object Lifeline needs, as arguments of the awx.awx modules, from ``lifeline_awx`` settings.

    Raises AwxConfigError naming the first setting that is missing or wrong."""
    if not isinstance(settings, Mapping):
        raise AwxConfigError(f"lifeline_awx must be a mapping, not {type(settings).__name__}")
    prefix = _text(settings, "prefix", DEFAULT_PREFIX)
    organization = _text(settings, "organization")
    inventory_file = _project_path(settings, "inventory_file")
    if not inventory_file.endswith(INVENTORY_SUFFIXES):
        raise AwxConfigError(
            f"lifeline_awx.inventory_file must end in {' or '.join(INVENTORY_SUFFIXES)} "
            f"(the fleet inventory plugin reads only such files), not {inventory_file!r}"
        )
    remediations_file = _project_path(settings, "remediations_file")
    slices = _integer(settings, "broad_slices", DEFAULT_SLICES, 1)
    max_failure_rate = _integer(settings, "max_failure_rate", DEFAULT_MAX_FAILURE_RATE, 0, 100)
    pull = _text(settings, "execution_environment_pull", "missing")
    if pull not in EE_PULL_CHOICES:
        raise AwxConfigError(
            f"lifeline_awx.execution_environment_pull must be one of {list(EE_PULL_CHOICES)}, not {pull!r}"
        )
    playbooks = _playbooks(settings)
    extra_vars = _extra_vars(settings)
    approval = _flag(settings, "approval", True)
    approval_timeout = _integer(settings, "approval_timeout", 0, 0)

    types = credential_types(prefix)
    account_type, escrow_type = (entry["name"] for entry in types)
    names = {
        "project": f"{prefix} estate",
        "inventory": f"{prefix} fleet",
        "inventory_source": f"{prefix} fleet inventory",
        "execution_environment": f"{prefix} execution environment",
        "account": f"{prefix} service account",
        "escrow": f"{prefix} BitLocker escrow",
        "workflow": f"{prefix} rollout",
    }
    execution_environment = {
        "name": names["execution_environment"],
        "organization": organization,
        "image": _text(settings, "execution_environment_image"),
        "pull": pull,
    }
    credentials = [
        {"name": names["account"], "organization": organization, "credential_type": account_type, "secret": "account"},
        {"name": names["escrow"], "organization": organization, "credential_type": escrow_type, "secret": "escrow"},
    ]
    project = {
        "name": names["project"],
        "organization": organization,
        "scm_type": "git",
        "scm_url": _text(settings, "scm_url"),
        "scm_branch": _text(settings, "scm_branch", DEFAULT_BRANCH),
        "scm_update_on_launch": True,
        "default_environment": names["execution_environment"],
    }
    scm_credential = _optional_text(settings, "scm_credential")
    if scm_credential:
        project["credential"] = scm_credential
    inventory = {"name": names["inventory"], "organization": organization}
    inventory_source = {
        "name": names["inventory_source"],
        "organization": organization,
        "inventory": names["inventory"],
        "source": "scm",
        "source_project": names["project"],
        "source_path": inventory_file,
        "credential": names["account"],
        "execution_environment": names["execution_environment"],
        # Verdicts are only as fresh as the last probe: every job that uses the inventory updates it first.
        "update_on_launch": True,
        "update_cache_timeout": 0,
        # The fleet is what the sources say now: hosts gone from them go from AWX, with their variables.
        "overwrite": True,
        "overwrite_vars": True,
    }

    def job_template(key: str, playbook: str, description: str, credentials_: list[str], **fields: Any) -> dict:
        return {
            "name": f"{prefix} {key}",
            "description": description,
            "organization": organization,
            "project": names["project"],
            "inventory": names["inventory"],
            "playbook": playbooks[playbook],
            "execution_environment": names["execution_environment"],
            "credentials": credentials_,
            "ask_limit_on_launch": True,
            **fields,
        }

    everything = [names["account"], names["escrow"]]
    templates = [
        job_template(
            "discover",
            "discover",
            "The fleet table: who is down, who is reachable, who needs hands.",
            [names["account"]],
        ),
        job_template(
            "prepare", "prepare", "Readiness and the armed WinRE failover on healthy hosts.", [names["account"]]
        ),
    ]
    for ring in RINGS:
        templates.append(
            job_template(
                f"remediate {ring}",
                "remediate",
                f"Remediate the {ring} ring only; a halt fails the job and so stops the workflow.",
                everything,
                extra_vars={
                    **extra_vars,
                    "lifeline_waves": [ring],
                    "lifeline_remediations_file": remediations_file,
                    "lifeline_max_failure_rate": max_failure_rate,
                    "lifeline_run_id": RUN_ID,
                },
                job_slice_count=slices if ring == "broad" else 1,
                allow_simultaneous=False,
            )
        )

    ring_templates = {ring: {"name": f"{prefix} remediate {ring}", "type": "job_template"} for ring in RINGS}
    for template in ring_templates.values():
        template["organization"] = {"name": organization}
    nodes = [_node("canary", ring_templates["canary"], "approve" if approval else "pilot")]
    if approval:
        approve = {
            "name": f"{prefix} approve pilot and broad",
            "description": "Read the canary job's summary before the rest of the fleet.",
            "type": "workflow_approval",
            "timeout": approval_timeout,
        }
        nodes.append(_node("approve", approve, "pilot"))
    nodes.append(_node("pilot", ring_templates["pilot"], "broad"))
    nodes.append(_node("broad", ring_templates["broad"], None))
    workflow = {
        "name": names["workflow"],
        "description": "canary, " + ("approval, " if approval else "") + "pilot, broad: a failed ring stops the rest.",
        "organization": organization,
        "inventory": names["inventory"],
        "ask_limit_on_launch": True,
        "allow_simultaneous": False,
        "destroy_current_nodes": True,
        "workflow_nodes": nodes,
    }
    return {
        "credential_types": types,
        "execution_environment": execution_environment,
        "credentials": credentials,
        "project": project,
        "inventory": inventory,
        "inventory_source": inventory_source,
        "job_templates": templates,
        "workflow": workflow,
    }
