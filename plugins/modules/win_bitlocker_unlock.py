# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: win_bitlocker_unlock
short_description: Unlock a BitLocker volume with its recovery password
version_added: 0.1.0
author:
  - Lifeline maintainers (@lifeline)
description:
  - Unlocks a BitLocker-protected volume of a Windows host with its 48-digit recovery password, typically the
    offline Windows volume of a host that sits in the Windows Recovery Environment (WinRE), so that it can be
    repaired.
  - The password is checked first (8 blocks of 6 digits, each divisible by 11 and below 720896); a malformed one
    fails before anything is sent to the host.
  - The module sends one script. On the host it reads C(manage-bde -status) of the volume and, only when that shows
    the volume locked, runs C(manage-bde -unlock) with the password and reads C(manage-bde -status) again; the
    controller reads the outputs. A volume that is already unlocked (for example by another run), or not encrypted,
    is left alone (C(changed=false)); the password reached the host with the script but is not used.
  - The module never runs C(manage-bde -protectors -get), which prints the recovery password of an unlocked volume,
    and so never reads the volume's key protectors (see O(key_protector_id)).
  - The password is sent on the standard input of that script (not in check mode), never in a script or on a
    command line that WinRM or Ansible logs; it is redacted from the result, and no error message contains it.
    C(manage-bde) itself receives it as an argument on the host, as it offers no other way, so the host's own
    process auditing can see it while C(manage-bde) runs.
  - Runs on the controller as an action plugin over the host's WinRM connection; uploads nothing.
options:
  volume:
    description:
      - The volume to unlock, a drive letter and a colon such as V(D:).
      - Defaults to the fact C(lifeline_recovery.os_volume) set by M(lifeline.recovery.win_recovery_facts),
        the volume that holds the Windows installation (in WinRE usually not V(C:)). The module fails when neither
        is set; it does not guess.
    type: str
  recovery_password:
    description:
      - The recovery password, 8 blocks of 6 digits separated by C(-), given at the moment of use, for example
        from the P(lifeline.recovery.bitlocker_recovery_password#lookup) lookup.
      - A secret. Set C(no_log) on the task anyway, since Ansible may show a task's arguments elsewhere.
    type: str
    required: true
  key_protector_id:
    description:
      - The ID of the numerical password protector the password belongs to, a GUID with or without braces, as
        the escrow export or the recovery screen shows it.
      - Reported only. It is returned as RV(key_protector_id) and named in the error when C(manage-bde) refuses the
        password, so that the failing escrow entry is known. It is not checked against the volume, since the module
        does not read the volume's key protectors; a wrong or rotated escrow entry shows as that refusal.
      - To choose the escrow entry, pass the same ID as C(key_id) to the
        P(lifeline.recovery.bitlocker_recovery_password#lookup) lookup.
    type: str
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Reads the status only (one command); reports whether the volume would be unlocked; sends no password.
  diff_mode:
    support: full
  platform:
    platforms: windows
notes:
  - A wrong password (valid in format) fails with C(manage-bde)'s refusal (code C(0x80310027)) and leaves the
    volume locked; BitLocker does not lock out after wrong recovery passwords, but each attempt is a round trip.
  - A volume that another run unlocks between the status and the unlock inside the script is reported as changed;
    Windows documents unlocking an already unlocked volume as a success (Win32_EncryptableVolume
    UnlockWithNumericalPassword).
  - Reads only en-US C(manage-bde) output; other output fails with a clear error rather than a wrong answer, and the
    script does not pass the password to C(manage-bde -unlock) unless the status shows the volume locked.
seealso:
  - name: manage-bde unlock
    description: The Windows command this module runs.
    link: https://learn.microsoft.com/windows-server/administration/windows-commands/manage-bde-unlock
  - name: manage-bde status
    description: The lock status the module reads before and after the unlock.
    link: https://learn.microsoft.com/windows-server/administration/windows-commands/manage-bde-status
  - module: lifeline.recovery.win_recovery_facts
"""

EXAMPLES = r"""
- name: Unlock the offline Windows volume with the escrowed recovery password
  lifeline.recovery.win_bitlocker_unlock:
    recovery_password: "{{ lookup('lifeline.recovery.bitlocker_recovery_password', inventory_hostname) }}"
  no_log: true  # always: the password is a module argument

- name: Unlock volume D with the password of the named key protector (reported, and named if it is refused)
  lifeline.recovery.win_bitlocker_unlock:
    volume: "D:"
    recovery_password: >-
      {{ lookup('lifeline.recovery.bitlocker_recovery_password', inventory_hostname,
                escrow_file='secrets/bitlocker-escrow.csv.vault', key_id=escrowed_key_id) }}
    key_protector_id: "{{ escrowed_key_id }}"
  no_log: true
"""

RETURN = r"""
volume:
  description: The volume the module worked on, upper case.
  returned: when the volume was known
  type: str
  sample: "D:"
lock_status_before:
  description: The volume's Lock Status before the task, as manage-bde shows it.
  returned: when the status was read
  type: str
  sample: Locked
lock_status_after:
  description:
    - The volume's Lock Status after the task, read back from manage-bde (V(Locked) in check mode and when the
      password was refused).
  returned: when the status was read
  type: str
  sample: Unlocked
key_protector_id:
  description:
    - O(key_protector_id) as given, upper case in braces; not read from the host.
  returned: when O(key_protector_id) was given and the status was read
  type: str
  sample: "{9EDD17E1-9B68-40A6-A16A-BF9405B4C7E9}"
code:
  description: manage-bde's error code when it refused the password.
  returned: when the unlock was refused
  type: str
  sample: "0x80310027"
rc:
  description: The exit code of the remote command that failed.
  returned: on failure of a remote command
  type: int
commands_sent:
  description: How many remote commands the task sent (0 when the input was refused).
  returned: always
  type: int
  sample: 1
"""
