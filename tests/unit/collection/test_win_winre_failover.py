"""win_winre_failover without WinRM: its scripts read with the real PowerShell grammar, winpeshl.ini and the failover
script as they go into the image, the status it reports, and the action's decisions against a scripted host that
keeps winre.wim, the mount and the record the way reagentc and dism are documented to (failures injected at every
change step: the host must end as it was)."""

from __future__ import annotations

import asyncio
import base64
import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from unittest.mock import MagicMock

import pytest
from ansible.playbook.play_context import PlayContext

from ansible_collections.lifeline.recovery.plugins.action.win_winre_failover import DEFAULT_SCRIPT, ActionModule
from ansible_collections.lifeline.recovery.plugins.plugin_utils import _powershell as powershell
from ansible_collections.lifeline.recovery.plugins.plugin_utils import _records
from ansible_collections.lifeline.recovery.plugins.plugin_utils import _winre_failover as wf
from ansible_collections.lifeline.recovery.plugins.plugin_utils._reagentc import ReagentcInfo
from lifeline_lab import failures
from lifeline_lab.machine import new_machine, wim

from ..lab.support import run as lab_command
from ..lab.test_winre_failover import MARKER, boot_loop_until_settled
from .in_process import lab_action
from .test_powershell_builders import assert_parses, literal_values, native_calls

SAMPLES = Path(__file__).parent / "samples"
WHERE = wf.paths("C:")
LOCATION = "\\\\?\\GLOBALROOT\\device\\harddisk0\\partition4\\Recovery\\WindowsRE"
RECENV = "%SYSTEMDRIVE%\\sources\\recovery\\recenv.exe"
STOCK_INI = f"[LaunchApps]\r\n{RECENV}\r\n"
SCRIPT = wf.cmd_text(DEFAULT_SCRIPT.read_bytes(), "default")


# --- texts ---------------------------------------------------------------------------------------------------------


def test_the_failover_goes_first_and_the_stock_entries_stay() -> None:
    assert wf.winpeshl_with_failover(STOCK_INI) == (
        f"[LaunchApps]\r\n{wf.LAUNCH_ENTRY}\r\n%SYSTEMDRIVE%\\sources\\recovery\\recenv.exe\r\n"
    )
    twice = wf.winpeshl_with_failover(wf.winpeshl_with_failover(STOCK_INI))
    assert twice == wf.winpeshl_with_failover(STOCK_INI)  # never listed twice
    other = "[Other]\nx=1\n[launchapps]\nA.exe, /x\n"
    assert wf.winpeshl_with_failover(other) == f"[Other]\r\nx=1\r\n[launchapps]\r\n{wf.LAUNCH_ENTRY}\r\nA.exe, /x\r\n"
    assert wf.winpeshl_with_failover("").startswith(f"[LaunchApps]\r\n{wf.LAUNCH_ENTRY}\r\n")
    assert wf.has_failover(wf.winpeshl_with_failover(STOCK_INI), SCRIPT)
    assert not wf.has_failover(STOCK_INI, SCRIPT) and not wf.has_failover(None, SCRIPT)


def test_the_script_becomes_crlf_ascii_and_bad_scripts_are_refused() -> None:
    assert SCRIPT.endswith("wpeutil reboot\r\n") and "\n" not in SCRIPT.replace("\r\n", "")
    assert "bcdedit /create {07b12ddd-c467-4140-8aab-3313b0711336}" in SCRIPT
    assert wf.cmd_text(b"a\r\nb", "x") == wf.cmd_text(b"a\nb\n", "x") == "a\r\nb\r\n"
    for raw, problem in ((b"\xe9cho", "not ASCII"), (b"\n\n", "empty"), (b"echo \x1b", "control")):
        with pytest.raises(ValueError, match=problem):
            wf.cmd_text(raw, "x")


