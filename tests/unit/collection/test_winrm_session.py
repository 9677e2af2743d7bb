"""The session keeper's socket and messages (plugin_utils/_winrm_session.py), without WinRM: a forked keeper
with a stand-in handler, as the connection lifeline.recovery.winrm forks one from a worker."""

from __future__ import annotations

import os
import stat
import time

import pytest

from ansible_collections.lifeline.recovery.plugins.plugin_utils import _winrm_session as keeper


def start(path: str, closed: str) -> int:
    pid = os.fork()
    if pid == 0:
        try:
            calls = []

            def handle(request: dict) -> dict:
                calls.append(request)
                if request["op"] == "fail":
                    return {"error": "AnsibleConnectionFailure", "message": "host went away"}
                stdin = keeper.to_bytes(request.get("stdin")) or b""
                return keeper.encode_result(len(calls), request["cmd"].encode() + stdin, b"\xff\x00")

            keeper.serve(path, os.getppid(), handle, lambda: open(closed, "w").close())
        finally:
            os._exit(0)
    return pid


def test_a_keeper_is_started_once_and_answers_every_call(tmp_path, monkeypatch):
    monkeypatch.setattr(keeper, "KEEPER_IDLE_SECONDS", 1)
    path = keeper.socket_path(os.getpid(), "host", 5985, f"test-{tmp_path.name}")
    closed = str(tmp_path / "closed")
    starts = []

    def starter() -> None:
        starts.append(start(path, closed))

    first = keeper.decode_result(
        keeper.call(path, {"op": "exec", "cmd": "a", "stdin": keeper.to_text(b"secret")}, starter)
    )
    second = keeper.decode_result(keeper.call(path, {"op": "exec", "cmd": "b", "stdin": None}, starter))
    assert first == (1, b"asecret", b"\xff\x00") and second == (2, b"b", b"\xff\x00") and len(starts) == 1
    with pytest.raises(keeper.KeeperError) as failed:
        keeper.decode_result(keeper.call(path, {"op": "fail"}))
    assert failed.value.kind == "AnsibleConnectionFailure" and failed.value.message == "host went away"

    directory = os.path.dirname(path)
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(path).st_mode) & 0o077 == 0  # the socket: this user only
    deadline = time.monotonic() + 10
    while not os.path.exists(closed) and time.monotonic() < deadline:  # idle: it closes its session and ends
        time.sleep(0.05)
    assert os.path.exists(closed) and not os.path.exists(path)
    assert os.waitpid(starts[0], 0)[1] == 0
    with pytest.raises((FileNotFoundError, ConnectionRefusedError)):
        keeper.call(path, {"op": "exec", "cmd": "c", "stdin": None})  # without a starter: no keeper, no call


def test_a_directory_others_may_enter_is_not_used(tmp_path, monkeypatch):
    monkeypatch.setattr(keeper.tempfile, "gettempdir", lambda: str(tmp_path))
    shared = tmp_path / f"lifeline-winrm-{os.getuid()}"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    with pytest.raises(keeper.KeeperError, match="not a private directory"):
        keeper.socket_path(1, "host")
    shared.chmod(0o700)
    assert keeper.socket_path(1, "host").startswith(str(shared))
