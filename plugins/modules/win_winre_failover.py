# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: win_winre_failover
short_description: Arm Lifeline's failover in the Windows Recovery Environment image, or put the original back
version_added: 0.2.0
author:
  - Lifeline maintainers (@lifeline)
description:
  - Stock Windows RE has no PowerShell and no WinRM, and after two failed boots it waits for a person. This module
    installs Lifeline's failover into C(winre.wim) so that Windows RE, each time it starts, first runs a cmd script
    that sets C(safeboot network) on the Windows loader and restarts. The host then starts in Safe Mode with
    Networking, where WinRM answers when M(lifeline.recovery.win_safe_mode_network_service) listed it.
  - O(state=present) follows Microsoft's "Customize Windows RE" steps. C(reagentc /disable) moves C(winre.wim) to
    C(<os_volume>\Windows\System32\Recovery). The original is copied to
    C(<os_volume>\ProgramData\Lifeline\winre\original\Winre.wim), and its SHA-256 is written to the rollback record
    C(<os_volume>\ProgramData\Lifeline\records\winre_failover.json) before the image changes. C(dism /Mount-Image)
    mounts the image in C(<os_volume>\ProgramData\Lifeline\winre\mount). The module writes
    C(Windows\System32\Lifeline\failover.cmd) (ASCII, CRLF) and puts
    C(%SYSTEMDRIVE%\Windows\System32\cmd.exe, /c %SYSTEMDRIVE%\Windows\System32\Lifeline\failover.cmd) first under
    C([LaunchApps]) in C(Windows\System32\winpeshl.ini), keeping the image's own entries after it. C(dism
    /Unmount-Image /Commit) saves the image. The module mounts it again read-only, reads both files back, records
    the armed image's SHA-256 and runs C(reagentc /enable).
  - When a step fails, the module undoes the arming. It discards the mount, copies the original back and runs
    C(reagentc /enable). The task fails and says whether the host is as it was.
  - O(state=absent) puts the original C(winre.wim) back and checks that it is byte-exact (SHA-256). It does so only
    when the current image is the armed one recorded. A monthly Windows RE update replaces C(winre.wim). When the
    updated image no longer starts the failover, the module drops the record. When the updated image still starts
    it, the task fails. Lifeline does not put back an image older than a Windows update.
  - O(state=query) changes nothing lasting and says whether the failover is armed, and if not, why. Reasons are
    Windows RE is disabled, no record, a Windows RE update replaced the armed image, or the script differs from
    O(script).
  - To read C(winre.wim), every state disables Windows RE for a moment (C(reagentc /disable) moves the image to
    C(<os_volume>\Windows\System32\Recovery), where it is hashed) and enables it again. While Windows RE is
    enabled the image is on the recovery partition, which has no drive letter.
  - It runs only on a normal boot of the installed Windows. It refuses WinRE, WinPE, Safe Mode and an environment
    M(lifeline.recovery.win_recovery_facts) could not tell, before it changes anything.
  - Runs on the controller as an action plugin over the host's WinRM connection and uploads nothing but the script
    text (on standard input).
options:
  state:
    description:
      - V(present) arms the failover with O(script). When it is armed with another script, the module re-arms it from
        the original image.
      - V(absent) puts the original image back.
      - V(query) only reports.
    type: str
    choices: [present, absent, query]
    default: present
  script:
    description:
      - The failover script on the controller. It must be ASCII text. Line ends become CRLF.
      - A relative path is looked up like M(ansible.builtin.copy) looks up O(ansible.builtin.copy#module:src).
      - Defaults to C(roles/winre_failover/files/lifeline-failover.cmd) of this collection.
    type: path
  os_volume:
    description:
      - The volume that holds Windows, the work folder and the record, normally V(C:).
      - Defaults to the C(lifeline_recovery.os_volume) fact from M(lifeline.recovery.win_recovery_facts).
    type: str
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Reads reagentc /info and the record, and reports what would change. It does not disable Windows RE, so
      it does not read winre.wim while Windows RE is enabled, and trusts the record for whether it is armed.
  diff_mode:
    support: full
    details: Whether the failover is armed, and with which script (SHA-256), before and after.
  platform:
    platforms: windows
notes:
  - A second run with the same script reports C(changed=false).
  - Microsoft documents no way to read C(winre.wim) on the recovery partition from Windows PowerShell 5.1
    (C(reagentc /info) names it as a C(\\?\GLOBALROOT\device\...) path), hence the disable and enable.
    Whether C(reagentc /enable) keeps the WinRE entry's BCD identifier is not documented either.
  - Windows RE servicing needs free space on the recovery partition (about 250 MB). This module does not read the
    partition's free space.
seealso:
  - module: lifeline.recovery.win_safe_mode_network_service
  - module: lifeline.recovery.win_recovery_facts
  - name: Customize Windows RE
    description: reagentc /disable, dism /Mount-Image, dism /Unmount-Image /Commit, reagentc /enable.
    link: https://learn.microsoft.com/en-us/windows-hardware/manufacture/desktop/customize-windows-re
  - name: REAgentC command-line options
    description: reagentc /info, /disable and /enable.
    link: https://learn.microsoft.com/en-us/windows-hardware/manufacture/desktop/reagentc-command-line-options
  - name: Winpeshl.ini Files
    description: The programs Windows PE starts, from [LaunchApps], in order.
    link: https://learn.microsoft.com/en-us/windows-hardware/manufacture/desktop/winpeshlini-reference-launching-an-app-when-winpe-starts
"""

EXAMPLES = r"""
- name: Find where Windows is
  lifeline.recovery.win_recovery_facts:

- name: Arm Lifeline's failover in Windows RE
  lifeline.recovery.win_winre_failover:
    state: present

- name: Is it still armed?
  lifeline.recovery.win_winre_failover:
    state: query
  register: failover

- name: Put the original Windows RE image back
  lifeline.recovery.win_winre_failover:
    state: absent
"""

RETURN = r"""
armed:
  description: Whether the failover is armed after the task. Null when C(winre.wim) could not be read.
  returned: always
  type: bool
  sample: true
reason:
  description: Why it is armed or not, in words.
  returned: always
  type: str
  sample: the failover was replaced by a Windows RE update (winre.wim's SHA-256 differs from the armed image recorded)
winre_enabled:
  description: Whether C(reagentc /info) says Windows RE is enabled (before the task; it is enabled again after).
  returned: always
  type: bool
winre_location:
  description: Where Windows RE keeps C(winre.wim), as C(reagentc /info) prints it. Null when disabled.
  returned: always
  type: str
  sample: \\?\GLOBALROOT\device\harddisk0\partition4\Recovery\WindowsRE
image_sha256:
  description: SHA-256 of C(winre.wim).
  returned: always
  type: str
script_sha256:
  description: SHA-256 of the failover script as it goes into the image (ASCII, CRLF).
  returned: always
  type: str
script_matches:
  description: Whether the armed script is O(script). Null when nothing is armed.
  returned: always
  type: bool
armed_sha256:
  description: SHA-256 of the armed image, from the record.
  returned: always
  type: str
original_sha256:
  description: SHA-256 of the original image, from the record.
  returned: always
  type: str
record:
  description: The rollback record's path on the host, or null when there is none.
  returned: always
  type: str
  sample: C:\ProgramData\Lifeline\records\winre_failover.json
"""
