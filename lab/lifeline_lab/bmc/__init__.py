"""A host's BMC: a DMTF Redfish service over HTTPS that drives the host's machine out of band.

Sources: DSP0266 (Redfish Specification) for the protocol (service root, sessions, ETags, actions, error
responses) and DSP8010 (Redfish Schema Bundle) for the resources: ServiceRoot, SessionService, Session,
ComputerSystem, Manager, VirtualMedia, LogService, LogEntry, Chassis, and the Base message registry. Which
resources a BMC offers and where is each vendor's choice; the lab offers one System, one Manager and one
Chassis, all with Id "1", at the URIs DSP0266 fixes or the schemas' URI patterns allow.

Modules: service.py (routing, authentication, faults), server.py (HTTP/TLS), resources.py (documents),
power.py (PowerState, BootProgress, ComputerSystem.Reset), boot.py (the boot override), media.py (virtual
media), firmware.py (what the firmware boots), logs.py (the OS-stop events), messages.py (error bodies).
"""

from .service import BMC_PORT, Bmc, BmcSpec

__all__ = ["BMC_PORT", "Bmc", "BmcSpec"]
