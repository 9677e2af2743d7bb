# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared verdict of a sliced rollout: a halt record in a folder every slice of the run can read.

AWX job slicing runs one job template as several jobs at once, each over its own share of the inventory
(on any execution node). A slice whose batch fails past the threshold writes a halt record here; every
slice reads it before each batch and stops when it finds one. The record is one small JSON file per
rollout, named after a hash of the run ID and holding the run ID itself, so a record another rollout left
behind (another run ID) is never read as this rollout's: a new run ID starts clean. It is written to a
temporary file in the same folder and renamed into place (os.link, which fails when the name exists), so
a reader sees a whole record or none, and the first halt of the run is the one kept.

Nothing here talks to a host; the action lifeline.recovery.rollout_halt calls it on the controller.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import socket
import tempfile
from collections.abc import Mapping

__all__ = ["HaltRecordError", "check_folder", "read", "record_path", "write"]

VERSION = 1
_FIELDS = ("run_id", "slice", "wave", "batch", "reason")


class HaltRecordError(Exception):
    """The folder cannot hold the record, or a record of this run cannot be read; the message says which."""


def record_path(folder: str, run_id: str) -> str:
    """The halt record of run ``run_id`` in ``folder``."""
    digest = hashlib.sha256(run_id.encode("utf-8")).hexdigest()[:16]
    return os.path.join(os.path.expanduser(folder), f"lifeline-halt-{digest}.json")


def check_folder(folder: str, run_id: str) -> None:
    """A clear error unless ``folder`` is a folder this controller can write in and ``run_id`` is given:
    checked before any host is touched (every slice must share the folder and the run ID)."""
    if not str(run_id or "").strip():
        raise HaltRecordError(
            "a sliced run needs lifeline_run_id, the same for every slice of the rollout "
            "(AWX: lifeline_run_id: awx-{{ awx_workflow_job_id }}); its halt record is kept under that name"
        )
    path = os.path.expanduser(folder)
    if not os.path.isdir(path):
        raise HaltRecordError(
            f"the halt record folder {folder} does not exist (lifeline_halt_dir: a folder every slice shares)"
        )
    if not os.access(path, os.W_OK | os.X_OK):
        raise HaltRecordError(f"the halt record folder {folder} is not writable by this controller")


def write(folder: str, run_id: str, slice_name: str, wave: str, batch: int, reason: str) -> dict:
    """Record that slice ``slice_name`` halted run ``run_id``; returns the record kept (the first of the run)."""
    record = {
        "version": VERSION,
        "run_id": run_id,
        "slice": slice_name,
        "wave": wave,
        "batch": batch,
        "reason": reason,
        "controller": socket.gethostname(),
        "time": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }
    path = record_path(folder, run_id)
    descriptor, temporary = tempfile.mkstemp(prefix=".lifeline-halt-", dir=os.path.dirname(path))
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(record, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        try:
            os.link(temporary, path)
        except FileExistsError:
            kept = read(folder, run_id)
            if kept is not None:
                return kept  # another slice halted first: its record stands
            os.replace(temporary, path)  # a record of another run under this name (a hash collision): replaced
            temporary = ""
    finally:
        if temporary:
            os.unlink(temporary)
    return record


def read(folder: str, run_id: str) -> dict | None:
    """This run's halt record, None when no slice halted it (no file, or a record of another run)."""
    path = record_path(folder, run_id)
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise HaltRecordError(f"cannot read the halt record {path}: {error.strerror or error}") from None
    try:
        record = json.loads(text)
    except ValueError:
        record = None
    if not isinstance(record, Mapping) or any(field not in record for field in _FIELDS):
        # Records are renamed into place whole: a damaged one is not ignored, it stops the slice.
        raise HaltRecordError(f"the halt record {path} is damaged: remove it once the rollout is understood")
    if record["run_id"] != run_id:
        return None
    return dict(record)
