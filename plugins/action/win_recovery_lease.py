# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""win_recovery_lease: one rollout at a time on a host, recorded on the host itself.

``state: acquired`` (not in check mode) starts with ONE script that creates the lease if there is none
(``_lease.lease_swap`` from absent) and otherwise reads what is there; ``state: released`` and check mode start
with a read, except a release given the ``lease`` the acquiring task returned: it starts with the swap that
removes exactly that file (its SHA-256 computed on the controller), one command when nothing changed it since.
The controller then decides (``_lease.decide_acquire`` / ``decide_release``) and, when the file must
change, sends one compare-and-swap script that also reads the file again when someone changed it in between; the
decision is then taken again on what it found, ``MAX_SWAPS`` times at most.
"""

from __future__ import annotations

import datetime
import getpass
import json
import socket

from ansible_collections.lifeline.recovery.plugins.plugin_utils import _lease as lease
from ansible_collections.lifeline.recovery.plugins.plugin_utils._action import RecoveryAction, RecoveryFailed
from ansible_collections.lifeline.recovery.plugins.plugin_utils._parsers import ParseError

# A swap loses only when another controller changed the file in the milliseconds between two scripts.
MAX_SWAPS = 3
UNKNOWN_USER = "unknown"


def controller_owner() -> str:
    """``<controller user>@<controller host name>``, cut to the owner's length limit."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no login name and no password database entry (a container's random uid)
        user = UNKNOWN_USER
    return f"{user}@{socket.gethostname()}"[: lease.MAX_OWNER]


class ActionModule(RecoveryAction):
    ARGUMENT_SPEC = {
        "state": {"type": "str", "choices": ["acquired", "released"], "default": "acquired"},
        "run_id": {"type": "str", "required": True},
        "owner": {"type": "str"},
        "duration": {"type": "int", "default": lease.DEFAULT_MINUTES},
        "force": {"type": "bool", "default": False},
        "os_volume": {"type": "str", "aliases": ["volume"]},
        "lease": {"type": "dict"},
    }

    def recover(self, args: dict, task_vars: dict) -> dict:
        run = lease.run_id(args["run_id"])
        owner = lease.owner_name(args["owner"] if args["owner"] is not None else controller_owner())
        minutes = args["duration"]
        if not 1 <= minutes <= lease.MAX_MINUTES:
            raise RecoveryFailed(f"duration {minutes} is not from 1 to {lease.MAX_MINUTES} minutes")
        if not args["os_volume"] and self.recovery_facts(task_vars).get("os_volume_locked"):
            raise RecoveryFailed(
                "the Windows volume is locked by BitLocker and the lease lives on it: unlock it first "
                "(lifeline.recovery.win_bitlocker_unlock) and gather the facts again; nothing was changed"
            )
        acquiring = args["state"] == "acquired"
        held = None
        if args["lease"] is not None:
            if acquiring:
                raise RecoveryFailed("lease is for state released only (the lease the acquiring task returned)")
            held = lease.held_lease(args["lease"], run)
        path = lease.lease_path(self.from_facts(args, "os_volume", "os_volume", task_vars))
        result = {"path": path, "run_id": run, "state": args["state"]}
        if acquiring and not self._task.check_mode:
            found = lease.ABSENT_FILE  # the first swap creates it, or reads what is there instead
        elif held is not None and not self._task.check_mode:
            # what this run wrote: the swap removes it if the file still holds exactly that, or reads what it holds
            found = lease.LeaseFile(lease.lease_text(held), lease.lease_sha256(held))
        else:
            found = self.run_lease_script("reading the lease", lease.lease_read(path))[1]
        for _swap in range(MAX_SWAPS):
            now = datetime.datetime.now(datetime.UTC)
            decision = (
                lease.decide_acquire(found, run, owner, minutes, now, args["force"])
                if acquiring
                else lease.decide_release(found, run)
            )
            if not decision.swap or self._task.check_mode:
                return self.finish(result, decision, found, now)
            text = None if decision.write is None else lease.lease_text(decision.write)
            done, after = self.run_lease_script(
                f"{'writing' if text else 'removing'} the lease {path}", lease.lease_swap(path, found.sha256, text)
            )
            if done:
                return self.finish(result, decision, found, now)
            found = after
        raise RecoveryFailed(
            f"the lease {path} changed {MAX_SWAPS} times while this task decided: another rollout is working on "
            "this host right now; nothing was changed",
            **result,
        )

    def run_lease_script(self, what: str, script_text: str) -> tuple[bool, lease.LeaseFile]:
        completed = self.powershell(script_text)
        if completed.rc != 0:
            raise RecoveryFailed(f"{what} failed (exit code {completed.rc}): {completed.error_text()}", rc=completed.rc)
        try:
            return lease.parse_report(completed.stdout)
        except ParseError as error:
            raise RecoveryFailed(f"{what} failed: {error}", rc=completed.rc) from None

    def finish(self, result: dict, decision: lease.Decision, found: lease.LeaseFile, now: datetime.datetime) -> dict:
        """The task's result for a decision carried out (or, in check mode, one that would be)."""
        current, outcome = decision.current, decision.outcome
        result["outcome"] = outcome
        if outcome == lease.HELD:
            raise RecoveryFailed(
                f"leased by {current.owner} (run {current.run_id}) until {lease.iso_time(current.expires)}; "
                "another rollout is working on this host",
                **result,
                lease_holder=current.holder(),
            )
        if outcome == lease.UNREADABLE and result["state"] == "acquired":
            raise RecoveryFailed(
                f"the lease file {result['path']} cannot be read ({decision.problem}): it was left as it is; look "
                "at it, or set force: true to replace it",
                **result,
            )
        after = decision.write if decision.swap else current
        result.update(changed=decision.swap, lease=None if after is None else after.to_result())
        if outcome == lease.NOT_OURS:
            result["lease_holder"] = current.holder()
        if outcome == lease.TAKE_OVER:
            result["previous_holder"] = current.holder()
        if self._task.diff:
            written = lease.lease_text(decision.write) if decision.write else None
            result["diff"] = {
                "before_header": result["path"],
                "after_header": result["path"],
                "before": _shown_text(found.text),
                "after": _shown_text(written if decision.swap else found.text),
            }
        msg, warning = describe(decision, result["path"], result["run_id"], now, self._task.check_mode)
        if warning:
            result["warnings"] = [warning]
        return {**result, "msg": msg}


