"""The process model of a simulated Windows host: cmd.exe, powershell.exe and the native tools.

The wire layer creates a ProcessContext for each WinRS command and runs `run_command_line` as an asyncio task
(cancelling the task is the terminate signal). Each module names the Microsoft documentation it follows.
"""

from .cmd import run_command_line
from .context import ProcessContext

__all__ = ["ProcessContext", "run_command_line"]
