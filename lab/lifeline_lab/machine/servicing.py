"""Servicing: the packages installed in a Windows image and the operations pending for the next boot.

Package identities, states and release types as `dism /Get-Packages` reports them (Microsoft Learn,
"DISM Operating System Package Servicing Command-Line Options"). Pending operations are recorded in
\\Windows\\WinSxS\\pending.xml and carried out at the next boot.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

PENDING_XML = r"Windows\WinSxS\pending.xml"


@dataclass
class Package:
    identity: str  # Package_for_RollupFix~31bf3856ad364e35~amd64~~20348.2227.1.3
    release_type: str  # Security Update, Update, Foundation, Language Pack, Feature Pack, OnDemand Pack
    state: str = "Installed"  # Installed, Install Pending, Uninstall Pending, Staged, Superseded
    install_time: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    permanent: bool = False  # Foundation packages cannot be removed
    # Files the package laid down (path under the image root -> content) and what they replaced,
    # so that removing it restores the earlier versions (None: the file did not exist before).
    files: dict[str, bytes] = field(default_factory=dict)
    replaced: dict[str, bytes | None] = field(default_factory=dict)


@dataclass
class Servicing:
    packages: list[Package] = field(default_factory=list)

    def find(self, identity: str) -> Package | None:
        return next((p for p in self.packages if p.identity.lower() == identity.lower()), None)

    def newest_quality_update(self) -> Package | None:
        updates = [p for p in self.packages if p.release_type in ("Security Update", "Update") and not p.permanent]
        return max(updates, key=lambda p: p.install_time, default=None)
