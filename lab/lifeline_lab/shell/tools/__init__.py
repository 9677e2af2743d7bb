"""Native Windows programs the lab simulates, one module per program (hostname.exe, whoami.exe, ...).

Each module exposes `async def run(argv: list[str], ctx: ProcessContext) -> int`; `shell/programs.py`
registers it under its program name. Output is text with Windows line endings, written through ctx.
"""
