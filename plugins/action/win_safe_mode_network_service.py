# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""win_safe_mode_network_service: list services under SafeBoot\\Network (or take Lifeline's entries away) so a
healthy host stays reachable over WinRM in Safe Mode with Networking.

1. before anything is sent: the names (service key names) and the os_volume; a host the facts place in WinRE is
   refused (this module changes the live hive of a booted Windows, not an offline one);
2. one read script: MiniNT (refuses WinPE/WinRE when the facts were not gathered), the SafeBoot\\Network subkeys,
   each requested service's key (Type: Service or Driver; DependOnService) and the record;
3. present: services not listed yet are added (default value Service/Driver) after the record that lists them is
   written, in ONE script; absent: only names the record says Lifeline added are deleted, then the record updated.
"""

from __future__ import annotations

from ansible_collections.lifeline.recovery.plugins.plugin_utils import _records
from ansible_collections.lifeline.recovery.plugins.plugin_utils._action import RecoveryAction, RecoveryFailed
from ansible_collections.lifeline.recovery.plugins.plugin_utils._inputs import service_name, volume
from ansible_collections.lifeline.recovery.plugins.plugin_utils._parsers import ParseError
from ansible_collections.lifeline.recovery.plugins.plugin_utils._safeboot_network import (
    DEFAULT_SERVICES,
    SAFEBOOT_NETWORK_KEY,
    new_record,
    parse_read,
    plan,
    read_record,
    safeboot_network_change,
    safeboot_network_read,
    unique,
)


class ActionModule(RecoveryAction):
    ARGUMENT_SPEC = {
        "services": {"type": "list", "elements": "str", "default": list(DEFAULT_SERVICES)},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        "os_volume": {"type": "str"},
    }

    def recover(self, args: dict, task_vars: dict) -> dict:
        state = args["state"]
        if not args["services"]:
            raise RecoveryFailed("services is empty: name at least one service, e.g. WinRM")
        services = unique([service_name(name) for name in args["services"]])
        facts = self.recovery_facts(task_vars)
        if facts.get("environment") == "winre" or facts.get("system_hive_offline") is True:
            raise RecoveryFailed(self.winre_refusal())
        if facts.get("environment") == "unknown":
            # The live hive is Windows' own only where the host model says Windows runs (X: without MiniNT, an
            # unknown Safe Mode option): never guess which SYSTEM hive this is.
            raise RecoveryFailed(
                "win_recovery_facts could not tell where this host runs (environment unknown: "
                f"{facts.get('environment_evidence') or 'see environment_evidence'}): "
                "SafeBoot\\Network is changed only on an installed Windows known to be running; nothing was changed"
            )
        os_volume = volume(self.from_facts(args, "os_volume", "os_volume", task_vars))
        record_file = _records.path(os_volume, "safeboot_network", None)
        read_script = safeboot_network_read(services, record_file)
        completed = self.powershell(read_script)
        try:
            read = parse_read(completed.stdout, len(services))
        except ParseError as error:
            raise RecoveryFailed(
                f"reading SafeBoot\\Network failed (exit code {completed.rc}): {error}", rc=completed.rc
            ) from None
        if read.in_winpe:
            raise RecoveryFailed(self.winre_refusal())
        if read.listed is None:
            raise RecoveryFailed(
                f"{SAFEBOOT_NETWORK_KEY} does not exist: this Windows cannot start Safe Mode with Networking "
                "at all (the SafeBoot key was deleted); nothing was changed"
            )
        try:
            recorded = read_record(read.record)
        except ParseError as error:
            raise RecoveryFailed(f"the record {record_file} cannot be used: {error}; nothing was changed") from None
        try:
            todo = plan(state, services, read, recorded)
        except ValueError as error:
            raise RecoveryFailed(str(error), services=services, state=state) from None
        wanted = {name.casefold() for name in services}
        result = {
            "services": services,
            "state": state,
            "added": [name for name, _kind in todo.add],
            "removed": list(todo.remove),
            "kept": list(todo.kept),
            "listed": [name for name in todo.listed_after if name.casefold() in wanted],
            "record": record_file if (read.record is not None or todo.add) else None,
            "recorded": [entry["name"] for entry in todo.recorded],
        }
        warnings = self.unlisted_dependencies(services, read, todo.listed_after) if state == "present" else []
        if warnings:
            result["warnings"] = warnings
        changed = bool(todo.add or todo.remove)
        if self._task.diff:
            result["diff"] = {
                "before": {"SafeBoot\\Network": sorted(read.listed, key=str.casefold)},
                "after": {"SafeBoot\\Network": list(todo.listed_after)},
            }
        if not changed:
            msg = f"{', '.join(services)}: already listed under SafeBoot\\Network"
            if state == "absent":
                kept = f" (left alone, not added by Lifeline: {', '.join(todo.kept)})" if todo.kept else ""
                msg = f"nothing Lifeline added is listed under SafeBoot\\Network{kept}"
            return {**result, "changed": False, "msg": msg}
        what = ", ".join(result["added"] or result["removed"])
        verb = "added to" if todo.add else "removed from"
        if self._task.check_mode:
            return {**result, "changed": True, "msg": f"{what} would be {verb} SafeBoot\\Network (check mode)"}
        self.checked(
            f"{'adding' if todo.add else 'removing'} {what} under SafeBoot\\Network",
            safeboot_network_change(todo.add, todo.remove, os_volume, new_record(list(todo.recorded))),
        )
        result["record"] = record_file
        return {**result, "changed": True, "msg": f"{what} {verb} SafeBoot\\Network"}

    @staticmethod
    def winre_refusal() -> str:
        return (
            "the host is running WinRE/WinPE: SafeBoot\\Network must be prepared on the installed Windows while it is "
            "healthy and booted (this module changes the live SYSTEM hive only); nothing was changed"
        )

    @staticmethod
    def unlisted_dependencies(services: list[str], read, listed_after: tuple[str, ...]) -> list[str]:
        """A warning for each service a listed service depends on that stays unlisted (it would not start)."""
        listed = {name.casefold() for name in listed_after}
        warnings = []
        for key in read.services:
            missing = [d for d in key.depends_on if d.casefold() not in listed] if key else []
            if missing:
                warnings.append(
                    f"{key.name} depends on {', '.join(missing)}, not listed under SafeBoot\\Network: "
                    f"{key.name} will not start in Safe Mode with Networking unless they are added to services"
                )
        return warnings
