# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""win_recovery_records: what Lifeline changed on a host, from the host's own rollback records, and undoing it.

1. one listing script: every record in ``<os_volume>\\ProgramData\\Lifeline\\records`` (and the quarantine
   records Lifeline 0.1.0 kept in its quarantine folders), read through ``_records.py``, newest first;
2. ``state: listed`` returns them, each with the module call that undoes it (or why nothing can);
3. ``state: restored`` refuses an unreadable record before anything changes, then runs each undo call, newest
   first, through the module that owns the kind (as ansible.builtin.template runs copy), and stops at the first
   that fails: what is newer was undone, what is older was not. Changes that cannot be undone are listed.
"""

from __future__ import annotations

from ansible_collections.lifeline.recovery.plugins.action.win_boot_config import ActionModule as BootConfig
from ansible_collections.lifeline.recovery.plugins.action.win_boot_driver import ActionModule as BootDriver
from ansible_collections.lifeline.recovery.plugins.action.win_quarantine_files import ActionModule as QuarantineFiles
from ansible_collections.lifeline.recovery.plugins.action.win_safe_mode_network_service import (
    ActionModule as SafeModeNetworkService,
)
from ansible_collections.lifeline.recovery.plugins.plugin_utils import _records
from ansible_collections.lifeline.recovery.plugins.plugin_utils._action import RecoveryAction, RecoveryFailed
from ansible_collections.lifeline.recovery.plugins.plugin_utils._inputs import volume
from ansible_collections.lifeline.recovery.plugins.plugin_utils._parsers import ParseError

UNDOERS = {
    "lifeline.recovery.win_quarantine_files": QuarantineFiles,
    "lifeline.recovery.win_boot_driver": BootDriver,
    "lifeline.recovery.win_boot_config": BootConfig,
    "lifeline.recovery.win_safe_mode_network_service": SafeModeNetworkService,
}


class ActionModule(RecoveryAction):
    ARGUMENT_SPEC = {
        "state": {"type": "str", "choices": ["listed", "restored"], "default": "listed"},
        "kinds": {
            "type": "list",
            "elements": "str",
            "choices": list(_records.KINDS),
            "default": list(_records.REMEDIATION_KINDS),
        },
        "os_volume": {"type": "str"},
    }

    def recover(self, args: dict, task_vars: dict) -> dict:
        if not args["kinds"]:
            raise RecoveryFailed(f"kinds is empty: name at least one of {', '.join(_records.KINDS)}")
        os_volume = volume(self.from_facts(args, "os_volume", "os_volume", task_vars))
        completed = self.powershell(_records.listing_script(os_volume))
        try:
            found, unreadable = _records.parse_listing(completed.stdout)
        except ParseError as error:
            raise RecoveryFailed(f"listing the rollback records failed (exit code {completed.rc}): {error}") from None
        listed = [self.entry(path, record) for path, record in found if record["kind"] in args["kinds"]]
        result = {
            "records": listed,
            "not_undoable": [entry for entry in listed if entry["pending"] and entry["undo"] is None],
            "unreadable": unreadable,
        }
        problems = [f"{item['path']} ({item['problem']})" for item in unreadable]
        if args["state"] == "listed":
            pending = sum(entry["pending"] for entry in listed)
            warnings = [f"not a rollback record Lifeline reads: {problem}" for problem in problems]
            done = {**result, "changed": False, "msg": f"{len(listed)} record(s), {pending} still changed on the host"}
            return {**done, "warnings": warnings} if warnings else done
        if problems:
            raise RecoveryFailed(
                f"cannot tell what to undo: {'; '.join(problems)} cannot be read as rollback records (move them "
                "away, or fix them by hand); nothing was changed",
                **result,
            )
        return self.restore(result, task_vars)

    @staticmethod
    def entry(path: str, record: dict) -> dict:
        pending = _records.pending(record)
        undo, reason = _records.undo(record, path) if pending else (None, "")
        entry = {
            "path": path,
            "kind": record["kind"],
            "module": record["module"],
            "time": record["time"],
            "restored_at": record.get("restored_at"),
            "summary": _records.describe(record),
            "pending": pending,
            "undo": undo,
        }
        return {**entry, "reason": reason} if pending and undo is None else entry

    def restore(self, result: dict, task_vars: dict) -> dict:
        """Each pending record's undo call, newest first; the first failure stops the rest."""
        undone, warnings = [], []
        for entry in result["records"]:
            if entry["undo"] is None:
                continue
            done = self.run_module(UNDOERS[entry["undo"]["module"]], entry["undo"]["args"], task_vars)
            undone.append({"path": entry["path"], "kind": entry["kind"], "changed": bool(done.get("changed")),
                           "msg": done.get("msg", "")})  # fmt: skip
            warnings += [f"{entry['path']}: {warning}" for warning in done.get("warnings", [])]
            if done.get("failed"):
                raise RecoveryFailed(
                    f"undoing {entry['path']} ({entry['summary']}) failed: {done.get('msg')}; the newer records "
                    "were undone, this one and the older ones were not",
                    **result,
                    undone=undone,
                )
        warnings += [f"not undone: {entry['summary']} ({entry['reason']})" for entry in result["not_undoable"]]
        changed = sum(step["changed"] for step in undone)
        msg = f"{len(undone)} record(s) to undo, {changed} changed" if undone else "nothing to restore"
        if result["not_undoable"]:
            msg += f"; {len(result['not_undoable'])} change(s) cannot be undone"
        done = {**result, "undone": undone, "nothing_to_restore": not undone, "changed": changed > 0, "msg": msg}
        return {**done, "warnings": warnings} if warnings else done
