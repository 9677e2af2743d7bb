# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: win_recovery_lease
short_description: Make sure only one rollout at a time works on a Windows host
version_added: 0.1.0
author:
  - Lifeline maintainers (@lifeline)
description:
  - Records a lease on the host itself, so that two rollouts started from different controllers (two engineers,
    or AWX and a laptop) do not work on the same host at the same time.
  - The lease is the file C(<os_volume>\ProgramData\Lifeline\lease.json) on the Windows volume, next to the
    rollback records. It is still there after a restart, also when the volume changes letter (C(D:) in WinRE,
    C(C:) in Windows). It holds C(version) (1), C(owner), C(run_id), C(acquired) and C(expires), with the times in
    UTC ISO 8601.
  - The times come from the controller's clock. All controllers that work on the same fleet must agree on the time
    within a few minutes, or a lease seems to expire too early or too late.
  - O(state=acquired) creates the lease when there is none. C(New-Item) without C(-Force) fails when the file
    exists, so two controllers that try at the same moment cannot both get it. When there is a lease, the module
    reads it on the controller. A lease of the same O(run_id) is renewed when less than half of O(duration) is
    left, and is otherwise left as it is. An expired lease of another run is taken over with a warning that names
    the previous holder. A lease of another run that has not expired makes the task fail, and C(lease_holder)
    says who holds it and until when.
  - A lease file that cannot be read (not JSON, another version) is not overwritten and the task fails, unless
    O(force=true).
  - O(state=released) removes the lease only when its C(run_id) is O(run_id). No lease is not an error. A lease of
    another run, expired or not, is left alone with a warning.
  - Every write and every removal is one script that first checks that the file still has the SHA-256 the module
    read before (compare and swap). If another controller changed it in between, the module decides again on what
    is there now.
  - Runs on the controller as an action plugin over the host's WinRM connection and uploads nothing. Acquiring a
    free host sends one command. Renewing and taking over send two. Releasing sends two, or one when O(lease) is
    the lease the acquiring task returned and the file still holds exactly it.
options:
  state:
    description:
      - V(acquired) takes or renews the lease for O(run_id).
      - V(released) gives it back.
    type: str
    choices: [acquired, released]
    default: acquired
  run_id:
    description:
      - The rollout this lease belongs to, a short id that the playbook makes once per run (for example from the
        start time and a random number, or the AWX job id).
      - Up to 64 characters, without control characters or surrounding spaces.
    type: str
    required: true
  owner:
    description:
      - Who holds the lease, for the people who read the message of a refused task.
      - Up to 128 characters. The default is C(<controller user>@<controller host name>).
    type: str
  duration:
    description:
      - How long the lease holds without a renewal, in minutes, from 1 to 1440.
      - Make it longer than the rollout needs on one host, including the restart and its proof.
    type: int
    default: 120
  force:
    description:
      - Replace a lease file that cannot be read.
      - It never replaces a readable lease of another run that has not expired.
    type: bool
    default: false
  os_volume:
    description:
      - The volume that holds Windows (V(C:), or V(D:) in WinRE).
      - Defaults to the C(lifeline_recovery.os_volume) fact from M(lifeline.recovery.win_recovery_facts). When the
        facts say that the volume is locked by BitLocker, the task fails before it sends anything.
    type: str
    aliases: [volume]
  lease:
    description:
      - With O(state=released) only, the lease that the acquiring task of this run returned (its RV(lease) result).
      - The module then removes the file in one compare and swap, without reading it first, when the file still
        holds exactly this lease (the same SHA-256). When it holds something else (renewed since, or changed by
        someone else), the module decides on what the file holds now, as without this option.
      - Its C(run_id) must be O(run_id).
    type: dict
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Reads the lease and reports what would happen. A lease held by another run fails the task in check
      mode too.
  diff_mode:
    support: full
    details: The lease file before and after, as JSON.
  platform:
    platforms: windows
notes:
  - The release is not automatic. Release the lease when the host has proved its boot. A rollout that stops
    before that leaves the lease until it expires, and then another run can take it over.
  - To clear a lease of a run that is known to be dead before it expires, delete the file on the host.
seealso:
  - module: lifeline.recovery.win_recovery_facts
  - module: lifeline.recovery.win_recovery_reboot
"""

EXAMPLES = r"""
- name: Find where Windows is
  lifeline.recovery.win_recovery_facts:

- name: Take the host for this rollout
  lifeline.recovery.win_recovery_lease:
    run_id: "{{ lifeline_run_id }}"
    duration: 180
  register: taken

# ... the remediation, the restart into Windows and its proof ...

- name: Find where Windows is now (C, where WinRE called it D)
  lifeline.recovery.win_recovery_facts:
    gather: [environment]

- name: Give the host back (one command when the file still holds the lease taken above)
  lifeline.recovery.win_recovery_lease:
    run_id: "{{ lifeline_run_id }}"
    state: released
    lease: "{{ taken.lease }}"
"""

RETURN = r"""
outcome:
  description:
    - What the task did, or in check mode would do.
    - V(created), V(renewed), V(kept), V(taken_over) or V(forced) for O(state=acquired).
    - V(removed), V(absent), V(not_ours) or V(unreadable) for O(state=released).
    - V(held_by_another_run) or V(unreadable) when the task fails to acquire.
  returned: when the lease was read
  type: str
lease:
  description:
    - The lease on the host after the task, with C(version), C(owner), C(run_id), C(acquired) and C(expires).
    - Null when there is none or it cannot be read.
  returned: success
  type: dict
lease_holder:
  description: The C(owner), C(run_id) and C(expires) of the lease of another run.
  returned: when another run holds the lease (the acquire fails, the release leaves it)
  type: dict
previous_holder:
  description: The C(owner), C(run_id) and C(expires) of the expired lease that was taken over.
  returned: when C(outcome) is V(taken_over)
  type: dict
path:
  description: The lease file on the host.
  returned: when the arguments are valid
  type: str
commands_sent:
  description: How many scripts were sent to the host (0 when the input was refused).
  returned: always
  type: int
"""
