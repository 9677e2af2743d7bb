# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: awx_config
short_description: The AWX / Ansible Automation Platform objects that run Lifeline, from a few settings
version_added: 0.1.0
author:
  - Lifeline maintainers (@lifeline)
description:
  - Derives every object awx/configure.yml creates with the awx.awx collection from the settings in
    awx/settings.yml, as the arguments of the awx.awx modules (credential types, execution environment,
    credentials without their secrets, project, inventory, inventory source, job templates, workflow).
  - "Credential types: C(<prefix> service account) (WinRM user and password, BMC user and password) injects
    the passwords as the extra vars C(ansible_password) and C(lifeline_bmc_password) and all four as the
    environment variables the fleet inventory reads (C(LIFELINE_WINRM_USER), C(LIFELINE_WINRM_PASSWORD),
    C(LIFELINE_BMC_USER), C(LIFELINE_BMC_PASSWORD)); C(<prefix> BitLocker escrow) writes the escrow export to a
    private file named by C(lifeline_bitlocker_escrow_file) and C(LIFELINE_BITLOCKER_ESCROW_FILE)."
  - "The inventory source reads the fleet inventory configuration from the project and is updated on every
    launch (verdicts are fresh) and overwrites hosts and variables. One job template per ring runs
    remediate.yml with C(lifeline_waves) set to that ring; the broad ring may be sliced (AWX job slicing).
    The workflow runs canary, an approval (optional), pilot, broad; a failed ring stops the ones after it."
  - Strings meant for AWX to render (credential injectors, C(lifeline_run_id)) are returned unsafe, so Ansible
    does not template them.
  - A missing or wrong setting fails with an error naming it.
options:
  _input:
    description:
      - "The settings: C(organization), C(scm_url), C(inventory_file) (a C(.lifeline.yml) file in the project),
        C(remediations_file) (the mapping in the project) and C(execution_environment_image) are required;
        C(prefix) (V(Lifeline)), C(scm_branch) (V(main)), C(scm_credential), C(execution_environment_pull)
        (V(missing)), C(playbooks) (paths in the project of C(discover), C(prepare), C(remediate); V(<name>.yml)),
        C(broad_slices) (1), C(max_failure_rate) (20), C(approval) (true), C(approval_timeout) (0, seconds,
        none) and C(extra_vars) (for the remediation templates; no C(ansible_*), C(lifeline_bmc_*) or rollout
        variables) are optional."
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Every AWX object Lifeline needs
  ansible.builtin.set_fact:
    lifeline_awx_objects: "{{ lifeline_awx | lifeline.recovery.awx_config }}"
"""

RETURN = r"""
_value:
  description:
    - "A mapping: C(credential_types), C(credentials) (lists), C(execution_environment), C(project), C(inventory),
      C(inventory_source), C(workflow) (each the arguments of its awx.awx module) and C(job_templates) (a list).
      C(credentials) items carry C(secret), the key of their inputs in the operator's secrets, which is not a
      module argument."
  type: dict
"""

from collections.abc import Mapping
from typing import Any

from ansible.errors import AnsibleFilterError

try:
    from ansible.utils.unsafe_proxy import wrap_var
except ImportError:  # the module is due to go (ansible-core 2.23)

    def wrap_var(value: Any) -> Any:
        return value


from ansible_collections.lifeline.recovery.plugins.plugin_utils._awx_config import AwxConfigError, awx_objects


def awx_config(settings: Mapping[str, Any]) -> dict[str, Any]:
    try:
        return wrap_var(awx_objects(settings))
    except AwxConfigError as error:
        raise AnsibleFilterError(str(error)) from None


class FilterModule:
    def filters(self) -> dict:
        return {"awx_config": awx_config}
