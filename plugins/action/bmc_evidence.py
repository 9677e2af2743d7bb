# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""bmc_evidence: what a host's BMC says about it now (documentation in plugins/modules).

The same read-only Redfish reads as the fleet inventory's BMC evidence (plugin_utils/_redfish.py: PowerState,
BootProgress.LastState, the newest OS stop in the system's logs), for roles/oob_recovery to watch a host it
restarted: community.general's redfish_info reads the logs of the Managers only (GetLogs), while BMCs keep the
System Event Log under the ComputerSystem too. Runs on the controller; changes nothing.
"""

from __future__ import annotations

from ansible_collections.lifeline.recovery.plugins.plugin_utils._controller_action import ControllerAction
from ansible_collections.lifeline.recovery.plugins.plugin_utils._redfish import DEFAULT_BMC_PORT, BmcTarget, read_bmc


class ActionModule(ControllerAction):
    ARGUMENT_SPEC = {
        "baseuri": {"type": "str", "required": True},
        "system_id": {"type": "str"},
        "username": {"type": "str", "required": True},
        "password": {"type": "str", "required": True, "no_log": True},
        "validate_certs": {"type": "bool", "default": True},
        "ca_path": {"type": "path"},
        "timeout": {"type": "int", "default": 30},
    }

    def run_on_controller(self, args, task_vars, result):
        address, port = split_baseuri(args["baseuri"])
        target = BmcTarget(
            name=task_vars.get("inventory_hostname", address),
            address=address,
            port=port,
            username=args["username"],
            password=args["password"],
            ca_file=args["ca_path"] or None,
            cert_validation=args["validate_certs"],
            system_id=args["system_id"] or None,
        )
        evidence = read_bmc(target, float(args["timeout"]))
        found = evidence.hostvar(target)
        found["sentence"] = evidence.sentence()
        return {**result, "changed": False, "failed": not evidence.answered, "msg": evidence.detail, "bmc": found}


def split_baseuri(baseuri: str) -> tuple[str, int]:
    """``host``, ``host:port``, ``[v6]`` or ``[v6]:port`` (the redfish modules' ``baseuri``) as (address, port)."""
    text = baseuri.strip().removeprefix("https://").rstrip("/")
    host, colon, port = text.rpartition(":")
    if not colon or not port.isdigit() or (text.startswith("[") and not host.endswith("]")):
        host, port = text, str(DEFAULT_BMC_PORT)
    return host.strip("[]"), int(port)
