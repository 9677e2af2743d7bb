# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""win_winre_failover: arm Lifeline's failover in winre.wim on a healthy host (present), put the original image back
byte-exact (absent), or say whether it is armed (query).

1. before anything is sent: the state, the failover script (read on the controller: ASCII, made CRLF) and the
   os_volume; a host the facts place anywhere but a normal Windows boot is refused;
2. one read script (MiniNT, SafeBoot\\Option, reagentc /info, winre.wim's SHA-256 where reagentc /disable keeps it,
   the record), and when Windows RE is enabled a second one that hashes winre.wim where reagentc /info says it is;
3. present: reagentc /disable, the original kept (copy and SHA-256, record written), dism /Mount-Image, the script
   and winpeshl.ini written, dism /Unmount-Image /Commit, read back from a read-only mount, record (armed SHA-256),
   reagentc /enable. A step that fails is undone (mount discarded, original copied back, Windows RE enabled).
   absent: reagentc /disable, the original copied back and checked byte-exact, reagentc /enable, record used up.
"""

from __future__ import annotations

from pathlib import Path

from ansible.errors import AnsibleError

from ansible_collections.lifeline.recovery.plugins.plugin_utils import _records
from ansible_collections.lifeline.recovery.plugins.plugin_utils import _winre_failover as wf
from ansible_collections.lifeline.recovery.plugins.plugin_utils._action import RecoveryAction, RecoveryFailed
from ansible_collections.lifeline.recovery.plugins.plugin_utils._inputs import volume
from ansible_collections.lifeline.recovery.plugins.plugin_utils._parsers import ParseError
from ansible_collections.lifeline.recovery.plugins.plugin_utils._reagentc import (
    ReagentcInfo,
    parse_reagentc_info,
    parse_reagentc_result,
)

# The failover script the collection ships (the role winre_failover passes its own copy of the same file).
DEFAULT_SCRIPT = Path(__file__).resolve().parents[2] / "roles" / "winre_failover" / "files" / "lifeline-failover.cmd"
UNCHANGED = "nothing was changed"


class StepFailed(Exception):
    """A change step did not do what it should: the arming is undone, and the task fails with this reason."""


class ActionModule(RecoveryAction):
    ARGUMENT_SPEC = {
        "state": {"type": "str", "choices": ["present", "absent", "query"], "default": "present"},
        "script": {"type": "path"},
        "os_volume": {"type": "str"},
    }

    def recover(self, args: dict, task_vars: dict) -> dict:
        state = args["state"]
        script_text = self.failover_script(args.get("script"))
        script_sha = wf.sha256(script_text.encode("ascii"))
        facts = self.recovery_facts(task_vars)
        environment = facts.get("environment")
        if environment not in (None, "normal"):
            evidence = facts.get("environment_evidence")
            raise RecoveryFailed(
                self.refusal(f"win_recovery_facts says {environment}" + (f" ({evidence})" if evidence else ""))
            )
        where = wf.paths(volume(self.from_facts(args, "os_volume", "os_volume", task_vars), "os_volume"))
        completed = self.powershell(wf.failover_read(where))
        try:
            read = wf.parse_read(completed.stdout)
            record = wf.read_record(read.record)
        except ParseError as error:
            raise RecoveryFailed(
                f"reading Windows RE's state failed (exit code {completed.rc}): {error}; {UNCHANGED}"
            ) from None
        if read.in_winpe or read.safe_mode:
            raise RecoveryFailed(
                self.refusal("the host runs " + ("WinRE/WinPE (MiniNT)" if read.in_winpe else "Safe Mode"))
            )
        if read.info is None:
            raise RecoveryFailed(f"reagentc /info could not be read: {read.info_problem}; {UNCHANGED}")
        info = read.info
        cycle = {"disabled": False, "record": None, "restore": False}  # what a failure has to undo
        image_sha, image_problem = read.disabled_image_sha256, None
        if info.enabled and self._task.check_mode:
            image_problem = "not read in check mode (reading it needs reagentc /disable while Windows RE is enabled)"
        elif info.enabled:
            try:
                image_sha = self.peek(where, cycle)
            except (StepFailed, ParseError) as failure:
                undone = self.roll_back(where, cycle)
                raise RecoveryFailed(f"reading winre.wim failed: {failure}; {undone}") from None
        elif image_sha is None:
            image_problem = f"no winre.wim in {where.image}"
        current = wf.status(info, image_sha, record, script_sha)
        result = {
            "state": state,
            "armed": current.armed,
            "reason": current.reason if image_problem is None else f"{current.reason}: {image_problem}",
            "winre_enabled": info.enabled,
            "winre_location": info.location,
            "image_sha256": image_sha,
            "script_sha256": script_sha,
            "script_matches": current.script_matches,
            "record": where.record if record is not None else None,
            "armed_sha256": record["armed_sha256"] if current.record_pending else None,
            "original_sha256": record["original_sha256"] if current.record_pending else None,
        }
        if state == "query":
            self.enable_again(where, cycle, result)
            return {**result, "changed": False, "msg": f"Windows RE failover: {result['reason']}"}
        if state == "present":
            return self.present(where, info, current, record, script_text, script_sha, result, cycle)
        return self.absent(where, info, current, record, result, cycle)

    def peek(self, where, cycle: dict) -> str | None:
        """Windows RE disabled for a moment, winre.wim's SHA-256 read where that puts it."""
        cycle["disabled"] = True  # whatever reagentc answers, enabling again is part of undoing it
        peeked = self.step("disabling Windows RE to read winre.wim", wf.peek_script(where))
        problem = parse_reagentc_result(peeked.get("disable") or "")
        if problem:
            raise StepFailed(f"reagentc /disable: {problem}")
        image_sha = wf.step_sha(peeked, "image_sha256")
        if image_sha is None:
            raise StepFailed(f"reagentc /disable left no winre.wim in {where.image}")
        return image_sha

    def enable_again(self, where, cycle: dict, result: dict) -> None:
        """Windows RE enabled again after a peek that changes nothing."""
        if not cycle["disabled"]:
            return
        try:
            self.expect_enabled(self.step("enabling Windows RE again", wf.enable_script(where),
                                          stdin=wf.plan_json(record=None)))  # fmt: skip
        except (StepFailed, ParseError) as failure:
            raise RecoveryFailed(
                f"Windows RE was disabled to read winre.wim and enabling it again failed: {failure}; check Windows RE "
                "on this host (reagentc /info)", **result
            ) from None  # fmt: skip
        cycle["disabled"] = False

    # --- present ---------------------------------------------------------------------------------------------------

    def present(self, where, info, current, record, script_text, script_sha, result, cycle: dict) -> dict:
        if current.armed and current.script_matches is not False:
            self.enable_again(where, cycle, result)
            return {**result, "changed": False, "msg": "the failover is already armed with this script"}
        if self._task.check_mode and current.armed is None and current.script_matches and record["armed_sha256"]:
            return {**result, "changed": False, "msg": "the record says the failover is armed with this script "
                    "(winre.wim is not read in check mode)"}  # fmt: skip
        if not info.enabled:
            raise RecoveryFailed(
                "Windows RE is disabled (reagentc /info): there is no recovery environment to arm; enable it "
                f"(reagentc /enable) and run again; {UNCHANGED}", **result
            )  # fmt: skip
        if current.armed is None and not self._task.check_mode:
            self.enable_again(where, cycle, result)
            raise RecoveryFailed(f"{current.reason}; {UNCHANGED}", **result)
        rearm = current.armed is True  # armed with another script: start again from the original
        self.diff_of(result, armed_after=True, script_after=script_sha)
        verb = "re-armed with the given script" if rearm else "armed"
        if self._task.check_mode:
            return {**result, "changed": True, "msg": f"the failover would be {verb} (check mode)"}
        state = {**cycle, "restore": rearm}
        try:
            armed_sha = self.arm(where, current, record, script_text, script_sha, state)
        except (StepFailed, ParseError, ValueError) as failure:
            undone = self.roll_back(where, state)
            raise RecoveryFailed(f"arming the failover failed: {failure}; {undone}", **result) from None
        return {
            **result, "changed": True, "armed": True, "reason": "armed", "script_matches": True,
            "image_sha256": armed_sha, "armed_sha256": armed_sha, "record": where.record,
            "original_sha256": state["record"]["original_sha256"],
            "msg": f"the failover is {verb}: winre.wim starts {wf.IN_IMAGE_SCRIPT} first",
        }  # fmt: skip

    def arm(self, where, current, record, script_text: str, script_sha: str, state: dict) -> str:
        staged = self.step("keeping the original winre.wim", wf.stage_script(where, state["restore"]))
        image_sha, copy_sha = wf.step_sha(staged, "image_sha256"), wf.step_sha(staged, "copy_sha256")
        original = record["original_sha256"] if state["restore"] else image_sha
        if not image_sha or image_sha != copy_sha or image_sha != original:
            raise StepFailed("the copy of the original winre.wim does not match it (SHA-256)")
        if not state["restore"] and current.image_sha256 and image_sha != current.image_sha256:
            raise StepFailed("winre.wim changed while Windows RE was disabled (SHA-256)")
        state["restore"] = True  # from here on, a failure copies the original back
        state["record"] = wf.arm_record(where, original, script_sha)
        mounted = self.step(
            "mounting winre.wim", wf.mount_script(where), stdin=wf.plan_json(record=_records.dumps(state["record"]))
        )
        if mounted.get("mount_rc") != 0:
            raise StepFailed(f"dism /Mount-Image exited {mounted.get('mount_rc')}: {self.tail(mounted.get('mount'))}")
        if mounted.get("winpeshl") is None:
            raise StepFailed(f"winre.wim has no {wf.WINPESHL}: not a stock Windows RE image, left as it was")
        winpeshl = wf.winpeshl_with_failover(mounted["winpeshl"])
        written = self.step(
            "writing the failover into winre.wim", wf.write_commit_script(where),
            stdin=wf.plan_json(script=script_text, winpeshl=winpeshl),
        )  # fmt: skip
        if written.get("commit_rc") != 0:
            raise StepFailed(f"dism /Unmount-Image /Commit exited {written.get('commit_rc')}: "
                             f"{self.tail(written.get('commit'))}")  # fmt: skip
        if written.get("check_rc") != 0:
            raise StepFailed(
                f"the armed image could not be mounted read-only to check it: {self.tail(written.get('check'))}"
            )
        if written.get("check_script") != script_text or written.get("check_winpeshl") != winpeshl:
            raise StepFailed(
                "the failover script or winpeshl.ini read back from the armed image differs from what was written"
            )
        armed_sha = wf.step_sha(written, "armed_sha256")
        if not armed_sha or armed_sha == original:
            raise StepFailed("the committed winre.wim is unchanged (SHA-256)")
        state["record"] = wf.arm_record(where, original, script_sha, armed_sha)
        enabled = self.step(
            "enabling Windows RE", wf.enable_script(where), stdin=wf.plan_json(record=_records.dumps(state["record"]))
        )
        self.expect_enabled(enabled)
        return armed_sha

    def roll_back(self, where, state: dict) -> str:
        """Undo a failed arming; what the host is left with, in words."""
        if not state["disabled"]:
            return UNCHANGED
        record = _records.restored(state["record"]) if state["record"] else None
        try:
            done = self.step(
                "undoing the arming", wf.rollback_script(where, state["restore"]),
                stdin=wf.plan_json(record=_records.dumps(record) if record else None),
            )  # fmt: skip
        except StepFailed as failure:
            return f"UNDOING IT FAILED TOO ({failure}): check Windows RE on this host (reagentc /info)"
        problems = []
        original = state["record"]["original_sha256"] if state["record"] else None
        if state["restore"] and original and wf.step_sha(done, "image_sha256") != original:
            problems.append("winre.wim is not the original")
        try:
            self.expect_enabled(done)
        except StepFailed as failure:
            problems.append(str(failure))
        if problems:
            return f"UNDOING IT WAS INCOMPLETE: {'; '.join(problems)}; check Windows RE on this host (reagentc /info)"
        return "the host was put back as it was (the original winre.wim, Windows RE enabled)"

    # --- absent ----------------------------------------------------------------------------------------------------

    def absent(self, where, info, current, record, result, cycle: dict) -> dict:
        if not current.record_pending:
            self.enable_again(where, cycle, result)
            return {**result, "changed": False, "msg": "the failover is not armed: nothing to remove"}
        if current.image_sha256 is None and not self._task.check_mode:
            self.enable_again(where, cycle, result)
            raise RecoveryFailed(f"{current.reason}; {UNCHANGED}", **result)
        ours = current.image_sha256 in (record["armed_sha256"], record["original_sha256"]) or not record["armed_sha256"]
        self.diff_of(result, armed_after=False, script_after=None)
        if self._task.check_mode:
            what = "put back" if ours else "checked for the failover (winre.wim was updated since)"
            return {**result, "changed": True, "msg": f"the original winre.wim would be {what} (check mode)"}
        was_enabled = info.enabled
        try:
            if ours:
                return self.restore_original(where, record, result, was_enabled)
            return self.drop_if_gone(where, record, result, was_enabled)
        except (StepFailed, ParseError) as failure:
            again = ""
            if was_enabled:
                try:
                    self.expect_enabled(
                        self.step("enabling Windows RE again", wf.enable_script(where), stdin=wf.plan_json(record=None))
                    )
                except StepFailed as other:
                    again = f"; ENABLING WINDOWS RE AGAIN FAILED TOO ({other}): check it on this host (reagentc /info)"
            raise RecoveryFailed(f"removing the failover failed: {failure}{again}", **result) from None

    def restore_original(self, where, record, result, was_enabled: bool) -> dict:
        restored = self.step("putting the original winre.wim back", wf.restore_script(where))
        if wf.step_sha(restored, "image_sha256") != record["original_sha256"]:
            raise StepFailed("the copy put back is not the original winre.wim (SHA-256 differs from the record)")
        done = self.step(
            "enabling Windows RE" if was_enabled else "writing the record",
            wf.enable_script(where, remove_copy=True, enable=was_enabled),
            stdin=wf.plan_json(record=_records.dumps(_records.restored(record))),
        )
        if was_enabled:
            self.expect_enabled(done)
        return {
            **result, "changed": True, "armed": False, "reason": "not armed (the record says removed)",
            "image_sha256": record["original_sha256"], "msg": "the original winre.wim is back, byte-exact (SHA-256)",
        }  # fmt: skip

    def drop_if_gone(self, where, record, result, was_enabled: bool) -> dict:
        seen = self.step("looking into the updated winre.wim", wf.inspect_script(where))
        if seen.get("check_rc") != 0:
            raise StepFailed(
                f"dism /Mount-Image /ReadOnly exited {seen.get('check_rc')}: {self.tail(seen.get('check'))}"
            )
        still = wf.has_failover(seen.get("check_winpeshl"), seen.get("check_script"))
        done = None if still else _records.dumps(_records.restored(record))
        enabled = self.step(
            "enabling Windows RE", wf.enable_script(where, enable=was_enabled), stdin=wf.plan_json(record=done)
        )
        if was_enabled:
            self.expect_enabled(enabled)
        if still:
            raise RecoveryFailed(
                "winre.wim was updated since Lifeline armed it (its SHA-256 differs from the armed image recorded) but "
                "still starts Lifeline's failover: Lifeline will not put back an original older than that update; "
                "remove the failover by hand or re-arm it; the record was kept", **result
            )  # fmt: skip
        return {
            **result, "changed": True, "armed": False,
            "reason": "the failover was replaced by a Windows RE update; the record was dropped",
            "msg": "winre.wim was updated since Lifeline armed it and no longer holds the failover: the record was "
                   f"dropped (the pre-update original is left at {where.original_copy})",
        }  # fmt: skip

    # --- steps -----------------------------------------------------------------------------------------------------

    def step(self, what: str, script: str, stdin: str | None = None) -> dict:
        completed = self.powershell(script, stdin)
        if completed.rc != 0:
            raise StepFailed(f"{what} failed (exit code {completed.rc}): {completed.error_text()}")
        try:
            return wf.step_report(completed.stdout)
        except ParseError as error:
            raise StepFailed(f"{what}: {error}") from None

    @staticmethod
    def expect_enabled(report: dict) -> ReagentcInfo:
        problem = parse_reagentc_result(report.get("enable") or "")
        if problem:
            raise StepFailed(f"reagentc /enable: {problem}")
        try:
            info = parse_reagentc_info(report.get("info") or "")
        except ParseError as error:
            raise StepFailed(str(error)) from None
        if not info.enabled:
            raise StepFailed("reagentc /info says Windows RE is still disabled after reagentc /enable")
        return info

    def failover_script(self, given: str | None) -> str:
        """The failover script's text, read on the controller; ValueError when it is missing or not ASCII text."""
        if given and Path(given).is_absolute():
            path = Path(given)
        elif given:
            try:
                path = Path(self._find_needle("files", given))
            except AnsibleError:
                raise ValueError(f"script {given!r}: no such file on the controller") from None
        else:
            path = DEFAULT_SCRIPT
        try:
            raw = path.read_bytes()
        except OSError as error:
            raise ValueError(f"script {str(path)!r} cannot be read: {error.strerror}") from None
        return wf.cmd_text(raw, repr(str(path)))

    def diff_of(self, result: dict, armed_after: bool, script_after: str | None) -> None:
        if self._task.diff:
            result["diff"] = {
                "before": {
                    "armed": bool(result["armed"]),
                    "script_sha256": result["script_sha256"] if result["armed"] else None,
                },
                "after": {"armed": armed_after, "script_sha256": script_after},
            }

    @staticmethod
    def tail(text: object) -> str:
        lines = [line.strip() for line in str(text or "").splitlines() if line.strip()]
        return " ".join(lines[-3:])[:400] or "no output"

    @staticmethod
    def refusal(where: str) -> str:
        return (
            f"{where}: the failover is armed only from a normal boot of the installed Windows, while it is healthy "
            f"(reagentc and dism work on the running Windows); {UNCHANGED}"
        )
