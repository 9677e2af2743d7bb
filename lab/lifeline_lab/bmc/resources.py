"""The resource documents the lab's BMC serves (GET), built from the machine and the BMC's state now.

DSP0266 "Service root" (/redfish/v1/, RedfishVersion, links to the top collections, Links.Sessions),
"Redfish-defined URIs" (/redfish, /redfish/v1/odata, /redfish/v1/$metadata); DSP8010 schemas for each type, at
the versions named below (the properties used exist in those versions).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import logs, power
from .media import MEDIA_ID
from .odata import ROOT, collection, link, resource

if TYPE_CHECKING:
    from .service import Bmc

REDFISH_VERSION = "1.17.0"
SYSTEM = f"{ROOT}/Systems/1"
MANAGER = f"{ROOT}/Managers/1"
CHASSIS = f"{ROOT}/Chassis/1"
SESSIONS = f"{ROOT}/SessionService/Sessions"
SEL = f"{SYSTEM}/LogServices/SEL"
SERVICE_UUID_PREFIX = "4c4c4544-0000-1000-8000-"


SCHEMAS = "http://redfish.dmtf.org/schemas/v1"
# The namespaces and versions this service's documents use (the $metadata document references them).
NAMESPACES = {
    "ServiceRoot": "v1_15_0", "SessionService": "v1_1_9", "Session": "v1_7_0", "ComputerSystem": "v1_20_0",
    "ActionInfo": "v1_4_0", "LogService": "v1_5_0", "LogEntry": "v1_15_0", "Manager": "v1_19_0",
    "VirtualMedia": "v1_6_0", "Chassis": "v1_23_0", "ComputerSystemCollection": "", "ManagerCollection": "",
    "ChassisCollection": "", "SessionCollection": "", "LogServiceCollection": "", "LogEntryCollection": "",
    "VirtualMediaCollection": "", "Message": "v1_1_1",
}  # fmt: skip


def metadata() -> bytes:
    """/redfish/v1/$metadata (DSP0266 "OData $metadata"): the CSDL document that references the DMTF schema
    files of each namespace used and defines the service's EntityContainer."""
    references = "".join(
        f'  <edmx:Reference Uri="{SCHEMAS}/{name}_v1.xml">\n    <edmx:Include Namespace="{name}"/>\n'
        + (f'    <edmx:Include Namespace="{name}.{version}"/>\n' if version else "")
        + "  </edmx:Reference>\n"
        for name, version in NAMESPACES.items()
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<edmx:Edmx xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" Version="4.0">\n'
        f"{references}"
        "  <edmx:DataServices>\n"
        '    <Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace="Service">\n'
        f'      <EntityContainer Name="Service" Extends="ServiceRoot.{NAMESPACES["ServiceRoot"]}.ServiceContainer"/>\n'
        "    </Schema>\n"
        "  </edmx:DataServices>\n"
        "</edmx:Edmx>\n"
    ).encode()


def versions() -> dict:
    return {"v1": f"{ROOT}/"}


def service_root(bmc: Bmc) -> dict:
    return resource(
        f"{ROOT}/",
        "ServiceRoot.v1_15_0.ServiceRoot",
        Id="RootService",
        Name="Root Service",
        RedfishVersion=REDFISH_VERSION,
        UUID=bmc.uuid,
        Product="Lifeline lab BMC",
        Vendor="Lifeline lab",
        Systems=link(f"{ROOT}/Systems"),
        Managers=link(f"{ROOT}/Managers"),
        Chassis=link(f"{ROOT}/Chassis"),
        SessionService=link(f"{ROOT}/SessionService"),
        Links={"Sessions": link(SESSIONS)},
        ProtocolFeaturesSupported={
            "ExcerptQuery": False,
            "ExpandQuery": {"ExpandAll": False, "Levels": False, "Links": False, "NoLinks": False},
            "FilterQuery": False,
            "OnlyMemberQuery": False,
            "SelectQuery": False,
        },
    )


def odata_service() -> dict:
    names = ("Systems", "Managers", "Chassis", "SessionService")
    return {
        "@odata.context": f"{ROOT}/$metadata",
        "value": [
            {"name": "Service", "kind": "Singleton", "url": f"{ROOT}/"},
            *({"name": name, "kind": "Singleton", "url": f"{ROOT}/{name}"} for name in names),
        ],
    }


def session_service(bmc: Bmc) -> dict:
    return resource(
        f"{ROOT}/SessionService",
        "SessionService.v1_1_9.SessionService",
        Id="SessionService",
        Name="Session Service",
        ServiceEnabled=True,
        SessionTimeout=bmc.session_timeout,
        Status={"State": "Enabled", "Health": "OK"},
        Sessions=link(SESSIONS),
    )


def sessions(bmc: Bmc) -> dict:
    return collection(SESSIONS, "SessionCollection", "Session Collection", [f"{SESSIONS}/{s}" for s in bmc.sessions])


