# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The decisions of win_servicing, as pure functions: reading its survey (``servicing_survey``, the script, is at
the end), which package is the newest quality update, whether a rerun has anything left to do, and the rollback
records it writes.

"Quality update" follows Microsoft's naming of servicing packages: ``Package_for_RollupFix`` is the
monthly cumulative (quality) update (Microsoft support, "Azure VM startup is stuck at Windows update",
which removes exactly that package with DISM; windows-tools.md 4.2), and a ``Package_for_KB<number>``
package whose Release Type (DismReleaseType enumeration, Microsoft Learn) is ``Security Update`` or
``Update`` is a standalone quality fix. Servicing stack updates
(``Package_for_ServicingStack_*``), Foundation, language and feature packs are never quality updates.
Only ``Installed`` packages count (an ``Uninstall Pending`` one is already on its way out), and the newest
is the one with the latest Install Time.
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass

from ansible_collections.lifeline.recovery.plugins.plugin_utils import _records, _report
from ansible_collections.lifeline.recovery.plugins.plugin_utils._dism import (
    Package,
    dism_get_packages,
    parse_dism_error,
    parse_dism_packages,
)
from ansible_collections.lifeline.recovery.plugins.plugin_utils._inputs import volume, windows_path
from ansible_collections.lifeline.recovery.plugins.plugin_utils._parsers import ParseError
from ansible_collections.lifeline.recovery.plugins.plugin_utils._powershell import quote, script

__all__ = [
    "PENDING_STATES",
    "QUALITY_RELEASE_TYPES",
    "ServicingSurvey",
    "already_removed_newest",
    "is_quality_update",
    "newest_awaiting_restart",
    "newest_quality_update",
    "package_result",
    "parse_servicing_survey",
    "pending_packages",
    "servicing_survey",
]

QUALITY_RELEASE_TYPES = frozenset(("security update", "update"))
PENDING_STATES = frozenset(("install pending", "uninstall pending"))
_ROLLUP = "package_for_rollupfix"
_KB_PACKAGE = re.compile(r"Package_for_KB[0-9]{6,8}", re.IGNORECASE | re.ASCII)
_TOOL = "win_servicing survey"


@dataclass(frozen=True)
class ServicingSurvey:
    """What the survey read: the image's packages, whether pending.xml exists, earlier servicing records
    (``_records.py``, kind servicing; a file that is not one is left out, never trusted)."""

    packages: tuple[Package, ...]
    pending_xml: bool
    records: tuple[dict, ...]


def parse_servicing_survey(text: str) -> ServicingSurvey:
    """The JSON of ``servicing_survey``; a dism error or unexpected output raises ParseError naming it."""
    try:
        document = json.loads(text)
    except ValueError:
        raise ParseError(_TOOL, f"not JSON: {text.strip()[:200]!r}") from None
    if not isinstance(document, dict) or not isinstance(document.get("dism"), str):
        raise ParseError(_TOOL, "no dism output in the survey")
    rc = document.get("dism_rc")
    if rc != 0:
        error = parse_dism_error(document["dism"])
        raise ParseError(_TOOL, f"dism /Get-Packages failed (exit code {rc}): {error or 'no error text'}")
    pending = document.get("pending_xml")
    if not isinstance(pending, bool):
        raise ParseError(_TOOL, "pending_xml is not true or false")
    raw_records = document.get("records") or []
    if isinstance(raw_records, str):  # one record: ConvertTo-Json may unwrap a one-item array
        raw_records = [raw_records]
    records = []
    for raw in raw_records:
        try:  # a record that is not ours or is damaged is left alone, not trusted
            records.append(_records.parse(str(raw), "servicing"))
        except ParseError:
            continue
    return ServicingSurvey(tuple(parse_dism_packages(document["dism"])), pending, tuple(records))


def is_quality_update(package: Package) -> bool:
    """Microsoft's naming: the RollupFix (monthly cumulative update), or a KB package released as an update."""
    name = package.identity.split("~", 1)[0]
    if name.lower() == _ROLLUP:
        return True
    return bool(_KB_PACKAGE.fullmatch(name)) and package.release_type.lower() in QUALITY_RELEASE_TYPES


def newest_quality_update(packages: list[Package] | tuple[Package, ...]) -> Package | None:
    """The installed quality update with the latest Install Time (identity breaks a tie), or None."""
    candidates = [
        package
        for package in packages
        if is_quality_update(package) and package.state.lower() == "installed" and package.install_time is not None
    ]
    return max(candidates, key=lambda package: (package.install_time, package.identity), default=None)


def newest_awaiting_restart(packages) -> Package | None:
    """The newest quality update when it is already Uninstall Pending (removed online, gone at the next restart).

    Online, a removal only marks the package: the next run must wait for the restart, not remove the next one."""
    candidates = [
        package
        for package in packages
        if is_quality_update(package)
        and package.state.lower() in ("installed", "uninstall pending")
        and package.install_time is not None
    ]
    newest = max(candidates, key=lambda package: (package.install_time, package.identity), default=None)
    return newest if newest is not None and newest.state.lower() == "uninstall pending" else None


def already_removed_newest(packages, records) -> dict | None:
    """The record of an earlier ``newest_quality_update`` removal that is still the newest one, or None.

    A rerun must not remove the next update too: when a record shows that a quality update installed at or
    after every remaining one was removed, the job is done. An update installed later is new: it counts."""
    newest = newest_quality_update(packages)
    done = None
    for record in records:
        removed = record.get("package") or {}
        if record.get("selected_by") != "newest_quality_update" or not removed.get("install_time"):
            continue
        try:
            installed = datetime.datetime.fromisoformat(removed["install_time"])
        except (TypeError, ValueError):
            continue
        still_newest = newest is None or installed >= newest.install_time
        if still_newest and (
            done is None or installed > datetime.datetime.fromisoformat(done["package"]["install_time"])
        ):
            done = record
    return done


def pending_packages(packages) -> list[Package]:
    """Packages whose install or uninstall waits for the next boot (what RevertPendingActions undoes)."""
    return [package for package in packages if package.state.lower() in PENDING_STATES]


def package_result(package: Package) -> dict:
    return {
        "identity": package.identity,
        "state": package.state,
        "release_type": package.release_type,
        "install_time": package.install_time.isoformat() if package.install_time else None,
    }


# --- the script (Microsoft Learn: DISM operating system package servicing; Get-ChildItem, Get-Content) ---


def servicing_survey(image: str | None, os_volume: str) -> str:
    """One JSON object: ``dism`` (/Get-Packages output) and ``dism_rc``; ``pending_xml`` (whether
    ``<os_volume>\\Windows\\WinSxS\\pending.xml`` exists: operations waiting for the next boot); ``records``
    (the text of each ``servicing-*.json`` rollback record, so a rerun knows what it removed)."""
    pending = windows_path(volume(os_volume) + "\\Windows\\WinSxS\\pending.xml", "pending.xml path")
    folder = _records.folder(os_volume)
    return script(
        "$report = @{}",
        *_report.captured("dism", dism_get_packages(image)),
        f"$report.pending_xml = Test-Path -LiteralPath {quote(pending)} -PathType 'Leaf'",
        "$report.records = @()",
        f"if (Test-Path -LiteralPath {quote(folder)} -PathType 'Container') {{",
        f"    $files = Get-ChildItem -LiteralPath {quote(folder)} -Filter {quote(_records.pattern('servicing'))} -File",
        "    $report.records = @(foreach ($file in @($files)) { Get-Content -LiteralPath $file.FullName -Raw })",
        "}",
        "ConvertTo-Json -InputObject $report -Depth 3 -Compress",
    )
