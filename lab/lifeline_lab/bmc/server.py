"""The BMC's HTTPS listener: HTTP/1.1 with keep-alive over TLS (DSP0266 "Protocol details": Redfish services
use HTTPS; responses carry OData-Version 4.0 and JSON bodies as application/json)."""

from __future__ import annotations

import asyncio
import json
import ssl

from ..wire.http import HttpError, read_request
from .service import Bmc

REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    411: "Length Required",
    412: "Precondition Failed",
    413: "Request Entity Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
}


def encode(status: int, body: dict | None, headers: list[tuple[str, str]], head_only: bool = False) -> bytes:
    payload = json.dumps(body).encode() if body is not None else b""
    lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Unknown')}", "OData-Version: 4.0", "Cache-Control: no-cache"]
    if body is not None:
        lines.append("Content-Type: application/json; charset=utf-8")
    lines += [f"{name}: {value}" for name, value in headers]
    lines.append(f"Content-Length: {len(payload)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (b"" if head_only else payload)


def _xml(document: bytes, headers: list[tuple[str, str]], head_only: bool) -> bytes:
    lines = ["HTTP/1.1 200 OK", "OData-Version: 4.0", "Content-Type: application/xml;charset=utf-8"]
    lines += [f"{name}: {value}" for name, value in headers]
    lines.append(f"Content-Length: {len(document)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (b"" if head_only else document)


def handler(bmc: Bmc, connections: set[asyncio.StreamWriter]):
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.add(writer)
        try:
            while True:
                try:
                    request = await read_request(reader)
                except HttpError as error:
                    writer.write(encode(error.status, None, [("Connection", "close")]))
                    await writer.drain()
                    return
                if request is None:
                    return
                reply = await bmc.handle(request.method, request.path, request.headers, request.body)
                if reply.xml is not None:
                    writer.write(_xml(reply.xml, reply.headers, request.method == "HEAD"))
                elif reply.status == 204:
                    writer.write(encode(204, None, reply.headers, head_only=True))
                else:
                    writer.write(encode(reply.status, reply.body, reply.headers, request.method == "HEAD"))
                await writer.drain()
                if not request.keep_alive:
                    return
        except (ConnectionError, ssl.SSLError, TimeoutError):
            pass
        finally:
            connections.discard(writer)
            writer.close()

    return handle


async def serve(bmc: Bmc, tls: ssl.SSLContext, sock) -> tuple[asyncio.Server, set[asyncio.StreamWriter]]:
    connections: set[asyncio.StreamWriter] = set()
    server = await asyncio.start_server(handler(bmc, connections), sock=sock, ssl=tls)
    return server, connections
