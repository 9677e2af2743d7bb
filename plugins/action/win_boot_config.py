# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""win_boot_config: set or clear safeboot, bootstatuspolicy, recoveryenabled, device and osdevice on a BCD entry.

1. one read script: ``bcdedit [/store] /enum <id> /v`` and the rollback record (when the Windows volume is known);
2. only the elements that differ are changed, all in ONE script (bcdedit /set and /deletevalue, stopping at the
   first failure) that first writes the rollback record (kind boot_config, ``_records.py``; what it keeps:
   _boot_config.py): a change costs two commands, the read and this one;
3. ``state: restored`` puts back the recorded previous values, again changing only what differs, then marks the
   record used (``restored_at``) in the same script, after the change; a used record is never applied again
   (later changes by someone else stay). With ``missing_ok``, no record is nothing to restore (ok,
   ``nothing_to_restore``) instead of a failure;
4. ``delete_objects`` (with ``state: present``): whole objects named by their GUID deleted in the same script, after
   the entry's change (exit_recovery's safeboot clear and the WinRE failover marker's deletion: the read, then one
   script that writes the record, changes the entry and deletes the marker); read with the entry, so one that is
   not there is nothing to delete, and a boot application is refused before anything is sent;
5. ``state: absent`` deletes a whole object named by its GUID (``bcdedit /delete``), such as the WinRE failover's
   marker, and never a boot application (an object with a ``path``: a loader, the boot manager).