def test_every_script_parses_and_keeps_paths_one_literal() -> None:
    for built in (
        wf.failover_read(WHERE), wf.stage_script(WHERE, False), wf.stage_script(WHERE, True), wf.mount_script(WHERE),
        wf.write_commit_script(WHERE), wf.inspect_script(WHERE), wf.restore_script(WHERE),
        wf.enable_script(WHERE, True), wf.rollback_script(WHERE, True), wf.peek_script(WHERE),
    ):  # fmt: skip
        root = assert_parses(built)
        assert len(powershell.encoded_command(built)) <= powershell.MAX_COMMAND_LINE
        assert all(call[0] in ("reg.exe", "reagentc.exe", "dism.exe") for call in native_calls(root))
    calls = native_calls(assert_parses(wf.write_commit_script(WHERE)))
    assert calls == [
        ["dism.exe", "/English", "/Unmount-Image", "/MountDir:" + WHERE.mount, "/Commit"],
        ["dism.exe", "/English", "/Mount-Image", "/ImageFile:" + WHERE.image, "/Index:1", "/MountDir:" + WHERE.mount,
         "/ReadOnly"],
        ["dism.exe", "/English", "/Unmount-Image", "/MountDir:" + WHERE.mount, "/Discard"],
    ]  # fmt: skip
    assert WHERE.image in literal_values(assert_parses(wf.peek_script(WHERE)))
    assert native_calls(assert_parses(wf.peek_script(WHERE))) == [["reagentc.exe", "/disable"]]


def test_the_status_says_why_it_is_not_armed() -> None:
    enabled, disabled = ReagentcInfo(True, LOCATION, None), ReagentcInfo(False, None, None)
    record = wf.arm_record(WHERE, "A" * 64, "S" * 0 + "B" * 64, "C" * 64)
    assert wf.status(enabled, "C" * 64, record, "B" * 64).armed is True
    assert wf.status(enabled, "C" * 64, record, "D" * 64).script_matches is False
    assert "Windows RE update" in wf.status(enabled, "E" * 64, record, "B" * 64).reason
    assert wf.status(disabled, "C" * 64, record, "B" * 64).reason == "Windows RE is disabled"
    assert wf.status(enabled, None, record, "B" * 64).armed is None
    assert wf.status(enabled, "A" * 64, None, "B" * 64).reason.startswith("not armed")
    assert wf.status(enabled, "A" * 64, _records.restored(record), "B" * 64).armed is False


# --- a scripted host -------------------------------------------------------------------------------------------------


def image(files: dict[str, str]) -> bytes:
    return json.dumps(files, sort_keys=True).encode()


