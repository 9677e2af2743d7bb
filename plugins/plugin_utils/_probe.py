# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The concurrent WinRM probe of the fleet inventory: per host, an anonymous WS-Man Identify, then
one authenticated look in one WinRS shell and one command: the host survey of win_recovery_facts
(``recovery_environment_survey``, without the crash history: the newest minidump of each volume), read into the
host model by the same parser (both in ``_recovery_survey.py``), so that the inventory and the modules judge a host
by the same rules.

A bounded thread pool does the waiting (the work is network I/O; pywinrm and requests release the
GIL while they wait); every host has its own deadline, and every failure becomes a ``ProbeResult``
that says how far the host got, never an exception. Errors never carry the password or the script.

A failure that is the operator's to fix, not the machine's (the login refused, the server
certificate not validated, no account configured), also gets ``operator_error``: one sentence that
names the account and authentication, or the CA file and what failed, and where they are set;
never a password.
"""

from __future__ import annotations

import datetime
import ssl
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ansible_collections.lifeline.recovery.plugins.plugin_utils._host_model import EnvironmentSurvey
from ansible_collections.lifeline.recovery.plugins.plugin_utils._parsers import ParseError
from ansible_collections.lifeline.recovery.plugins.plugin_utils._powershell import encoded_command
from ansible_collections.lifeline.recovery.plugins.plugin_utils._recovery_survey import (
    parse_environment_survey,
    recovery_environment_survey,
)

__all__ = ["IDENTIFY_BODY", "ProbeResult", "ProbeTarget", "look_command", "probe_fleet", "probe_host"]

# DSP0226 section 11: an Identify request; Windows answers it unauthenticated with this header.
IDENTIFY_BODY = (
    b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
    b'xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd">'
    b"<s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>"
)
_IDENTIFY_HEADERS = {"WSMANIDENTIFY": "unauthenticated", "Content-Type": "application/soap+xml;charset=UTF-8"}
_CODEPAGE_UTF8 = 65001

# How far a host got; the inventory exposes it as lifeline_reachability.
NO_ANSWER = "no_answer"
LOGIN_REFUSED = "login_refused"
CERTIFICATE_REJECTED = "certificate_rejected"
LOOK_FAILED = "look_failed"
ANSWERED = "answered"


@dataclass(frozen=True)
class ProbeTarget:
    """Where and how to reach one host (from the inventory configuration)."""

    name: str
    address: str
    port: int
    scheme: str  # https or http
    auth: str  # ntlm or basic
    username: str | None
    password: str | None
    ca_file: str | None = None
    cert_validation: bool = True
    message_encryption: str = "auto"
    origin: str = "the inventory configuration"  # where the account and CA file are set, for the operator

    @property
    def endpoint(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{self.scheme}://{host}:{self.port}/wsman"

    def __repr__(self) -> str:  # never show the password
        return f"ProbeTarget({self.name!r}, {self.endpoint!r}, auth={self.auth!r})"


@dataclass(frozen=True)
class ProbeResult:
    """What the probe saw of one host: ``reachability`` (no_answer, login_refused,
    certificate_rejected, look_failed, answered), why (``detail``), the look when there was one,
    when it ended (UTC), and the operator's error behind a failure, when it is one."""

    name: str
    reachability: str
    detail: str
    look: EnvironmentSurvey | None
    finished: datetime.datetime
    seconds: float
    operator_error: str | None = None


