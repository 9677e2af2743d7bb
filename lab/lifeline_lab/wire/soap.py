"""WS-Management SOAP envelopes: read what clients send, write what Windows answers.

Elements are matched on namespace + local name, never on prefix: pywinrm, pypsrp and
ansible-core use different prefixes (shared/reference/winrm-wire.md, "Namespaces").
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

NS_SOAP = "http://www.w3.org/2003/05/soap-envelope"
NS_ADDRESSING = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
NS_WSMAN = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
NS_MS_WSMAN = "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"
NS_SHELL = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
NS_TRANSFER = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
NS_FAULT = "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"
NS_IDENTITY = "http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"

ACTION_CREATE = f"{NS_TRANSFER}/Create"
ACTION_DELETE = f"{NS_TRANSFER}/Delete"
ACTION_COMMAND = f"{NS_SHELL}/Command"
ACTION_SEND = f"{NS_SHELL}/Send"
ACTION_RECEIVE = f"{NS_SHELL}/Receive"
ACTION_SIGNAL = f"{NS_SHELL}/Signal"
ACTION_FAULT = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"
ANONYMOUS = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"

_DEFAULT_OPERATION_TIMEOUT = 20.0


def q(namespace: str, local: str) -> str:
    """ElementTree's qualified name."""
    return f"{{{namespace}}}{local}"


class MalformedRequest(Exception):
    """The request is not a WS-Management envelope we can act on (answered with a SOAP fault)."""


@dataclass
class Request:
    """The parts of a WS-Man request that an operation needs."""

    action: str
    message_id: str
    resource_uri: str
    selectors: dict[str, str]
    options: dict[str, str]
    operation_timeout: float
    body: ET.Element | None
    max_envelope_size: int = 153600
    raw_header: ET.Element | None = field(default=None, repr=False)


def parse_duration(text: str | None, default: float) -> float:
    """Parse an xs:duration such as PT20S or PT60.000S (only the forms WinRM clients send)."""
    if not text:
        return default
    value = text.strip().upper()
    if not value.startswith("PT"):
        return default
    seconds = 0.0
    number = ""
    for char in value[2:]:
        if char.isdigit() or char == ".":
            number += char
            continue
        if not number:
            return default
        try:
            amount = float(number)
        except ValueError:
            return default
        seconds += amount * {"H": 3600, "M": 60, "S": 1}.get(char, 0)
        number = ""
    return seconds if seconds > 0 else default


def parse_request(data: bytes) -> Request:
    """Parse a SOAP envelope; raise MalformedRequest with a reason a fault can carry."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise MalformedRequest(f"The request is not well-formed XML: {exc}") from None
    if root.tag != q(NS_SOAP, "Envelope"):
        raise MalformedRequest("The request is not a SOAP 1.2 envelope.")
    header = root.find(q(NS_SOAP, "Header"))
    body = root.find(q(NS_SOAP, "Body"))
    if header is None or body is None:
        raise MalformedRequest("The SOAP envelope has no Header or no Body.")

    def header_text(namespace: str, local: str) -> str:
        element = header.find(q(namespace, local))
        return (element.text or "").strip() if element is not None else ""

    action = header_text(NS_ADDRESSING, "Action")
    if not action:
        raise MalformedRequest("The request has no wsa:Action header.")
    selectors = {sel.get("Name", ""): (sel.text or "").strip() for sel in header.iter(q(NS_WSMAN, "Selector"))}
    options = {opt.get("Name", ""): (opt.text or "").strip() for opt in header.iter(q(NS_WSMAN, "Option"))}
    size_text = header_text(NS_WSMAN, "MaxEnvelopeSize")
    children = list(body)
    return Request(
        action=action,
        message_id=header_text(NS_ADDRESSING, "MessageID"),
        resource_uri=header_text(NS_WSMAN, "ResourceURI"),
        selectors=selectors,
        options=options,
        operation_timeout=parse_duration(header_text(NS_WSMAN, "OperationTimeout"), _DEFAULT_OPERATION_TIMEOUT),
        body=children[0] if children else None,
        max_envelope_size=int(size_text) if size_text.isdigit() else 153600,
        raw_header=header,
    )


_ENVELOPE_OPEN = (
    '<s:Envelope xml:lang="en-US" xmlns:s="http://www.w3.org/2003/05/soap-envelope"'
    ' xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"'
    ' xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer"'
    ' xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"'
    ' xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell"'
    ' xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd">'
)


def envelope(action: str, relates_to: str, body_xml: str) -> bytes:
    """A response envelope in the shape Windows sends (fresh MessageID, RelatesTo echoing the request)."""
    header = (
        f"<s:Header><a:Action>{escape(action)}</a:Action>"
        f"<a:MessageID>uuid:{str(uuid.uuid4()).upper()}</a:MessageID>"
        f"<a:To>{ANONYMOUS}</a:To>"
        f"<a:RelatesTo>{escape(relates_to)}</a:RelatesTo></s:Header>"
    )
    document = f"{_ENVELOPE_OPEN}{header}<s:Body>{body_xml}</s:Body></s:Envelope>"
    return ('<?xml version="1.0" encoding="utf-8"?>' + document).encode()


@dataclass
class Fault:
    """A WS-Man fault: SOAP code and subcode, reason, and the WSManFault detail code clients read."""

    code: str  # "s:Sender" or "s:Receiver"
    subcode: str  # e.g. "w:TimedOut"
    reason: str
    wsman_code: int
    http_status: int = 500

    def to_xml(self, relates_to: str, machine: str) -> bytes:
        text = escape(self.reason)
        body = (
            f"<s:Fault><s:Code><s:Value>{self.code}</s:Value><s:Subcode><s:Value>{self.subcode}</s:Value>"
            f'</s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">{text}</s:Text></s:Reason>'
            f'<s:Detail><f:WSManFault xmlns:f="{NS_FAULT}" Code="{self.wsman_code}" Machine={quoteattr(machine)}>'
            f"<f:Message>{text}</f:Message></f:WSManFault></s:Detail></s:Fault>"
        )
        return envelope(ACTION_FAULT, relates_to, body)


def timed_out_fault() -> Fault:
    message = "The WS-Management service cannot complete the operation within the time specified in OperationTimeout."
    return Fault("s:Receiver", "w:TimedOut", message, 2150858793)


def invalid_selectors_fault() -> Fault:
    message = "The WS-Management service cannot process the request because the request contained invalid selectors for the resource."  # noqa: E501
    return Fault("s:Sender", "w:InvalidSelectors", message, 2150858843)


def schema_fault(reason: str) -> Fault:
    message = f"The WS-Management service cannot process the request because the XML is invalid. {reason}"
    return Fault("s:Sender", "w:SchemaValidationError", message, 2150858817)


def action_not_supported_fault(action: str) -> Fault:
    message = f"The WS-Management service cannot process the request. The action {action} is not supported."
    return Fault("s:Sender", "a:ActionNotSupported", message, 2150858771)


def access_denied_fault() -> Fault:
    return Fault("s:Sender", "w:AccessDenied", "Access is denied.", 5)
