# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: win_recovery_reboot
short_description: Restart a Windows host into normal mode or Safe Mode and prove that it booted
version_added: 0.1.0
author:
  - Lifeline maintainers (@lifeline)
description:
  - Restarts a Windows host that is in normal mode, in Safe Mode or in the Windows Recovery Environment (WinRE).
    It waits for the host to come back over WinRM and proves the boot. The proof is a new last boot time, the
    environment that the boot settings promise, and no crash dump written since the restart.
  - For O(target=safe_mode) or O(target=safe_mode_network) it sets C(bcdedit /set {default} safeboot minimal)
    or C(network) first. For O(target=normal) it deletes that value. The previous value is returned in
    C(boot_config_change). The change is made by M(lifeline.recovery.win_boot_config), so when the Windows volume is
    readable it is recorded in that module's rollback record C(<os_volume>\ProgramData\Lifeline\records\
    boot_config-default.json), which C(state=restored) of that module puts back.
  - Restarts with C(wpeutil reboot) in WinRE and with C(shutdown /r /t <pre_reboot_delay> /f) elsewhere.
  - Where the host is, its boot time and its minidumps come from the same survey as
    M(lifeline.recovery.win_recovery_facts).
  - Runs on the controller as an action plugin over the host's WinRM connection and uploads nothing.
options:
  target:
    description:
      - Where the host should boot. V(current) keeps the boot settings as they are and expects the environment
        that they promise.
    type: str
    choices: [normal, safe_mode, safe_mode_network, current]
    default: normal
  reboot_timeout:
    description: Seconds to wait, after the restart command, for a new boot to answer over WinRM.
    type: int
    default: 600
  connect_timeout:
    description: Seconds allowed for each connection attempt while waiting (the connection's C(connection_timeout)).
    type: int
    default: 5
  pre_reboot_delay:
    description: Seconds that C(shutdown /t) waits before the restart, so that the command can answer first.
    type: int
    default: 2
  post_reboot_delay:
    description:
      - Seconds to wait after the first answer of a new boot before surveying the host again. The boot counts only
        when the boot time is still the same. A boot that crashes within this time is not counted as a successful
        boot.
    type: int
    default: 0
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Reads where the host is and reports what it would change and expect. Nothing is restarted.
  diff_mode:
    support: none
  platform:
    platforms: windows
notes:
  - A host that comes back only in WinRE without remote access, or in Safe Mode without WinRM listed under
    C(SafeBoot\Network), cannot be reached. The module then fails with "did not come back within N s".
  - New crashes are minidumps in C(<os_volume>\Windows\Minidump) that were not there before the restart. They cannot
    be read when the host comes back in WinRE with a BitLocker-locked volume, and C(new_crashes) is then null.
seealso:
  - module: lifeline.recovery.win_recovery_facts
  - module: ansible.windows.win_reboot
"""

EXAMPLES = r"""
- name: Restart the repaired hosts into normal mode and prove that they boot
  lifeline.recovery.win_recovery_reboot:
    target: normal
    reboot_timeout: 900
    post_reboot_delay: 30
  register: boot

- name: Count the hosts that came back crashing
  ansible.builtin.debug:
    msg: "{{ inventory_hostname }} came back in {{ boot.environment }}: {{ boot.new_crashes | length }} new crash(es)"
  when: boot is failed and boot.new_crashes
"""

RETURN = r"""
rebooted:
  description: Whether the restart command was sent.
  returned: always
  type: bool
elapsed:
  description: Seconds from the restart command to the proven boot (or to the timeout).
  returned: always
  type: float
environment:
  description:
    - Where the host came back (normal, safe_mode, safe_mode_network, winre, or unknown as the environment rules of
      M(lifeline.recovery.win_recovery_facts) say).
    - It is null when the host did not come back.
  returned: always
  type: str
expected_environment:
  description: Where the boot settings say the host should come back.
  returned: always
  type: str
previous_environment:
  description: Where the host was before the restart.
  returned: always
  type: str
last_boot_time:
  description:
    - The new boot's Win32_OperatingSystem.LastBootUpTime (ISO 8601, UTC).
    - It is null when the host did not come back.
  returned: always
  type: str
previous_boot_time:
  description: The boot time before the restart.
  returned: always
  type: str
new_crashes:
  description:
    - Minidumps written since the restart, newest first (file, time, size, bugcheck, parameters).
    - It is null when they could not be read.
  returned: always
  type: list
  elements: dict
os_volume:
  description:
    - The volume that holds Windows in the boot the host came back in (V(C:) in Windows, the offline volume in
      WinRE), read by the survey that proved the new boot, as the C(lifeline_recovery.os_volume) fact of
      M(lifeline.recovery.win_recovery_facts) would say.
    - A later task that needs the volume (the lease's release) can take it from here instead of gathering the facts
      again.
    - It is null when the host did not come back, in check mode, and when the volume cannot be told or is locked.
  returned: always
  type: str
boot_config_change:
  description: The safeboot change made before the restart (entry, element, previous, value, record), or null.
  returned: always
  type: dict
"""
