# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: bmc_evidence
short_description: What a host's BMC says about it now (Redfish, read only)
version_added: 0.1.0
author:
  - Lifeline maintainers (@lifeline)
description:
  - Reads a server's BMC over DMTF Redfish, as the fleet inventory does for its out-of-band evidence, and
    returns the ComputerSystem's C(PowerState), C(BootProgress.LastState) and the newest C(OS Stop/Shutdown)
    entry of its logs (the record Windows' IPMI driver writes at a bug check).
  - The logs are read under the ComputerSystem's C(LogServices), else under its managers'
    (community.general.redfish_info's C(GetLogs) reads only the managers').
  - Runs on the controller and changes nothing. Fails when the BMC does not answer, refuses the login or its
    certificate does not validate, with the reason; the password is never shown.
  - Used by the role lifeline.recovery.oob_recovery to see a host it restarted crash again.
options:
  baseuri:
    description:
      - The BMC's C(host:port) (port 443 when left out), as community.general's redfish modules take it; the
        inventory's C(lifeline_bmc.base_uri).
    type: str
    required: true
  system_id:
    description: The ComputerSystem's Id; default the BMC's only (or first) system.
    type: str
  username:
    description: The BMC account.
    type: str
    required: true
  password:
    description: Its password (from ansible-vault or the inventory configuration).
    type: str
    required: true
  validate_certs:
    description: Validate the BMC's HTTPS certificate.
    type: bool
    default: true
  ca_path:
    description: The CA file to validate it against; default the system's store.
    type: path
  timeout:
    description: Seconds all the reads may take together.
    type: int
    default: 30
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - lifeline.recovery.controller_action
attributes:
  check_mode:
    support: full
    details: Reads only.
"""

EXAMPLES = r"""
- name: Read what the BMC says about the host
  lifeline.recovery.bmc_evidence:
    baseuri: "{{ lifeline_bmc.base_uri }}"
    username: "{{ lifeline_bmc_user }}"
    password: "{{ lifeline_bmc_password }}"
    ca_path: "{{ lifeline_bmc_ca_file }}"
  register: bmc
"""

RETURN = r"""
bmc:
  description: What the BMC said, as the inventory's C(lifeline_bmc) shows it, and in one sentence.
  returned: always
  type: dict
  contains:
    reachability:
      description: How far the read got (answered, login_refused, certificate_rejected, no_answer, error).
      type: str
    power_state:
      description: The ComputerSystem's PowerState.
      type: str
    boot_progress:
      description: Its BootProgress.LastState.
      type: str
    os_stop:
      description: The newest OS stop in its logs (created, what, entry), or null.
      type: dict
    sentence:
      description: All of it in one sentence.
      type: str
"""
