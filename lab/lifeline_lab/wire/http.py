"""Minimal HTTP/1.1 for WinRM: keep-alive, Content-Length bodies, the status codes Windows uses."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

MAX_HEADER_BYTES = 64 * 1024
# Windows' MaxEnvelopeSizekb is 500 KB by default; ansible-core sends Send bodies of ~450 KB.
MAX_BODY_BYTES = 1024 * 1024
# A body larger than this is not even read: the connection is answered 413 and closed.
MAX_DISCARD_BYTES = 32 * 1024 * 1024

REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    411: "Length Required",
    413: "Request Entity Too Large",
    500: "Internal Server Error",
}


class HttpError(Exception):
    """A request the server answers with a bare status code and then closes the connection."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


@dataclass
class HttpRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names; repeated headers joined with ", "
    body: bytes
    wire_bytes: int  # request line + headers + body, for the host's counters

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    @property
    def keep_alive(self) -> bool:
        return self.header("connection").lower() != "close"


@dataclass
class HttpResponse:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    close: bool = False

    def encode(self) -> bytes:
        lines = [f"HTTP/1.1 {self.status} {REASONS.get(self.status, 'Unknown')}", "Server: Microsoft-HTTPAPI/2.0"]
        lines += [f"{name}: {value}" for name, value in self.headers]
        lines.append(f"Content-Length: {len(self.body)}")
        if self.close:
            lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


async def read_request(reader: asyncio.StreamReader) -> HttpRequest | None:
    """Read one request; None when the client closed the connection between requests."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if exc.partial.strip():
            raise HttpError(400, "incomplete request head") from None
        return None
    except asyncio.LimitOverrunError:
        raise HttpError(400, "request head too large") from None
    try:
        text = head.decode("latin-1")
        request_line, *header_lines = text.split("\r\n")
        method, path, _version = request_line.split(" ", 2)
    except ValueError:
        raise HttpError(400, "malformed request line") from None
    headers: dict[str, str] = {}
    for line in header_lines:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise HttpError(400, "malformed header")
        key = name.strip().lower()
        headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
    if "chunked" in headers.get("transfer-encoding", "").lower():
        raise HttpError(411, "chunked bodies are not accepted; send Content-Length")
    try:
        length = int(headers.get("content-length", "0"))
    except ValueError:
        raise HttpError(400, "bad Content-Length") from None
    if length < 0:
        raise HttpError(400, "bad Content-Length")
    if length > MAX_BODY_BYTES:
        await _discard(reader, length)
        raise HttpError(413, f"request body of {length} bytes exceeds {MAX_BODY_BYTES}")
    try:
        body = await reader.readexactly(length)
    except asyncio.IncompleteReadError:
        raise HttpError(400, "body shorter than Content-Length") from None
    return HttpRequest(method.upper(), path, headers, body, len(head) + length)


async def _discard(reader: asyncio.StreamReader, length: int) -> None:
    """Read and drop an oversized body so the client sees our 413 instead of a reset."""
    remaining = min(length, MAX_DISCARD_BYTES)
    while remaining > 0:
        chunk = await reader.read(min(remaining, 256 * 1024))
        if not chunk:
            return
        remaining -= len(chunk)