@dataclass
class Host:
    """winre.wim (its files, serialised), where it is, the mount, the original copy and the record."""

    enabled: bool = True
    image: bytes = field(default_factory=lambda: image({wf.WINPESHL: STOCK_INI}))
    copy: bytes | None = None
    mounted: dict | None = None
    read_only: bool = False
    record: str | None = None
    fail: str | None = None  # the step to fail: disable, stage, mount, commit, check, enable
    log: list = field(default_factory=list)

    def files(self) -> dict:
        return json.loads(self.image)

    def answer(self, script: str, stdin: bytes) -> dict:
        plan = json.loads(stdin) if stdin else {}
        step = self.classify(script)
        self.log.append(step)
        report = getattr(self, "do_" + step)(script, plan)
        if isinstance(report, tuple):
            return {"rc": report[0], "stdout": "", "stderr": report[1]}
        return {"rc": 0, "stdout": json.dumps(report), "stderr": ""}

    @staticmethod
    def classify(script: str) -> str:
        if "'/info'" in script and "minint" in script:
            return "read"
        for marker, step in (("'/Commit'", "commit"), ("'/disable'", "peek")):
            if marker in script:
                return step
        if "if ($null -ne $plan.record)" in script:
            return "rollback" if "'/Discard'" in script else "enable"
        if "$report.mount" in script:
            return "mount"
        if "'/ReadOnly'" in script:
            return "inspect"
        return "stage" if "copy_sha256" in script else "restore"

    def info(self) -> str:
        name = "reagentc_info_enabled.txt" if self.enabled else "reagentc_info_disabled.txt"
        return (SAMPLES / name).read_text()

    def write_record(self, plan: dict) -> None:
        if plan.get("record") is not None:
            self.record = plan["record"]

    def do_read(self, script, plan):
        return {"minint_rc": 1, "safeboot_rc": 1, "info": self.info(), "info_rc": 0, "record": self.record,
                "disabled_image_sha256": None if self.enabled else wf.sha256(self.image)}  # fmt: skip

    def do_peek(self, script, plan):
        if self.fail == "disable":
            return {"disable": "REAGENTC.EXE: Unable to update Boot Configuration Data.\r\n", "image_sha256": None}
        self.enabled = False
        return {"disable": "REAGENTC.EXE: Operation Successful.\r\n", "image_sha256": wf.sha256(self.image)}

    def do_stage(self, script, plan):
        if self.fail == "stage":
            return 1, "Copy-Item : There is not enough space on the disk."
        if "New-Item" in script:
            self.copy = self.image
        else:
            self.image = self.copy
        return {"image_sha256": wf.sha256(self.image), "copy_sha256": wf.sha256(self.copy)}

    def do_mount(self, script, plan):
        self.write_record(plan)
        if self.fail == "mount":
            return {"mount": "Error: 0xc1420127\r\n\r\nThe specified image is already mounted.\r\n", "mount_rc": 5}
        self.mounted, self.read_only = self.files(), False
        return {"mount": "The operation completed successfully.", "mount_rc": 0,
                "winpeshl": self.mounted.get(wf.WINPESHL), "script": self.mounted.get(wf.IN_IMAGE_SCRIPT)}  # fmt: skip

    def do_commit(self, script, plan):
        self.mounted[wf.IN_IMAGE_SCRIPT], self.mounted[wf.WINPESHL] = plan["script"], plan["winpeshl"]
        if self.fail == "commit":
            return {"commit": "Error: 0xc1420117\r\n", "commit_rc": 2, "armed_sha256": None}
        self.image, self.mounted = image(self.mounted), None
        report = {"commit": "ok", "commit_rc": 0, "check_rc": 0, "discard_rc": 0}
        files = self.files()
        if self.fail == "check":
            files[wf.WINPESHL] = STOCK_INI  # read back is not what was written
        report.update(check_winpeshl=files.get(wf.WINPESHL), check_script=files.get(wf.IN_IMAGE_SCRIPT))
        return {**report, "armed_sha256": wf.sha256(self.image)}

    def do_inspect(self, script, plan):
        files = self.files()
        return {"check_rc": 0, "check_winpeshl": files.get(wf.WINPESHL), "check_script": files.get(wf.IN_IMAGE_SCRIPT)}

    def do_restore(self, script, plan):
        self.image = self.copy
        return {"image_sha256": wf.sha256(self.image)}

    def do_enable(self, script, plan):
        self.write_record(plan)
        if "Remove-Item" in script:
            self.copy = None
        if "'/enable'" not in script:
            return {}
        if self.fail == "enable":
            return {"enable": "REAGENTC.EXE: Operation failed: 70\r\n", "info": self.info()}
        self.enabled = True
        return {"enable": "REAGENTC.EXE: Operation Successful.\r\n", "info": self.info()}

    def do_rollback(self, script, plan):
        self.mounted = None
        if "Copy-Item" in script and self.copy is not None:
            self.image = self.copy
        self.write_record(plan)
        self.enabled = True
        return {"image_sha256": wf.sha256(self.image), "enable": "REAGENTC.EXE: Operation Successful.\r\n",
                "info": self.info()}  # fmt: skip


def run(host: Host, args: dict, check_mode: bool = False, facts: dict | None = None) -> dict:
    task = MagicMock()
    task.args, task.async_val, task.check_mode, task.diff = args, 0, check_mode, True
    connection = MagicMock()
    connection._shell.tmpdir = None
    module = ActionModule(task, connection, PlayContext(), loader=None, templar=None, shared_loader_obj=None)

    def execute(command: str, in_data: bytes | None = None, sudoable: bool = False) -> dict:
        script = base64.b64decode(command.split()[-1]).decode("utf-16-le")
        return host.answer(script, in_data or b"")

    module._low_level_execute_command = execute
    facts = {"environment": "normal", "os_volume": "C:"} if facts is None else facts
    return module.run(task_vars={"ansible_facts": {"lifeline_recovery": facts}})


