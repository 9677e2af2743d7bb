# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""win_bitlocker_unlock: unlock a BitLocker volume with its recovery password (documentation in plugins/modules).

Order of work:
1. validate the password's format, the key protector ID and the volume (nothing sent yet);
2. ONE script on the host (``manage_bde_unlock_if_locked``), with the password on stdin (never in a script or
   command line): ``manage-bde -status <vol>``; only if that shows the volume locked, ``manage-bde -unlock`` with
   the password and ``manage-bde -status <vol>`` again. In check mode the script reads the status only and no
   password is sent;
3. the controller reads the outputs: an unlocked (or unencrypted) volume is changed false; the result reports the
   lock status the host shows after the unlock, not a guess.

The module never runs ``manage-bde -protectors -get``: on an unlocked volume (one that another run unlocked a
moment ago, too) Windows prints the recovery password there. So ``key_protector_id`` is not checked against the
volume: it names the escrow entry in the result and in a refusal.
"""

from __future__ import annotations

from ansible_collections.lifeline.recovery.plugins.plugin_utils._action import RecoveryAction, RecoveryFailed
from ansible_collections.lifeline.recovery.plugins.plugin_utils._escrow import (
    is_key_id,
    normalize_key_id,
    recovery_password_problem,
    shown_key_id,
)
from ansible_collections.lifeline.recovery.plugins.plugin_utils._manage_bde import (
    BitLockerVolume,
    ManageBdeError,
    UnlockError,
    manage_bde_unlock_if_locked,
    parse_manage_bde_unlock,
    parse_unlock_report,
)
from ansible_collections.lifeline.recovery.plugins.plugin_utils._parsers import ParseError

LOCKED = "Locked"
UNLOCKED = "Unlocked"


def lock_status(volume: BitLockerVolume) -> str:
    """The Lock Status as manage-bde words it."""
    return LOCKED if volume.locked else UNLOCKED


class ActionModule(RecoveryAction):
    ARGUMENT_SPEC = {
        "volume": {"type": "str"},
        "recovery_password": {"type": "str", "required": True, "no_log": True},
        "key_protector_id": {"type": "str"},
    }

    def recover(self, args: dict, task_vars: dict) -> dict:
        password = self.secret(args["recovery_password"])
        problem = recovery_password_problem(password)
        if problem:
            raise RecoveryFailed(
                f"recovery_password is not a valid BitLocker recovery password: {problem}; "
                "nothing was sent to the host (the value is not shown)"
            )
        key_id = args.get("key_protector_id")
        if key_id is not None and not is_key_id(key_id):
            raise RecoveryFailed(
                f"key_protector_id {shown_key_id(key_id)} is not a key protector ID (a GUID such as "
                "{01234567-89AB-CDEF-0123-456789ABCDEF}, braces optional); nothing was sent to the host"
            )
        volume = self.from_facts(args, "volume", "os_volume", task_vars)
        check_mode = self._task.check_mode
        script = manage_bde_unlock_if_locked(volume, check_mode=check_mode)
        volume = volume.upper()

        completed = self.powershell(script, stdin=None if check_mode else password + "\r\n")
        try:
            report = parse_unlock_report(completed.stdout, volume)
        except (ManageBdeError, ParseError) as error:
            # stderr is PowerShell's error record, which quotes the script (the password's variable name, never
            # the password); manage-bde's own errors are in stdout and repeat no argument.
            raise RecoveryFailed(
                f"reading the BitLocker status of volume {volume} failed (exit code {completed.rc}): "
                f"{completed.stderr.strip()[:400] or error}",
                volume=volume,
                rc=completed.rc,
            ) from None
        before = report.before
        result = {"volume": volume, "lock_status_before": lock_status(before)}
        if key_id is not None:
            result["key_protector_id"] = "{" + normalize_key_id(key_id) + "}"
        if not before.locked:
            return {
                **result,
                "changed": False,
                "lock_status_after": lock_status(before),
                "msg": f"volume {volume} is {'already unlocked' if before.key_protectors else 'not encrypted'}; "
                "the recovery password was not used",
            }

        if self._task.diff:
            result["diff"] = {
                "before": {"volume": volume, "lock_status": LOCKED},
                "after": {"volume": volume, "lock_status": UNLOCKED},
            }
        if check_mode:
            return {
                **result,
                "changed": True,
                "lock_status_after": LOCKED,
                "msg": f"volume {volume} is locked and would be unlocked (check mode: the password was not sent)",
            }
        if report.unlock is None or report.after is None:
            raise RecoveryFailed(f"the unlock script did not try to unlock volume {volume}, which is locked", **result)

        after = lock_status(report.after)
        try:
            parse_manage_bde_unlock(report.unlock, volume)
        except UnlockError as refused:
            escrow_entry = f" and to key protector {result['key_protector_id']}" if key_id is not None else ""
            raise RecoveryFailed(
                f"manage-bde refused the recovery password for volume {volume} ({refused.message.rstrip('.')}; "
                f"code {refused.code_text}, exit code {report.unlock_rc}): volume {volume} is still "
                f"{after.lower()}. Check that the escrowed password belongs to this computer{escrow_entry}",
                **result,
                rc=report.unlock_rc,
                code=refused.code_text,
                lock_status_after=after,
            ) from None
        except ParseError as error:
            raise RecoveryFailed(
                f"unlocking volume {volume} failed (exit code {report.unlock_rc}): {error}",
                **result,
                rc=report.unlock_rc,
                lock_status_after=after,
            ) from None
        if report.after.locked:
            raise RecoveryFailed(
                f"manage-bde said it unlocked volume {volume}, but manage-bde -status still shows it locked",
                **result,
                lock_status_after=LOCKED,
            )
        return {
            **result,
            "changed": True,
            "lock_status_after": after,
            "msg": f"volume {volume} unlocked with the recovery password",
        }
