# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""win_recovery_lease's scripts and pure logic: one rollout at a time on a host.

The lease is a small JSON file on the Windows volume, beside the rollback records, so it survives restarts and
is found again whatever letter the volume has (D: in WinRE, C: in Windows):
``<os_volume>\\ProgramData\\Lifeline\\lease.json`` holding ``{version: 1, owner, run_id, acquired, expires}``
(UTC ISO 8601 times from the CONTROLLER's clock: controllers sharing a fleet must agree on the time within
minutes, or one of them sees a lease expire early or late).

Every change is a compare-and-swap done by ONE script (``lease_swap``), with "absent" as one of the states:
- expected absent: ``New-Item -ItemType File`` without ``-Force`` creates the file, and fails when it exists
  (Microsoft Learn, New-Item: only ``-Force`` "overwrites the existing file", Example 9): two controllers racing
  for a free host cannot both create it. The file New-Item writes is UTF-8 without a BOM (New-Item, -ItemType);
  the lease text is ASCII (JSON escapes the rest), so every reader sees the same bytes.
- expected a content: the file's SHA-256 (Get-FileHash) must still be the one read before, or nothing is written
  or removed (``New-Item -Force`` replaces it, ``Remove-Item`` deletes it).
When the swap does not happen, the same script reads what is there now (its SHA-256 first, then its text with
Get-Content -Raw), so the controller decides again without another round trip. Hashing before reading means a
change in between shows as a hash that no longer matches at the next swap, never as a stale decision applied.
Between the hash check and the write of one script there is a window of milliseconds, against the minutes a
rollout holds a lease: Windows has no compare-and-swap on file contents that a cmdlet exposes.

The decisions (``decide_acquire``, ``decide_release``) are pure functions of what was read, the run and the time.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import ntpath
import re
from dataclasses import dataclass

from ansible_collections.lifeline.recovery.plugins.plugin_utils import _report
from ansible_collections.lifeline.recovery.plugins.plugin_utils._inputs import text as _plain_text
from ansible_collections.lifeline.recovery.plugins.plugin_utils._inputs import volume, windows_path
from ansible_collections.lifeline.recovery.plugins.plugin_utils._parsers import ParseError
from ansible_collections.lifeline.recovery.plugins.plugin_utils._powershell import quote, script, shown
from ansible_collections.lifeline.recovery.plugins.plugin_utils._records import RECORD_FOLDER

__all__ = [
    "ABSENT",
    "ABSENT_FILE",
    "CREATE",
    "DEFAULT_MINUTES",
    "FORCE",
    "HELD",
    "KEEP",
    "LEASE_FOLDER",
    "LEASE_NAME",
    "MAX_MINUTES",
    "MAX_OWNER",
    "NOT_OURS",
    "REMOVE",
    "RENEW",
    "TAKE_OVER",
    "UNREADABLE",
    "Decision",
    "Lease",
    "LeaseFile",
    "UnreadableLease",
    "decide_acquire",
    "decide_release",
    "iso_time",
    "lease_path",
    "lease_read",
    "lease_sha256",
    "lease_swap",
    "lease_text",
    "new_lease",
    "owner_name",
    "parse_lease",
    "parse_report",
    "run_id",
]

# The Lifeline folder on the Windows volume: the rollback records are in its records subfolder.
LEASE_FOLDER = ntpath.dirname(RECORD_FOLDER)
LEASE_NAME = "lease.json"
LEASE_VERSION = 1
DEFAULT_MINUTES = 120
MAX_MINUTES = 1440  # one day
MAX_RUN_ID = 64
MAX_OWNER = 128  # with the run id, the JSON stays well inside one command line even when all of it is escaped
# A run renews its own lease when less than this share of the duration it asks for is left (as a DHCP client
# renews at half its lease, RFC 2131 T1), so repeating the task in a run changes nothing.
RENEW_BELOW = 0.5
_SHA256 = re.compile(r"[0-9A-F]{64}", re.ASCII)
_TOOL = "the lease script (JSON)"

