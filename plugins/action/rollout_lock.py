# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""rollout_lock: one rollout at a time per inventory on this controller (documentation in plugins/modules).

The lock belongs to the ansible-playbook process (the parent of the worker that runs this action), so
it is released when that process ends however it ends: a later run finds its process gone and takes
the stale lock over.
"""

from __future__ import annotations

import os
import uuid

from ansible_collections.lifeline.recovery.plugins.plugin_utils import _controller_lock as lock
from ansible_collections.lifeline.recovery.plugins.plugin_utils._controller_action import ControllerAction

DEFAULT_LOCK_DIR = "~/.ansible/lifeline/locks"
LOCK_DIR_ENV = "LIFELINE_LOCK_DIR"


class ActionModule(ControllerAction):
    ARGUMENT_SPEC = {
        "state": {"type": "str", "choices": ["acquired", "released"], "default": "acquired"},
        "inventory_sources": {"type": "list", "elements": "str"},
        "lock_dir": {"type": "path"},
        "key": {"type": "str", "default": ""},
    }

    def run_on_controller(self, args, task_vars, result):
        sources = args["inventory_sources"] or task_vars.get("ansible_inventory_sources") or []
        if not sources:
            return {**result, "failed": True, "msg": "no inventory sources to lock: pass inventory_sources"}
        directory = args["lock_dir"] or os.environ.get(LOCK_DIR_ENV) or DEFAULT_LOCK_DIR
        path = lock.lock_path(directory, sources, args["key"])
        holder_pid = os.getppid()  # the ansible-playbook process that forked this worker
        if args["state"] == "released":
            released = lock.release(path, holder_pid)
            return {**result, "changed": released, "lock_path": path}
        try:
            taken = lock.acquire(path, uuid.uuid4().hex[:12], holder_pid, str(task_vars.get("ansible_play_name", "")))
        except lock.LockHeld as held:
            return {**result, "failed": True, "msg": str(held), "lock_path": path}
        except OSError as error:
            return {**result, "failed": True, "msg": f"cannot take the rollout lock {path}: {error}", "lock_path": path}
        if taken.took_over:
            self._display.warning(f"rollout_lock: took over a stale lock: {lock.describe(taken.took_over)}")
        return {**result, "changed": False, "run_id": taken.run_id, "lock_path": path, "took_over": taken.took_over}
