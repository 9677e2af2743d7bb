"""Run an action plugin as Ansible would, with each remote command run by an in-process lab machine's shell."""

from __future__ import annotations

from unittest.mock import MagicMock

from ansible.playbook.play_context import PlayContext

from ..lab.support import run


def _task(args: dict, check_mode: bool, diff: bool) -> MagicMock:
    """A task as an action plugin sees it; ``copy()`` (how one action runs another) keeps check mode and diff."""
    task = MagicMock()
    task.args, task.async_val, task.check_mode, task.diff = args, 0, check_mode, diff
    task.copy.side_effect = lambda: _task(dict(task.args), task.check_mode, task.diff)
    return task


def lab_action(action_class, machine, args: dict, *, check_mode: bool = False, diff: bool = False):
    """``(module, sent)``: the action plugin bound to ``machine``, and the list of command lines it sends."""
    task = _task(args, check_mode, diff)
    connection = MagicMock()
    connection._shell.tmpdir = None
    module = action_class(task, connection, PlayContext(), loader=None, templar=None, shared_loader_obj=None)
    sent: list[str] = []

    def execute(command: str, in_data: bytes | None = None, sudoable: bool = False) -> dict:
        sent.append(command)
        result = run(machine, command, stdin=in_data or b"")
        return {"rc": result.exit_code, "stdout": result.stdout, "stderr": result.stderr}

    module._low_level_execute_command = execute
    return module, sent
