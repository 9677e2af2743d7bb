"""The BMC's Redfish service: authentication, sessions, routing, ETags, actions and the BMC faults.

DSP0266 "Authentication": every request but GET of /redfish, /redfish/v1/ (the service root), /redfish/v1/odata
and /redfish/v1/$metadata, and the POST that creates a session, needs HTTP Basic authentication or a session
token in X-Auth-Token; without one the answer is 401. "Session login": POST /redfish/v1/SessionService/Sessions
with UserName and Password answers 201 Created with the session in the body, its URI in Location and the token
in X-Auth-Token; DELETE of that URI logs out (the token stops working). "Modification requests" and "Actions":
PATCH answers 200 with the resource; a POST to an action target answers 204 when it completed. Unsupported
methods answer 405 with Allow; unknown URIs 404; a body that is not a JSON object 400; If-Match that does not
match the resource's ETag 412 (odata.py). Error bodies: messages.py.

One account per BMC (the fleet's BMC account, apart from the WinRM account).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import firmware, messages, power, resources
from .boot import BootOverride
from .media import MEDIA_ID, VirtualMedia
from .odata import ROOT, etag

if TYPE_CHECKING:
    from ..machine import Machine

BMC_PORT = 8443  # real BMCs listen on 443; the lab's port is unprivileged (fleet file, CMDB)
SESSION_TIMEOUT = 1800  # seconds (SessionService.SessionTimeout; the lab does not expire sessions)

# `lifeline-lab fault HOST KIND` for hosts with a BMC (host.py lists them with the other faults).
FAULTS = {
    "bmc-refuse-logins": "the BMC refuses every login and every request with 401",
    "bmc-error": "the BMC answers every request with 500 (an internal service error)",
    "bmc-media-refused": "InsertMedia fails: the BMC cannot attach the image (500)",
    firmware.BOOT_IGNORED: "the firmware accepts a one-time boot override but boots the disk",
    "bmc-reset-hang": "ComputerSystem.Reset never answers and the machine is not reset",
}

OPEN_GETS = {"/redfish", f"{ROOT}", f"{ROOT}/odata", f"{ROOT}/$metadata"}
SYSTEM = resources.SYSTEM
MANAGER = resources.MANAGER
MEDIA = f"{MANAGER}/VirtualMedia/{MEDIA_ID}"
RESET = f"{SYSTEM}/Actions/ComputerSystem.Reset"
INSERT = f"{MEDIA}/Actions/VirtualMedia.InsertMedia"
EJECT = f"{MEDIA}/Actions/VirtualMedia.EjectMedia"


@dataclass
class BmcSpec:
    """How the BMC is reached: what the fleet file tells clients (`bmc:` of a host)."""

    address: str
    port: int
    username: str
    password: str = field(repr=False)

    def to_fleet_entry(self) -> dict:
        return {"address": self.address, "port": self.port, "username": self.username, "password": self.password}


@dataclass
class Reply:
    status: int
    body: dict | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    xml: bytes | None = None  # the $metadata document (application/xml) instead of a JSON body


class Bmc:
    def __init__(
        self, spec: BmcSpec, machine: Machine, faults: dict[str, float], recovery_script: bytes | None = None
    ) -> None:
        self.spec = spec
        self.machine = machine
        self.faults = faults  # the host's injected faults: the BMC reacts to FAULTS' kinds
        self.recovery_script = recovery_script
        self.boot = BootOverride()
        self.media = VirtualMedia()
        self.sessions: dict[str, tuple[str, str]] = {}  # session id -> (token, user name)
        self.session_timeout = SESSION_TIMEOUT
        seed = hashlib.sha256(machine.computer_name.encode()).hexdigest()
        self.uuid = str(uuid.UUID(seed[:32]))
        self.serial = "LAB" + seed[:9].upper()
        self.requests = 0
        self._hung: list[asyncio.Future] = []
        machine.firmware = lambda m: firmware.boot(self, m)

    # --- dispatch -------------------------------------------------------------------------------

    async def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Reply:
        self.requests += 1
        path, _, query = target.partition("?")
        if len(path) > 1 and path.endswith("/"):
            path = path.rstrip("/")
        try:
            if "bmc-error" in self.faults:
                raise messages.internal_error()
            version = headers.get("odata-version", "4.0").strip()
            if version != "4.0":  # DSP0266 "Request headers": an unsupported OData-Version gets 412
                raise messages.RedfishError(
                    412, "HeaderInvalid", f"The header OData-Version: {version} is not supported.", [version]
                )
            if any(part.startswith(("$", "only", "excerpt")) for part in query.split("&") if part):
                # DSP0266 "Query parameters": the lab supports none; one it does not support gets 501
                raise messages.RedfishError(
                    501, "QueryNotSupported", "Querying is not supported by the implementation.", [query]
                )
            if method in ("GET", "HEAD") and path == f"{ROOT}/$metadata":
                return Reply(200, None, [("Allow", "GET, HEAD")], xml=resources.metadata())
            if not (method in ("GET", "HEAD") and path in OPEN_GETS) and not (
                method == "POST" and path in (resources.SESSIONS, f"{resources.SESSIONS}/Members")
            ):
                self._authenticate(headers)
            return await self._route(method, path, headers, body)
        except messages.RedfishError as error:
            return Reply(error.status, error.body(), error.headers)

    def _authenticate(self, headers: dict[str, str]) -> str:
        if "bmc-refuse-logins" in self.faults:
            raise messages.unauthorized()
        token = headers.get("x-auth-token", "")
        if token:
            for stored, user in self.sessions.values():
                if hmac.compare_digest(stored, token):
                    return user
            raise messages.unauthorized()
        scheme, _, encoded = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(encoded, validate=True).decode("utf-8").partition(":")
            except (binascii.Error, UnicodeDecodeError):
                raise messages.unauthorized() from None
            if self._valid(user, password):
                return user
        raise messages.unauthorized()

    def _valid(self, user: object, password: object) -> bool:
        return (
            isinstance(user, str)
            and isinstance(password, str)
            and hmac.compare_digest(user.encode(), self.spec.username.encode())
            and hmac.compare_digest(password.encode(), self.spec.password.encode())
        )

    async def _route(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        getters: dict[str, Callable[[], dict]] = {
            "/redfish": resources.versions,
            ROOT: lambda: resources.service_root(self),
            f"{ROOT}/odata": resources.odata_service,
            f"{ROOT}/SessionService": lambda: resources.session_service(self),
            resources.SESSIONS: lambda: resources.sessions(self),
            f"{ROOT}/Systems": resources.systems,
            SYSTEM: lambda: resources.system(self),
            f"{SYSTEM}/ResetActionInfo": resources.reset_action_info,
            f"{SYSTEM}/LogServices": resources.log_services,
            resources.SEL: resources.log_service,
            f"{resources.SEL}/Entries": lambda: resources.log_entries(self),
            f"{ROOT}/Managers": resources.managers,
            MANAGER: lambda: resources.manager(self),
            f"{MANAGER}/VirtualMedia": resources.virtual_media_collection,
            MEDIA: lambda: resources.virtual_media(self),
            f"{ROOT}/Chassis": resources.chassis_collection,
            resources.CHASSIS: lambda: resources.chassis(self),
        }
        posts = {
            resources.SESSIONS: self._login,
            RESET: self._reset,
            INSERT: self._insert,
            EJECT: self._eject,
        }
        action_owner = {RESET: SYSTEM, INSERT: MEDIA, EJECT: MEDIA}
        if path == f"{resources.SESSIONS}/Members":
            path = resources.SESSIONS  # DSP0266 "POST (create)": the collection's Members URI creates too
        entry_prefix, session_prefix = f"{resources.SEL}/Entries/", f"{resources.SESSIONS}/"
        if path.startswith(session_prefix) and path.count("/") == resources.SESSIONS.count("/") + 1:
            return self._session(method, path[len(session_prefix) :])
        if path.startswith(entry_prefix) and path.count("/") == entry_prefix.count("/"):
            document = resources.log_entry(self, path[len(entry_prefix) :])
            if document is None:
                raise messages.not_found(path)
            return self._get(method, path, document, "GET, HEAD")
        if path in posts:
            if method != "POST":
                allow = "GET, HEAD, POST" if path in getters else "POST"
                if path in getters and method in ("GET", "HEAD"):
                    return self._get(method, path, getters[path](), allow)
                raise messages.not_allowed(method, path, allow)
            document = _json_object(body)
            if path in action_owner:
                self._check_if_match(headers, action_owner[path], getters[action_owner[path]]())
            return await posts[path](document)
        if path not in getters:
            raise messages.not_found(path)
        allow = "GET, HEAD, PATCH" if path == SYSTEM else "GET, HEAD"
        if method in ("GET", "HEAD"):
            return self._get(method, path, getters[path](), allow)
        if method == "PATCH" and path == SYSTEM:
            document = _json_object(body)
            self._check_if_match(headers, path, getters[path]())
            return self._patch_system(document)
        raise messages.not_allowed(method, path, allow)

    @staticmethod
    def _get(method: str, path: str, document: dict, allow: str) -> Reply:
        headers = [("ETag", etag(document)), ("Allow", allow)]
        odata_type = str(document.get("@odata.type", "")).lstrip("#")
        if odata_type:  # DSP0266 "Link header": rel=describedby names the resource's JSON schema
            schema = odata_type.rsplit(".", 1)[0]  # ComputerSystem.v1_20_0, or a collection's unversioned name
            headers.append(("Link", f"<{resources.SCHEMAS}/{schema}.json>; rel=describedby"))
        return Reply(200, document if method == "GET" else None, headers)

    @staticmethod
    def _check_if_match(headers: dict[str, str], path: str, document: dict) -> None:
        wanted = headers.get("if-match", "").strip()
        if not wanted or wanted == "*":
            return
        current = etag(document)
        tags = {tag.strip() for tag in wanted.split(",")}
        if current not in tags and current.removeprefix("W/") not in tags:
            raise messages.precondition_failed(path)

    # --- sessions ---------------------------------------------------------------------------------

    async def _login(self, body: dict) -> Reply:
        if "bmc-refuse-logins" in self.faults:
            raise messages.unauthorized()
        for name in ("UserName", "Password"):
            if name not in body:
                raise messages.RedfishError(
                    400, "PropertyMissing", f"The property {name} is a required property.", [name]
                )
        if not self._valid(body["UserName"], body["Password"]):
            raise messages.unauthorized()
        session_id = secrets.token_hex(8)
        token = secrets.token_urlsafe(24)
        self.sessions[session_id] = (token, self.spec.username)
        location = f"{resources.SESSIONS}/{session_id}"
        return Reply(
            201,
            resources.session(session_id, self.spec.username),
            [("Location", location), ("X-Auth-Token", token)],
        )

    def _session(self, method: str, session_id: str) -> Reply:
        if session_id not in self.sessions:
            raise messages.not_found(f"{resources.SESSIONS}/{session_id}")
        document = resources.session(session_id, self.sessions[session_id][1])
        if method in ("GET", "HEAD"):
            return self._get(method, document["@odata.id"], document, "GET, HEAD, DELETE")
        if method == "DELETE":
            del self.sessions[session_id]
            return Reply(204)
        raise messages.not_allowed(method, document["@odata.id"], "GET, HEAD, DELETE")

    # --- changes ----------------------------------------------------------------------------------

    def _patch_system(self, body: dict) -> Reply:
        for name in body:
            if name != "Boot":
                known = resources.system(self)
                raise (messages.property_read_only(name) if name in known else messages.property_unknown(name))
        if "Boot" in body:
            self.boot.patch(body["Boot"])
        document = resources.system(self)
        return Reply(200, document, [("ETag", etag(document))])

    async def _reset(self, body: dict) -> Reply:
        action = "ComputerSystem.Reset"
        if "ResetType" not in body:
            raise messages.missing_parameter("ResetType", action)
        reset_type = body["ResetType"]
        if reset_type not in power.RESET_TYPES:
            raise messages.parameter_not_supported(str(reset_type), "ResetType", action)
        if "bmc-reset-hang" in self.faults:
            hung = asyncio.get_running_loop().create_future()
            self._hung.append(hung)
            await hung  # never set: the client's request waits until it gives up (or the fleet stops)
        power.reset(self.machine, reset_type)
        return Reply(204)

    async def _insert(self, body: dict) -> Reply:
        if "bmc-media-refused" in self.faults:
            raise messages.RedfishError(
                500,
                "CouldNotEstablishConnection",
                f"An attempt to access the resource at {body.get('Image')} failed due to a connection issue.",
                [str(body.get("Image"))],
            )
        self.media.insert(body)
        return Reply(204)

    async def _eject(self, body: dict) -> Reply:
        self.media.eject()
        return Reply(204)

    def close(self) -> None:
        for hung in self._hung:
            hung.cancel()
        self._hung.clear()

    def status(self) -> dict:
        """Ground truth of the BMC (control channel `show`): no credentials, no tokens."""
        return {
            "address": self.spec.address,
            "port": self.spec.port,
            "boot_override": {"enabled": self.boot.enabled, "target": self.boot.target},
            "virtual_media": {"image": self.media.image, "inserted": self.media.inserted},
            "sessions": len(self.sessions),
            "requests": self.requests,
        }


def _json_object(body: bytes) -> dict:
    if not body.strip():
        return {}
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise messages.malformed(str(exc).split(":")[0]) from None
    if not isinstance(document, dict):
        raise messages.malformed("the body is not a JSON object")
    return document
