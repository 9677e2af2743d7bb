# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""win_bitlocker_unlock: unlock a BitLocker volume with its recovery password (documentation in plugins/modules).

Order of work, so that a secret is sent only when it can be right and is needed:
1. validate the password's format, the key protector ID and the volume (nothing sent yet);
2. ``manage-bde -status <vol>``: an unlocked (or unencrypted) volume needs nothing: changed false;
3. ``manage-bde -protectors -get <vol>`` (only while locked: on an unlocked volume Windows prints the password
   itself there): the volume must have a numerical password protector, the one ``key_protector_id`` names;
4. unless in check mode, the unlock script, with the password on stdin (never in a script or command line);
5. ``manage-bde -status <vol>`` again: the result reports the lock status the host shows, not a guess.
"""

from __future__ import annotations

from ansible_collections.lifeline.recovery.plugins.plugin_utils import _commands as commands
from ansible_collections.lifeline.recovery.plugins.plugin_utils._action import RecoveryAction, RecoveryFailed
from ansible_collections.lifeline.recovery.plugins.plugin_utils._escrow import (
    is_key_id,
    normalize_key_id,
    recovery_password_problem,
    shown_key_id,
)
from ansible_collections.lifeline.recovery.plugins.plugin_utils._parse_manage_bde import (
    NUMERICAL_PASSWORD,
    BitLockerVolume,
    ManageBdeError,
    UnlockError,
    parse_manage_bde_protectors,
    parse_manage_bde_status,
    parse_manage_bde_unlock,
)
from ansible_collections.lifeline.recovery.plugins.plugin_utils._parsers import ParseError

LOCKED = "Locked"
UNLOCKED = "Unlocked"


def lock_status(volume: BitLockerVolume) -> str:
    """The Lock Status as manage-bde words it."""
    return LOCKED if volume.locked else UNLOCKED


def numerical_password_ids(protectors) -> list[str | None]:
    return [protector.protector_id for protector in protectors if protector.kind == NUMERICAL_PASSWORD]


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
        wanted_id = args.get("key_protector_id")
        if wanted_id is not None and not is_key_id(wanted_id):
            raise RecoveryFailed(
                f"key_protector_id {shown_key_id(wanted_id)} is not a key protector ID (a GUID such as "
                "{01234567-89AB-CDEF-0123-456789ABCDEF}, braces optional); nothing was sent to the host"
            )
        volume = self.from_facts(args, "volume", "os_volume", task_vars)
        # Every script is built (and so every value checked) before the first one is sent.
        status_script = commands.manage_bde_status(volume)
        protectors_script = commands.manage_bde_protectors_get(volume)
        unlock_script = commands.manage_bde_unlock_from_stdin(volume)
        volume = volume.upper()

        before = self.read_status(volume, status_script)
        result = {"volume": volume, "lock_status_before": lock_status(before)}
        if not before.locked:
            # Unlocked already, or not encrypted at all: the password is not needed, so it is not sent.
            # (The protector ID is not read here: on an unlocked volume that output holds the password.)
            return {
                **result,
                "changed": False,
                "lock_status_after": lock_status(before),
                "msg": f"volume {volume} is {'already unlocked' if before.key_protectors else 'not encrypted'}; "
                "the recovery password was not sent",
            }

        result["key_protector_id"] = self.matching_protector(volume, protectors_script, wanted_id)
        if self._task.diff:
            result["diff"] = {
                "before": {"volume": volume, "lock_status": LOCKED},
                "after": {"volume": volume, "lock_status": UNLOCKED},
            }
        if self._task.check_mode:
            return {
                **result,
                "changed": True,
                "lock_status_after": LOCKED,
                "msg": f"volume {volume} is locked and would be unlocked (check mode: the password was not sent)",
            }

        unlocked = self.powershell(unlock_script, stdin=password + "\r\n")
        try:
            parse_manage_bde_unlock(unlocked.stdout, volume)
        except UnlockError as refused:
            after = self.read_status(volume, status_script)
            raise RecoveryFailed(
                f"manage-bde refused the recovery password for volume {volume} ({refused.message.rstrip('.')}; "
                f"code {refused.code_text}, exit code {unlocked.rc}): volume {volume} is still "
                f"{lock_status(after).lower()}. Check that the escrowed password belongs to this computer and to "
                f"key protector {result['key_protector_id']}",
                **result,
                rc=unlocked.rc,
                code=refused.code_text,
                lock_status_after=lock_status(after),
            ) from None
        except ParseError as error:
            # Not manage-bde's answer (for example the script stopped before running it): stderr is
            # PowerShell's error record, which quotes the script, never the password.
            raise RecoveryFailed(
                f"unlocking volume {volume} failed (exit code {unlocked.rc}): {unlocked.stderr.strip()[:400] or error}",
                **result,
                rc=unlocked.rc,
            ) from None
        after = self.read_status(volume, status_script)
        if after.locked:
            raise RecoveryFailed(
                f"manage-bde said it unlocked volume {volume}, but manage-bde -status still shows it locked",
                **result,
                lock_status_after=LOCKED,
            )
        return {
            **result,
            "changed": True,
            "lock_status_after": lock_status(after),
            "msg": f"volume {volume} unlocked with the recovery password",
        }

    def read_status(self, volume: str, status_script: str) -> BitLockerVolume:
        """The volume as ``manage-bde -status <volume>`` shows it; fails naming manage-bde's error."""
        completed = self.powershell(status_script)
        try:
            volumes = parse_manage_bde_status(completed.stdout)
        except (ManageBdeError, ParseError) as error:
            raise RecoveryFailed(
                f"reading the BitLocker status of volume {volume} failed (exit code {completed.rc}): {error}",
                volume=volume,
                rc=completed.rc,
            ) from None
        for found in volumes:
            if found.mount_point == volume:
                return found
        raise RecoveryFailed(f"manage-bde -status {volume} did not report volume {volume}", volume=volume)

    def matching_protector(self, volume: str, protectors_script: str, wanted_id: str | None) -> str | None:
        """The ID of the numerical password protector the password is for; fails before the password is sent
        when the volume has none, or none with ``wanted_id``."""
        completed = self.powershell(protectors_script)
        try:
            ids = numerical_password_ids(parse_manage_bde_protectors(completed.stdout, volume))
        except (ManageBdeError, ParseError) as error:
            raise RecoveryFailed(
                f"reading the key protectors of volume {volume} failed (exit code {completed.rc}): {error}; "
                "the recovery password was not sent",
                volume=volume,
                lock_status_before=LOCKED,
                rc=completed.rc,
            ) from None
        if not ids:
            raise RecoveryFailed(
                f"volume {volume} has no numerical password (recovery password) protector, so no recovery "
                "password can unlock it; the recovery password was not sent",
                volume=volume,
                lock_status_before=LOCKED,
            )
        if wanted_id is None:
            return ids[0] if len(ids) == 1 else None
        wanted = "{" + normalize_key_id(wanted_id) + "}"
        if wanted not in ids:
            found = ", ".join(shown_key_id(found_id) for found_id in ids)
            raise RecoveryFailed(
                f"volume {volume} has no numerical password protector with ID {wanted} (it has: {found}): the "
                "recovery password is for another key; the recovery password was not sent",
                volume=volume,
                lock_status_before=LOCKED,
            )
        return wanted
