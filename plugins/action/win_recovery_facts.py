# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""win_recovery_facts: where a host is and what its Windows looks like, as ansible_facts.lifeline_recovery.

Round trips: one environment survey (environment, volumes, BitLocker, BCD and the failover marker, minidumps,
pending.xml); then the
SYSTEM hive survey (drivers, SafeBoot\\Network, CrashControl, DISM packages): live in Windows (2 in all), and in
WinRE from the offline hive, which needs its Select\\Current first (3 in all: each offline script loads the
hive under a unique name and unloads it in a finally block). A locked or missing Windows volume stops at 1.
Read-only: check mode runs the same way; changed is always false.
"""

from __future__ import annotations

import uuid

from ansible_collections.lifeline.recovery.plugins.plugin_utils._action import FACTS_KEY, RecoveryAction, RecoveryFailed
from ansible_collections.lifeline.recovery.plugins.plugin_utils._host_model import (
    EnvironmentSurvey,
    WindowsLocation,
    locate_windows,
)
from ansible_collections.lifeline.recovery.plugins.plugin_utils._parsers import ParseError
from ansible_collections.lifeline.recovery.plugins.plugin_utils._recovery_survey import (
    HiveSurvey,
    boot_summary,
    control_set_name,
    parse_environment_survey,
    parse_hive_survey,
    recovery_environment_survey,
    remote_recovery,
    system_hive_survey,
)

GATHER = ("environment", "bitlocker", "boot", "drivers", "servicing", "crashes", "remote")
MOUNT_PREFIX = "LIFELINE_"


def mount_key() -> str:
    """A mount point no other run uses: a leftover from a crashed run never collides with this one."""
    return "HKLM\\" + MOUNT_PREFIX + uuid.uuid4().hex[:12].upper()


class ActionModule(RecoveryAction):
    ARGUMENT_SPEC = {"gather": {"type": "list", "elements": "str", "choices": list(GATHER), "default": list(GATHER)}}

    def recover(self, args: dict, task_vars: dict) -> dict:
        gather = set(args["gather"]) | {"environment"}
        survey = self.environment_survey("crashes" in gather)
        where = locate_windows(survey)
        facts = self.environment_facts(survey, where)
        hive = None
        if where.os_volume and not where.locked and gather & {"drivers", "remote", "crashes", "servicing"}:
            hive, facts["current_control_set"] = self.hive_survey(where, gather)
        os_volume = survey.volume(where.os_volume)
        if "bitlocker" in gather:
            facts["bitlocker"] = [bitlocker_fact(v) for v in survey.bitlocker] if survey.bitlocker is not None else None
            facts["bitlocker_error"] = survey.bitlocker_error
        if "boot" in gather:
            facts["boot"] = boot_summary(survey.boot)
            facts["boot_error"] = survey.boot_error
        if "drivers" in gather:
            facts["drivers"] = list(hive.drivers) if hive and hive.drivers is not None else None
        if "servicing" in gather:
            facts["pending_servicing"] = None if where.locked else servicing_fact(os_volume, hive)
        if "crashes" in gather:
            readable = os_volume is not None and os_volume.minidumps is not None and not where.locked
            facts["crashes"] = [dump.to_fact() for dump in os_volume.minidumps] if readable else None
            facts["crash_control"] = hive.crash_control if hive else None
        if "remote" in gather:
            remote = remote_recovery(hive) if hive else None
            facts["remote_recovery"] = remote
            facts["prepared_for_remote_recovery"] = remote["prepared"] if remote else None
        facts["gathered"] = [name for name in GATHER if name in gather]
        return {"changed": False, "ansible_facts": {FACTS_KEY: facts}}

    def environment_survey(self, crashes: bool) -> EnvironmentSurvey:
        completed = self.powershell(recovery_environment_survey(bitlocker=True, boot=True, crashes=crashes))
        try:
            return parse_environment_survey(completed.stdout)
        except ParseError as error:
            raise RecoveryFailed(
                f"reading where the host is failed (exit code {completed.rc}): {error}; {completed.error_text()}",
                rc=completed.rc,
            ) from None

    def environment_facts(self, survey: EnvironmentSurvey, where: WindowsLocation) -> dict:
        return {
            "environment": survey.environment,
            "environment_evidence": survey.environment_evidence,
            "system_drive": survey.system_drive,
            "os_volume": where.os_volume,
            "os_volume_locked": bool(where.locked),
            "os_volume_reason": where.reason,
            "os_volume_candidates": list(where.candidates),
            "system_hive_offline": where.offline,
            "system_root": where.system_root,
            "current_control_set": None,
            "last_boot_time": survey.last_boot_time.isoformat(),
            "failover_marker": survey.failover_marker,
            "failover_marker_error": survey.failover_marker_error,
        }

    def hive_survey(self, where: WindowsLocation, gather: set[str]) -> tuple[HiveSurvey, str]:
        """The SYSTEM hive of the Windows at ``where``: live, or loaded from its file and always unloaded (twice:
        Select\\Current names the control set the second script reads)."""
        options = {
            "drivers": "drivers" in gather or "remote" in gather,  # the groups tell whether a dependency is listed
            "remote": "remote" in gather,
            "crashes": "crashes" in gather,
            "servicing_image": False,
        }
        if "servicing" in gather:
            options["servicing_image"] = where.os_volume + "\\" if where.offline else None
        if not where.offline:
            hive = self.run_hive_script(system_hive_survey("CurrentControlSet", **options), None)
            return hive, control_set_name(hive.select)
        hive_file = where.system_root + "\\System32\\config\\SYSTEM"
        key = mount_key()
        select = self.run_hive_script(system_hive_survey(None, key, hive_file), key)
        control_set = control_set_name(select.select)
        key = mount_key()
        hive = self.run_hive_script(system_hive_survey(control_set, key, hive_file, **options), key)
        return hive, control_set

    def run_hive_script(self, script: str, key: str | None) -> HiveSurvey:
        completed = self.powershell(script)
        try:
            hive = parse_hive_survey(completed.stdout)
        except ParseError as error:
            left = f"; check that {key} is not left loaded (reg query HKLM)" if key else ""
            raise RecoveryFailed(
                f"reading the SYSTEM hive failed (exit code {completed.rc}): {error}{left}", rc=completed.rc
            ) from None
        if key is not None and hive.unload_rc != 0:
            raise RecoveryFailed(
                f"reg unload {key} failed (exit code {hive.unload_rc}): the offline SYSTEM hive is still loaded; "
                f"run 'reg unload {key}' on the host before changing that Windows installation",
                rc=completed.rc,
            )
        return hive


def bitlocker_fact(volume) -> dict:
    return {
        "volume": volume.mount_point,
        "volume_type": volume.volume_type,
        "size_gb": volume.size_gb,
        "conversion_status": volume.conversion_status,
        "percentage_encrypted": volume.percentage_encrypted,
        "encryption_method": volume.encryption_method,
        "protection_on": volume.protection_on,
        "locked": volume.locked,
        "key_protectors": list(volume.key_protectors),
    }


def servicing_fact(os_volume, hive: HiveSurvey | None) -> dict | None:
    """pending.xml on the Windows volume and the packages DISM lists in a pending state."""
    if os_volume is None:
        return None
    pending = None
    if hive is not None and hive.packages is not None:
        pending = [
            {"identity": p.identity, "state": p.state, "release_type": p.release_type}
            for p in hive.packages
            if "pending" in p.state.lower()
        ]
    return {
        "pending_xml": os_volume.pending_xml,
        "packages": pending,
        "pending": bool(os_volume.pending_xml or pending),
        "error": hive.servicing_error if hive else None,
    }
