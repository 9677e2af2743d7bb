# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: win_boot_driver
short_description: Disable or restore a Windows service or driver in the live or offline SYSTEM hive
version_added: 0.1.0
author:
  - Lifeline maintainers (@lifeline)
description:
  - Sets the C(Start) value of C(HKLM\SYSTEM\<control set>\Services\<name>) to 4 (disabled), so that a crashing
    boot-start driver is not loaded at the next boot. O(state=restored) puts back the value that it replaced.
  - In Windows and Safe Mode it changes the live key under C(CurrentControlSet). In the Windows Recovery
    Environment (WinRE), O(offline=true), it loads C(<os_volume>\Windows\System32\config\SYSTEM) under a unique
    C(HKLM\LIFELINE_<random>) key with C(reg load). It reads C(Select\Current) to find the current control set, and
    always unloads the hive again in a C(finally) block, also when a command fails.
  - Before it changes anything, it writes the previous C(Start), C(Group) and C(ImagePath) to the rollback record
    C(<os_volume>\ProgramData\Lifeline\records\boot_driver-<name>.json) (Lifeline's one record format, kind
    C(boot_driver)). O(state=restored) reads this record, and M(lifeline.recovery.win_recovery_records) lists it.
  - It refuses to disable drivers that the boot path or remote recovery needs. The deny list (storport, stornvme,
    storahci, disk, partmgr, volmgr, volmgrx, volsnap, mountmgr, fvevol, Ntfs, ReFS, FltMgr, CLFS, pci, acpi,
    ndis, tcpip, WinRM and more) is checked before any command is sent. The load-order group is checked before
    anything is changed. Refused groups are Boot Bus Extender, System Bus Extender, SCSI miniport, SCSI Port,
    Port, Primary Disk, SCSI Class, Filter, PNP Filter, Boot File System, File System, FSFilter Infrastructure,
    FSFilter Encryption and FSFilter Compression.
  - Runs on the controller as an action plugin over the host's WinRM connection and uploads nothing.
options:
  name:
    description:
      - The service or driver key name under C(Services), for example V(ctxflt) or V(CSAgent).
      - It must be a valid key name of at most 255 characters. Names with a backslash, C(/), C(:), C(*), C(?),
        C("), C(<), C(>), C(|), C([ ]), a control character, or a leading or trailing space or trailing dot are
        refused, because the rollback record file is named after the service. Refused names fail before anything
        is sent.
    type: str
    required: true
  state:
    description:
      - V(disabled) sets C(Start) to 4 and records the previous value.
      - V(restored) sets C(Start) back to the value in the rollback record. It fails when there is no record
        (see O(missing_ok)). Then it marks the record as used with a C(restored_at) time. A used record is not
        applied again. If C(Start) changed after the restore, a rerun leaves it as it is and warns. The next
        V(disabled) writes a new record.
    type: str
    choices: [disabled, restored]
    default: disabled
  missing_ok:
    description:
      - With O(state=restored), a missing rollback record or a service that is not installed means that there is
        nothing to restore. The task is then ok and unchanged, with RV(nothing_to_restore=true), instead of failing.
      - Only valid with O(state=restored).
    type: bool
    default: false
  offline:
    description:
      - Whether to change the offline SYSTEM hive of the Windows on O(os_volume). Use this in WinRE.
      - Defaults to the C(lifeline_recovery.system_hive_offline) fact from M(lifeline.recovery.win_recovery_facts).
      - V(false) is refused when the facts say the host is in WinRE. There the live registry belongs to the recovery
        environment on the C(X:) RAM disk, which is gone after the restart.
    type: bool
  os_volume:
    description:
      - The volume that holds Windows, for example V(D:) in WinRE or V(C:) otherwise. It holds the offline hive
        and the rollback record.
      - Defaults to the C(lifeline_recovery.os_volume) fact from M(lifeline.recovery.win_recovery_facts).
    type: str
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Reads the service key (offline, the hive is loaded and unloaded) and reports what would change.
  diff_mode:
    support: full
    details: The C(Start) value before and after.
  platform:
    platforms: windows
notes:
  - The offline hive is loaded only while one script runs. A failed C(reg unload) fails the task and names the key
    that is still loaded.
  - A second run with the same options reports C(changed=false) and keeps the first record, so the record always
    holds the value from before Lifeline changed it.
seealso:
  - module: lifeline.recovery.win_recovery_facts
  - module: lifeline.recovery.win_recovery_reboot
  - module: lifeline.recovery.win_recovery_records
"""

EXAMPLES = r"""
- name: Find where Windows is
  lifeline.recovery.win_recovery_facts:

- name: Disable the crashing filter driver in the offline hive
  lifeline.recovery.win_boot_driver:
    name: ctxflt
    state: disabled
  register: driver

- name: Restart into normal mode
  lifeline.recovery.win_recovery_reboot:
    target: normal

- name: Later, after the vendor fix, put the driver back
  lifeline.recovery.win_boot_driver:
    name: ctxflt
    state: restored

- name: Put it back where Lifeline disabled it, and accept hosts where it did not
  lifeline.recovery.win_boot_driver:
    name: ctxflt
    state: restored
    missing_ok: true
"""

RETURN = r"""
name:
  description: The service name.
  returned: always
  type: str
control_set:
  description: The control set that was read or changed (C(CurrentControlSet), or C(ControlSetNNN) offline).
  returned: when the service was read
  type: str
start:
  description: The C(Start) value after the task (what it is, or what it would be in check mode).
  returned: when the service was read
  type: int
previous_start:
  description: The C(Start) value before the task.
  returned: when the service was read
  type: int
group:
  description: The service's load-order group (C(Group)), or null.
  returned: when the service was read
  type: str
image_path:
  description: The service's C(ImagePath), or null.
  returned: when the service was read
  type: str
record:
  description: The rollback record on the host, or null when none was written or read.
  returned: when the service was read
  type: str
nothing_to_restore:
  description:
    - Whether there was nothing to put back. That is the case when there is no record (with O(missing_ok)), no such
      service (with O(missing_ok)), when the record was already used, or when C(Start) already has the recorded value.
  returned: when O(state=restored)
  type: bool
commands_sent:
  description: How many scripts were sent to the host (0 when the input was refused).
  returned: always
  type: int
"""