def describe(
    decision: lease.Decision, path: str, run: str, now: datetime.datetime, check: bool
) -> tuple[str, str | None]:
    """``(message, warning or None)`` for a decision that does not fail the task."""
    would, suffix = ("would be ", " (check mode)") if check else ("", "")
    write, current, outcome = decision.write, decision.current, decision.outcome
    if outcome == lease.CREATE:
        return f"lease {path} {would}acquired until {lease.iso_time(write.expires)}{suffix}", None
    if outcome == lease.RENEW:
        return f"lease {path} {would}renewed until {lease.iso_time(write.expires)}{suffix}", None
    if outcome == lease.KEEP:
        return f"lease {path} is held by this run until {lease.iso_time(current.expires)}", None
    if outcome == lease.REMOVE:
        return f"lease {path} {would}released{suffix}", None
    if outcome == lease.ABSENT:
        return f"no lease at {path}: nothing to release", None
    if outcome == lease.TAKE_OVER:
        warning = (
            f"the lease of {current.owner} (run {current.run_id}) expired at {lease.iso_time(current.expires)}: "
            f"{would}taken over by run {run}{suffix}"
        )
        return warning, warning
    if outcome == lease.FORCE:
        warning = f"the unreadable lease file {path} ({decision.problem}) {would}replaced (force: true){suffix}"
        return warning, warning
    if outcome == lease.NOT_OURS:
        until = "expired at" if current.expired(now) else "until"
        warning = (
            f"the lease is held by {current.owner} (run {current.run_id}, {until} "
            f"{lease.iso_time(current.expires)}), not by run {run}: left alone (only its own run removes a lease)"
        )
        return warning, warning
    warning = f"the lease file {path} cannot be read ({decision.problem}): left as it is"
    return warning, warning


def _shown_text(text: str | None) -> str:
    """The lease file for a diff: pretty JSON when it is JSON, as it is otherwise, empty when absent."""
    if text is None:
        return ""
    try:
        return json.dumps(json.loads(text.removeprefix("\ufeff")), indent=2) + "\n"
    except json.JSONDecodeError:
        return text
