# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""win_boot_driver: disable a service or driver (Start 4) in the live or offline SYSTEM hive, or restore it.

1. one read script: the service key (Start, Group, ImagePath) and its rollback record; offline the hive file
   ``<os_volume>\\Windows\\System32\\config\\SYSTEM`` is loaded under a unique name, Select\\Current read, and
   the hive ALWAYS unloaded (finally), as win_recovery_facts does;
2. the policy (_boot_driver.py): the deny list before anything is sent, the load-order group before any change;
3. when Start differs and not in check mode: the rollback record (kind boot_driver, ``_records.py``: previous
   Start, Group, ImagePath) is written FIRST, then Start is set (offline: load, reg add, unload in finally).
   ``state: restored`` puts the recorded Start back, then marks the record used (``restored_at``); a used record
   is never applied again (a later change by someone else stays). With ``missing_ok``, no record or no such
   service is nothing to restore (ok, ``nothing_to_restore``) instead of a failure.
"""

from __future__ import annotations

from ansible_collections.lifeline.recovery.plugins.action.win_recovery_facts import mount_key
from ansible_collections.lifeline.recovery.plugins.plugin_utils import _records
from ansible_collections.lifeline.recovery.plugins.plugin_utils._action import RecoveryAction, RecoveryFailed
from ansible_collections.lifeline.recovery.plugins.plugin_utils._boot_driver import (
    DISABLED,
    OFFLINE_CONTROL_SETS,
    START_TYPES,
    DriverRead,
    boot_driver_read,
    boot_driver_set_start,
    group_refusal,
    name_refusal,
    new_record,
    parse_driver_read,
    parse_set_report,
    read_record,
)
from ansible_collections.lifeline.recovery.plugins.plugin_utils._inputs import service_name, volume
from ansible_collections.lifeline.recovery.plugins.plugin_utils._parsers import ParseError


class ActionModule(RecoveryAction):
    ARGUMENT_SPEC = {
        "name": {"type": "str", "required": True},
        "state": {"type": "str", "choices": ["disabled", "restored"], "default": "disabled"},
        "offline": {"type": "bool"},
        "os_volume": {"type": "str"},
        "missing_ok": {"type": "bool", "default": False},
    }

    def recover(self, args: dict, task_vars: dict) -> dict:
        name = service_name(args["name"])
        state = args["state"]
        if args["missing_ok"] and state != "restored":
            raise RecoveryFailed("missing_ok applies to state=restored only; nothing was sent")
        if state == "disabled":
            refusal = name_refusal(name)
            if refusal:
                raise RecoveryFailed(refusal)
        os_volume = volume(self.from_facts(args, "os_volume", "os_volume", task_vars))
        offline = args["offline"]
        if offline is None:
            offline = self.from_facts(args, "offline", "system_hive_offline", task_vars)
        if not isinstance(offline, bool):
            raise RecoveryFailed(f"offline must be true or false, not {offline!r}")
        if not offline and self.recovery_facts(task_vars).get("environment") == "winre":
            # in WinRE, HKLM\SYSTEM is the recovery environment's own hive on the X: RAM disk, gone at the restart
            raise RecoveryFailed(
                "offline=false in WinRE would change the recovery environment's own registry (X:), not Windows': "
                "leave offline unset (the system_hive_offline fact) or set it to true; nothing was sent"
            )
        record_file = _records.path(os_volume, "boot_driver", name)
        hive = f"{os_volume}\\Windows\\System32\\config\\SYSTEM" if offline else None
        key = mount_key() if offline else None
        read_script = boot_driver_read(name, record_file, key, hive)
        read = self.read(read_script, offline, key)
        where = f"{'offline ' if offline else ''}SYSTEM hive ({read.control_set}{' of ' + hive if hive else ''})"
        if read.service is None:
            missing = f"there is no service or driver {name!r} in the {where}"
            if args["missing_ok"]:
                done = {"name": name, "state": state, "record": None, "nothing_to_restore": True}
                return {**done, "changed": False, "msg": f"{missing}: nothing to restore"}
            raise RecoveryFailed(f"{missing}; nothing was changed")
        current = read.service.start
        if current is None:
            raise RecoveryFailed(f"service {name!r} has no Start value in the {where}: not a service Windows starts")
        result = {
            "name": name,
            "state": state,
            "offline": offline,
            "control_set": read.control_set,
            "start": current,
            "previous_start": current,
            "group": read.service.group,
            "image_path": read.service.image_path,
            "record": None,
        }
        if state == "disabled":
            refusal = group_refusal(name, read.service.group)
            if refusal:
                raise RecoveryFailed(refusal, **result)
            wanted = DISABLED
        else:
            result["nothing_to_restore"] = True
            if read.record is None:
                missing = f"there is no rollback record {record_file} for {name!r}: nothing to restore"
                if args["missing_ok"]:
                    return {**result, "changed": False, "msg": missing}
                raise RecoveryFailed(f"{missing}; nothing was changed", **result)
            try:
                record = read_record(read.record, name)
            except ParseError as error:
                raise RecoveryFailed(f"the rollback record {record_file} cannot be used: {error}", **result) from None
            wanted = record["previous"]["Start"]
            result["record"] = record_file
            if record.get("restored_at"):
                return self.already_restored(result, record, current, wanted)
        result["start"] = wanted
        changed = wanted != current
        if state == "restored":
            result["nothing_to_restore"] = not changed
        if self._task.diff:
            result["diff"] = {
                "before": {"name": name, "Start": current, "start_type": START_TYPES.get(current)},
                "after": {"name": name, "Start": wanted, "start_type": START_TYPES.get(wanted)},
            }
        verb = "disabled" if state == "disabled" else "restored to Start " + str(wanted)
        if not changed:
            if read.record is not None:
                result["record"] = record_file
            return {**result, "changed": False, "msg": f"{name} is already {verb.replace('restored to', 'at')}"}
        if self._task.check_mode:
            return {**result, "changed": True, "msg": f"{name} would be {verb} (check mode: nothing changed)"}
        if state == "disabled":
            record = new_record(name, read.control_set, offline, read.service, wanted)
            self.checked("writing the rollback record", _records.write_script(os_volume, "boot_driver", name, record))
            result["record"] = record_file
        self.set_start(name, wanted, read.control_set, offline, hive, result)
        if state == "restored":
            self.checked(
                "marking the rollback record as restored (Start is back)",
                _records.write_script(os_volume, "boot_driver", name, _records.restored(record)),
            )
        return {**result, "changed": True, "msg": f"{name} {verb} in the {where}"}

    def already_restored(self, result: dict, record: dict, current: int, recorded: int) -> dict:
        """A used record: nothing to put back. Start is left as it is, with a warning when it moved since."""
        name, when = result["name"], record["restored_at"]
        if self._task.diff:
            state = {"name": name, "Start": current, "start_type": START_TYPES.get(current)}
            result["diff"] = {"before": state, "after": state}
        done = {**result, "start": current, "changed": False}
        if current == recorded:
            return {**done, "msg": f"{name} was already restored to Start {recorded} at {when}"}
        warning = (
            f"{name} was restored to Start {recorded} at {when} and its Start is {current} now: it was changed "
            "after that, so it is left alone (disable it with this module again to make a new record)"
        )
        return {**done, "msg": warning, "warnings": [warning]}

    def read(self, script: str, offline: bool, key: str | None) -> DriverRead:
        completed = self.powershell(script)
        try:
            read = parse_driver_read(completed.stdout, offline, OFFLINE_CONTROL_SETS)
        except ParseError as error:
            raise RecoveryFailed(
                f"reading the service from the SYSTEM hive failed (exit code {completed.rc}): {error}",
                rc=completed.rc,
            ) from None
        self.unloaded(key, read.unload_rc)
        return read

    def set_start(self, name: str, start: int, control_set: str, offline: bool, hive: str | None, result: dict) -> None:
        key = mount_key() if offline else None
        completed = self.powershell(boot_driver_set_start(name, start, control_set, key, hive))
        try:
            set_rc, unload_rc = parse_set_report(completed.stdout, offline)
        except ParseError as error:
            raise RecoveryFailed(
                f"setting Start of {name} failed (exit code {completed.rc}): {error}", rc=completed.rc, **result
            ) from None
        self.unloaded(key, unload_rc)
        if set_rc != 0:
            raise RecoveryFailed(f"reg add Start of {name} failed (exit code {set_rc})", rc=set_rc, **result)

    @staticmethod
    def unloaded(key: str | None, unload_rc: int | None) -> None:
        if key is not None and unload_rc != 0:
            raise RecoveryFailed(
                f"reg unload {key} failed (exit code {unload_rc}): the offline SYSTEM hive is still loaded; "
                f"run 'reg unload {key}' on the host before restarting it"
            )
