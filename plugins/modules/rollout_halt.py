# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: rollout_halt
short_description: The shared halt record of a Lifeline rollout that runs as several slices at once
version_added: 0.1.0
author:
  - Lifeline maintainers (@lifeline)
description:
  - A wave of C(playbooks/remediate.yml) may run as several jobs at once, each over its own share of the
    hosts (AWX job slicing). Each slice judges its own batches; a slice whose batch fails past the threshold
    writes a halt record in O(folder), and every slice reads it before each batch and stops when it finds one.
  - The record is one small JSON file per rollout (the run ID, the slice that halted, the wave, the batch,
    the reason, the controller and the time), named after a hash of O(run_id). A record another rollout left
    behind has another run ID and is never read as this one's.
  - It is written to a temporary file and linked into place, so a reader sees a whole record or none, and
    the first halt of the run is the one kept.
  - O(folder) must be shared by every slice (the same folder on one controller, or a network file system
    mounted on every execution node).
options:
  folder:
    description: The folder of the halt records, shared by every slice of the rollout.
    type: path
    required: true
  run_id:
    description: The rollout's run ID, the same in every slice.
    type: str
    required: true
  state:
    description:
      - V(checked) fails unless O(folder) exists and is writable and O(run_id) is given (before any host is touched).
      - V(read) returns whether a slice halted the run. A record that cannot be read stops the slice too
        (returned as halted, with the reason).
      - V(halted) writes the record (kept when another slice wrote one first).
    type: str
    choices: [checked, read, halted]
    default: read
  slice:
    description: The slice that halted the run, for the record (V(halted)).
    type: str
    default: ""
  wave:
    description: The wave of the batch that halted the run (V(halted)).
    type: str
    default: ""
  batch:
    description: The number of that batch within its wave in its slice (V(halted)).
    type: int
    default: 0
  reason:
    description: Why the run halted (V(halted)).
    type: str
    default: ""
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - lifeline.recovery.controller_action
attributes:
  check_mode:
    support: full
    details: A check run reads and writes the record like a real one, so check slices stop together too.
"""

EXAMPLES = r"""
- name: Stop this slice when another slice halted the rollout
  lifeline.recovery.rollout_halt:
    folder: /mnt/lifeline-halts
    run_id: "{{ lifeline_run_id }}"
  register: lifeline_peer_halt
  run_once: true
  delegate_to: localhost

- name: Tell the other slices that this one halted the rollout
  lifeline.recovery.rollout_halt:
    folder: /mnt/lifeline-halts
    run_id: "{{ lifeline_run_id }}"
    state: halted
    slice: awx-job-42
    wave: broad
    batch: 1
    reason: too many hosts of the batch failed
  run_once: true
  delegate_to: localhost
"""

RETURN = r"""
halted:
  description: Whether a slice halted the rollout (V(read)), always true for V(halted).
  returned: state is read or halted
  type: bool
record:
  description: The halt record (run_id, slice, wave, batch, reason, controller, time), or null.
  returned: state is read or halted
  type: dict
path:
  description: The halt record's file.
  returned: always
  type: str
"""
