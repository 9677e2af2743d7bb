"""The lab's control channel: JSON lines on a loopback port, guarded by a token from the fleet file.

The CLI (status, down, show, fault, pin, incident) and benchmarks use it to read the fleet's
ground truth and counters, and to act on hosts, without going through WinRM.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from collections.abc import Callable
from typing import Any

from . import incidents
from .fleet import Fleet
from .host import FAULTS

MAX_LINE = 64 * 1024


class ControlServer:
    def __init__(self, fleet: Fleet, token: str, on_stop: Callable[[], None]) -> None:
        self.fleet = fleet
        self.token = token
        self.on_stop = on_stop
        self.port = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0, limit=MAX_LINE)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await reader.readline()
            try:
                request = json.loads(line)
                if not isinstance(request, dict):
                    raise ValueError("not an object")
            except ValueError:
                answer: dict[str, Any] = {"ok": False, "error": "request is not a JSON object"}
            else:
                answer = self.answer(request)
            writer.write(json.dumps(answer).encode() + b"\n")
            await writer.drain()
        except (ConnectionError, asyncio.LimitOverrunError, ValueError):
            pass
        finally:
            writer.close()

    def answer(self, request: dict[str, Any]) -> dict[str, Any]:
        if not hmac.compare_digest(str(request.get("token", "")), self.token):
            return {"ok": False, "error": "bad control token"}
        operation = request.get("op")
        if operation == "status":
            return {
                "ok": True,
                "scenario": self.fleet.scenario.name,
                "hosts": [host.status() for host in self.fleet.hosts],
            }
        if operation in ("show", "fault", "pin"):
            host = self.fleet.host(str(request.get("host", "")))
            if host is None:
                return {"ok": False, "error": f"no host {request.get('host')!r} in this fleet"}
            if operation == "show":
                return {"ok": True, "host": host.show()}
            kind = str(request.get("kind", ""))
            happened = None
            try:
                if operation == "pin":
                    host.enter_pin()
                elif kind == "clear":
                    host.clear_faults()
                elif kind in FAULTS:
                    host.set_fault(kind, float(request.get("value", 1)))
                else:
                    happened = host.arrive(kind, bool(request.get("restart", False)))
            except (TypeError, ValueError) as exc:  # IncidentError is a ValueError
                return {"ok": False, "error": str(exc)}
            return {"ok": True, "host": host.status(), "happened": happened}
        if operation == "incident":
            return self._incident(request)
        if operation == "stop":
            self.on_stop()
            return {"ok": True}
        return {"ok": False, "error": f"unknown operation {operation!r}"}

    def _incident(self, request: dict[str, Any]) -> dict[str, Any]:
        """A failure landing on a share of the hosts that run Windows normally, chosen by the seed alone."""
        failure = str(request.get("failure", ""))
        try:
            incidents.check_failure(failure)
            share, seed = float(request.get("share", 1.0)), int(request.get("seed", 0))
            running = [host.name for host in self.fleet.hosts if incidents.runs_windows(host.machine)]
            chosen = incidents.choose(running, share, seed)
        except (TypeError, ValueError) as exc:
            return {"ok": False, "error": str(exc)}
        restart = bool(request.get("restart", False))
        struck = {name: self.fleet.host(name).arrive(failure, restart) for name in chosen}
        return {"ok": True, "failure": failure, "eligible": len(running), "hosts": struck}


def call(address: str, port: int, token: str, operation: str, timeout: float = 30.0, **arguments: Any) -> dict:
    """Client side, synchronous: one request, one answer."""
    import socket

    with socket.create_connection((address, port), timeout=timeout) as sock:
        sock.sendall(json.dumps({"token": token, "op": operation, **arguments}).encode() + b"\n")
        chunks = []
        while True:
            chunk = sock.recv(1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    try:
        answer = json.loads(b"".join(chunks) or b"{}")
    except ValueError:
        raise RuntimeError("the lab's control channel gave a malformed answer") from None
    if not isinstance(answer, dict) or not answer.get("ok"):
        raise RuntimeError(answer.get("error", "the lab gave no answer"))
    return answer
