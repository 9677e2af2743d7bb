# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: win_recovery_records
short_description: List what Lifeline changed on a Windows host, from its rollback records, and undo it
version_added: 0.1.0
author:
  - Lifeline maintainers (@lifeline)
description:
  - Every Lifeline module that changes a host first writes a rollback record on the host, in
    C(<os_volume>\ProgramData\Lifeline\records), one JSON file per changed thing. All records share one versioned
    format with a C(kind). V(quarantine) records come from M(lifeline.recovery.win_quarantine_files), V(boot_driver)
    records from M(lifeline.recovery.win_boot_driver), and V(boot_config) records from
    M(lifeline.recovery.win_boot_config), also for the safeboot change of M(lifeline.recovery.win_recovery_reboot).
    V(safeboot_network) records come from M(lifeline.recovery.win_safe_mode_network_service), and V(servicing)
    records from M(lifeline.recovery.win_servicing). V(winre_failover) records come from
    M(lifeline.recovery.win_winre_failover) (readiness, like V(safeboot_network)).
  - This module reads them all in one command and knows, from the record alone, which module call undoes each one.
    It needs no mapping, role or playbook variable, so a remediation with any settings is undone as it was made.
  - O(state=listed) returns the records, newest first.
  - O(state=restored) undoes every record that still has something to put back, newest first, with C(state=restored)
    of the module that owns the record (C(state=absent) for V(safeboot_network)). A record that was already used is
    not applied again. The first undo that fails stops the task; the newer records were undone, the older ones were
    not. A file in the records folder that is not a record that this Lifeline reads makes the task fail before
    anything is changed.
  - A removed servicing package cannot be put back, because DISM needs the package source for that. Such records are
    returned in RV(not_undoable) and named in a warning.
  - Hosts remediated by Lifeline 0.1.0 are read too. Its records had no C(version) or C(kind), and it kept the
    quarantine's record as C(lifeline-quarantine-manifest.json) in the quarantine folder. Only the
    C(boot_config-default-safeboot.json) record of 0.1.0's M(lifeline.recovery.win_recovery_reboot) is not undone,
    because no module ever read it. It is returned in RV(not_undoable) with its previous value.
  - Runs on the controller as an action plugin over the host's WinRM connection and uploads nothing.
options:
  state:
    description:
      - V(listed) reads the records and changes nothing.
      - V(restored) undoes what they record.
    type: str
    choices: [listed, restored]
    default: listed
  kinds:
    description:
      - The kinds of records to list or undo.
      - The default is what a remediation changes. V(safeboot_network) is readiness for remote recovery (from
        C(playbooks/prepare.yml)), so undoing a remediation leaves it in place unless it is named here.
    type: list
    elements: str
    choices: [quarantine, boot_driver, boot_config, safeboot_network, servicing, winre_failover]
    default: [quarantine, boot_driver, boot_config, servicing]
  os_volume:
    description:
      - The volume that holds Windows and the records, for example V(C:), or V(D:) in WinRE. A BitLocker-protected
        volume must be unlocked first.
      - Defaults to the C(lifeline_recovery.os_volume) fact from M(lifeline.recovery.win_recovery_facts).
    type: str
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: With O(state=restored), each undo runs in check mode and reports what it would change.
  diff_mode:
    support: none
  platform:
    platforms: windows
notes:
  - The order is the record's C(time), which comes from the controller's clock at the change.
seealso:
  - module: lifeline.recovery.win_quarantine_files
  - module: lifeline.recovery.win_boot_driver
  - module: lifeline.recovery.win_boot_config
  - module: lifeline.recovery.win_servicing
"""

EXAMPLES = r"""
- name: Find where Windows is
  lifeline.recovery.win_recovery_facts:

- name: Show what Lifeline changed on the host
  lifeline.recovery.win_recovery_records:
  register: lifeline_records

- name: Undo it, newest first
  lifeline.recovery.win_recovery_records:
    state: restored
"""

RETURN = r"""
records:
  description: The records of O(kinds), newest first.
  returned: always
  type: list
  elements: dict
  contains:
    path: {description: The record file on the host., type: str}
    kind: {description: "What was changed: quarantine, boot_driver, boot_config, safeboot_network, servicing,
             winre_failover.",
           type: str}
    module: {description: The module that wrote the record., type: str}
    time: {description: 'When the change was recorded (ISO 8601, UTC).', type: str}
    restored_at: {description: 'When the record was used by a restore, or null.', type: str}
    summary: {description: 'What was changed, in one line.', type: str}
    pending: {description: Whether the change is still in place on the host., type: bool}
    undo:
      description: The module call that undoes the record (C(module) and C(args)), or null.
      type: dict
    reason: {description: Why a pending record cannot be undone (only then)., type: str}
  sample:
    - path: C:\ProgramData\Lifeline\records\quarantine-channel-file-291.json
      kind: quarantine
      module: win_quarantine_files
      time: "2024-07-19T06:00:00.000+00:00"
      restored_at: null
      summary: "quarantine channel-file-291: C-00000291-00000000-00000032.sys away from
        D:\\Windows\\System32\\drivers\\CrowdStrike"
      pending: true
      undo:
        module: lifeline.recovery.win_quarantine_files
        args: {state: restored, path: Windows\System32\drivers\CrowdStrike, patterns: [C-00000291*.sys],
               quarantine_id: channel-file-291}
not_undoable:
  description: The records whose change is still in place but cannot be undone (removed servicing packages).
  returned: always
  type: list
  elements: dict
unreadable:
  description: Files in the records folder that are not records this Lifeline reads (C(path), C(problem)).
  returned: always
  type: list
  elements: dict
undone:
  description: What each undo call did, newest record first (C(path), C(kind), C(changed), C(msg)).
  returned: when O(state=restored)
  type: list
  elements: dict
nothing_to_restore:
  description: Whether there was no record left to undo.
  returned: when O(state=restored)
  type: bool
commands_sent:
  description: How many scripts were sent to the host, the undo calls' included (0 when the input was refused).
  returned: always
  type: int
"""
