# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The frame every Lifeline action plugin shares: arguments, remote scripts, failures, secrets.

A module subclasses ``RecoveryAction``, declares ``ARGUMENT_SPEC`` (and the usual relations between
options) and implements ``recover(args, task_vars)``, which returns the result dict. It talks to the
host only through ``self.powershell(script, stdin=...)`` with built scripts (``_powershell.script``, see
README.md); each call is one WinRM command on the task's connection (no module payload is uploaded).

Failures: raise ``RecoveryFailed`` (or let a builder's ValueError through) and the task fails with
that message. Secrets: values of ``no_log`` options, and any value passed to ``self.secret()``,
are replaced by ``********`` in everything the task returns, whatever path it took. A script that
needs a secret gets it on stdin (read with ``$input`` on the host), so the secret is never part of
a command line that a connection plugin logs or that PowerShell quotes in an error record.
"""

from __future__ import annotations

import time
from abc import abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.lifeline.recovery.plugins.plugin_utils._powershell import encoded_command

__all__ = ["FACTS_KEY", "REDACTED", "Completed", "RecoveryAction", "RecoveryFailed", "redact"]

REDACTED = "********"
FACTS_KEY = "lifeline_recovery"  # ansible_facts.lifeline_recovery, set by win_recovery_facts


class RecoveryFailed(Exception):
    """The task fails with ``msg``; ``details`` are added to the result (e.g. rc, stderr, what changed)."""

    def __init__(self, msg: str, **details: Any) -> None:
        super().__init__(msg)
        self.msg = msg
        self.details = details


@dataclass(frozen=True)
class Completed:
    """What one remote script did: its exit code, output and error text (CLIXML already decoded)."""

    rc: int
    stdout: str
    stderr: str
    seconds: float

    def error_text(self) -> str:
        """The first lines of stderr, or of stdout when stderr is empty (native tools print errors there)."""
        text = self.stderr.strip() or self.stdout.strip()
        lines = [line.rstrip() for line in text.splitlines() if line.strip()]
        return " ".join(lines[:6])[:800] or "no output"


def redact(value: Any, secrets: list[str]) -> Any:
    """``value`` with every occurrence of each secret replaced, in strings nested in lists and dicts."""
    if not secrets:
        return value
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, REDACTED)
        return value
    if isinstance(value, Mapping):
        return {key: redact(item, secrets) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact(item, secrets) for item in value]
    return value


class RecoveryAction(ActionBase):
    """Validate the arguments, run ``recover``, turn failures into a failed result, redact secrets."""

    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False

    ARGUMENT_SPEC: dict[str, dict] = {}
    MUTUALLY_EXCLUSIVE: list[list[str]] = []
    REQUIRED_IF: list[tuple] = []
    REQUIRED_TOGETHER: list[list[str]] = []
    REQUIRED_ONE_OF: list[list[str]] = []

    def run(self, tmp: Any = None, task_vars: dict | None = None) -> dict:
        self._secrets: list[str] = []
        self._commands_sent = 0
        result = super().run(tmp, task_vars)
        del tmp
        try:
            args = self.validate_argument_spec(
                argument_spec=self.ARGUMENT_SPEC,
                mutually_exclusive=self.MUTUALLY_EXCLUSIVE,
                required_if=self.REQUIRED_IF,
                required_together=self.REQUIRED_TOGETHER,
                required_one_of=self.REQUIRED_ONE_OF,
            )[1]
        except AnsibleActionFail as error:
            self._secrets += self._no_log_values(self._task.args)
            return redact({**result, "failed": True, "msg": str(error.message), "commands_sent": 0}, self._secrets)
        self._secrets += self._no_log_values(args)
        try:
            result.update(self.recover(args, task_vars or {}))
        except RecoveryFailed as failure:
            result.update(failure.details)
            result.update(failed=True, msg=failure.msg)
        except ValueError as error:  # a builder refused a value: nothing was sent for it
            result.update(failed=True, msg=str(error))
        result.setdefault("changed", False)
        result["commands_sent"] = self._commands_sent
        return redact(result, self._secrets)

    @abstractmethod
    def recover(self, args: dict, task_vars: dict) -> dict:
        """The module's work on the host, once its arguments are valid: the result dict."""

    def secret(self, value: str) -> str:
        """Remember ``value`` as a secret to redact from the result; returns it unchanged."""
        if value and value not in self._secrets:
            self._secrets.append(value)
        return value

    def _no_log_values(self, args: Mapping) -> list[str]:
        return [
            str(args[name])
            for name, spec in self.ARGUMENT_SPEC.items()
            if spec.get("no_log") and isinstance(args, Mapping) and args.get(name) not in (None, "")
        ]

    def recovery_facts(self, task_vars: dict) -> dict:
        """The facts ``win_recovery_facts`` gathered for this host in this play (``{}`` before it ran)."""
        facts = task_vars.get("ansible_facts", {}).get(FACTS_KEY)
        return dict(facts) if isinstance(facts, Mapping) else {}

    def from_facts(self, args: dict, option: str, fact: str, task_vars: dict) -> Any:
        """An option's value, or when it is not set the fact ``win_recovery_facts`` gathered for it; fails
        naming both when neither is there (a module must not guess where Windows is)."""
        if args.get(option) not in (None, ""):
            return args[option]
        value = self.recovery_facts(task_vars).get(fact)
        if value in (None, ""):
            raise RecoveryFailed(
                f"{option} is not set and no {FACTS_KEY}.{fact} fact was gathered: "
                f"run lifeline.recovery.win_recovery_facts first in this play, or set {option}"
            )
        return value

    def powershell(self, script_text: str, stdin: str | None = None) -> Completed:
        """Run one built script on the host; ``stdin`` (e.g. a secret) is sent as input."""
        command = encoded_command(script_text)
        started = time.monotonic()
        self._commands_sent += 1
        raw = self._low_level_execute_command(
            command, in_data=None if stdin is None else stdin.encode("utf-8"), sudoable=False
        )
        return Completed(
            rc=int(raw.get("rc", -1)),
            stdout=str(raw.get("stdout", "")),
            stderr=str(raw.get("stderr", "")),
            seconds=time.monotonic() - started,
        )

    def run_module(self, action_class: type[RecoveryAction], args: dict, task_vars: dict) -> dict:
        """Another Lifeline module's action on this host, as ansible.builtin.template runs copy: a copy of this task
        with ``args``, sending its scripts through this action's connection (and counted in its commands_sent).
        Its whole result, failed or not; check mode and diff are this task's."""
        task = self._task.copy()
        task.args = dict(args)
        action = action_class(
            task, self._connection, self._play_context, self._loader, self._templar, self._shared_loader_obj
        )
        action._low_level_execute_command = self._low_level_execute_command  # type: ignore[method-assign]
        result = action.run(task_vars=task_vars)
        self._commands_sent += result.get("commands_sent", 0)
        return result

    def checked(self, what: str, script_text: str, stdin: str | None = None, ok_codes: tuple[int, ...] = (0,)) -> str:
        """Run a script and return its output; fail the task naming ``what`` when the exit code is not ok."""
        completed = self.powershell(script_text, stdin)
        if completed.rc not in ok_codes:
            raise RecoveryFailed(f"{what} failed (exit code {completed.rc}): {completed.error_text()}", rc=completed.rc)
        return completed.stdout
