"""Authentication as a Windows WinRM listener does it: Basic and NTLM (with sealing and channel binding).

Facts from shared/reference/winrm-wire.md ("HTTP"): Basic rides every request; NTLM authenticates
the TCP connection in three legs and then seals every body (MS-WSMV 2.2.9.1.1).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import spnego
from spnego.channel_bindings import GssChannelBindings
from spnego.exceptions import SpnegoError

BOUNDARY = b"--Encrypted Boundary"
SEALED_CONTENT_TYPE = (
    'multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted";boundary="Encrypted Boundary"'
)
_SEALED_PROTOCOL = "application/http-spnego-session-encrypted"


@dataclass(frozen=True)
class Account:
    """A local account of the simulated host."""

    username: str
    password: str
    computer_name: str
    ntlm_user_file: Path  # this host's credentials in the form pyspnego's acceptor reads

    def matches(self, username: str, password: str) -> bool:
        return self.matches_name(username) and password == self.password

    def matches_name(self, username: str) -> bool:
        domain, _, user = username.rpartition("\\")
        if "@" in user and not domain:
            user, _, domain = user.partition("@")
        if domain and domain.upper() not in (".", self.computer_name.upper()):
            return False
        return user.lower() == self.username.lower()


def write_ntlm_user_file(path: Path, username: str, password: str, computer_name: str) -> None:
    """Store the NT hash (smbpasswd format) so no password text sits in the file and any character is allowed."""
    from spnego._ntlm_raw.crypto import lmowfv1, ntowfv1  # pyspnego's own hash functions

    nt_hash = ntowfv1(password).hex().upper()
    lm_hash = lmowfv1(password).hex().upper()
    lines = [
        f"{prefix}{username}:1000:{lm_hash}:{nt_hash}:[U]:LCT-00000000" for prefix in ("", ".\\", f"{computer_name}\\")
    ]
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)


def parse_basic(value: str) -> tuple[str, str] | None:
    """User and password from `Authorization: Basic …`; None when it is not decodable."""
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


def tls_channel_bindings(certificate_der: bytes) -> GssChannelBindings:
    """RFC 5929 tls-server-end-point bindings (our certificates are signed with SHA-256)."""
    return GssChannelBindings(application_data=b"tls-server-end-point:" + hashlib.sha256(certificate_der).digest())


class NtlmAuthenticationFailed(Exception):
    """The client's NTLM token was refused: Windows answers 401."""


class NtlmSession:
    """One TCP connection's NTLM security context (the sealing sequence numbers belong to it)."""

    def __init__(self, account: Account, scheme: str, channel_bindings: GssChannelBindings | None) -> None:
        self.account = account
        self.scheme = scheme  # "Negotiate" or "NTLM": answer in the scheme the client used
        self._use_account_file()
        self._context = spnego.server(
            protocol="ntlm", options=spnego.NegotiateOptions.use_ntlm, channel_bindings=channel_bindings
        )

    def _use_account_file(self) -> None:
        # pyspnego's acceptor reads NTLM_USER_FILE when it is created and when the third leg arrives.
        # The lab serves every host from one event-loop thread, so pointing it at this host's file
        # right before each call is safe.
        os.environ["NTLM_USER_FILE"] = str(self.account.ntlm_user_file)

    @property
    def complete(self) -> bool:
        return self._context.complete

    def step(self, token: bytes) -> bytes | None:
        """Process a client token; return the challenge to send back, or None when authenticated."""
        self._use_account_file()
        try:
            answer = self._context.step(token)
        except SpnegoError as exc:
            raise NtlmAuthenticationFailed(str(exc)) from None
        if self._context.complete:
            principal = self._context.client_principal or ""
            if not self.account.matches_name(principal):
                raise NtlmAuthenticationFailed(f"unknown principal {principal!r}")
            return None
        return answer

    def unseal(self, body: bytes, content_type: str) -> bytes:
        """Decrypt a multipart/encrypted request body (MS-WSMV 2.2.9.1.1)."""
        if _SEALED_PROTOCOL not in content_type.lower():
            raise ValueError("not an encrypted body")
        declared_length = _declared_length(body)
        marker = b"Content-Type: application/octet-stream\r\n"
        start = body.find(marker)
        end = body.rfind(BOUNDARY + b"--")
        if start < 0 or end < 0:
            raise ValueError("encrypted body without its octet-stream part")
        payload = body[start + len(marker) : end]
        if len(payload) < 4:
            raise ValueError("encrypted part too short")
        header_length = struct.unpack("<I", payload[:4])[0]
        header = payload[4 : 4 + header_length]
        data = payload[4 + header_length :]
        try:
            plaintext = self._context.unwrap_winrm(header, data)
        except SpnegoError as exc:
            raise ValueError(f"cannot unseal: {exc}") from None
        if declared_length is not None and declared_length != len(plaintext):
            raise ValueError("OriginalContent Length does not match the plaintext")
        return plaintext

    def seal(self, plaintext: bytes) -> bytes:
        wrapped = self._context.wrap_winrm(plaintext)
        return (
            BOUNDARY + b"\r\n"
            b"\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n"
            b"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length="
            + str(len(plaintext)).encode()
            + b"\r\n"
            + BOUNDARY
            + b"\r\n"
            b"\tContent-Type: application/octet-stream\r\n"
            + struct.pack("<I", len(wrapped.header))
            + wrapped.header
            + wrapped.data
            + BOUNDARY
            + b"--\r\n"
        )


def is_sealed(content_type: str) -> bool:
    return content_type.lower().startswith("multipart/encrypted") and _SEALED_PROTOCOL in content_type.lower()


def _declared_length(body: bytes) -> int | None:
    marker = b"Length="
    at = body.find(marker)
    if at < 0:
        return None
    digits = body[at + len(marker) : body.find(b"\r\n", at)]
    return int(digits) if digits.strip().isdigit() else None
