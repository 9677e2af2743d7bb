# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: win_servicing
short_description: List, remove or revert Windows servicing packages with DISM, offline from WinRE or online
version_added: 0.1.0
author:
  - Lifeline maintainers (@lifeline)
description:
  - Lists the servicing packages of a Windows image with C(dism /Get-Packages). It can remove one package with
    C(dism /Remove-Package /PackageName:<identity> /NoRestart), either a named package or the newest quality
    update. It can also revert the actions that an update left pending for the next boot with
    C(dism /Cleanup-Image /RevertPendingActions).
  - The image is the offline Windows C(/Image:<os_volume>\) when O(offline=true), which is the default in WinRE.
    Otherwise it is the running Windows (C(/Online)) in normal mode or Safe Mode.
  - The newest quality update is the installed package with the latest Install Time among the monthly
    cumulative updates (C(Package_for_RollupFix~...)) and the C(Package_for_KB<number>~...) packages whose
    Release Type is C(Security Update) or C(Update). Servicing stack updates, Foundation packages, language and
    feature packs are never chosen.
  - Every change is written to a rollback record on the host (Lifeline's one record format, kind C(servicing)), for
    example C(<os_volume>\ProgramData\Lifeline\records\servicing-<package identity>.json) or
    C(servicing-revert-<UTC time>.json). The record lists the package identity, state, release type and install
    time. Later runs read these records. A rerun with O(newest_quality_update=true) therefore does not remove the
    next older update. M(lifeline.recovery.win_recovery_records) lists them as changes that cannot be undone.
  - Runs on the controller as an action plugin over the host's WinRM connection and uploads nothing.
options:
  state:
    description:
      - V(listed) only reads the packages.
      - V(removed) removes O(package_name) or, with O(newest_quality_update=true), the newest quality update.
      - V(pending_reverted) reverts pending servicing actions. It needs an offline image, because DISM does not
        support C(/RevertPendingActions) on a running Windows (nor on a Windows PE or Windows RE image). With
        O(offline=false), for example in Safe Mode with Networking after Lifeline's WinRE failover, the task fails
        with that reason before any command is sent.
    type: str
    choices: [listed, removed, pending_reverted]
    default: listed
  package_name:
    description:
      - The package identity to remove, as C(dism /Get-Packages) shows it, for example
        C(Package_for_KB5040437~31bf3856ad364e35~amd64~~20348.2582.1.8).
      - Only letters, digits and C(_ . ~ -) are accepted. Any other name is refused before a command is sent.
    type: str
  newest_quality_update:
    description: With O(state=removed), remove the newest quality update (see the description).
    type: bool
    default: false
  offline:
    description:
      - Service the offline image C(<os_volume>\) (true) or the running Windows (false).
      - Defaults to the C(system_hive_offline) fact of M(lifeline.recovery.win_recovery_facts), which is true in
        WinRE.
    type: bool
  os_volume:
    description:
      - The volume that holds Windows, such as C(D:) in WinRE. It is used for the image, pending.xml and the
        records.
      - Defaults to the C(os_volume) fact of M(lifeline.recovery.win_recovery_facts).
    type: str
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Lists the packages and reports what would be removed or reverted. Nothing is changed.
  diff_mode:
    support: full
    details: The package identities before and after a removal, or the pending state before and after a revert.
  platform:
    platforms: windows
notes:
  - B(A removal cannot be undone by this module.) Putting a package back needs its source (the .msu or .cab file)
    and C(dism /Add-Package). The record only shows what was removed. There is no restore state.
  - Online, in normal Windows or in Safe Mode with Networking (where Lifeline's WinRE failover brings a failed
    host), removal uses C(dism /Online). It finishes at the next restart (exit code 3010,
    C(reboot_required=true)) and the package shows C(Uninstall Pending) until then. A rerun reports
    C(changed=false) and C(reboot_required=true). With O(newest_quality_update=true), a newest quality update
    that is already C(Uninstall Pending) counts as removed, so the next older update is not removed before the
    restart.
  - Offline, the package is removed at once. Boot the host afterwards, for example with
    M(lifeline.recovery.win_recovery_reboot).
  - Reverting with nothing pending (no C(\Windows\WinSxS\pending.xml) and no Install Pending or Uninstall Pending
    package) reports C(changed=false) and runs nothing.
  - When DISM answers the revert with 0x800F082F, the task reports C(changed=false) and writes no record. Lifeline's
    reference reads this code as "nothing to revert", but Microsoft documents no meaning for it. If
    C(\Windows\WinSxS\pending.xml) still exists, the task warns, because the pending operations may still run at
    the next boot.
  - DISM output is read in English (C(/English)). Output in another form fails the task. It is never guessed.
seealso:
  - module: lifeline.recovery.win_recovery_facts
  - module: lifeline.recovery.win_recovery_reboot
  - name: DISM operating system package servicing command-line options
    description: Microsoft Learn reference for /Get-Packages, /Remove-Package and /Cleanup-Image.
    link: https://learn.microsoft.com/windows-hardware/manufacture/desktop/dism-operating-system-package-servicing-command-line-options
"""

EXAMPLES = r"""
- name: Find out where Windows is
  lifeline.recovery.win_recovery_facts:

- name: Remove the newest quality update from the offline Windows (in WinRE)
  lifeline.recovery.win_servicing:
    state: removed
    newest_quality_update: true
  register: servicing

- name: Revert the servicing actions that are stuck at boot
  lifeline.recovery.win_servicing:
    state: pending_reverted

- name: Remove one named update from the running Windows
  lifeline.recovery.win_servicing:
    state: removed
    package_name: Package_for_KB5040437~31bf3856ad364e35~amd64~~20348.2582.1.8
    offline: false
"""

RETURN = r"""
image:
  description: The image that was serviced, C(D:\) for an offline image or C(online).
  returned: always
  type: str
packages:
  description: The packages before any change (identity, state, release_type, install_time in the image's local time).
  returned: always
  type: list
  elements: dict
pending_xml:
  description: Whether C(\Windows\WinSxS\pending.xml) existed before any change.
  returned: always
  type: bool
removed:
  description: The package that was removed, or would be in check mode (identity, state, release_type, install_time).
  returned: always
  type: list
  elements: dict
reverted:
  description: The pending packages that the revert undid, or would undo in check mode.
  returned: always
  type: list
  elements: dict
records:
  description: The record files written on the host.
  returned: always
  type: list
  elements: str
reboot_required:
  description: Whether DISM said that a restart is needed to finish (exit code 3010).
  returned: always
  type: bool
commands_sent:
  description: How many remote scripts were run. It is 0 when the input was refused.
  returned: always
  type: int
"""
