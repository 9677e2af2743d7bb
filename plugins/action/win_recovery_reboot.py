# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""win_recovery_reboot: restart into normal mode or Safe Mode, wait for the host, and prove the boot.

Like ansible.windows.win_reboot (a thin action plugin with a reconnect loop), with recovery in mind:
1. the environment survey of win_recovery_facts (same builder and parser): environment, last boot time, the
   default loader's safeboot, the minidumps already on the Windows volume;
2. the default loader's ``safeboot`` set or deleted for the target by win_boot_config (so the previous value is
   recorded on the host in the entry's rollback record, as that module records every change), and returned in
   ``boot_config_change``;
3. ``wpeutil reboot`` in WinRE, ``shutdown /r /t <pre_reboot_delay> /f`` elsewhere;
4. after ``pre_reboot_delay`` (``shutdown /t``: Windows does not begin to shut down before it ends, so a survey
   sooner could only find the old boot), reconnect (close + reset, ``connect_timeout`` per attempt) and survey
   until the boot time is new, then after
   ``post_reboot_delay`` once more: a boot that crashes in that delay is not counted as a boot;
5. the verdict: the environment the boot settings promise, and no minidump that was not there before.
"""

from __future__ import annotations

import time

from ansible.errors import AnsibleError

from ansible_collections.lifeline.recovery.plugins.action.win_boot_config import ActionModule as BootConfig
from ansible_collections.lifeline.recovery.plugins.plugin_utils._action import RecoveryAction, RecoveryFailed
from ansible_collections.lifeline.recovery.plugins.plugin_utils._host_model import (
    EnvironmentSurvey,
    default_entry,
    expected_environment,
    locate_windows,
)
from ansible_collections.lifeline.recovery.plugins.plugin_utils._parsers import ParseError
from ansible_collections.lifeline.recovery.plugins.plugin_utils._powershell import native_script
from ansible_collections.lifeline.recovery.plugins.plugin_utils._recovery_survey import (
    parse_environment_survey,
    recovery_environment_survey,
)
from ansible_collections.lifeline.recovery.plugins.plugin_utils._restart import shutdown_restart, wpeutil_reboot

TARGETS = {"normal": None, "safe_mode": "Minimal", "safe_mode_network": "Network"}
MAX_WAIT_BETWEEN_ATTEMPTS = 5.0


def crash_text(crash: dict) -> str:
    parameters = ", ".join(crash["parameters"])
    return f"bugcheck {crash['bugcheck'] or 'unknown'} ({parameters}) in {crash['file']} at {crash['time']}"


class ActionModule(RecoveryAction):
    ARGUMENT_SPEC = {
        "target": {
            "type": "str",
            "choices": ["normal", "safe_mode", "safe_mode_network", "current"],
            "default": "normal",
        },
        "reboot_timeout": {"type": "int", "default": 600},
        "connect_timeout": {"type": "int", "default": 5},
        "pre_reboot_delay": {"type": "int", "default": 2},
        "post_reboot_delay": {"type": "int", "default": 0},
    }

    def recover(self, args: dict, task_vars: dict) -> dict:
        for option, low in (("reboot_timeout", 1), ("connect_timeout", 1), ("pre_reboot_delay", 0)):
            if args[option] < low:
                raise RecoveryFailed(f"{option} must be at least {low}, not {args[option]}; nothing was sent")
        if args["post_reboot_delay"] < 0:
            raise RecoveryFailed(f"post_reboot_delay must not be negative, not {args['post_reboot_delay']}")
        survey_script = recovery_environment_survey(bitlocker=False, boot=True, crashes=True)
        restart_script = native_script(shutdown_restart(args["pre_reboot_delay"]))
        before = self.survey(survey_script)
        entry = default_entry(before.boot)
        if entry is None:
            raise RecoveryFailed(f"the boot configuration has no default loader to restart into: {before.boot_error}")
        current = entry.get("safeboot")
        target = args["target"]
        wanted = current if target == "current" else TARGETS[target]
        expected = expected_environment(wanted)
        result = {
            "rebooted": False,
            "elapsed": 0.0,
            "previous_environment": before.environment,
            "previous_boot_time": before.last_boot_time.isoformat(),
            "expected_environment": expected,
            "environment": before.environment,
            "last_boot_time": before.last_boot_time.isoformat(),
            "new_crashes": [],
            "os_volume": None,
            "boot_config_change": None,
        }
        if (wanted or "").lower() != (current or "").lower():
            result["boot_config_change"] = {"entry": "{default}", "element": "safeboot", "previous": current}
            result["boot_config_change"]["value"] = wanted
        quiet = args["pre_reboot_delay"]  # shutdown /t: "the time-out period before shutdown" (Microsoft Learn)
        if before.environment == "winre":
            restart_script, quiet = native_script(wpeutil_reboot()), 0
        if self._task.check_mode:
            return {**result, "changed": True, "msg": f"would restart into {expected} (check mode: not restarted)"}
        if result["boot_config_change"] is not None:
            self.set_safeboot(before, wanted, result)
        self.restart(restart_script)
        result["rebooted"] = True
        started = time.monotonic()
        after = self.wait_for_new_boot(survey_script, before, args, started, quiet)
        result["elapsed"] = round(time.monotonic() - started, 1)
        if after is None:
            raise RecoveryFailed(
                f"the host did not come back within {args['reboot_timeout']} s (no new boot seen over WinRM)",
                **{**result, "changed": True, "environment": None, "last_boot_time": None, "new_crashes": None},
            )
        return self.verdict(before, after, {**result, "changed": True})

    def survey(self, script: str) -> EnvironmentSurvey:
        completed = self.powershell(script)
        try:
            return parse_environment_survey(completed.stdout)
        except ParseError as error:
            raise RecoveryFailed(
                f"reading where the host is failed (exit code {completed.rc}): {error}", rc=completed.rc
            ) from None

    def set_safeboot(self, before: EnvironmentSurvey, wanted: str | None, result: dict) -> None:
        """The default loader's safeboot set (or deleted) by win_boot_config, which records the previous value in
        the entry's rollback record when the Windows volume is readable (else nowhere: that module warns)."""
        where = locate_windows(before)
        args = {"identifier": "{default}", "safeboot": (wanted or "absent").lower()}
        if where.os_volume and not where.locked:
            args["os_volume"] = where.os_volume
        done = self.run_module(BootConfig, args, task_vars={})  # where Windows is: this survey's, not older facts
        if done.get("failed"):
            raise RecoveryFailed(f"setting the default loader's safeboot failed: {done.get('msg')}")
        result["boot_config_change"]["record"] = done.get("record")
        if done.get("warnings"):
            result["warnings"] = done["warnings"]

    def restart(self, script: str) -> None:
        try:
            completed = self.powershell(script)
        except Exception:  # AnsibleError, or requests' ConnectionError from pywinrm: the host went down first
            return  # before it answered: the restart has begun
        if completed.rc != 0:
            raise RecoveryFailed(f"the restart command failed (exit code {completed.rc}): {completed.error_text()}")

    def reconnect(self, connect_timeout: int) -> None:
        """A fresh connection: the old one belongs to the boot that ended."""
        try:
            self._connection.set_option("connection_timeout", connect_timeout)
        except (KeyError, AnsibleError):
            pass  # not every connection plugin has the option
        for step in (self._connection.close, self._connection.reset):
            try:
                step()
            except Exception:  # a host that is down fails here; the next attempt retries
                pass

    def wait_for_new_boot(
        self, script: str, before: EnvironmentSurvey, args: dict, started: float, quiet: float = 0
    ) -> EnvironmentSurvey | None:
        """The survey of a new boot that survived ``post_reboot_delay``, or None after ``reboot_timeout``; the
        first look after ``quiet`` seconds, in which the host cannot have restarted yet."""
        deadline = started + args["reboot_timeout"]
        time.sleep(min(quiet, args["reboot_timeout"]))
        wait, seen = 0.5, None
        while time.monotonic() < deadline:
            self.reconnect(args["connect_timeout"])
            try:
                survey = self.survey(script)
            except Exception:  # down (any transport error), booting, or answering garbage: try again
                survey = None
            if survey is not None and survey.last_boot_time != before.last_boot_time:
                if args["post_reboot_delay"] == 0 or (seen and seen.last_boot_time == survey.last_boot_time):
                    return survey
                seen = survey
                time.sleep(min(args["post_reboot_delay"], max(0.0, deadline - time.monotonic())))
                continue
            time.sleep(min(wait, max(0.0, deadline - time.monotonic())))
            wait = min(wait * 2, MAX_WAIT_BETWEEN_ATTEMPTS)
        return None

    def verdict(self, before: EnvironmentSurvey, after: EnvironmentSurvey, result: dict) -> dict:
        where = locate_windows(after)
        volume = after.volume(where.os_volume)
        known = {(d.name, d.time) for v in before.volumes for d in v.minidumps or ()}
        new_crashes = None
        if volume is not None and volume.minidumps is not None and not where.locked:
            new_crashes = [d.to_fact() for d in volume.minidumps if (d.name, d.time) not in known]
        result.update(
            environment=after.environment, last_boot_time=after.last_boot_time.isoformat(), new_crashes=new_crashes
        )
        result["os_volume"] = None if where.locked else where.os_volume  # where the next task finds the lease
        crashed = ""
        if new_crashes:  # newest first
            crashed = f"{crash_text(new_crashes[0])} ({len(new_crashes)} new crash(es) since the restart)"
        if after.environment != result["expected_environment"]:
            why = f" after crashing: {crashed}" if crashed else ""
            if new_crashes is None:
                why = " (its crash history cannot be read: the Windows volume is locked or not found)"
            raise RecoveryFailed(
                f"the host came back in {after.environment}{why}, expected {result['expected_environment']}", **result
            )
        if new_crashes:
            raise RecoveryFailed(f"the host came back in {after.environment} but crashed since the restart: {crashed}",
                                 **result)  # fmt: skip
        return {**result, "msg": f"restarted into {after.environment} in {result['elapsed']} s"}