"""

from __future__ import annotations

from ansible_collections.lifeline.recovery.plugins.plugin_utils import _records
from ansible_collections.lifeline.recovery.plugins.plugin_utils._action import RecoveryAction, RecoveryFailed
from ansible_collections.lifeline.recovery.plugins.plugin_utils._bcdedit import BcdEntry, bcd_identifier
from ansible_collections.lifeline.recovery.plugins.plugin_utils._boot_config import (
    ABSENT,
    BOOT_STATUS_POLICIES,
    bcdedit_changes,
    boot_config_read,
    changes_needed,
    merge_record,
    object_delete,
    parse_config_read,
    parse_object_read,
    parse_objects_read,
    read_record,
    recorded_previous,
    set_value,
    shown_value,
    wanted_values,
)
from ansible_collections.lifeline.recovery.plugins.plugin_utils._inputs import volume
from ansible_collections.lifeline.recovery.plugins.plugin_utils._parsers import ParseError

MANAGED = ("safeboot", "bootstatuspolicy", "recoveryenabled", "device", "osdevice")


class ActionModule(RecoveryAction):
    ARGUMENT_SPEC = {
        "identifier": {"type": "str", "default": "{default}"},
        "safeboot": {"type": "str", "choices": ["minimal", "network", ABSENT]},
        "bootstatuspolicy": {"type": "str", "choices": [*BOOT_STATUS_POLICIES, ABSENT]},
        "recoveryenabled": {"type": "raw"},
        "device": {"type": "str"},
        "osdevice": {"type": "str"},
        "store": {"type": "str"},  # a path on the host: not expanded on the controller as type path would
        "state": {"type": "str", "choices": ["present", "restored", "absent"], "default": "present"},
        "os_volume": {"type": "str"},
        "missing_ok": {"type": "bool", "default": False},
        "delete_objects": {"type": "list", "elements": "str", "default": []},
    }
    REQUIRED_IF = [("state", "present", MANAGED, True)]

    def recover(self, args: dict, task_vars: dict) -> dict:
        identifier, store, state = args["identifier"], args["store"], args["state"]
        if state == "restored" and any(args[element] is not None for element in MANAGED):
            raise RecoveryFailed("state=restored takes no element options: it puts back what the record holds")
        if args["missing_ok"] and state != "restored":
            raise RecoveryFailed("missing_ok applies to state=restored only; nothing was sent")
        deletions = list(dict.fromkeys(args["delete_objects"]))
        if deletions and state != "present":
            raise RecoveryFailed("delete_objects applies to state=present only; nothing was sent")
        for name in deletions:
            object_delete(name, store)  # refuses a well-known identifier before anything is sent
            if name.lower() == identifier.lower():
                raise RecoveryFailed(f"delete_objects names the entry {identifier} itself; nothing was sent")
        if state == "absent":
            return self.delete_object(args)
        wanted = wanted_values(args)
        os_volume = args["os_volume"] or self.recovery_facts(task_vars).get("os_volume")
        record_file = None
        if os_volume:
            os_volume = volume(os_volume)
            record_file = _records.path(os_volume, "boot_config", bcd_identifier(identifier))
        read_script = boot_config_read(identifier, store, record_file, deletions)
        for element, value in wanted.items():  # refuse bad values before anything is sent
            bcdedit_changes(identifier, [(element, None if value is None else set_value(element, value))], store)
        if state == "restored" and record_file is None:
            raise RecoveryFailed(
                "state=restored needs the rollback record: os_volume is not set and no lifeline_recovery.os_volume "
                "fact was gathered (run lifeline.recovery.win_recovery_facts first, or set os_volume)"
            )
        completed = self.powershell(read_script)
        try:
            entry, record, error = parse_config_read(completed.stdout)
        except ParseError as failure:
            raise RecoveryFailed(f"reading the boot configuration failed (exit code {completed.rc}): {failure}",
                                 rc=completed.rc) from None  # fmt: skip
        if entry is None:
            raise RecoveryFailed(f"bcdedit cannot read the entry {identifier}: {error}; nothing was changed")
        result: dict = {"identifier": identifier, "entry": entry.identifier, "store": store, "record": None}
        deleting = self.objects_to_delete(completed.stdout, completed.rc, deletions, result)
        warnings = []
        if record is not None:
            try:
                record = read_record(record)
            except ParseError as failure:
                raise RecoveryFailed(f"the rollback record {record_file} cannot be used: {failure}", **result) from None
        if state == "restored":
            result["nothing_to_restore"] = True
            if record is None:
                missing = f"there is no rollback record {record_file}: nothing to restore"
                if args["missing_ok"]:
                    return {**result, "changed": False, "msg": missing}
                raise RecoveryFailed(missing, **result)
            wanted = recorded_previous(record)
            result["record"] = record_file
            if record.get("restored_at"):
                return self.already_restored(result, entry, wanted, record["restored_at"])
        needed = changes_needed(entry, wanted)
        if state == "restored":
            result["nothing_to_restore"] = not needed
        result["previous"] = {element: shown_value(current) for element, (current, _wanted) in needed.items()}
        result["values"] = {element: shown_value(value) for element, value in wanted.items()}
        if self._task.diff:
            before = entry.get
            result["diff"] = {
                "before": {element: shown_value(before(element)) for element in wanted},  # type: ignore[arg-type]
                "after": {element: shown_value(value) for element, value in wanted.items()},
            }
        if not needed and not deleting:
            if record is not None:
                result["record"] = record_file
            return {**result, "changed": False, "msg": f"{identifier} already has these boot settings"}
        summary = ", ".join(
            [f"{e} {shown_value(old)} -> {shown_value(new)}" for e, (old, new) in needed.items()]
            + [f"delete {name}" for name in deleting]
        )
        if self._task.check_mode:
            return {**result, "changed": True, "msg": f"would change {identifier}: {summary} (check mode)"}
        before, after, what = [], [], f"changing {identifier} ({summary})"
        if state == "present" and not needed:
            what = f"deleting {', '.join(deleting)}"  # no element changes: nothing to record
        elif state == "present":
            if record_file is None:
                warnings.append(
                    "the Windows volume is not known (no os_volume): the previous values are in this result only, "
                    "not recorded on the host"
                )
            else:  # the record first, in the same script: the change never runs when writing it failed
                before = _records.write_record(os_volume, "boot_config", identifier,
                                               merge_record(record, identifier, store, needed))  # fmt: skip
                what = f"writing the rollback record {record_file}, then {what}"
        else:  # the record is marked used only after the change, in the same script
            after = _records.write_record(os_volume, "boot_config", identifier, _records.restored(record))
            what = f"{what}, then marking the rollback record as restored (the values are back)"
        changes = [(e, None if new is None else set_value(e, new)) for e, (_current, new) in needed.items()]
        self.checked(what, bcdedit_changes(identifier, changes, store, before, after, deleting))
        if state == "present" and needed and record_file is not None:
            result["record"] = record_file
        if warnings:
            result["warnings"] = warnings
        return {**result, "changed": True, "msg": f"changed {identifier}: {summary}"}

    def objects_to_delete(self, text: str, rc: int, deletions: list[str], result: dict) -> list[str]:
        """The ``delete_objects`` the store holds (read with the entry; one not there is nothing to delete), and
        ``result["deleted"]``; a boot application among them fails the task before anything is changed."""
        result["deleted"] = []
        if not deletions:
            return []
        try:
            found = parse_objects_read(text, deletions)
        except ParseError as failure:
            raise RecoveryFailed(f"reading the objects to delete failed (exit code {rc}): {failure}; nothing was "
                                 "changed", rc=rc, **result) from None  # fmt: skip
        for name, entry in zip(deletions, found, strict=True):
            if entry is not None and entry.get("path") is not None:
                raise RecoveryFailed(
                    f"{name} is a boot application ({entry.title}, path {entry.get('path')}): delete_objects deletes "
                    "only objects without a path, such as the WinRE failover's marker; nothing was changed",
                    **result,
                )
        result["deleted"] = [name for name, entry in zip(deletions, found, strict=True) if entry is not None]
        return result["deleted"]

    def delete_object(self, args: dict) -> dict:
        """``state: absent``: the object goes, with no rollback record. What Lifeline deletes this way is a marker such
        as the WinRE failover's (``{07b12ddd-...}``): it holds no setting Windows boots by, only the fact that the
        failover already ran, and putting it back would disarm the failover. An undo would do harm, not good, so
        none is recorded; boot applications, which would need one, are refused."""
        identifier, store = args["identifier"], args["store"]
        if any(args[element] is not None for element in MANAGED):
            raise RecoveryFailed("state=absent deletes the whole object and takes no element options")
        delete_script = object_delete(identifier, store)  # refuses a well-known identifier before anything is sent
        completed = self.powershell(boot_config_read(identifier, store))
        try:
            entry = parse_object_read(completed.stdout, identifier)
        except ParseError as failure:
            raise RecoveryFailed(f"reading the object {identifier} failed (exit code {completed.rc}): {failure}; "
                                 "nothing was deleted", rc=completed.rc) from None  # fmt: skip
        result: dict = {"identifier": identifier, "store": store, "record": None}
        if entry is None:
            return {**result, "changed": False, "msg": f"{identifier} does not exist"}
        result["entry"] = entry.identifier
        if entry.get("path") is not None:
            raise RecoveryFailed(
                f"{identifier} is a boot application ({entry.title}, path {entry.get('path')}): state=absent deletes "
                "only objects without a path, such as the WinRE failover's marker; nothing was deleted",
                **result,
            )
        if self._task.diff:
            shown = {name: " ".join(v) if isinstance(v, tuple) else v for name, v in entry.elements.items()}
            result["diff"] = {"before": shown, "after": {}}
        if self._task.check_mode:
            return {**result, "changed": True, "msg": f"would delete {identifier} (check mode)"}
        self.checked(f"deleting {identifier}", delete_script)
        return {**result, "changed": True, "msg": f"deleted {identifier}"}

    def already_restored(self, result: dict, entry: BcdEntry, recorded: dict, when: str) -> dict:
        """A used record: nothing to put back. The entry is left as it is, with a warning when it moved since."""
        moved = changes_needed(entry, recorded)
        result["previous"] = {}
        result["values"] = {element: shown_value(entry.get(element)) for element in recorded}
        if self._task.diff:
            result["diff"] = {"before": result["values"], "after": result["values"]}
        done = {**result, "changed": False, "msg": f"{result['identifier']} was already restored at {when}"}
        if not moved:
            return done
        now = ", ".join(
            f"{e} {shown_value(current)} (recorded {shown_value(old)})" for e, (current, old) in moved.items()
        )
        warning = (
            f"{result['identifier']} was restored at {when} and has changed since ({now}): left alone; a change with "
            "this module makes a new record"
        )
        return {**done, "msg": warning, "warnings": [warning]}