def test_present_arms_verifies_records_and_a_rerun_changes_nothing() -> None:
    host = Host()
    original = host.image
    checked = run(host, {}, check_mode=True)
    assert checked["changed"] is True and host.log == ["read"] and host.image == original and host.enabled
    done = run(host, {})
    assert done["changed"] is True and done["armed"] is True, done
    files = host.files()
    assert files[wf.IN_IMAGE_SCRIPT] == SCRIPT and files[wf.WINPESHL].splitlines()[1] == wf.LAUNCH_ENTRY
    assert host.enabled and host.copy == original and host.mounted is None
    record = json.loads(host.record)
    assert record["original_sha256"] == wf.sha256(original) and record["armed_sha256"] == wf.sha256(host.image)
    assert done["diff"] == {"before": {"armed": False, "script_sha256": None},
                            "after": {"armed": True, "script_sha256": wf.sha256(SCRIPT.encode())}}  # fmt: skip
    host.log.clear()
    again = run(host, {})
    assert again["changed"] is False and again["armed"] is True and host.log == ["read", "peek", "enable"]
    assert host.enabled and run(host, {}, check_mode=True)["changed"] is False  # the record says armed
    query = run(host, {"state": "query"})
    assert query["armed"] is True and query["script_matches"] is True and query["changed"] is False


@pytest.mark.parametrize("step", ["disable", "stage", "mount", "commit", "check", "enable"])
def test_a_failure_at_any_step_leaves_the_host_as_it_was(step: str) -> None:
    host = Host(fail=step)
    original = host.image
    result = run(host, {})
    assert result["failed"] is True and " failed: " in result["msg"], result
    assert host.image == original and host.mounted is None
    assert host.enabled and "the host was put back as it was" in result["msg"], result["msg"]
    assert host.record is None or not _records.pending(_records.parse(host.record))


def test_absent_puts_the_original_back_byte_exact_and_drops_the_copy() -> None:
    host = Host()
    original = host.image
    run(host, {})
    checked = run(host, {"state": "absent"}, check_mode=True)
    assert checked["changed"] is True and host.image != original
    gone = run(host, {"state": "absent"})
    assert gone["changed"] is True and host.image == original and host.enabled and host.copy is None, gone
    assert not _records.pending(_records.parse(host.record))
    assert run(host, {"state": "absent"})["changed"] is False
    assert run(host, {"state": "query"})["reason"] == "not armed (the record says removed)"


def test_absent_with_windows_re_disabled_puts_the_original_back_and_leaves_it_disabled() -> None:
    host = Host()
    original = host.image
    run(host, {})
    host.enabled = False  # someone ran reagentc /disable since: winre.wim is in System32\Recovery
    host.log.clear()
    gone = run(host, {"state": "absent"})
    assert gone["changed"] is True and host.image == original and host.enabled is False, gone
    assert "disable" not in host.log and not _records.pending(_records.parse(host.record))


def test_a_windows_re_update_is_never_reverted() -> None:
    host = Host()
    run(host, {})
    armed_files = host.files()
    host.image = image({**armed_files, "Windows\\System32\\update.dll": "new"})  # an update that kept the failover
    query = run(host, {"state": "query"})
    assert query["armed"] is False and "Windows RE update" in query["reason"]
    kept = run(host, {"state": "absent"})
    assert kept["failed"] is True and "still starts Lifeline's failover" in kept["msg"] and host.enabled
    assert host.files()["Windows\\System32\\update.dll"] == "new" and _records.pending(_records.parse(host.record))
    host.image = image({wf.WINPESHL: STOCK_INI, "Windows\\System32\\update.dll": "newer"})  # the update dropped it
    dropped = run(host, {"state": "absent"})
    assert dropped["changed"] is True and "record was dropped" in dropped["msg"] and host.enabled
    assert host.files()["Windows\\System32\\update.dll"] == "newer"
    assert not _records.pending(_records.parse(host.record))


def test_another_script_re_arms_from_the_original() -> None:
    host = Host()
    original = host.image
    run(host, {})
    other = Path(__file__).parent / "samples" / "reagentc_enable.txt"  # any ASCII text will do as a script
    query = run(host, {"state": "query", "script": str(other)})
    assert query["armed"] is True and query["script_matches"] is False
    rearmed = run(host, {"script": str(other)})
    assert rearmed["changed"] is True and host.files()[wf.IN_IMAGE_SCRIPT] == wf.cmd_text(other.read_bytes(), "x")
    assert host.copy == original and json.loads(host.record)["original_sha256"] == wf.sha256(original)