def session(session_id: str, username: str) -> dict:
    return resource(
        f"{SESSIONS}/{session_id}", "Session.v1_7_0.Session", Id=session_id, Name="User Session", UserName=username
    )


def systems() -> dict:
    return collection(f"{ROOT}/Systems", "ComputerSystemCollection", "Computer System Collection", [SYSTEM])


def system(bmc: Bmc) -> dict:
    machine = bmc.machine
    return resource(
        SYSTEM,
        "ComputerSystem.v1_20_0.ComputerSystem",
        Id="1",
        Name="System",
        SystemType="Physical",
        HostName=machine.computer_name,
        Manufacturer="Lifeline lab",
        Model="Simulated Windows Server",
        SerialNumber=bmc.serial,
        UUID=bmc.uuid,
        PowerState=power.power_state(machine),
        BootProgress={"LastState": power.last_state(machine)},
        Status={"State": "Enabled", "Health": "OK"},
        Boot=bmc.boot.document(),
        LogServices=link(f"{SYSTEM}/LogServices"),
        Links={"Chassis": [link(CHASSIS)], "ManagedBy": [link(MANAGER)]},
        Actions={
            "#ComputerSystem.Reset": {
                "target": f"{SYSTEM}/Actions/ComputerSystem.Reset",
                "ResetType@Redfish.AllowableValues": list(power.RESET_TYPES),
                "@Redfish.ActionInfo": f"{SYSTEM}/ResetActionInfo",
            }
        },
    )


def reset_action_info() -> dict:
    return resource(
        f"{SYSTEM}/ResetActionInfo",
        "ActionInfo.v1_4_0.ActionInfo",
        Id="ResetActionInfo",
        Name="Reset Action Info",
        Parameters=[
            {"Name": "ResetType", "Required": True, "DataType": "String", "AllowableValues": list(power.RESET_TYPES)}
        ],
    )


def log_services() -> dict:
    return collection(f"{SYSTEM}/LogServices", "LogServiceCollection", "Log Service Collection", [SEL])


def log_service() -> dict:
    return resource(
        SEL,
        "LogService.v1_5_0.LogService",
        Id="SEL",
        Name="System Event Log",
        LogEntryType="SEL",
        OverWritePolicy="WrapsWhenFull",
        ServiceEnabled=True,
        Status={"State": "Enabled", "Health": "OK"},
        Entries=link(f"{SEL}/Entries"),
    )


def log_entries(bmc: Bmc) -> dict:
    members = [
        resource(f"{SEL}/Entries/{entry_id}", "LogEntry.v1_15_0.LogEntry", **logs.entry_document(entry_id, c, k))
        for entry_id, c, k in logs.entry_pairs(bmc.machine)
    ]
    document = collection(f"{SEL}/Entries", "LogEntryCollection", "Log Entry Collection", [])
    document["Members"] = members
    document["Members@odata.count"] = len(members)
    return document


def log_entry(bmc: Bmc, entry_id: str) -> dict | None:
    for found, crash, kind in logs.entry_pairs(bmc.machine):
        if found == entry_id:
            return resource(
                f"{SEL}/Entries/{found}", "LogEntry.v1_15_0.LogEntry", **logs.entry_document(found, crash, kind)
            )
    return None


def managers() -> dict:
    return collection(f"{ROOT}/Managers", "ManagerCollection", "Manager Collection", [MANAGER])


def manager(bmc: Bmc) -> dict:
    return resource(
        MANAGER,
        "Manager.v1_19_0.Manager",
        Id="1",
        Name="Manager",
        ManagerType="BMC",
        UUID=bmc.uuid,
        FirmwareVersion="1.0.0",
        PowerState="On",
        Status={"State": "Enabled", "Health": "OK"},
        VirtualMedia=link(f"{MANAGER}/VirtualMedia"),
        Links={"ManagerForServers": [link(SYSTEM)], "ManagerForChassis": [link(CHASSIS)]},
    )


def virtual_media_collection() -> dict:
    return collection(
        f"{MANAGER}/VirtualMedia",
        "VirtualMediaCollection",
        "Virtual Media Collection",
        [f"{MANAGER}/VirtualMedia/{MEDIA_ID}"],
    )


def virtual_media(bmc: Bmc) -> dict:
    return resource(
        f"{MANAGER}/VirtualMedia/{MEDIA_ID}", "VirtualMedia.v1_6_0.VirtualMedia", **bmc.media.document(MANAGER)
    )


def chassis_collection() -> dict:
    return collection(f"{ROOT}/Chassis", "ChassisCollection", "Chassis Collection", [CHASSIS])


def chassis(bmc: Bmc) -> dict:
    return resource(
        CHASSIS,
        "Chassis.v1_23_0.Chassis",
        Id="1",
        Name="Chassis",
        ChassisType="RackMount",
        PowerState=power.power_state(bmc.machine),
        Status={"State": "Enabled", "Health": "OK"},
        Links={"ComputerSystems": [link(SYSTEM)], "ManagedBy": [link(MANAGER)]},
    )