def probe_fleet(targets: list[ProbeTarget], workers: int, timeout: float) -> dict[str, ProbeResult]:
    """Probe every target with at most ``workers`` at a time, each within ``timeout`` seconds."""
    if not targets:
        return {}
    command = look_command()
    workers = max(1, min(workers, len(targets)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lifeline-probe") as pool:
        results = pool.map(lambda target: probe_host(target, timeout, command), targets)
        return {result.name: result for result in results}


def look_command() -> str:
    """The look's command line: the host survey with BitLocker and the boot entries, and the newest minidump only."""
    return encoded_command(recovery_environment_survey(bitlocker=True, boot=True, crashes=True, minidumps=1))


def probe_host(target: ProbeTarget, timeout: float, command: str | None = None) -> ProbeResult:
    """Identify, then look; never raises for anything the network or the host does."""
    from winrm.exceptions import InvalidCredentialsError

    started = time.monotonic()
    deadline = started + timeout

    def result(
        reachability: str, detail: str, look: EnvironmentSurvey | None = None, operator_error: str | None = None
    ) -> ProbeResult:
        now = datetime.datetime.now(datetime.UTC)
        seconds = round(time.monotonic() - started, 3)
        return ProbeResult(target.name, reachability, detail, look, now, seconds, operator_error)

    def refused(detail: str) -> ProbeResult:
        return result(LOGIN_REFUSED, detail, operator_error=login_refused_error(target))

    # One pywinrm session for both steps: Identify and the look share one kept-alive connection
    # (and one TLS handshake), which halves the work of both ends. Without an account (pywinrm
    # builds no session then) Identify alone still tells a silent host from one that answers.
    protocol = _protocol(target, timeout) if target.username and target.password is not None else None
    try:
        answer = _identify(_kept_session(protocol) if protocol else _plain_session(target), target, timeout)
    except InvalidCredentialsError:
        # NTLM over HTTP logs in while the session is built, to seal its messages: a 401 then is a refused login.
        return refused(f"the WinRM listener at {target.endpoint} refused the {target.auth} login")
    except Exception as exc:  # any other failure to get an HTTP answer means nothing answered...
        rejected = verification_error(exc)
        if rejected is not None:  # ...except a TLS server whose certificate does not validate
            return result(
                CERTIFICATE_REJECTED,
                f"a TLS server answered at {target.endpoint} but its certificate did not validate: "
                f"{rejected.verify_message}",
                operator_error=certificate_error(target, rejected.verify_message),
            )
        return result(NO_ANSWER, f"no answer to WS-Man Identify at {target.endpoint}: {_reason(exc)}")
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return result(LOOK_FAILED, f"WS-Man Identify answered ({answer}) but the probe timeout ({timeout:g} s) ran out")
    if protocol is None:
        detail = f"WS-Man Identify answered ({answer}); no account is configured for the look"
        return result(LOOK_FAILED, detail, operator_error=no_account_error(target))
    try:
        stdout, stderr, code = _look(protocol, command or look_command())
    except InvalidCredentialsError:
        return refused(f"WS-Man Identify answered ({answer}) but the {target.auth} login was refused")
    except Exception as exc:  # anything else the host or the network did
        return result(LOOK_FAILED, f"WS-Man Identify answered ({answer}) but the look failed: {_reason(exc)}")
    if code != 0:
        return result(LOOK_FAILED, f"the host survey script exited with {code}: {_first_error(stderr)}")
    try:
        look = parse_environment_survey(stdout.decode("utf-8", "replace"))
    except ParseError as exc:
        return result(LOOK_FAILED, str(exc))
    return result(ANSWERED, f"answered as {look.computer_name!r} in {look.environment}", look)


def login_refused_error(target: ProbeTarget) -> str:
    """The operator's error behind a refused login: the account and authentication, never the password."""
    return (
        f"the WinRM login as {target.username!r} ({target.auth}) was refused: check the account and password "
        f"in {target.origin}; this says nothing about the machine"
    )


def no_account_error(target: ProbeTarget) -> str:
    """The operator's error when there is no account to log in with."""
    return (
        f"no WinRM account is configured for this host: set the account and password in {target.origin}; "
        "the probe could not look at the machine"
    )


def certificate_error(target: ProbeTarget, reason: str) -> str:
    """The operator's error behind a certificate that did not validate: the CA used and what failed."""
    trusted = f"the CA file {target.ca_file}" if target.ca_file else "the system's CA store"
    return (
        f"the certificate of {target.endpoint} did not validate against {trusted} ({reason}): check the CA file "
        f"in {target.origin} and the host's certificate; this says nothing about the machine"
    )


def verification_error(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate verification error somewhere in the chain requests and urllib3 wrap around it."""
    pending: list[object] = [exc]
    seen: set[int] = set()
    while pending:
        item = pending.pop()
        if isinstance(item, ssl.SSLCertVerificationError):
            return item
        if isinstance(item, BaseException) and id(item) not in seen:
            seen.add(id(item))
            pending.extend((item.__cause__, item.__context__, getattr(item, "reason", None), *item.args))
    return None


def _protocol(target: ProbeTarget, timeout: float):
    from winrm.protocol import Protocol

    operation = max(1, int(timeout))
    return Protocol(
        target.endpoint,
        transport=target.auth,
        username=target.username,
        password=target.password,
        ca_trust_path=target.ca_file,  # None: the system store
        server_cert_validation="validate" if target.cert_validation else "ignore",
        message_encryption=target.message_encryption,
        operation_timeout_sec=operation,
        read_timeout_sec=operation + 1,
        proxy=None,
    )


def _kept_session(protocol):
    """pywinrm's session for Identify and the look, told not to read the environment: with ``proxy=None`` pywinrm
    already uses no proxy and its own CA setting, yet requests would scan every environment variable for proxy
    settings on each request (measured: 14% of the probe's CPU)."""
    session = protocol.transport.build_session()
    session.trust_env = False
    return session


def _anonymous(request):
    """No credentials on the Identify request, whatever the session's authentication."""
    return request


def _plain_session(target: ProbeTarget):
    """A session without credentials that validates certificates as pywinrm's would, for Identify alone."""
    import requests

    session = requests.Session()
    session.trust_env = False  # like pywinrm with proxy=None: no proxy or CA bundle from the environment
    session.verify = (target.ca_file or True) if target.cert_validation else False
    return session


def _identify(session, target: ProbeTarget, timeout: float) -> str:
    # verify= again: requests would otherwise let REQUESTS_CA_BUNDLE override the session's CA.
    response = session.post(
        target.endpoint,
        data=IDENTIFY_BODY,
        headers=_IDENTIFY_HEADERS,
        timeout=timeout,
        auth=_anonymous,
        verify=session.verify,
    )
    response.content  # read it all, so the connection is free for the look  # noqa: B018
    return f"HTTP {response.status_code}"


def _look(protocol, command: str) -> tuple[bytes, bytes, int]:
    shell = protocol.open_shell(codepage=_CODEPAGE_UTF8)
    try:
        command_id = protocol.run_command(shell, command)
        # No Signal terminate: the command has ended, and deleting the shell frees it (MS-WSMV).
        stdout, stderr, code = protocol.get_command_output(shell, command_id)
    finally:
        protocol.close_shell(shell)
    return stdout, stderr, code


def _reason(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def _first_error(stderr: bytes) -> str:
    text = stderr.decode("utf-8", "replace")
    for marker in ('<S S="Error">', "\n"):
        if marker in text:
            text = text.split(marker, 1)[1] if marker != "\n" else text
    text = text.split("</S>", 1)[0].replace("_x000D__x000A_", " ").strip()
    return (text[:197] + "...") if len(text) > 200 else (text or "no error output")
