# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One authenticated WinRM session and shell per host for a whole playbook run (connection lifeline.recovery.winrm).

ansible-core runs every task in a new forked worker, so a connection plugin alone cannot keep anything
between tasks: ansible.builtin.winrm authenticates (NTLM's three legs), creates a shell and deletes it in
every task. Here the first task on a host forks a small keeper process from its worker (no new
interpreter: the worker already imported the WinRM stack) that holds the builtin connection (its session,
sealing and shell) and runs each later task's commands in it, the way ansible-core's ansible-connection
serves network devices, but without a new Python process per host or per task.

The keeper and the workers talk over a Unix socket in a directory only this user can enter (0700, checked),
named after the ansible-playbook process, the host, port, scheme, user and transport (never the password).
One length-prefixed JSON message each way per call. A secret on stdin passes only through that socket.

The keeper ends with the ansible-playbook process (checked every second) or after ``KEEPER_IDLE_SECONDS``
without a call, deleting its shell. A session idle for ``SESSION_IDLE_SECONDS`` is renewed before the next
command (Windows' HTTP keep-alive ends idle connections after 2 minutes), a failed command drops it (the next
command authenticates again), and ``reset`` (a restart began) drops it too. Commands are never retried: a
command that failed may have run.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import selectors
import socket
import stat
import struct
import tempfile
import time
from collections.abc import Callable

__all__ = [
    "KEEPER_IDLE_SECONDS",
    "SESSION_IDLE_SECONDS",
    "KeeperError",
    "call",
    "decode_result",
    "encode_result",
    "serve",
    "socket_path",
    "to_bytes",
    "to_text",
]

KEEPER_IDLE_SECONDS = 60  # as long as a session is kept idle: a keeper idle longer has nothing to keep
SESSION_IDLE_SECONDS = 60  # under the 2 minutes HTTP.sys keeps an idle connection
START_SECONDS = 10.0
_HEADER = struct.Struct("!I")
_MAX_MESSAGE = 64 * 1024 * 1024


class KeeperError(Exception):
    """A call the keeper could not answer: ``kind`` is the exception's class name there (e.g.
    AnsibleConnectionFailure), ``message`` its text."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def _private_directory() -> str:
    """The user's socket directory, created 0700; refused when another user owns it or others may enter it."""
    path = os.path.join(tempfile.gettempdir(), f"lifeline-winrm-{os.getuid()}")
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    status = os.lstat(path)
    if not stat.S_ISDIR(status.st_mode) or status.st_uid != os.getuid() or status.st_mode & 0o077:
        raise KeeperError("PermissionError", f"{path} is not a private directory of this user: not used")
    return path


def socket_path(run_pid: int, *identity: object) -> str:
    """Where the keeper of this run for this host and account listens (the identity is hashed, no secret in it)."""
    digest = hashlib.sha256(json.dumps([run_pid, *map(str, identity)]).encode()).hexdigest()[:32]
    return os.path.join(_private_directory(), f"{digest}.sock")


def _send(sock: socket.socket, message: dict) -> None:
    data = json.dumps(message).encode("utf-8")
    sock.sendall(_HEADER.pack(len(data)) + data)


def _receive(sock: socket.socket) -> dict | None:
    header = _exactly(sock, _HEADER.size)
    if header is None:
        return None
    (size,) = _HEADER.unpack(header)
    if size > _MAX_MESSAGE:
        raise ValueError(f"a message of {size} bytes is over {_MAX_MESSAGE}")
    data = _exactly(sock, size)
    if data is None:
        raise ConnectionError("the other end closed the socket inside a message")
    return json.loads(data)


def _exactly(sock: socket.socket, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            if left == size:
                return None
            raise ConnectionError("the other end closed the socket inside a message")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def to_text(data: bytes | None) -> str | None:
    """Bytes as JSON can carry them (base64); None stays None."""
    return None if data is None else base64.b64encode(data).decode("ascii")


def to_bytes(text: str | None) -> bytes | None:
    return None if text is None else base64.b64decode(text)


def encode_result(rc: int, stdout: bytes, stderr: bytes) -> dict:
    return {"rc": rc, "stdout": to_text(stdout), "stderr": to_text(stderr)}


def decode_result(answer: dict) -> tuple[int, bytes, bytes]:
    """A command's exit code and output from the keeper's answer; raises KeeperError for its error answer."""
    if "error" in answer:
        raise KeeperError(answer["error"], answer.get("message", ""))
    return int(answer["rc"]), to_bytes(answer["stdout"]) or b"", to_bytes(answer["stderr"]) or b""


def call(path: str, request: dict, start: Callable[[], None] | None = None) -> dict:
    """Send one request to the keeper at ``path`` and return its answer; with ``start``, a missing keeper is
    started (``start`` forks it) and waited for, up to ``START_SECONDS``."""
    deadline = time.monotonic() + START_SECONDS
    started = False
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(path)
        except (FileNotFoundError, ConnectionRefusedError) as error:
            sock.close()
            if start is None:
                raise
            if not started:
                start()
                started = True
            elif time.monotonic() > deadline:
                raise KeeperError(
                    "AnsibleConnectionFailure", f"the WinRM session keeper did not start in {START_SECONDS} s"
                ) from error
            time.sleep(0.02)
            continue
        with sock:
            _send(sock, request)
            answer = _receive(sock)
        if answer is None:
            raise KeeperError("AnsibleConnectionFailure", "the WinRM session keeper ended without an answer")
        return answer


def serve(path: str, run_pid: int, handle: Callable[[dict], dict], on_exit: Callable[[], None]) -> None:
    """The keeper's loop: one request at a time (a host's tasks run one after another) until the run ends or
    nobody called for ``KEEPER_IDLE_SECONDS``; ``on_exit`` then closes the session. Never returns."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_umask = os.umask(0o177)
    try:
        listener.bind(path)
    finally:
        os.umask(old_umask)
    listener.listen(8)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    last_call = time.monotonic()
    try:
        while time.monotonic() - last_call < KEEPER_IDLE_SECONDS and _alive(run_pid):
            if not selector.select(timeout=1.0):
                continue
            client, _address = listener.accept()
            with client:
                try:
                    request = _receive(client)
                    if request is not None:
                        _send(client, handle(request))
                except (OSError, ValueError):
                    pass  # the worker went away mid-call: its task has failed already
            last_call = time.monotonic()
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass
        listener.close()
        on_exit()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
