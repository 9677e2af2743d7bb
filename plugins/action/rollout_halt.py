# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""rollout_halt: the shared halt record of a sliced rollout (documentation in plugins/modules)."""

from __future__ import annotations

from ansible_collections.lifeline.recovery.plugins.plugin_utils import _halt_record as halt
from ansible_collections.lifeline.recovery.plugins.plugin_utils._controller_action import ControllerAction


class ActionModule(ControllerAction):
    ARGUMENT_SPEC = {
        "folder": {"type": "path", "required": True},
        "run_id": {"type": "str", "required": True},
        "state": {"type": "str", "choices": ["checked", "read", "halted"], "default": "read"},
        "slice": {"type": "str", "default": ""},
        "wave": {"type": "str", "default": ""},
        "batch": {"type": "int", "default": 0},
        "reason": {"type": "str", "default": ""},
    }

    def run_on_controller(self, args, task_vars, result):
        folder, run_id = args["folder"], args["run_id"]
        path = halt.record_path(folder, run_id) if run_id else folder
        try:
            if args["state"] == "checked":
                halt.check_folder(folder, run_id)
                return {**result, "changed": False, "path": path}
            if args["state"] == "halted":
                record = halt.write(folder, run_id, args["slice"], args["wave"], args["batch"], args["reason"])
                return {**result, "changed": True, "halted": True, "record": record, "path": path}
            record = halt.read(folder, run_id)
        except halt.HaltRecordError as error:
            if args["state"] == "read":
                # A slice that cannot read the shared verdict cannot know that no peer halted: it stops.
                reason = f"the shared halt record cannot be read, so this slice stops: {error}"
                return {**result, "changed": False, "halted": True, "record": {"slice": "", "reason": reason}}
            return {**result, "failed": True, "msg": str(error), "path": path}
        except OSError as error:
            return {**result, "failed": True, "msg": f"cannot write the halt record {path}: {error}", "path": path}
        return {**result, "changed": False, "halted": record is not None, "record": record, "path": path}
