# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base of the actions that run on the controller alone (rollout_lock, rollout_halt, bmc_evidence): no
connection to the host, no file sent, check mode supported; the arguments checked against ``ARGUMENT_SPEC``
before anything else runs."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

from ansible.plugins.action import ActionBase

__all__ = ["ControllerAction"]


class ControllerAction(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True
    _requires_connection = False

    ARGUMENT_SPEC: dict[str, dict[str, Any]] = {}

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _spec, args = self.validate_argument_spec(argument_spec=self.ARGUMENT_SPEC)
        return self.run_on_controller(args, task_vars or {}, result)

    @abstractmethod
    def run_on_controller(self, args: dict[str, Any], task_vars: dict[str, Any], result: dict[str, Any]) -> dict:
        """The task's result, from its checked ``args``; ``result`` is ActionBase's start of it."""
