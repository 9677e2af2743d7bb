"""Error responses and the Base message registry.

DSP0266, "Error responses": a 4xx or 5xx answer carries a JSON body whose `error` object has `code` and
`message` and an `@Message.ExtendedInfo` array of Message objects (MessageId, Message, MessageArgs, Severity,
Resolution), the MessageIds from the Base message registry (DSP8011, Base.1.x). The lab names the registry
version it follows (BASE) and copies only the message identifiers; the message texts are short paraphrases
(the registry's exact wording is not reproduced).
"""

from __future__ import annotations

from dataclasses import dataclass, field

BASE = "Base.1.16"


@dataclass
class RedfishError(Exception):
    """A request the service refuses: HTTP status, Base registry message id and its arguments."""

    status: int
    message_id: str
    text: str
    args: list[str] = field(default_factory=list)
    headers: list[tuple[str, str]] = field(default_factory=list)

    def body(self) -> dict:
        return error_body(self.message_id, self.text, self.args)


def message(message_id: str, text: str, args: list[str] | None = None, severity: str = "Critical") -> dict:
    """One Message object of @Message.ExtendedInfo (DSP8010 Message schema)."""
    return {
        "@odata.type": "#Message.v1_1_1.Message",
        "MessageId": f"{BASE}.{message_id}",
        "Message": text,
        "MessageArgs": list(args or []),
        "Severity": severity,
        "MessageSeverity": severity,
        "Resolution": "See the message; correct the request and resubmit it.",
    }


def error_body(message_id: str, text: str, args: list[str] | None = None) -> dict:
    return {
        "error": {
            "code": f"{BASE}.{message_id}",
            "message": text,
            "@Message.ExtendedInfo": [message(message_id, text, args)],
        }
    }


def not_found(path: str) -> RedfishError:
    return RedfishError(404, "ResourceMissingAtURI", f"The resource at the URI {path} was not found.", [path])


def not_allowed(method: str, path: str, allow: str) -> RedfishError:
    return RedfishError(405, "OperationNotAllowed", f"{method} is not allowed on {path}.", [method], [("Allow", allow)])


def unauthorized() -> RedfishError:
    return RedfishError(
        401,
        "NoValidSession",
        "There is no valid session established with the implementation.",
        headers=[("WWW-Authenticate", 'Basic realm="Redfish"')],
    )


def malformed(detail: str) -> RedfishError:
    return RedfishError(400, "MalformedJSON", f"The request body was malformed JSON: {detail}.")


def missing_parameter(name: str, action: str) -> RedfishError:
    return RedfishError(
        400, "ActionParameterMissing", f"The action {action} requires the parameter {name}.", [action, name]
    )


def parameter_not_supported(value: str, name: str, action: str) -> RedfishError:
    return RedfishError(
        400,
        "ActionParameterValueNotInList",
        f"The value {value} for the parameter {name} in the action {action} is not in the list of acceptable values.",
        [value, name, action],
    )


def property_value(value: str, name: str) -> RedfishError:
    return RedfishError(
        400,
        "PropertyValueNotInList",
        f"The value {value} for the property {name} is not in the list of acceptable values.",
        [value, name],
    )


def property_unknown(name: str) -> RedfishError:
    return RedfishError(400, "PropertyUnknown", f"The property {name} is not in the list of valid properties.", [name])


def property_read_only(name: str) -> RedfishError:
    return RedfishError(400, "PropertyNotWritable", f"The property {name} is a read only property.", [name])


def precondition_failed(path: str) -> RedfishError:
    return RedfishError(
        412, "PreconditionFailed", f"The ETag supplied did not match the ETag required to change {path}.", [path]
    )


def internal_error() -> RedfishError:
    return RedfishError(500, "InternalError", "The request failed due to an internal service error.")
