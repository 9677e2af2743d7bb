# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: win_recovery_facts
short_description: Gather where a Windows host is (normal, Safe Mode or WinRE) and the state of its Windows
version_added: 0.1.0
author:
  - Lifeline maintainers (@lifeline)
description:
  - Sets C(ansible_facts.lifeline_recovery) for a Windows host that may be in normal mode, in Safe Mode, or in the
    Windows Recovery Environment (WinRE). It reports the environment, the volume holding Windows, BitLocker state, boot
    settings, the current control set, third-party boot and system start drivers, pending servicing, crash history
    and whether WinRM runs in Safe Mode with Networking.
  - The environment comes from documented indicators in the live registry, by the same rules as the
    C(lifeline.recovery.fleet) inventory. C(HKLM\SYSTEM\CurrentControlSet\Control\MiniNT) exists only in
    Windows PE, which WinRE is. A system drive V(X:) (WinPE's RAM disk) without that key is V(unknown), since
    the two indicators disagree. Otherwise C(...\Control\SafeBoot\Option) value C(OptionValue) is V(1) in Safe
    Mode and V(2) in Safe Mode with Networking; any other value is V(unknown). C(environment_evidence) says which.
  - In WinRE, Windows is the lettered volume other than the system drive (X:) that has
    C(\Windows\System32\config\SYSTEM). A BitLocker-locked volume cannot be read. It is reported as C(os_volume),
    with C(os_volume_locked=true), when the default boot loader's C(osdevice) names it or when it is the only
    locked volume. Otherwise C(os_volume) is null.
  - In WinRE the registry facts come from the offline SYSTEM hive. The module loads it with C(reg load) under a
    unique name (C(HKLM\LIFELINE_<random>)) and unloads it in a C(finally) block of the same script. The task fails
    if the unload fails, and names the key left loaded.
  - Round trips. In normal or Safe Mode the module runs 2 scripts. In WinRE it runs 3, because the offline hive's
    C(Select\Current) is read first. It runs 1 when the Windows volume is locked or missing, or when O(gather)
    asks for nothing from the hive.
  - Runs on the controller as an action plugin over the host's WinRM connection. It uploads nothing and changes
    nothing.
options:
  gather:
    description:
      - Which facts to gather. V(environment) (the environment, C(os_volume) and the other location facts) is
        always gathered.
      - V(drivers), V(remote), V(crashes) and V(servicing) need the SYSTEM hive (and V(servicing) runs
        C(dism /Get-Packages), the slowest part). Leave them out to spend less time on each host.
    type: list
    elements: str
    choices: [environment, bitlocker, boot, drivers, servicing, crashes, remote]
    default: [environment, bitlocker, boot, drivers, servicing, crashes, remote]
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.facts
attributes:
  check_mode:
    support: full
    details: Read-only. Runs the same way in check mode.
  diff_mode:
    support: none
  facts:
    support: full
  platform:
    platforms: windows
notes:
  - A third-party driver is a boot (0) or system (1) start service whose name is not in Lifeline's list of the
    drivers that default Windows installations start at boot or system start. The tools in WinRE cannot check
    whether Microsoft signed a driver. A third-party driver with an inbox name is missed, and an inbox driver
    missing from the list is reported. C(image_path) and C(group) are returned so that you can judge.
  - Crash history comes from the minidumps in C(<os_volume>\Windows\Minidump). The module reads the newest 20
    files, and takes the bugcheck code and parameters from each file's kernel dump header (DUMP_HEADER64, or
    DUMP_HEADER32 on 32-bit Windows, as the Windows SDK's C(mindumpdef.h) defines them). Dumps written to a
    non-default C(MinidumpDir) are not read. C(crash_control) shows the CrashControl settings.
  - C(prepared_for_remote_recovery) is true when C(WinRM) is listed under C(SafeBoot\Network) in the current
    control set. Each service named in WinRM's C(DependOnService) must be listed there too, by its name or by its
    load order group.
  - Reads only en-US tool output (C(reg), C(bcdedit), C(manage-bde); C(dism) runs with C(/English)). Other output
    fails with a clear error rather than a wrong answer. A C(manage-bde), C(bcdedit) or C(dism) failure is
    reported in C(bitlocker_error), C(boot_error) or C(pending_servicing.error) instead.
seealso:
  - module: lifeline.recovery.win_bitlocker_unlock
  - module: lifeline.recovery.win_recovery_reboot
  - name: reg load
    description: How an offline hive is mounted.
    link: https://learn.microsoft.com/windows-server/administration/windows-commands/reg-load
"""

EXAMPLES = r"""
- name: Find out where each host is
  lifeline.recovery.win_recovery_facts:

- name: Only the environment and BitLocker (one round trip, no registry)
  lifeline.recovery.win_recovery_facts:
    gather: [environment, bitlocker]

- name: Hosts in WinRE with a locked Windows volume need a recovery password first
  ansible.builtin.debug:
    msg: "{{ inventory_hostname }}: unlock {{ ansible_facts.lifeline_recovery.os_volume }}"
  when:
    - ansible_facts.lifeline_recovery.environment == 'winre'
    - ansible_facts.lifeline_recovery.os_volume_locked
"""

RETURN = r"""
ansible_facts:
  description: The facts, under C(lifeline_recovery).
  returned: always
  type: complex
  contains:
    lifeline_recovery:
      description:
        - C(environment) is one of V(normal), V(safe_mode), V(safe_mode_network), V(winre) or V(unknown) (see the
          description). C(environment_evidence) is one sentence naming the indicators it comes from (for example
          that the MiniNT key is present and the system drive is X:).
        - C(os_volume) is the volume holding Windows, such as V(C:) or V(D:) (null when not found, or when the
          environment is V(unknown) because the system drive is X without the MiniNT key).
        - C(os_volume_locked) (bool) tells whether BitLocker locks that volume; C(os_volume_reason) says how it was
          found and C(os_volume_candidates) lists the volumes considered.
        - C(system_hive_offline) (bool) is true in WinRE, where the hive is loaded offline.
        - C(system_root) is the Windows folder, such as V(D:\\Windows) (null when the volume is locked).
        - C(system_drive) is the running system's drive, V(X:) in WinRE.
        - C(current_control_set) is the control set that C(Select\Current) names, such as V(ControlSet001). It is
          read with the hive (null when only V(environment), V(bitlocker) and V(boot) are gathered).
        - C(last_boot_time) is Win32_OperatingSystem.LastBootUpTime (ISO 8601, UTC).
        - C(failover_marker) (bool) tells whether the system store holds the BCD object
          C({07b12ddd-c467-4140-8aab-3313b0711336}) that Lifeline's WinRE failover creates before it sets Safe Mode
          with Networking and restarts (role C(winre_failover)), read with C(bcdedit /enum <id> /v). True in Safe
          Mode means that the failover put the host there; true in WinRE means that Safe Mode was tried and failed
          too, so the failover leaves the host in WinRE for a person or the out-of-band path. Role
          C(exit_recovery) deletes the object, which arms the failover again. It is null when bcdedit's answer
          could not be read; C(failover_marker_error) then says why.
        - C(bitlocker) has one entry per volume that C(manage-bde -status) lists (volume, volume_type,
          protection_on, locked, conversion_status, percentage_encrypted, encryption_method, key_protectors,
          size_gb).
        - C(boot) is the default boot loader (default_entry, description, device, osdevice, path, systemroot,
          safeboot, safebootalternateshell, bootstatuspolicy, recoveryenabled, recoverysequence), the boot
          manager's timeout, and the listed entries.
        - C(drivers) lists the third-party boot and system start drivers (name, start, start_type, group,
          image_path). It is null when the hive was not read.
        - C(pending_servicing) has pending_xml, the packages that DISM lists in a pending state, and pending (bool).
        - C(crashes) lists the minidumps, newest first (file, time, size, bugcheck, parameters; the codes as hex text
          such as V(0x00000050)). It is null when they cannot be read. C(crash_control) holds the CrashControl
          values.
        - C(prepared_for_remote_recovery) (bool) is explained in the notes. C(remote_recovery) gives the details.
        - C(gathered) lists what was gathered.
      type: dict
      returned: always
"""
