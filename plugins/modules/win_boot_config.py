# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: win_boot_config
short_description: Set or clear safeboot, bootstatuspolicy, recoveryenabled and the devices of a Windows boot entry
version_added: 0.1.0
author:
  - Lifeline maintainers (@lifeline)
description:
  - Reads a boot entry with C(bcdedit /enum <identifier> /v) and changes only the elements that differ. All
    changes are made in one script of C(bcdedit /set) and C(bcdedit /deletevalue) commands, which stops at the
    first failure. A change sends two commands, the read and that script.
  - Before it changes anything, it records the previous values (the same script writes the record first, and
    changes nothing when that fails). They are returned in C(previous), where V(absent)
    means that the element did not exist. When the Windows volume is known, they are also written to the rollback
    record C(<os_volume>\ProgramData\Lifeline\records\boot_config-<entry>.json), for example
    C(boot_config-default.json) (Lifeline's one record format, kind C(boot_config)). Otherwise the module warns that
    they are in the result only.
  - The record has a C(changes) list of C(element), C(previous) and C(value) objects, where null means absent. For
    each element the record keeps the value from before Lifeline first changed it.
    M(lifeline.recovery.win_recovery_reboot) changes C(safeboot) through this module, so its change is in the same
    record.
  - O(state=restored) puts back the recorded previous values. It changes only the elements that differ. Then it
    marks the record as used with a C(restored_at) time, in the same script, only when the change succeeded. A
    used record is not applied again. If the entry changed after the restore, a rerun leaves it as it is and
    warns. The next change with this module starts a new record.
  - Runs on the controller as an action plugin over the host's WinRM connection and uploads nothing.
options:
  identifier:
    description: The BCD entry, such as V({default}), V({current}) or a GUID in braces.
    type: str
    default: "{default}"
  safeboot:
    description: V(minimal) or V(network) sets C(safeboot). V(absent) deletes it, so the next boot is a normal one.
    type: str
    choices: [minimal, network, absent]
  bootstatuspolicy:
    description: The C(bootstatuspolicy) element. V(absent) deletes it.
    type: str
    choices: [IgnoreAllFailures, IgnoreShutdownFailures, IgnoreBootFailures, IgnoreCheckpointFailures,
              DisplayShutdownFailures, DisplayBootFailures, DisplayCheckpointFailures, DisplayAllFailures, absent]
  recoveryenabled:
    description: V(true) or V(false) sets C(recoveryenabled) to Yes or No. V(absent) deletes it.
    type: raw
  device:
    description:
      - The C(device) element as V(partition=<letter>:), for example V(partition=D:) in WinRE when the entry no
        longer points at the OS volume (0xc000000e).
      - bcdedit prints the drive letter of the environment it runs in. In WinRE the OS volume is often D:, and after
        the boot into Windows the same volume reads back as C(partition=C:). The module compares letters, not
        volumes, because bcdedit output does not name the volume. Use
        C(partition={{ lifeline_recovery.os_volume }}) from M(lifeline.recovery.win_recovery_facts), so a rerun
        in Windows asks for C(partition=C:) and reports no change. A fixed V(partition=D:) rerun in Windows would
        point the entry at whatever volume has the letter D there.
    type: str
  osdevice:
    description: The C(osdevice) element as V(partition=<letter>:). See O(device) about drive letters.
    type: str
  store:
    description: A BCD store file (C(bcdedit /store)), for example an offline C(S:\EFI\Microsoft\Boot\BCD).
      The default is the system store.
    type: str
  state:
    description:
      - V(present) sets the elements given.
      - V(restored) puts back the values in the rollback record and takes no element options. It fails when there
        is no record (see O(missing_ok)).
      - V(absent) deletes the whole object O(identifier) with C(bcdedit /delete) and takes no element options. It is
        meant for the marker that Lifeline's WinRE failover creates (C({07b12ddd-c467-4140-8aab-3313b0711336}));
        role C(exit_recovery) deletes it so that the failover is armed again. Only a GUID is accepted, never a
        well-known identifier such as V({default}), and an object with a C(path) element (a boot application such as
        a Windows loader) is refused before anything is deleted. An object that does not exist is ok and unchanged.
        No rollback record is written, because putting the marker back would disarm the failover.
    type: str
    choices: [present, restored, absent]
    default: present
  missing_ok:
    description:
      - With O(state=restored), a missing rollback record means that there is nothing to restore. The task is then
        ok and unchanged, with RV(nothing_to_restore=true), instead of failing.
      - Only valid with O(state=restored).
    type: bool
    default: false
  delete_objects:
    description:
      - With O(state=present), whole BCD objects named by their GUID that are deleted with C(bcdedit /delete) in the
        same script as the change, after it (so a failed change leaves them in place). Meant for the WinRE failover's
        marker, which role C(exit_recovery) deletes together with clearing Safe Mode (two commands in all, the read
        and the change).
      - Each is read together with the entry. One that does not exist is nothing to delete; an object with a
        C(path) element (a boot application) is refused before anything is changed. No rollback record is written
        for a deletion (see O(state=absent)); the entry's own changes are recorded as always.
      - Deleting objects only, with the elements already as wanted, changes nothing else and writes no record.
    type: list
    elements: str
    default: []
  os_volume:
    description:
      - The volume that holds Windows and the rollback records (V(C:), or V(D:) in WinRE).
      - Defaults to the C(lifeline_recovery.os_volume) fact. Without either, nothing is recorded on the host.
    type: str
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Reads the entry and reports what would change.
  diff_mode:
    support: full
    details: The managed elements before and after; with O(state=absent) the object's elements before and none after.
  platform:
    platforms: windows
notes:
  - bcdedit output is read in en-US. Localized output fails with a clear error.
  - The record is per entry, not per store.
seealso:
  - module: lifeline.recovery.win_recovery_reboot
  - module: lifeline.recovery.win_recovery_facts
  - module: lifeline.recovery.win_recovery_records
"""

EXAMPLES = r"""
- name: Find where Windows is
  lifeline.recovery.win_recovery_facts:

- name: Point the default entry at the OS volume again (broken BCD)
  lifeline.recovery.win_boot_config:
    device: "partition={{ ansible_facts.lifeline_recovery.os_volume }}"
    osdevice: "partition={{ ansible_facts.lifeline_recovery.os_volume }}"

- name: Leave Safe Mode at the next boot
  lifeline.recovery.win_boot_config:
    safeboot: absent

- name: Put the recorded values back
  lifeline.recovery.win_boot_config:
    state: restored

- name: Leave Safe Mode at the next boot and arm the WinRE failover again, in one script
  lifeline.recovery.win_boot_config:
    safeboot: absent
    delete_objects:
      - "{07b12ddd-c467-4140-8aab-3313b0711336}"

- name: Arm the WinRE failover again (delete the marker it created)
  lifeline.recovery.win_boot_config:
    identifier: "{07b12ddd-c467-4140-8aab-3313b0711336}"
    state: absent
"""

RETURN = r"""
entry:
  description: The entry's identifier as bcdedit printed it with /v (a GUID for V({default})).
  returned: when the entry was read
  type: str
previous:
  description: The value of each changed element before the change. V(absent) means it did not exist.
  returned: when the entry was read
  type: dict
values:
  description: The wanted value of each managed element. V(absent) means deleted.
  returned: when the entry was read
  type: dict
record:
  description: The rollback record on the host, or null.
  returned: when the entry was read
  type: str
nothing_to_restore:
  description:
    - Whether there was nothing to put back. That is the case when there is no record (with O(missing_ok)), when
      the record was already used, or when the entry already has the recorded values.
  returned: when O(state=restored)
  type: bool
deleted:
  description: The O(delete_objects) that existed and were deleted (or would be, in check mode).
  returned: when the entry was read with O(state=present)
  type: list
  elements: str
commands_sent:
  description: How many scripts were sent to the host (0 when the input was refused).
  returned: always
  type: int
"""
