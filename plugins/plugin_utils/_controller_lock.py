# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One rollout at a time per inventory on a controller: a lock file held by the ansible-playbook process.

The lock is a file created with O_EXCL in the lock folder, named after a hash of the inventory sources.
It holds the holder's process ID and that process's start time (so a reused PID is not mistaken for the
holder), the user, the controller's host name, the run ID and the time. A lock whose holder process is
gone (a run that was killed) is stale and is taken over with a warning. Nothing here talks to a host;
the per-host lease (win_recovery_lease) keeps runs on different controllers apart.
"""

from __future__ import annotations

import datetime
import getpass
import hashlib
import json
import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["ControllerLock", "LockHeld", "acquire", "lock_path", "release"]

VERSION = 1
_PROC_STAT = "/proc/{pid}/stat"


class LockHeld(Exception):
    """Another live rollout holds the lock; the message says who and since when."""


@dataclass(frozen=True)
class ControllerLock:
    path: str
    run_id: str
    pid: int
    took_over: dict | None  # the stale lock replaced, if any


def lock_path(directory: str, inventory_sources: Iterable[str], key: str = "") -> str:
    """The lock file for these inventory sources (their real paths, order ignored); ``key`` (a slice of a
    sliced rollout) names a lock of its own beside the inventory's."""
    sources = sorted({os.path.realpath(os.path.expanduser(str(source))) for source in inventory_sources})
    digest = hashlib.sha256("\n".join([*sources, *([f"key:{key}"] if key else [])]).encode("utf-8")).hexdigest()[:16]
    return os.path.join(os.path.expanduser(directory), f"rollout-{digest}.lock")


def process_start(pid: int) -> str | None:
    """The start time of process ``pid`` (clock ticks since boot, from /proc), None when it is gone."""
    try:
        with open(_PROC_STAT.format(pid=pid), encoding="ascii") as handle:
            stat = handle.read()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else None


def _alive(holder: dict) -> bool:
    if holder.get("host") != socket.gethostname():
        return True  # another machine's process cannot be checked from here: respect it until removed
    pid = holder.get("pid")
    started = process_start(pid) if isinstance(pid, int) else None
    return started is not None and started == holder.get("pid_start")


def describe(holder: dict) -> str:
    return (
        f"run {holder.get('run_id')} by {holder.get('user')}@{holder.get('host')} "
        f"(process {holder.get('pid')}, {holder.get('playbook') or 'a playbook'}) since {holder.get('started')}"
    )


def acquire(path: str, run_id: str, pid: int, playbook: str = "") -> ControllerLock:
    """Take the lock for process ``pid``; LockHeld when a live process of another run holds it."""
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    record = {
        "version": VERSION,
        "run_id": run_id,
        "pid": pid,
        "pid_start": process_start(pid),
        "user": getpass.getuser(),
        "host": socket.gethostname(),
        "playbook": playbook,
        "started": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }
    took_over = None
    for _attempt in range(2):
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            holder = _read(path)
            if holder is not None and holder.get("pid") == pid and holder.get("pid_start") == record["pid_start"]:
                return ControllerLock(path, str(holder.get("run_id")), pid, None)  # this process holds it already
            if holder is not None and _alive(holder):
                raise LockHeld(
                    f"another rollout of this inventory is running: {describe(holder)} (lock {path})"
                ) from None
            took_over = holder or {"run_id": "(unreadable lock file)"}
            os.unlink(path)
            continue
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(record, handle)
        return ControllerLock(path, run_id, pid, took_over)
    raise LockHeld(f"another rollout took the lock {path} while this one replaced a stale lock")


def release(path: str, pid: int) -> bool:
    """Remove the lock when process ``pid`` holds it; True when it did."""
    holder = _read(path)
    if holder is None or holder.get("pid") != pid:
        return False
    os.unlink(path)
    return True


def _read(path: str) -> dict | None:
    try:
        with open(path, encoding="utf-8") as handle:
            value = json.load(handle)
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None
