# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: win_safe_mode_network_service
short_description: Let services such as WinRM run in Safe Mode with Networking
version_added: 0.1.0
author:
  - Lifeline maintainers (@lifeline)
description:
  - Safe Mode with Networking starts only the drivers and services that have a subkey under
    C(HKLM\SYSTEM\CurrentControlSet\Control\SafeBoot\Network), by name or by load-order group. Any other service
    fails to start with error 1084, and so does every service that depends on it.
  - This module adds one subkey for each service in O(services). The subkey has the service's name and a default
    value of C(Service), or C(Driver) when the service's C(Type) is a driver type. The default list is C(WinRM) and
    the services it depends on (C(sc qc WinRM) lists C(RPCSS) and C(HTTP)). With this list, WinRM answers in Safe
    Mode with Networking, and M(lifeline.recovery.win_recovery_facts) reports C(prepared_for_remote_recovery=true).
    Windows lists the network stack (NDIS, Tcpip, AFD, Dhcp and more) there by default.
  - Before it adds anything, it writes the names it adds to the rollback record
    C(<os_volume>\ProgramData\Lifeline\records\safeboot_network.json) (Lifeline's one record format, kind
    C(safeboot_network)). O(state=absent) removes only the names in this record. Entries that Windows or your
    organisation listed stay, and are returned in RV(kept). This is readiness, not a remediation, so
    C(playbooks/rollback.yml) leaves it in place.
  - It changes the live SYSTEM hive of a booted Windows, which is the normal way to prepare a healthy host. It
    refuses to run in WinRE or WinPE, and checks this before any command is sent when
    M(lifeline.recovery.win_recovery_facts) has run.
  - Runs on the controller as an action plugin over the host's WinRM connection and uploads nothing.
options:
  services:
    description:
      - Service or driver key names under C(HKLM\SYSTEM\CurrentControlSet\Services). Case does not matter.
      - With O(state=present), each service must be installed. Otherwise the task fails before anything changes.
      - Names with a backslash, any of C(/:*?"<>|), C([ ]), a control character, or a leading or trailing space
        are refused before anything is sent.
    type: list
    elements: str
    default: [WinRM, RpcSs, HTTP]
  state:
    description:
      - V(present) lists each service that is not listed yet, and records it.
      - V(absent) removes each service that this module added (the record says which). It keeps other entries.
    type: str
    choices: [present, absent]
    default: present
  os_volume:
    description:
      - The volume that holds Windows and the record, normally V(C:).
      - Defaults to the C(lifeline_recovery.os_volume) fact from M(lifeline.recovery.win_recovery_facts).
    type: str
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Reads SafeBoot\Network, the service keys and the record, and reports what would change.
  diff_mode:
    support: full
    details: The names listed under SafeBoot\Network before and after.
  platform:
    platforms: windows
notes:
  - A second run with the same options reports C(changed=false).
  - When a listed service depends on a service that stays unlisted (from its C(DependOnService) value, compared by
    name), the task returns a warning, because that service would not start in Safe Mode with Networking.
  - To test the result, start the host in Safe Mode with Networking with M(lifeline.recovery.win_recovery_reboot)
    and O(lifeline.recovery.win_recovery_reboot#module:target=safe_mode_network), then restart it normally.
seealso:
  - module: lifeline.recovery.win_recovery_facts
  - module: lifeline.recovery.win_recovery_reboot
  - module: lifeline.recovery.win_boot_config
  - name: BcdLibrary_SafeBoot enumeration
    description: Safe Mode loads the drivers and services listed under SafeBoot\Minimal or SafeBoot\Network.
    link: https://learn.microsoft.com/en-us/previous-versions/windows/desktop/bcd/bcdlibrary-safeboot
"""

EXAMPLES = r"""
- name: Find where Windows is
  lifeline.recovery.win_recovery_facts:

- name: Keep WinRM reachable in Safe Mode with Networking
  lifeline.recovery.win_safe_mode_network_service:

- name: Also list a management agent
  lifeline.recovery.win_safe_mode_network_service:
    services: [WinRM, RpcSs, HTTP, ContosoAgent]

- name: Remove what Lifeline added
  lifeline.recovery.win_safe_mode_network_service:
    state: absent
"""

RETURN = r"""
services:
  description: The requested names, without repeats.
  returned: when the input was valid
  type: list
  elements: str
added:
  description: The names added under SafeBoot\Network (or that would be added, in check mode).
  returned: when SafeBoot\Network was read
  type: list
  elements: str
removed:
  description: The names removed from SafeBoot\Network (or that would be removed, in check mode).
  returned: when SafeBoot\Network was read
  type: list
  elements: str
kept:
  description: With O(state=absent), the requested names that are listed but were not added by this module.
  returned: when SafeBoot\Network was read
  type: list
  elements: str
listed:
  description: The requested names that are listed after the task.
  returned: when SafeBoot\Network was read
  type: list
  elements: str
record:
  description: The record file on the host, or null when there is none.
  returned: when SafeBoot\Network was read
  type: str
recorded:
  description: The names the record lists as added by this module after the task.
  returned: when SafeBoot\Network was read
  type: list
  elements: str
commands_sent:
  description: How many scripts were sent to the host (0 when the input was refused).
  returned: always
  type: int
"""
