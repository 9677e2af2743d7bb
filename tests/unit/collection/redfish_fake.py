"""A minimal Redfish service for the unit tests of the inventory's BMC reads: fixed documents over
HTTPS (a throw-away CA made here), HTTP Basic, and the error body of DSP0266 section 9.7. It serves
what a test gives it; the lab's full BMC is for the integration tests."""

from __future__ import annotations

import base64
import datetime
import json
import ssl
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_tls(directory: Path) -> tuple[Path, Path, Path]:
    """A CA, and a certificate for 127.0.0.1 signed by it: (ca.pem, server.pem, server.key)."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("test BMC CA"))
        .issuer_name(_name("test BMC CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    import ipaddress

    server = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, cert_path, key_path = directory / "ca.pem", directory / "server.pem", directory / "server.key"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return ca_path, cert_path, key_path


def system_documents(
    power: str = "Off", last_state: str | None = "OSBootStarted", stops: list[dict] | None = None
) -> dict[str, dict]:
    """A service root, one system (System.Embedded.1) with a log service, its entries and a manager."""
    system = "/redfish/v1/Systems/System.Embedded.1"
    logs = f"{system}/LogServices"
    documents = {
        "/redfish/v1/": {"@odata.id": "/redfish/v1/", "Systems": {"@odata.id": "/redfish/v1/Systems"}},
        "/redfish/v1/Systems": {"Members": [{"@odata.id": system}], "Members@odata.count": 1},
        system: {
            "@odata.id": system,
            "Id": "System.Embedded.1",
            "PowerState": power,
            "LogServices": {"@odata.id": logs},
            "Links": {"ManagedBy": [{"@odata.id": "/redfish/v1/Managers/BMC"}]},
        },
        logs: {"Members": [{"@odata.id": f"{logs}/Sel"}]},
        f"{logs}/Sel": {"@odata.id": f"{logs}/Sel", "Entries": {"@odata.id": f"{logs}/Sel/Entries"}},
        f"{logs}/Sel/Entries": {"Members": stops or []},
    }
    if last_state is not None:
        documents[system]["BootProgress"] = {"LastState": last_state}
    return documents


class FakeBmc:
    """Serves ``documents`` (path -> JSON) over HTTPS to ``username``/``password`` with HTTP Basic;
    ``status`` answers every request with that status and a Redfish error body instead."""

    def __init__(self, directory: Path, documents: Mapping[str, dict], username: str, password: str):
        self.ca, cert, key = make_tls(directory)
        self.documents = dict(documents)
        self.credentials = base64.b64encode(f"{username}:{password}".encode()).decode()
        self.status: int | None = None
        self.requests: list[tuple[str, str]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *arguments) -> None:
                pass

            def _send(self, status: int, document: dict) -> None:
                body = json.dumps(document).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                if status == 401:
                    self.send_header("WWW-Authenticate", 'Basic realm="Redfish"')
                self.end_headers()
                self.wfile.write(body)

            def _error(self, status: int, message: str) -> None:
                info = {"MessageId": "Base.1.18.GeneralError", "Message": message}
                self._send(
                    status, {"error": {"code": info["MessageId"], "message": message, "@Message.ExtendedInfo": [info]}}
                )

            def do_GET(self) -> None:
                fake.requests.append(("GET", self.path))
                if fake.status is not None:
                    self._error(fake.status, "The service is temporarily unavailable.")
                elif self.headers.get("Authorization") != f"Basic {fake.credentials}":
                    self._error(
                        401, "The authentication credentials included with this request are missing or invalid."
                    )
                elif self.path.rstrip("/") in {key.rstrip("/") for key in fake.documents}:
                    found = next(
                        value for key, value in fake.documents.items() if key.rstrip("/") == self.path.rstrip("/")
                    )
                    self._send(200, found)
                else:
                    self._error(404, f"The requested resource of type {self.path} was not found.")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeBmc:
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.server.shutdown()
        self.server.server_close()