# What a decision does with the lease file.
CREATE, RENEW, KEEP, TAKE_OVER, FORCE, HELD, UNREADABLE = (
    "created", "renewed", "kept", "taken_over", "forced", "held_by_another_run", "unreadable",
)  # fmt: skip
REMOVE, ABSENT, NOT_OURS = "removed", "absent", "not_ours"


class UnreadableLease(Exception):
    """The lease file is there but is not a version 1 lease Lifeline can read."""


@dataclass(frozen=True)
class Lease:
    owner: str
    run_id: str
    acquired: datetime.datetime
    expires: datetime.datetime

    def to_result(self) -> dict:
        return {
            "version": LEASE_VERSION,
            "owner": self.owner,
            "run_id": self.run_id,
            "acquired": iso_time(self.acquired),
            "expires": iso_time(self.expires),
        }

    def holder(self) -> dict:
        return {"owner": self.owner, "run_id": self.run_id, "expires": iso_time(self.expires)}

    def expired(self, now: datetime.datetime) -> bool:
        return self.expires <= now


@dataclass(frozen=True)
class LeaseFile:
    """The lease file as a script found it: absent (both None), or its text and SHA-256 (upper-case hex)."""

    text: str | None
    sha256: str | None

    @property
    def present(self) -> bool:
        return self.sha256 is not None


ABSENT_FILE = LeaseFile(None, None)


@dataclass(frozen=True)
class Decision:
    """What to do: ``outcome`` (one of the constants above); ``write`` the lease to put in the file (None: remove
    it when ``swap`` is true); ``current`` the lease read (None when absent or unreadable); ``problem`` why the
    file could not be read."""

    outcome: str
    swap: bool = False
    write: Lease | None = None
    current: Lease | None = None
    problem: str | None = None


# --- inputs ---------------------------------------------------------------------------------------------------


def run_id(value: object) -> str:
    """The run's id: 1 to 64 characters, no control characters, no leading or trailing space."""
    value = _plain_text(value, "run_id")
    if not value or value.strip() != value or len(value) > MAX_RUN_ID:
        raise ValueError(f"run_id {shown(value)} must be 1 to {MAX_RUN_ID} characters without surrounding spaces")
    return value


def owner_name(value: object) -> str:
    """Who holds the lease, for people to read: 1 to 128 characters, no control characters."""
    value = _plain_text(value, "owner")
    if not value.strip() or len(value) > MAX_OWNER:
        raise ValueError(f"owner {shown(value)} must be 1 to {MAX_OWNER} characters")
    return value


def lease_path(os_volume: str) -> str:
    return f"{volume(os_volume)}\\{LEASE_FOLDER}\\{LEASE_NAME}"


# --- the lease file's content -----------------------------------------------------------------------------------


def iso_time(moment: datetime.datetime) -> str:
    """A time as the lease file holds it: UTC, ISO 8601 to the second (``2026-01-31T08:00:00+00:00``)."""
    return moment.astimezone(datetime.UTC).isoformat(timespec="seconds")


def new_lease(
    owner: str, run: str, minutes: int, now: datetime.datetime, acquired: datetime.datetime | None = None
) -> Lease:
    """Our lease from ``now`` for ``minutes`` (a renewal keeps the time it was first ``acquired``)."""
    now = now.replace(microsecond=0)
    return Lease(owner, run, acquired or now, now + datetime.timedelta(minutes=minutes))


def lease_text(lease: Lease) -> str:
    """The file's text: one line of ASCII JSON (non-ASCII owners are escaped by JSON, not by an encoding)."""
    return json.dumps(lease.to_result(), ensure_ascii=True)


def lease_sha256(lease: Lease) -> str:
    """The SHA-256 (upper-case hex, as Get-FileHash prints it) of the file New-Item writes for ``lease``: the text
    is ASCII and New-Item writes UTF-8 without a BOM (see above), so the file's bytes are the text's."""
    return hashlib.sha256(lease_text(lease).encode("ascii")).hexdigest().upper()


