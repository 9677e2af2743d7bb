# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""lifeline.recovery.win_servicing: list servicing packages, remove one (by name or the newest quality update),
or revert pending actions, in the offline image (WinRE) or the running Windows
(documentation: plugins/modules/win_servicing.py).

One survey (dism /Get-Packages, pending.xml, earlier servicing records) decides; a change is one dism call
and one rollback record (kind servicing, ``_records.py``) next to it. Removal cannot be undone without the
package source, so the record is evidence of what was removed, not a restore point.
"""

from __future__ import annotations

from ansible_collections.lifeline.recovery.plugins.plugin_utils import _records
from ansible_collections.lifeline.recovery.plugins.plugin_utils import _servicing as s
from ansible_collections.lifeline.recovery.plugins.plugin_utils._action import RecoveryAction, RecoveryFailed
from ansible_collections.lifeline.recovery.plugins.plugin_utils._dism import (
    dism_remove_package,
    dism_revert_pending,
    parse_dism_error,
)
from ansible_collections.lifeline.recovery.plugins.plugin_utils._parsers import ParseError
from ansible_collections.lifeline.recovery.plugins.plugin_utils._powershell import native_script
from ansible_collections.lifeline.recovery.plugins.plugin_utils._servicing import servicing_survey

# DISM exits with the Win32 code: 3010 ERROR_SUCCESS_REBOOT_REQUIRED (the change finishes at the next boot).
REBOOT_REQUIRED = 3010
# /RevertPendingActions exiting 0x800F082F is read as "nothing to revert" (the project reference,
# windows-recovery.md). Microsoft documents no meaning for it (windows-tools.md 4.2), so the task reports
# changed=false with DISM's own words and a warning when pending.xml is still there, never a success it cannot prove.
# DISM exits with an HRESULT as a signed 32-bit value, the remote shell may hand it over either way.
NOTHING_TO_REVERT = (0x800F082F, 0x800F082F - (1 << 32))


class ActionModule(RecoveryAction):
    ARGUMENT_SPEC = {
        "state": {"type": "str", "choices": ["listed", "removed", "pending_reverted"], "default": "listed"},
        "package_name": {"type": "str"},
        "newest_quality_update": {"type": "bool", "default": False},
        "offline": {"type": "bool"},
        "os_volume": {"type": "str"},
    }
    MUTUALLY_EXCLUSIVE = [["package_name", "newest_quality_update"]]

    def recover(self, args: dict, task_vars: dict) -> dict:
        # Everything about the input is checked before the first command (commands_sent stays 0 on bad input).
        state = args["state"]
        if state == "removed" and not args.get("package_name") and not args["newest_quality_update"]:
            raise RecoveryFailed("state=removed needs package_name or newest_quality_update=true")
        if state != "removed" and (args.get("package_name") or args["newest_quality_update"]):
            raise RecoveryFailed(f"package_name and newest_quality_update apply to state=removed, not {state}")
        os_volume = self.from_facts(args, "os_volume", "os_volume", task_vars)
        offline = self.from_facts(args, "offline", "system_hive_offline", task_vars)
        if not isinstance(offline, bool):
            raise RecoveryFailed(f"offline must be true or false, not {offline!r}")
        if state == "pending_reverted" and not offline:
            raise RecoveryFailed(
                "pending actions can only be reverted in an offline image (DISM /Cleanup-Image /RevertPendingActions "
                "is not supported on a running Windows): run it from WinRE with offline=true"
            )
        image = f"{os_volume}\\" if offline else None
        survey_script = servicing_survey(image, os_volume)
        if args.get("package_name"):
            dism_remove_package(image, args["package_name"])  # refuses a bad name before anything runs

        survey = self.survey(survey_script)
        result = {
            "image": image or "online",
            "packages": [s.package_result(package) for package in survey.packages],
            "pending_xml": survey.pending_xml,
            "removed": [],
            "reverted": [],
            "records": [],
            "reboot_required": False,
        }
        if state == "listed":
            return {**result, "changed": False}
        if state == "pending_reverted":
            return self.revert(result, survey, image, os_volume)
        return self.remove(args, result, survey, image, os_volume)

    def survey(self, script: str) -> s.ServicingSurvey:
        completed = self.powershell(script)
        try:
            return s.parse_servicing_survey(completed.stdout)
        except ParseError as error:
            raise RecoveryFailed(
                f"listing the servicing packages failed (exit code {completed.rc}): {error}", rc=completed.rc
            ) from None

    # -- removed ---------------------------------------------------------------------------------------
    def remove(self, args: dict, result: dict, survey: s.ServicingSurvey, image: str | None, os_volume: str) -> dict:
        if args["newest_quality_update"]:
            waiting = s.newest_awaiting_restart(survey.packages)
            if waiting is not None:
                message = f"{waiting.identity} is already Uninstall Pending: restart to finish the removal"
                return {**result, "changed": False, "reboot_required": True, "msg": message}
            done = s.already_removed_newest(survey.packages, survey.records)
            if done is not None:
                return {**result, "changed": False, "msg": f"already removed {done['package']['identity']}"}
            package = s.newest_quality_update(survey.packages)
            if package is None:
                raise RecoveryFailed("no installed quality update (Package_for_RollupFix or Package_for_KB...) found")
            selected_by = "newest_quality_update"
        else:
            wanted = args["package_name"].lower()
            package = next((p for p in survey.packages if p.identity.lower() == wanted), None)
            if package is None:
                return {**result, "changed": False, "msg": f"{args['package_name']} is not installed"}
            if package.state.lower() == "uninstall pending":  # removed online already: the restart finishes it
                message = f"{package.identity} is already Uninstall Pending: restart to finish the removal"
                return {**result, "changed": False, "reboot_required": True, "msg": message}
            selected_by = "package_name"
        removed = s.package_result(package)
        result = {**result, "changed": True, "removed": [removed]}
        self._diff(result, survey, package.identity)
        if self._task.check_mode:
            return {**result, "msg": f"would remove {package.identity} (check mode: nothing removed)"}
        completed = self.powershell(native_script(dism_remove_package(image, package.identity)))
        self.fail_unless_done(f"removing {package.identity}", completed)
        record = _records.new(
            "servicing", "win_servicing", action="removed", selected_by=selected_by, image=result["image"],
            package=removed, rc=completed.rc,
        )  # fmt: skip
        result["records"] = [self.write_record(os_volume, package.identity, record)]
        return {**result, "reboot_required": completed.rc == REBOOT_REQUIRED}

    # -- pending_reverted ------------------------------------------------------------------------------
    def revert(self, result: dict, survey: s.ServicingSurvey, image: str, os_volume: str) -> dict:
        pending = [s.package_result(package) for package in s.pending_packages(survey.packages)]
        if not survey.pending_xml and not pending:
            return {**result, "changed": False, "msg": "nothing is pending"}
        result = {**result, "changed": True, "reverted": pending}
        if self._task.diff:
            result["diff"] = {"before": {"pending_xml": True, "pending": pending}, "after": {"pending_xml": False}}
        if self._task.check_mode:
            return {**result, "msg": "would revert the pending actions (check mode: nothing reverted)"}
        completed = self.powershell(native_script(dism_revert_pending(image)))
        if completed.rc in NOTHING_TO_REVERT:
            return self.nothing_reverted(result, survey)
        self.fail_unless_done("reverting the pending actions", completed)
        record = _records.new(
            "servicing", "win_servicing", action="pending_reverted", image=image, pending_xml=survey.pending_xml,
            packages=pending,
        )  # fmt: skip
        stamp = record["time"][:19].replace("-", "").replace(":", "")  # 20260131T080000
        result["records"] = [self.write_record(os_volume, f"revert-{stamp}Z", record)]
        return {**result, "reboot_required": completed.rc == REBOOT_REQUIRED}

    def nothing_reverted(self, result: dict, survey: s.ServicingSurvey) -> dict:
        """DISM said 0x800F082F: nothing was reverted, so nothing is recorded and nothing changed."""
        result = {**result, "changed": False, "reverted": [], "msg": "DISM found nothing to revert (0x800F082F)"}
        result.pop("diff", None)
        if survey.pending_xml:
            result["warnings"] = [
                "DISM reverted nothing (0x800F082F) but \\Windows\\WinSxS\\pending.xml exists: the pending "
                "operations may still run at the next boot (the known fallback: rename pending.xml)"
            ]
        return result

    # -- helpers ---------------------------------------------------------------------------------------
    def fail_unless_done(self, what: str, completed) -> None:
        if completed.rc in (0, REBOOT_REQUIRED):
            return
        try:
            error = parse_dism_error(completed.stdout)
        except ParseError:
            error = None
        message = f"{what} failed (exit code {completed.rc}): {error or completed.error_text()}"
        raise RecoveryFailed(message, rc=completed.rc)

    def write_record(self, os_volume: str, key: str, record: dict) -> str:
        self.checked("writing the servicing record", _records.write_script(os_volume, "servicing", key, record))
        return _records.path(os_volume, "servicing", key)

    def _diff(self, result: dict, survey: s.ServicingSurvey, identity: str) -> None:
        if self._task.diff:
            before = [package.identity for package in survey.packages]
            result["diff"] = {
                "before": {"packages": before},
                "after": {"packages": [i for i in before if i != identity]},
            }
