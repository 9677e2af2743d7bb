"""One WinRM listener of one host: HTTP keep-alive, authentication, sealing, then WinRS.

The order of checks and the status codes follow shared/reference/winrm-wire.md ("HTTP",
"Faults and status codes"): 401 only for authentication, 400 (empty) for a sealed request on a
connection without a security context, 500 for SOAP faults, 413 for an oversized body.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import ssl
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import soap
from .auth import (
    SEALED_CONTENT_TYPE,
    NtlmAuthenticationFailed,
    NtlmSession,
    is_sealed,
    parse_basic,
    tls_channel_bindings,
)
from .http import HttpError, HttpRequest, HttpResponse, read_request
from .identify import identify_response, is_identify

if TYPE_CHECKING:
    from ..host import LabHost

log = logging.getLogger(__name__)
SOAP_CONTENT_TYPE = "application/soap+xml;charset=UTF-8"
_NTLMSSP = b"NTLMSSP\x00"


@dataclass
class Connection:
    """What belongs to one TCP connection: its NTLM context and who it authenticated."""

    https: bool
    client_ip: str
    channel_bindings: object | None = None
    ntlm: NtlmSession | None = None
    ntlm_user: str | None = None


async def serve_connection(host: LabHost, https: bool, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
    """Serve requests on one connection until the client closes it or an answer closes it."""
    if not host.serving:
        writer.close()  # the machine is down or runs where WinRM does not: nothing answers
        return
    peer = writer.get_extra_info("peername") or ("", 0)
    connection = Connection(https=https, client_ip=peer[0])
    host.connections.add(writer)
    if https:
        connection.channel_bindings = tls_channel_bindings(host.certificate_der)
    host.counters["connections"] += 1
    try:
        while True:
            try:
                request = await read_request(reader)
            except HttpError as exc:
                host.counters["bad_requests"] += 1
                writer.write(HttpResponse(exc.status, close=True).encode())
                await writer.drain()
                break
            if request is None or not host.serving:
                break
            host.counters["requests"] += 1
            host.counters["bytes_in"] += request.wire_bytes
            if _take_fault(host, "garbage"):
                writer.write(b"\x00\xffLIFELINE-LAB-GARBAGE\r\n\r\n")
                await writer.drain()
                break
            try:
                response = await handle_request(host, connection, request)
            except Exception:  # a lab bug: answer like a failing server, keep serving other connections
                log.exception("%s: error while handling a request", host.name)
                response = HttpResponse(500, close=True)
            if host.faults.get("slow"):
                await asyncio.sleep(host.faults["slow"])
            if not host.serving:
                break  # the machine went down while the request ran (shutdown /r /t 0, wpeutil reboot)
            if response.status == 200 and response.body and _take_fault(host, "drop"):
                break  # the operation ran, but its answer is lost with the connection
            payload = response.encode()
            host.counters["bytes_out"] += len(payload)
            writer.write(payload)
            await writer.drain()
            if response.close or not request.keep_alive:
                break
    except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
        pass
    finally:
        host.connections.discard(writer)
        writer.close()


def _take_fault(host: LabHost, kind: str) -> bool:
    """Use up one occurrence of a counted fault (drop, garbage)."""
    remaining = host.faults.get(kind, 0)
    if remaining <= 0:
        return False
    if remaining <= 1:
        del host.faults[kind]
    else:
        host.faults[kind] = remaining - 1
    return True


def _challenge(host: LabHost, https: bool) -> HttpResponse:
    """The 401 Windows sends: one WWW-Authenticate header per enabled scheme."""
    headers = []
    if "ntlm" in host.transports:
        headers.append(("WWW-Authenticate", "Negotiate"))
    if "basic" in host.transports:
        headers.append(("WWW-Authenticate", 'Basic realm="WSMAN"'))
    host.counters["auth_failures"] += 1
    return HttpResponse(401, headers=headers)


async def handle_request(host: LabHost, connection: Connection, request: HttpRequest) -> HttpResponse:
    if request.path.split("?")[0].lower() != "/wsman":
        return HttpResponse(404)
    if request.method != "POST":
        return HttpResponse(405)
    content_type = request.header("content-type")
    if is_identify(request):
        return HttpResponse(200, identify_response(request.body), [("Content-Type", SOAP_CONTENT_TYPE)])

    if is_sealed(content_type):
        if connection.ntlm is None or connection.ntlm_user is None:
            return HttpResponse(400)
        try:
            plaintext = connection.ntlm.unseal(request.body, content_type)
        except ValueError:
            return HttpResponse(400)
        return await _dispatch(host, connection, connection.ntlm_user, plaintext, sealed=True)

    scheme, _, credentials = request.header("authorization").partition(" ")
    scheme_lower = scheme.lower()
    if scheme_lower == "basic":
        return await _basic(host, connection, request, credentials.strip())
    if scheme_lower in ("negotiate", "ntlm") and "ntlm" in host.transports:
        return await _ntlm_leg(host, connection, request, scheme, credentials.strip())
    if connection.ntlm_user is not None:
        # Later requests on an NTLM-authenticated connection carry no Authorization header.
        if not connection.https and not host.allow_unencrypted:
            return _challenge(host, connection.https)
        return await _dispatch(host, connection, connection.ntlm_user, request.body, sealed=False)
    return _challenge(host, connection.https)


async def _basic(host: LabHost, connection: Connection, request: HttpRequest, credentials: str) -> HttpResponse:
    # Windows accepts Basic over plain HTTP only with AllowUnencrypted (a per-host switch here).
    if "basic" not in host.transports or (not connection.https and not host.allow_unencrypted):
        return _challenge(host, connection.https)
    parsed = parse_basic(credentials)
    if parsed is None or not host.account.matches(*parsed) or host.refuses_logins:
        return _challenge(host, connection.https)
    return await _dispatch(host, connection, host.account.username, request.body, sealed=False)


async def _ntlm_leg(
    host: LabHost, connection: Connection, request: HttpRequest, scheme: str, credentials: str
) -> HttpResponse:
    try:
        token = base64.b64decode(credentials, validate=True)
    except binascii.Error:
        return _challenge(host, connection.https)
    if not token.startswith(_NTLMSSP) or len(token) < 12:
        return _challenge(host, connection.https)  # SPNEGO/Kerberos tokens: the lab's hosts are not domain-joined
    message_type = int.from_bytes(token[8:12], "little")
    if message_type == 1:
        connection.ntlm = NtlmSession(host.account, scheme, connection.channel_bindings)
        connection.ntlm_user = None
    elif connection.ntlm is None or connection.ntlm.complete or host.refuses_logins:
        connection.ntlm = None  # a refused login: Windows answers the third leg with 401
        return _challenge(host, connection.https)
    try:
        answer = connection.ntlm.step(token)
    except NtlmAuthenticationFailed:
        connection.ntlm = None
        connection.ntlm_user = None
        return _challenge(host, connection.https)
    if answer is not None:
        return HttpResponse(401, headers=[("WWW-Authenticate", f"{scheme} {base64.b64encode(answer).decode()}")])
    connection.ntlm_user = host.account.username
    if not request.body:
        return HttpResponse(200)  # pywinrm's empty POST that sets up message encryption
    if not connection.https and not host.allow_unencrypted:
        return _challenge(host, connection.https)
    return await _dispatch(host, connection, connection.ntlm_user, request.body, sealed=False)


async def _dispatch(host: LabHost, connection: Connection, user: str, body: bytes, sealed: bool) -> HttpResponse:
    try:
        parsed = soap.parse_request(body)
    except soap.MalformedRequest as exc:
        host.counters["faults"] += 1
        envelope, is_fault = soap.schema_fault(str(exc)).to_xml("", host.name), True
    else:
        envelope, is_fault = await host.winrs.handle(parsed, user, connection.client_ip)
    status = 500 if is_fault else 200
    if sealed and connection.ntlm is not None:
        return HttpResponse(status, connection.ntlm.seal(envelope), [("Content-Type", SEALED_CONTENT_TYPE)])
    return HttpResponse(status, envelope, [("Content-Type", SOAP_CONTENT_TYPE)])