def test_disabled_windows_re_safe_mode_winre_and_bad_input_change_nothing() -> None:
    host = Host(enabled=False)
    disabled = run(host, {})
    assert disabled["failed"] and "Windows RE is disabled" in disabled["msg"] and host.log == ["read"]
    assert not host.enabled
    for facts in ({"environment": "winre", "os_volume": "D:"}, {"environment": "safe_mode_network", "os_volume": "C:"},
                  {"environment": "unknown", "os_volume": "C:"}):  # fmt: skip
        host = Host()
        refused = run(host, {}, facts=facts)
        assert refused["failed"] and "normal boot" in refused["msg"] and host.log == [], refused
    for args in ({"state": "armed"}, {"script": "/no/such/file.cmd"}, {"os_volume": "C"}):
        host = Host()
        bad = run(host, args)
        assert bad["failed"] and host.log == [], bad


# --- the action against in-process lab machines (ground truth: winre.wim's bytes, the boot that follows) ---------


FACTS = {"ansible_facts": {"lifeline_recovery": {"environment": "normal", "os_volume": "C:"}}}


def lab_run(machine, args: dict, check_mode: bool = False) -> dict:
    return lab_action(ActionModule, machine, args, check_mode=check_mode, diff=True)[0].run(task_vars=FACTS)


def image_files(machine) -> dict[str, bytes]:
    root, _ = wim.unpack(machine.winre_image())
    return {path.lstrip("\\"): node.data for path, node in root.walk("") if not node.is_dir}


def test_the_lab_image_holds_the_script_and_absent_gives_back_the_original_bytes() -> None:
    machine = new_machine("T-0710", 710)
    original = machine.winre_image()
    location = machine.winre_image_location()[1]
    assert lab_run(machine, {}, check_mode=True)["changed"] is True and machine.winre_image() == original
    armed = lab_run(machine, {})
    assert armed["changed"] is True and armed["armed"] is True, armed
    files = image_files(machine)
    assert files[wf.IN_IMAGE_SCRIPT] == SCRIPT.encode("ascii")  # byte for byte, CRLF
    assert files[wf.WINPESHL].decode().splitlines()[1:] == [
        wf.LAUNCH_ENTRY,
        "%SYSTEMDRIVE%\\sources\\recovery\\recenv.exe",
    ]
    assert machine.winre_image_location()[1] == location and wf.sha256(machine.winre_image()) == armed["armed_sha256"]
    assert run_ok(machine, "reagentc /info", "Enabled")
    again = lab_run(machine, {})
    assert again["changed"] is False and again["armed"] is True and run_ok(machine, "reagentc /info", "Enabled")
    gone = lab_run(machine, {"state": "absent"})
    assert gone["changed"] is True and machine.winre_image() == original, gone  # byte-exact
    assert machine.winre_image_location()[1] == location and run_ok(machine, "reagentc /info", "Enabled")
    assert lab_run(machine, {"state": "query"})["armed"] is False


def run_ok(machine, command: str, expected: str) -> bool:
    return expected in lab_command(machine, command).stdout


def test_a_host_armed_by_the_module_fails_over_to_safe_mode_with_networking() -> None:
    machine = new_machine("CS-0711", 711)
    machine.reboot_seconds = 0.0
    failures.prepare_for_remote_recovery(machine)
    assert lab_run(machine, {})["armed"] is True
    failures.crowdstrike_291(machine, random.Random(711))  # then the bad channel file arrives
    asyncio.run(boot_loop_until_settled(machine))
    assert (machine.environment, machine.winrm_reachable()) == ("safe_mode_network", True)
    assert MARKER in machine.snapshot()["bcd"]["entries"]


def test_a_failed_arming_on_a_lab_machine_leaves_winre_wim_and_windows_re_as_they_were() -> None:
    machine = new_machine("T-0712", 712)
    original = machine.winre_image()
    lab_command(machine, "mkdir C:\\ProgramData\\Lifeline\\winre\\mount\\leftover")  # a folder DISM will not mount in
    failed = lab_run(machine, {})
    assert failed["failed"] is True and "not empty" in failed["msg"], failed
    assert "the host was put back as it was" in failed["msg"]
    assert machine.winre_image() == original and run_ok(machine, "reagentc /info", "Enabled")
    assert run_ok(machine, "reagentc /info", "partition4") and machine.winre_image_location()[0].role == "recovery"
