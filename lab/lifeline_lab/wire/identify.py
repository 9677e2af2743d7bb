"""Anonymous WS-Man Identify (DSP0226 section 11): lets a prober see that a WinRM listener answers.

Windows answers it without authentication when the request carries `WSMANIDENTIFY: unauthenticated`,
and then hides its version ("OS: 0.0.0 SP: 0.0 Stack: 3.0").
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from .http import HttpRequest
from .soap import NS_IDENTITY, NS_SOAP, q

_RESPONSE = (
    '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xml:lang="en-US"><s:Header/><s:Body>'
    f'<wsmid:IdentifyResponse xmlns:wsmid="{NS_IDENTITY}">'
    "<wsmid:ProtocolVersion>http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd</wsmid:ProtocolVersion>"
    "<wsmid:ProductVendor>Microsoft Corporation</wsmid:ProductVendor>"
    "<wsmid:ProductVersion>OS: 0.0.0 SP: 0.0 Stack: 3.0</wsmid:ProductVersion>"
    "<wsmid:SecurityProfiles><wsmid:SecurityProfileName>"
    "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/http/spnego-kerberos"
    "</wsmid:SecurityProfileName></wsmid:SecurityProfiles></wsmid:IdentifyResponse></s:Body></s:Envelope>"
).encode()


def is_identify(request: HttpRequest) -> bool:
    if request.header("wsmanidentify").lower() != "unauthenticated" or not request.body:
        return False
    try:
        root = ET.fromstring(request.body)
    except ET.ParseError:
        return False
    body = root.find(q(NS_SOAP, "Body"))
    return body is not None and body.find(q(NS_IDENTITY, "Identify")) is not None


def identify_response(_body: bytes) -> bytes:
    return _RESPONSE
