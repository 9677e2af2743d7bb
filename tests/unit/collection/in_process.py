"""Run an action plugin as Ansible would, with each remote command run by an in-process lab machine's shell.

Only where WinRM answers: a machine in WinRE (no WinRM, no PowerShell on real Windows) or Safe Mode without
networking makes the command fail as Ansible's connection would (AnsibleConnectionFailure: the host is
unreachable), so no test can run a module where the real host could not be reached."""

from __future__ import annotations

from unittest.mock import MagicMock

from ansible.errors import AnsibleConnectionFailure
from ansible.playbook.play_context import PlayContext

from lifeline_lab import failures
from lifeline_lab.machine import Machine, new_machine

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
        if not machine.winrm_reachable():
            raise AnsibleConnectionFailure(f"{machine.computer_name} ({machine.environment}): WinRM does not answer")
        sent.append(command)
        result = run(machine, command, stdin=in_data or b"")
        return {"rc": result.exit_code, "stdout": result.stdout, "stderr": result.stderr}

    module._low_level_execute_command = execute
    return module, sent


def in_safe_mode(machine: Machine) -> Machine:
    """``machine`` as Lifeline reaches a failed host: WinRM and its dependencies listed under SafeBoot\\Network
    (readiness), then started in Safe Mode with Networking, where WinRM answers and Windows is C:. The BCD is left
    without ``safeboot``, so ``machine.boot_outcome()`` is what the next normal boot does (what exit_recovery's
    restart proves)."""
    failures.prepare_for_remote_recovery(machine)
    machine.enter_environment("safe_mode_network")
    assert machine.winrm_reachable(), "WinRM must answer in Safe Mode with Networking once it is listed"
    return machine


def safe_mode_host(hostname: str, seed: int) -> Machine:
    """A healthy lab machine, prepared and started in Safe Mode with Networking (``in_safe_mode``)."""
    return in_safe_mode(new_machine(hostname, seed))


def scripted_action(action_class, answers: list[dict], args: dict, *, check_mode: bool = False):
    """``(module, sent)`` with each command answered in turn from ``answers`` (``{"rc", "stdout", "stderr"}``): for
    what no reachable host produces, such as a host survey recorded in WinRE (``surveys.py``)."""
    task = _task(args, check_mode, False)
    connection = MagicMock()
    connection._shell.tmpdir = None
    module = action_class(task, connection, PlayContext(), loader=None, templar=None, shared_loader_obj=None)
    sent: list[str] = []
    queue = list(answers)

    def execute(command: str, in_data: bytes | None = None, sudoable: bool = False) -> dict:
        sent.append(command)
        assert queue, f"command {len(sent)} has no recorded answer"
        return {"stderr": "", **queue.pop(0)}

    module._low_level_execute_command = execute
    return module, sent