def held_lease(value: object, run: str) -> Lease:
    """The lease this run holds, as the acquiring task returned it (its ``lease`` result): refused when it is not
    a version 1 lease or belongs to another run."""
    if not isinstance(value, dict):
        raise ValueError(f"lease must be the lease result of the acquiring task (a dictionary), not {shown(value)}")
    try:
        held = parse_lease(json.dumps(value))
    except (TypeError, UnreadableLease) as error:
        raise ValueError(f"lease is not a lease this module wrote: {error}") from None
    if held.run_id != run:
        raise ValueError(f"lease is run {shown(held.run_id)}'s, not run {shown(run)}'s")
    return held


def _time(document: dict, name: str) -> datetime.datetime:
    value = document.get(name)
    try:
        moment = datetime.datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise UnreadableLease(f"its {name} {shown(value)} is not an ISO 8601 time with a zone")
    return moment.astimezone(datetime.UTC)


def parse_lease(text: str) -> Lease:
    """The lease in a lease file's text; UnreadableLease saying why it is not one (never a guess)."""
    try:
        document = json.loads(text.removeprefix("\ufeff"))
    except json.JSONDecodeError as error:
        raise UnreadableLease(f"it is not JSON ({error.msg})" if text.strip() else "it is empty") from None
    if not isinstance(document, dict):
        raise UnreadableLease("it is not a JSON object")
    version = document.get("version")
    if isinstance(version, bool) or version != LEASE_VERSION:
        raise UnreadableLease(f"its version is {shown(version)}, not {LEASE_VERSION}")
    for name in ("owner", "run_id"):
        if not isinstance(document.get(name), str) or not document[name]:
            raise UnreadableLease(f"its {name} is {shown(document.get(name))}, not text")
    return Lease(document["owner"], document["run_id"], _time(document, "acquired"), _time(document, "expires"))


# --- the scripts (Microsoft Learn: New-Item, Test-Path, Get-FileHash, Get-Content, Remove-Item, ConvertTo-Json,
# about_Try_Catch_Finally, about_Throw) ------------------------------------------------------------------------

_READ_BACK = (
    "if (-not $report.done) {",
    "    if (Test-Path -LiteralPath $path -PathType 'Leaf') {",
    "        $report.sha256 = (Get-FileHash -LiteralPath $path -Algorithm 'SHA256').Hash",
    "        $report.lease = Get-Content -LiteralPath $path -Raw -Encoding 'UTF8'",
    "    }",
    "}",
    "ConvertTo-Json -InputObject $report -Compress",
)


def _start(path: str) -> list[str]:
    return [f"$path = {quote(path)}", "$report = @{done = $false; sha256 = $null; lease = $null}"]


def lease_read(path: str) -> str:
    """One JSON object ``{done: false, sha256, lease}``: the file's SHA-256 and text, both null when it is absent."""
    return script(*_start(windows_path(path, "lease file", wildcards=False)), *_READ_BACK)


