"""The OData annotations every Redfish resource carries, and its ETag.

DSP0266, "Resource identifier property" and "Type property": @odata.id (the resource's URI) and @odata.type
(#Namespace.vMajor_Minor_Errata.Type) on every resource; "Context property": @odata.context
(/redfish/v1/$metadata#Type.Type). "ETags": the service returns an ETag header on a GET of a resource that can
be changed, and a PATCH or action with If-Match whose ETag does not match gets 412 Precondition Failed. The lab's
ETags are weak validators (W/"..."), a hash of the resource's representation.
"""

from __future__ import annotations

import hashlib
import json

ROOT = "/redfish/v1"


def resource(odata_id: str, odata_type: str, **properties) -> dict:
    """A resource document: `odata_type` is the versioned type, e.g. ComputerSystem.v1_20_0.ComputerSystem (a
    collection's type is unversioned: ComputerSystemCollection.ComputerSystemCollection)."""
    parts = odata_type.split(".")
    namespace, name = parts[0], parts[-1]
    return {
        "@odata.context": f"{ROOT}/$metadata#{namespace}.{name}",
        "@odata.id": odata_id,
        "@odata.type": f"#{odata_type}",
        **properties,
    }


def collection(odata_id: str, type_name: str, name: str, members: list[str]) -> dict:
    """A resource collection (DSP0266 "Resource collections"): Members, Members@odata.count."""
    return resource(
        odata_id,
        f"{type_name}.{type_name}",
        Name=name,
        Members=[{"@odata.id": member} for member in members],
        **{"Members@odata.count": len(members)},
    )


def link(odata_id: str) -> dict:
    return {"@odata.id": odata_id}


def etag(document: dict) -> str:
    digest = hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()[:16]
    return f'W/"{digest}"'
