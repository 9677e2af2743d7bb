"""whoami.exe: prints the logged-on user as `domain\\user`, lower case.

For a local account the domain is the computer name (USERDOMAIN). Options (/user, /groups, /all, /upn ...)
are not simulated yet: they fail loudly rather than print something that looks real.
"""

from __future__ import annotations

from ..context import ProcessContext, env_get


async def run(argv: list[str], ctx: ProcessContext) -> int:
    """Run whoami.exe with argv (argv[0] is the program)."""
    if len(argv) > 1:
        ctx.write_stderr(f"The lab does not implement whoami.exe {' '.join(argv[1:])}.\r\n")
        return 1
    domain = env_get(ctx.environment, "USERDOMAIN") or ctx.computer_name
    user = env_get(ctx.environment, "USERNAME") or "SYSTEM"
    ctx.write_stdout(f"{domain}\\{user}".lower() + "\r\n")
    return 0
