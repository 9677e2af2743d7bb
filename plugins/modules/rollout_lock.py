# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: rollout_lock
short_description: One Lifeline rollout at a time per inventory on this controller
version_added: 0.1.0
author:
  - Lifeline maintainers (@lifeline)
description:
  - Takes or releases the controller's lock for a rollout of an inventory, so that two
    C(playbooks/remediate.yml) runs of the same inventory on one controller (two engineers, or a
    pipeline and a laptop sharing a jump host) never work at the same time.
  - The lock is a file in O(lock_dir) named after a hash of the inventory sources. It records the
    ansible-playbook process that holds it (process ID and start time), the user, the controller's host
    name, a run ID and the time. A second run fails at once, naming the holder.
  - The lock belongs to the ansible-playbook process. When that process has ended (a run that was
    interrupted or killed), the next run takes the stale lock over and warns. A lock written by
    another controller (a shared lock folder) is respected until it is released.
  - Runs on different controllers are kept apart on each host by M(lifeline.recovery.win_recovery_lease).
  - The run ID it returns names the run in the per-host leases and reports.
options:
  state:
    description:
      - V(acquired) takes the lock (a no-op when this run holds it already).
      - V(released) removes it when this run holds it.
    type: str
    choices: [acquired, released]
    default: acquired
  inventory_sources:
    description: The inventory sources the lock stands for. Default the run's own, C(ansible_inventory_sources).
    type: list
    elements: str
  key:
    description:
      - Sets this lock apart from the inventory's own lock. Each slice of a sliced rollout (several jobs of one
        run at once, each over its own hosts) passes its run ID and slice, so the slices do not wait for each
        other while two runs of the same slice, or two unsliced runs, still do.
      - Empty (the default) for the inventory's one lock.
    type: str
    default: ""
  lock_dir:
    description:
      - The folder of the lock files, created with mode 0700 when missing.
      - Default the environment variable C(LIFELINE_LOCK_DIR), else C(~/.ansible/lifeline/locks).
    type: path
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - lifeline.recovery.controller_action
attributes:
  check_mode:
    support: full
    details: The lock is taken in check mode too, so that a check run does not read hosts another run is changing.
  platform:
    platforms: posix
    details: Runs on the controller only; the holder's liveness is read from /proc (Linux controllers).
"""

EXAMPLES = r"""
- name: Take the rollout lock for this inventory
  lifeline.recovery.rollout_lock:
  run_once: true
  register: lifeline_lock

- name: Release it at the end of the rollout
  lifeline.recovery.rollout_lock:
    state: released
  run_once: true
"""

RETURN = r"""
run_id:
  description: A new ID for this run (12 hex digits), returned by V(acquired).
  returned: state is acquired and the lock was taken
  type: str
lock_path:
  description: The lock file.
  returned: always
  type: str
took_over:
  description: The stale lock that was replaced (run ID, user, host, process, time), or null.
  returned: state is acquired
  type: dict
"""