def lease_swap(path: str, expected_sha256: str | None, text: str | None) -> str:
    """Compare-and-swap the lease file in one script, printing ``{done, sha256, lease}``.

    ``expected_sha256`` None: create the file with ``text`` only if it does not exist (its folder is created
    first). Otherwise: only if the file's SHA-256 is still ``expected_sha256``, write ``text`` (``New-Item -Force``)
    or, when ``text`` is None, remove it. ``done`` says whether it happened; when not, ``sha256`` and ``lease`` are
    what the file holds now (null when absent). Any other failure stops the script (exit 1, error on stderr).
    """
    path = windows_path(path, "lease file", wildcards=False)
    statements = _start(path)
    if expected_sha256 is None:
        if text is None:
            raise ValueError("a lease swap from absent needs the text to create")
        statements += [
            f"$null = New-Item -ItemType 'Directory' -Path {quote(ntpath.dirname(path))} -Force",
            "try {",
            f"    $null = New-Item -ItemType 'File' -Path $path -Value {quote(text)}",
            "    $report.done = $true",
            "} catch {",
            "    if (-not (Test-Path -LiteralPath $path -PathType 'Leaf')) { throw }",
            "}",
        ]
    else:
        if not isinstance(expected_sha256, str) or not _SHA256.fullmatch(expected_sha256):
            raise ValueError(f"expected SHA-256 {shown(expected_sha256)} is not 64 upper-case hex digits")
        change = "Remove-Item -LiteralPath $path"
        if text is not None:
            change = f"$null = New-Item -ItemType 'File' -Path $path -Value {quote(text)} -Force"
        statements += [
            "if (Test-Path -LiteralPath $path -PathType 'Leaf') {",
            f"    if ((Get-FileHash -LiteralPath $path -Algorithm 'SHA256').Hash -eq {quote(expected_sha256)}) {{",
            f"        {change}",
            "        $report.done = $true",
            "    }",
            "}",
        ]
    return script(*statements, *_READ_BACK)


def parse_report(text: str) -> tuple[bool, LeaseFile]:
    """``(done, the file as it is now when not done)`` from a lease script's JSON."""
    document = _report.document(text, _TOOL)
    done = _report.field(document, "done", bool, _TOOL)
    sha256 = _report.field(document, "sha256", str, _TOOL, optional=True)
    lease = _report.field(document, "lease", str, _TOOL, optional=True)
    if sha256 is not None and not _SHA256.fullmatch(sha256):
        raise ParseError(_TOOL, f"sha256 {shown(sha256)} is not 64 upper-case hex digits")
    if sha256 is None and lease is not None:
        raise ParseError(_TOOL, "a lease text without its SHA-256")
    return done, LeaseFile(None if sha256 is None else (lease or ""), sha256)  # Get-Content -Raw: null when empty


# --- the decisions ------------------------------------------------------------------------------------------------


def _read(found: LeaseFile) -> tuple[Lease | None, str | None]:
    if not found.present:
        return None, None
    try:
        return parse_lease(found.text or ""), None
    except UnreadableLease as error:
        return None, str(error)


def decide_acquire(
    found: LeaseFile, run: str, owner: str, minutes: int, now: datetime.datetime, force: bool
) -> Decision:
    """Absent: create. Ours: renew when less than RENEW_BELOW of ``minutes`` is left, else keep. Another run's,
    expired: take over. Another run's, live: held (the task fails). Unreadable: held back, or overwritten with
    ``force``."""
    current, problem = _read(found)
    if not found.present:
        return Decision(CREATE, swap=True, write=new_lease(owner, run, minutes, now))
    if current is None:
        if force:
            return Decision(FORCE, swap=True, write=new_lease(owner, run, minutes, now), problem=problem)
        return Decision(UNREADABLE, problem=problem)
    if current.run_id == run:
        if current.expires - now < datetime.timedelta(minutes=minutes * RENEW_BELOW):
            renewed = new_lease(owner, run, minutes, now, acquired=current.acquired)
            return Decision(RENEW, swap=True, write=renewed, current=current)
        return Decision(KEEP, current=current)
    if current.expired(now):
        return Decision(TAKE_OVER, swap=True, write=new_lease(owner, run, minutes, now), current=current)
    return Decision(HELD, current=current)


def decide_release(found: LeaseFile, run: str) -> Decision:
    """Ours: remove. Absent: nothing to do. Another run's (expired or not) or unreadable: left alone."""
    current, problem = _read(found)
    if not found.present:
        return Decision(ABSENT)
    if current is None:
        return Decision(UNREADABLE, problem=problem)
    if current.run_id == run:
        return Decision(REMOVE, swap=True, current=current)
    return Decision(NOT_OURS, current=current)
