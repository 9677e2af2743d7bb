# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""lifeline.recovery.win_quarantine_files: move matching files into a quarantine folder, recording them in a
rollback record (kind quarantine, _records.py), or put them back (documentation in plugins/modules/).

Two round trips: a survey (candidates with size, time, SHA-256 and header; the quarantine folder and the record)
and, when something changes, one plan sent on stdin. Everything is decided here.
"""

from __future__ import annotations

import datetime
import json

from ansible_collections.lifeline.recovery.plugins.plugin_utils import _quarantine as q
from ansible_collections.lifeline.recovery.plugins.plugin_utils import _records
from ansible_collections.lifeline.recovery.plugins.plugin_utils._action import RecoveryAction, RecoveryFailed
from ansible_collections.lifeline.recovery.plugins.plugin_utils._parsers import ParseError

DEFAULT_MAX_FILES = 10


def _on_volume(path: str) -> str:
    """A path without its drive letter, for comparing: the same volume is C: in Windows and D: in WinRE."""
    return (path[2:] if path[1:2] == ":" else path).casefold()


class ActionModule(RecoveryAction):
    ARGUMENT_SPEC = {
        "path": {"type": "str", "required": True},
        "patterns": {"type": "list", "elements": "str", "required": True},
        "os_volume": {"type": "str"},
        "header": {"type": "str"},
        "sha256": {"type": "list", "elements": "str", "default": []},
        "modified_after": {"type": "str"},
        "modified_before": {"type": "str"},
        "quarantine_id": {"type": "str"},
        "allowed_roots": {"type": "list", "elements": "str"},
        "max_files": {"type": "int", "default": DEFAULT_MAX_FILES},
        "state": {"type": "str", "choices": ["quarantined", "restored"], "default": "quarantined"},
    }

    def recover(self, args: dict, task_vars: dict) -> dict:
        # Everything about the input is checked before the first command (commands_sent stays 0 on bad input).
        path = args["path"]
        absolute = isinstance(path, str) and len(path) > 2 and path[1] == ":"
        os_volume = None if absolute else self.from_facts(args, "os_volume", "os_volume", task_vars)
        volume, relative = q.resolve_folder(path, os_volume)
        q.check_folder_policy(relative, args.get("allowed_roots"))
        if len(args["patterns"]) > q.MAX_PATTERNS or not args["patterns"]:
            raise ValueError(f"patterns must list 1 to {q.MAX_PATTERNS} file name wildcards")
        patterns = [q.check_pattern(pattern) for pattern in args["patterns"]]
        header = q.parse_header(args.get("header"))
        hashes = q.parse_sha256(args.get("sha256"))
        after = q.parse_time(args.get("modified_after"), "modified_after")
        before = q.parse_time(args.get("modified_before"), "modified_before")
        if after and before and after >= before:
            raise ValueError(f"modified_after {q.iso(after)} is not before modified_before {q.iso(before)}")
        if args["max_files"] < 1:
            raise ValueError("max_files must be at least 1")
        quarantine_id = q.check_quarantine_id(args.get("quarantine_id") or q.default_quarantine_id(relative, patterns))
        folder = f"{volume}\\{relative}"
        quarantine_folder = f"{volume}\\{_records.QUARANTINE_ROOT}\\{quarantine_id}"
        record_path = _records.path(volume, "quarantine", quarantine_id)
        legacy = f"{quarantine_folder}\\{_records.MANIFEST_NAME}"
        survey_script = q.quarantine_survey(
            folder, patterns, len(header or b""), quarantine_folder, record_path, legacy
        )

        output = self.checked("listing the files to quarantine", survey_script)
        try:
            survey = q.parse_survey(output, with_header=header is not None)
        except ParseError as error:
            raise RecoveryFailed(str(error)) from None
        manifest = None
        if survey.record_text:
            try:
                manifest = _records.parse(survey.record_text, "quarantine")
            except ParseError as error:
                raise RecoveryFailed(f"the rollback record {record_path} cannot be used: {error}; fix or move it "
                                     "away by hand; nothing was moved") from None  # fmt: skip
        listed = q.select(survey.candidates, patterns)  # every name the patterns really match
        base = {
            "folder": folder,
            "quarantine_folder": quarantine_folder,
            "quarantine_id": quarantine_id,
            "record": record_path,
            "folder_found": survey.folder_found,
        }
        if args["state"] == "restored":
            return {
                **base,
                **self._restore(survey, listed, patterns, manifest, record_path, folder, quarantine_folder),
            }
        matched = q.select(survey.candidates, patterns, header, hashes, after, before)
        result = {
            **base,
            "matched": [entry.as_result() for entry in matched],
            "restored": [],
            "conflicts": [],
        }
        return {
            **result,
            **self._quarantine(
                args, survey, listed, matched, manifest, record_path, folder, quarantine_folder, quarantine_id
            ),
        }

    # -- quarantine ------------------------------------------------------------------------------------
    def _quarantine(self, args, survey, listed, matched, manifest, record_path, folder, qfolder, qid) -> dict:
        if len(matched) > args["max_files"]:
            raise RecoveryFailed(
                f"{len(matched)} files match, more than max_files ({args['max_files']}): narrow the patterns or "
                "filters, or raise max_files; nothing was moved",
                matched=[entry.as_result() for entry in matched],
            )
        in_quarantine = {entry.name.casefold(): entry for entry in survey.quarantined}
        kept = [e for e in q.active(manifest) if e["name"].casefold() in in_quarantine]
        clashes = [entry for entry in matched if entry.name.casefold() in in_quarantine]
        if clashes:
            raise RecoveryFailed(
                f"{qfolder} already holds {', '.join(entry.name for entry in clashes)} from an earlier run: restore "
                "it first or give another quarantine_id; nothing was moved",
                matched=[entry.as_result() for entry in matched],
            )
        moved = [entry.path for entry in matched]
        diff = self._diff(
            [e.path for e in listed],
            [e.path for e in listed if e not in matched],
            [e.path for e in survey.quarantined],
            [e.path for e in survey.quarantined] + [f"{qfolder}\\{e.name}" for e in matched],
        )
        if not matched:
            return {"changed": False, "quarantined": [], "manifest": manifest, **diff}
        now = q.iso(datetime.datetime.now(datetime.UTC))
        entries = [
            {
                "name": entry.name,
                "original_path": entry.path,
                "quarantined_path": f"{qfolder}\\{entry.name}",
                "size": entry.size,
                "sha256": entry.sha256,
                "last_write_time": q.iso(entry.last_write_time),
                "quarantined_at": now,
                "restored_at": None,
            }
            for entry in matched
        ]
        new_manifest = _records.new(
            "quarantine",
            "win_quarantine_files",
            quarantine_id=qid,
            folder=folder,
            patterns=list(args["patterns"]),
            allowed_roots=args.get("allowed_roots"),
            files=kept + entries,
        )
        if self._task.check_mode:
            return {"changed": True, "quarantined": moved, "manifest": new_manifest, **diff}
        plan = {
            "create": True,
            "folder": qfolder,
            "record_first": True,  # written before the moves: a file is never in quarantine unrecorded
            **self._record(record_path, new_manifest),
            "moves": [{"from": e["original_path"], "to": e["quarantined_path"], "into": qfolder} for e in entries],
        }
        self.checked(
            "moving the files into quarantine", q.quarantine_apply(), stdin=json.dumps(plan, ensure_ascii=True)
        )
        return {"changed": True, "quarantined": moved, "manifest": new_manifest, **diff}

    # -- restore ---------------------------------------------------------------------------------------
    def _restore(self, survey, listed, patterns, manifest, record_path, folder, qfolder) -> dict:
        base = {"matched": [], "quarantined": [], "restored": [], "conflicts": [], "manifest": manifest}
        if manifest is None:
            msg = f"there is no rollback record {record_path}: nothing to restore"
            return {**base, "changed": False, "nothing_to_restore": True, "msg": msg, **self._diff([], [], [], [])}
        in_quarantine = {entry.name.casefold(): entry for entry in survey.quarantined}
        at_origin = {entry.name.casefold(): entry for entry in listed}
        restore, conflicts, healed = [], [], []
        for recorded in q.active(manifest):
            key = recorded["name"].casefold()
            # The manifest lives in the quarantine folder on the Windows volume itself, so only the path on
            # that volume must match: a file quarantined from WinRE (D:) is restored from Windows (C:).
            if _on_volume(recorded["original_path"].rsplit("\\", 1)[0]) != _on_volume(folder):
                raise RecoveryFailed(f"the record {record_path} is for {recorded['original_path']}, not {folder}")
            entry = {
                **recorded,
                "original_path": f"{folder}\\{recorded['name']}",
                "quarantined_path": f"{qfolder}\\{recorded['name']}",
            }
            if not any(q.matches_pattern(entry["name"], pattern) for pattern in patterns):
                # the survey looked for reappeared files with these patterns only: it must have seen this name
                raise RecoveryFailed(
                    f"{entry['name']} in {record_path} does not match patterns: "
                    "give the patterns it was quarantined with"
                )
            copy, present = in_quarantine.get(key), at_origin.get(key)
            if present is not None:
                if copy is None and present.sha256 == entry["sha256"]:
                    healed.append(entry)  # an earlier run put it back (or never moved it): the same bytes are there
                    continue
                conflicts.append(
                    {
                        "path": entry["original_path"],
                        "sha256": present.sha256,
                        "quarantined_sha256": entry["sha256"],
                        "reason": "a file reappeared at the original path; Lifeline does not overwrite it",
                    }
                )
                continue
            if copy is None:
                raise RecoveryFailed(f"{entry['quarantined_path']} is missing: the record lists it but it is gone")
            if copy.sha256 != entry["sha256"]:
                raise RecoveryFailed(
                    f"{copy.path} has SHA-256 {copy.sha256}, not the {entry['sha256']} the record holds; "
                    "nothing was restored"
                )
            restore.append(entry)
        leaving = {entry["name"].casefold() for entry in restore}
        after_quarantine = [e.path for e in survey.quarantined if e.name.casefold() not in leaving]
        diff = self._diff(
            [e.path for e in listed],
            [e.path for e in listed] + [r["original_path"] for r in restore],
            [e.path for e in survey.quarantined],
            after_quarantine,
        )
        result = {
            **base,
            "restored": [entry["original_path"] for entry in restore],
            "conflicts": conflicts,
            "nothing_to_restore": not q.active(manifest),
            **diff,
        }
        if conflicts:
            result["warnings"] = [
                f"not restored, a file is at the original path: {conflict['path']}" for conflict in conflicts
            ]
        if not restore and not healed:
            return {**result, "changed": False}
        now = q.iso(datetime.datetime.now(datetime.UTC))
        done = {entry["name"].casefold() for entry in restore + healed}
        files = [
            {**entry, "restored_at": now}
            if not entry.get("restored_at") and entry["name"].casefold() in done
            else entry
            for entry in manifest["files"]
        ]
        new_manifest = {**manifest, "files": files}
        if not q.active(new_manifest):
            new_manifest = _records.restored(new_manifest)
        result["manifest"] = new_manifest
        if self._task.check_mode:
            return {**result, "changed": True}
        plan = {
            "create": False,
            "folder": qfolder,
            "record_first": False,  # written after the moves: it says restored only once they are back
            **self._record(record_path, new_manifest),
            "moves": [{"from": e["quarantined_path"], "to": e["original_path"], "into": folder} for e in restore],
        }
        self.checked("moving the files back", q.quarantine_apply(), stdin=json.dumps(plan, ensure_ascii=True))
        return {**result, "changed": True}

    @staticmethod
    def _record(record_path: str, record: dict) -> dict:
        """The plan's record: where it goes and its text (a 0.1.0 manifest is rewritten there as version 1)."""
        return {"record_folder": record_path.rsplit("\\", 1)[0], "record_path": record_path,
                "record": _records.dumps(record)}  # fmt: skip

    def _diff(self, folder_before, folder_after, quarantine_before, quarantine_after) -> dict:
        if not self._task.diff:
            return {}
        return {
            "diff": {
                "before": {"folder": sorted(folder_before), "quarantine": sorted(quarantine_before)},
                "after": {"folder": sorted(folder_after), "quarantine": sorted(quarantine_after)},
            }
        }
