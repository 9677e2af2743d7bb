"""win_recovery_lease without WinRM: its scripts read with the real PowerShell grammar (hostile run ids and owners
stay one literal), the decisions on what a host holds, and the action run against in-process lab machines judged
by the lab's own view of the file (its ground truth: size and SHA-256, and the bytes on the volume). The machines are
in Safe Mode with Networking, as Lifeline reaches a failed host (``in_process.safe_mode_host``)."""

from __future__ import annotations

import datetime
import hashlib
import json

import pytest
from hypothesis import example, given, settings

from ansible_collections.lifeline.recovery.plugins.action.win_recovery_lease import (
    ActionModule,
    controller_owner,
    describe,
)
from ansible_collections.lifeline.recovery.plugins.plugin_utils import _lease as lease
from ansible_collections.lifeline.recovery.plugins.plugin_utils import _powershell as powershell
from ansible_collections.lifeline.recovery.plugins.plugin_utils._parsers import ParseError

from .in_process import lab_action, safe_mode_host
from .test_powershell_builders import HOSTILE_TEXT, assert_parses, literal_values, native_calls, of_type, text

PATH = "C:\\ProgramData\\Lifeline\\lease.json"
NOW = datetime.datetime(2026, 3, 1, 8, 0, 0, tzinfo=datetime.UTC)
HASH = "A" * 64
MINUTE = datetime.timedelta(minutes=1)


def lease_of(run: str, expires: datetime.datetime, owner: str = "ops@laptop") -> lease.Lease:
    return lease.Lease(owner, run, expires - 120 * MINUTE, expires)


def file_of(held: lease.Lease | str | None) -> lease.LeaseFile:
    if held is None:
        return lease.ABSENT_FILE
    content = held if isinstance(held, str) else lease.lease_text(held)
    return lease.LeaseFile(content, hashlib.sha256(content.encode()).hexdigest().upper())


# --- the scripts -------------------------------------------------------------------------------------------


def test_the_scripts_parse_and_call_only_cmdlets() -> None:
    for built in (
        lease.lease_read(PATH),
        lease.lease_swap(PATH, None, "{}"),
        lease.lease_swap(PATH, HASH, "{}"),
        lease.lease_swap(PATH, HASH, None),
    ):
        root = assert_parses(built)
        assert not native_calls(root)
        assert PATH in literal_values(root)
        assert built.splitlines()[: len(powershell.PREAMBLE)] == list(powershell.PREAMBLE)
        assert built.splitlines()[-1] == "ConvertTo-Json -InputObject $report -Compress"
        commands = {text(node.children[0]) for node in of_type(root, "command") if node.children}
        assert commands <= {"New-Item", "Test-Path", "Get-FileHash", "Get-Content", "Remove-Item", "ConvertTo-Json"}


def test_create_never_overwrites_and_replace_and_remove_only_on_the_same_content() -> None:
    create = lease.lease_swap(PATH, None, "{}")
    assert "-Force" not in next(line for line in create.splitlines() if "-ItemType 'File'" in line)
    assert "$null = New-Item -ItemType 'Directory' -Path 'C:\\ProgramData\\Lifeline' -Force" in create
    assert "Get-FileHash" not in create.split("if (-not $report.done)")[0]  # no content to compare with
    swaps = [(lease.lease_swap(PATH, HASH, "{}"), "-Force"), (lease.lease_swap(PATH, HASH, None), "Remove-Item")]
    for built, change in swaps:
        lines = built.splitlines()
        compare = next(n for n, line in enumerate(lines) if f"-eq '{HASH}'" in line)
        written = next(n for n, line in enumerate(lines) if change in line)
        assert compare < written and lines[written].startswith("        ")  # inside the comparison's block
    assert "-ItemType 'Directory'" not in lease.lease_swap(PATH, HASH, "{}")


@settings(max_examples=200)
@given(run=HOSTILE_TEXT, owner=HOSTILE_TEXT)
@example(run="r'; Remove-Item C:\\ -Recurse; '", owner="O\u2019Brien $(whoami) `n @{x} #")
def test_hostile_run_ids_and_owners_are_refused_or_stay_inside_one_literal(run: str, owner: str) -> None:
    try:
        held = lease.new_lease(lease.owner_name(owner), lease.run_id(run), 120, NOW)
    except ValueError:
        return
    content = lease.lease_text(held)
    built = lease.lease_swap(PATH, None, content)
    assert content in literal_values(assert_parses(built))
    assert lease.parse_lease(content) == held  # what is written reads back as the same lease


def test_the_longest_run_id_and_owner_fit_one_command_line() -> None:
    worst = lease.new_lease("\u2019" * lease.MAX_OWNER, "\U0001f600" * 64, lease.MAX_MINUTES, NOW)
    for expected in (None, HASH):
        assert len(powershell.encoded_command(lease.lease_swap(PATH, expected, lease.lease_text(worst)))) <= (
            powershell.MAX_COMMAND_LINE
        )


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: lease.run_id(""), "run_id '' must be 1 to 64"),
        (lambda: lease.run_id(" r1"), "surrounding spaces"),
        (lambda: lease.run_id("r" * 65), "1 to 64"),
        (lambda: lease.run_id("r\n1"), "control character"),
        (lambda: lease.run_id(7), "must be a string"),
        (lambda: lease.owner_name("  "), "1 to 128"),
        (lambda: lease.owner_name("o" * 129), "1 to 128"),
        (lambda: lease.owner_name("a\u2028b"), "control character"),
        (lambda: lease.lease_path("D"), "volume 'D'"),
        (lambda: lease.lease_read("lease.json"), "absolute path"),
        (lambda: lease.lease_swap(PATH, "abc", None), "64 upper-case hex"),
        (lambda: lease.lease_swap(PATH, "a" * 64, "{}"), "64 upper-case hex"),
        (lambda: lease.lease_swap(PATH, None, None), "needs the text"),
    ],
)
def test_bad_input_is_refused_naming_it(build, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()


def test_reports_are_read_strictly() -> None:
    assert lease.parse_report('{"done":true,"sha256":null,"lease":null}') == (True, lease.ABSENT_FILE)
    assert lease.parse_report(f'{{"done":false,"sha256":"{HASH}","lease":null}}') == (
        False,
        lease.LeaseFile("", HASH),
    )  # Get-Content -Raw of an empty file is null: an empty (unreadable) lease, not an absent one
    for bad in ("", "[]", '{"done":"yes"}', '{"done":false,"sha256":"xyz","lease":"{}"}',
                '{"done":false,"sha256":null,"lease":"{}"}'):  # fmt: skip
        with pytest.raises(ParseError):
            lease.parse_report(bad)


# --- the lease file and the decisions -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("", "empty"),
        ("not json", "not JSON"),
        ("[1]", "not a JSON object"),
        ('{"version": 2, "owner": "a", "run_id": "b", "acquired": "2026-01-01T00:00:00Z", '
         '"expires": "2026-01-01T01:00:00Z"}', "version is 2"),
        ('{"version": true, "owner": "a", "run_id": "b"}', "version is True"),
        ('{"version": 1, "owner": "", "run_id": "b"}', "owner"),
        ('{"version": 1, "owner": "a", "run_id": 5}', "run_id"),
        ('{"version": 1, "owner": "a", "run_id": "b", "acquired": "2026-01-01T00:00:00", '
         '"expires": "2026-01-01T01:00:00Z"}', "acquired '2026-01-01T00:00:00' is not an ISO 8601 time with a zone"),
        ('{"version": 1, "owner": "a", "run_id": "b", "acquired": "2026-01-01T00:00:00Z", "expires": "soon"}',
         "expires 'soon'"),
    ],
)  # fmt: skip
def test_a_file_that_is_not_a_version_1_lease_is_unreadable(content: str, problem: str) -> None:
    with pytest.raises(lease.UnreadableLease, match=problem):
        lease.parse_lease(content)


def test_a_lease_reads_back_with_a_bom_and_other_zones_in_utc() -> None:
    held = lease.parse_lease(
        '\ufeff{"version": 1, "owner": "a", "run_id": "b", "acquired": "2026-03-01T09:00:00+01:00",'
        ' "expires": "2026-03-01T10:00:00Z"}'
    )
    assert held.acquired == NOW and held.expires == NOW + 120 * MINUTE


def acquire(found, run: str = "r1", minutes: int = 120, force: bool = False) -> lease.Decision:
    return lease.decide_acquire(file_of(found), run, "me@ctl", minutes, NOW, force)


def test_acquire_decisions() -> None:
    created = acquire(None)
    assert (created.outcome, created.swap) == (lease.CREATE, True)
    assert created.write == lease.Lease("me@ctl", "r1", NOW, NOW + 120 * MINUTE)

    kept = acquire(lease_of("r1", NOW + 61 * MINUTE))  # more than half of 120 minutes left
    assert (kept.outcome, kept.swap, kept.write) == (lease.KEEP, False, None)
    mine = lease_of("r1", NOW + 59 * MINUTE)
    renewed = acquire(mine)
    assert (renewed.outcome, renewed.swap) == (lease.RENEW, True)
    assert renewed.write == lease.Lease("me@ctl", "r1", mine.acquired, NOW + 120 * MINUTE)  # first acquired kept
    assert acquire(lease_of("r1", NOW - MINUTE)).outcome == lease.RENEW  # our own, expired: simply renewed
    assert acquire(lease_of("r1", NOW + 100 * MINUTE), minutes=600).outcome == lease.RENEW  # asked for longer

    theirs = lease_of("r2", NOW + MINUTE)
    held = acquire(theirs)
    assert (held.outcome, held.swap, held.current) == (lease.HELD, False, theirs)
    assert acquire(lease_of("r2", NOW + MINUTE), force=True).outcome == lease.HELD  # force is not for live leases
    expired = lease_of("r2", NOW)  # expires now: expired
    taken = acquire(expired)
    assert (taken.outcome, taken.swap, taken.current) == (lease.TAKE_OVER, True, expired)
    assert taken.write.run_id == "r1" and taken.write.expires == NOW + 120 * MINUTE

    unreadable = acquire("{broken")
    assert (unreadable.outcome, unreadable.swap) == (lease.UNREADABLE, False) and "not JSON" in unreadable.problem
    forced = acquire("{broken", force=True)
    assert (forced.outcome, forced.swap, forced.write.run_id) == (lease.FORCE, True, "r1")


def test_release_decisions_never_remove_another_runs_lease() -> None:
    def release(found) -> lease.Decision:
        return lease.decide_release(file_of(found), "r1")

    assert (release(None).outcome, release(None).swap) == (lease.ABSENT, False)
    ours = release(lease_of("r1", NOW + MINUTE))
    assert (ours.outcome, ours.swap, ours.write) == (lease.REMOVE, True, None)
    assert (release(lease_of("r1", NOW - MINUTE)).outcome) == lease.REMOVE
    for other in (lease_of("r2", NOW + MINUTE), lease_of("r2", NOW - 60 * MINUTE), lease_of("R1", NOW + MINUTE)):
        decision = release(other)
        assert (decision.outcome, decision.swap) == (lease.NOT_OURS, False)
    assert (release("{}").outcome, release("{}").swap) == (lease.UNREADABLE, False)


# --- the action on in-process lab machines -------------------------------------------------------------------


FACTS = {"ansible_facts": {"lifeline_recovery": {"os_volume": "C:", "os_volume_locked": False}}}


def run_task(machine, check_mode: bool = False, task_vars: dict | None = None, **args) -> tuple[dict, list]:
    module, sent = lab_action(ActionModule, machine, args, check_mode=check_mode, diff=True)
    return module.run(task_vars=FACTS if task_vars is None else task_vars), sent


def on_host(machine) -> dict | None:
    """The lease file as the lab holds it: its JSON, after checking the bytes against the ground truth's hash."""
    truth = machine.snapshot()["files"].get(PATH)
    if truth is None:
        return None
    data = machine.drives.read(PATH)
    assert hashlib.sha256(data).hexdigest() == truth["sha256"].lower() and len(data) == truth["size"]
    return json.loads(data)


def put(machine, held: lease.Lease | str) -> None:
    machine.drives.mkdir("C:\\ProgramData\\Lifeline", parents=True)
    content = held if isinstance(held, str) else lease.lease_text(held)
    machine.drives.write(PATH, content.encode())


def test_acquire_creates_the_lease_in_one_command_and_a_rerun_keeps_it() -> None:
    machine = safe_mode_host("T-0901", 901)
    before = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    result, sent = run_task(machine, run_id="r1", owner="alice@awx")
    assert result["changed"] is True and result["outcome"] == "created" and len(sent) == 1, result
    assert result["path"] == PATH and result["commands_sent"] == 1
    stored = on_host(machine)
    assert stored == result["lease"] and set(stored) == {"version", "owner", "run_id", "acquired", "expires"}
    assert (stored["version"], stored["owner"], stored["run_id"]) == (1, "alice@awx", "r1")
    acquired = datetime.datetime.fromisoformat(stored["acquired"])
    assert before <= acquired <= datetime.datetime.now(datetime.UTC)
    assert datetime.datetime.fromisoformat(stored["expires"]) - acquired == 120 * MINUTE
    assert result["diff"]["before"] == "" and json.loads(result["diff"]["after"]) == stored
    assert not machine.drives.read(PATH).startswith(b"\xef\xbb\xbf")  # New-Item: UTF-8 without a BOM

    again, sent = run_task(machine, run_id="r1", owner="alice@awx")
    assert (again["changed"], again["outcome"], len(sent)) == (False, "kept", 1)
    assert on_host(machine) == stored and again["lease"] == stored


def test_another_run_is_refused_and_the_file_is_unchanged() -> None:
    machine = safe_mode_host("T-0902", 902)
    first, _ = run_task(machine, run_id="r1", owner="alice@awx")
    data = machine.drives.read(PATH)
    refused, sent = run_task(machine, run_id="r2", owner="bob@laptop")
    assert refused["failed"] is True and len(sent) == 1
    assert refused["msg"] == (
        f"leased by alice@awx (run r1) until {first['lease']['expires']}; another rollout is working on this host"
    )
    assert refused["lease_holder"] == {"owner": "alice@awx", "run_id": "r1", "expires": first["lease"]["expires"]}
    assert machine.drives.read(PATH) == data
    checked, _ = run_task(machine, check_mode=True, run_id="r2")
    assert checked["failed"] is True and checked["lease_holder"]["run_id"] == "r1"


def test_an_expired_lease_is_taken_over_with_a_warning_naming_its_holder() -> None:
    machine = safe_mode_host("T-0903", 903)
    expired = lease_of("r0", datetime.datetime.now(datetime.UTC).replace(microsecond=0) - MINUTE, owner="carol@old")
    put(machine, expired)
    result, sent = run_task(machine, run_id="r1", owner="alice@awx", duration=30)
    assert result["changed"] is True and result["outcome"] == "taken_over" and len(sent) == 2, result
    assert result["previous_holder"] == expired.holder()
    assert "carol@old (run r0) expired at" in result["warnings"][0]
    stored = on_host(machine)
    assert (stored["run_id"], stored["owner"]) == ("r1", "alice@awx") and stored == result["lease"]


def test_a_renewal_that_extends_is_a_change_and_keeps_the_first_acquired_time() -> None:
    machine = safe_mode_host("T-0904", 904)
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    mine = lease.Lease("alice@awx", "r1", now - 100 * MINUTE, now + 10 * MINUTE)
    put(machine, mine)
    result, sent = run_task(machine, run_id="r1", owner="alice@awx")
    assert (result["changed"], result["outcome"], len(sent)) == (True, "renewed", 2)
    stored = on_host(machine)
    assert stored["acquired"] == lease.iso_time(mine.acquired)
    assert datetime.datetime.fromisoformat(stored["expires"]) >= now + 119 * MINUTE


def test_release_by_another_run_leaves_the_lease_and_by_its_own_run_removes_it() -> None:
    machine = safe_mode_host("T-0905", 905)
    run_task(machine, run_id="r1", owner="alice@awx")
    data = machine.drives.read(PATH)
    other, sent = run_task(machine, run_id="r2", state="released")
    assert (other["changed"], other["outcome"], len(sent)) == (False, "not_ours", 1)
    assert other["lease_holder"]["run_id"] == "r1" and "left alone" in other["warnings"][0]
    assert machine.drives.read(PATH) == data

    checked, _ = run_task(machine, check_mode=True, run_id="r1", state="released")
    assert (checked["changed"], checked["outcome"]) == (True, "removed") and machine.drives.read(PATH) == data
    released, sent = run_task(machine, run_id="r1", state="released")
    assert (released["changed"], released["outcome"], released["lease"], len(sent)) == (True, "removed", None, 2)
    assert on_host(machine) is None and released["diff"]["after"] == ""
    again, sent = run_task(machine, run_id="r1", state="released")
    assert (again["changed"], again["outcome"], len(sent)) == (False, "absent", 1)


def test_a_release_given_the_lease_it_took_removes_it_in_one_command_and_decides_again_when_it_changed() -> None:
    machine = safe_mode_host("T-0912", 912)
    taken, _ = run_task(machine, run_id="r1", owner="alice@awx")
    released, sent = run_task(machine, run_id="r1", state="released", lease=taken["lease"])
    assert (released["changed"], released["outcome"], len(sent)) == (True, "removed", 1), released
    assert on_host(machine) is None and json.loads(released["diff"]["before"]) == taken["lease"]
    again, sent = run_task(machine, run_id="r1", state="released", lease=taken["lease"])
    assert (again["changed"], again["outcome"], len(sent)) == (False, "absent", 1)

    # renewed by this run since: the first swap finds another SHA-256, reads it, and the second removes it
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    put(machine, lease.Lease("alice@awx", "r1", now - 100 * MINUTE, now + 120 * MINUTE))
    renewed, sent = run_task(machine, run_id="r1", state="released", lease=taken["lease"])
    assert (renewed["outcome"], len(sent)) == ("removed", 2) and on_host(machine) is None
    # taken over by another run since: left alone, whatever this run believed it held
    other = lease_of("r2", now + 60 * MINUTE)
    put(machine, other)
    kept, sent = run_task(machine, run_id="r1", state="released", lease=taken["lease"])
    assert (kept["changed"], kept["outcome"], len(sent)) == (False, "not_ours", 1)
    assert on_host(machine) == other.to_result()
    checked, sent = run_task(machine, check_mode=True, run_id="r2", state="released", lease=other.to_result())
    assert (checked["outcome"], len(sent)) == ("removed", 1) and on_host(machine) == other.to_result()


def test_check_mode_reads_and_changes_nothing() -> None:
    machine = safe_mode_host("T-0906", 906)
    checked, sent = run_task(machine, check_mode=True, run_id="r1")
    assert (checked["changed"], checked["outcome"], len(sent)) == (True, "created", 1)
    assert "would be acquired" in checked["msg"] and on_host(machine) is None
    assert not machine.drives.exists("C:\\ProgramData\\Lifeline")  # not even the folder


def test_an_unreadable_lease_is_left_alone_unless_forced() -> None:
    machine = safe_mode_host("T-0907", 907)
    put(machine, "{half a lease")
    refused, _ = run_task(machine, run_id="r1")
    assert refused["failed"] is True and "cannot be read (it is not JSON" in refused["msg"], refused
    assert "force: true" in refused["msg"] and machine.drives.read(PATH) == b"{half a lease"
    released, _ = run_task(machine, run_id="r1", state="released")
    assert released["changed"] is False and released["outcome"] == "unreadable"
    assert machine.drives.read(PATH) == b"{half a lease"
    forced, sent = run_task(machine, run_id="r1", force=True)
    assert (forced["changed"], forced["outcome"], len(sent)) == (True, "forced", 2)
    assert on_host(machine)["run_id"] == "r1" and "replaced" in forced["warnings"][0]


def test_a_lease_that_cannot_be_created_fails_with_windows_error_not_a_guess() -> None:
    machine = safe_mode_host("T-0911", 911)
    machine.drives.mkdir(PATH, parents=True)  # a folder where the lease file should be: New-Item cannot create it
    result, sent = run_task(machine, run_id="r1")
    assert result["failed"] is True and len(sent) == 1, result
    assert result["msg"].startswith(f"writing the lease {PATH} failed (exit code 1): ")
    assert "Access to the path" in result["msg"] and "ScriptHalted" not in result["msg"]  # New-Item's own error
    assert machine.drives.find(PATH).is_dir


def test_a_lease_changed_between_read_and_swap_is_decided_again_and_not_overwritten() -> None:
    """Another controller takes the expired lease after this task read it: the swap finds a different SHA-256,
    writes nothing, and the task fails naming the new holder."""
    machine = safe_mode_host("T-0908", 908)
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    put(machine, lease_of("r0", now - MINUTE))
    fresh = lease_of("r9", now + 60 * MINUTE, owner="dave@other")
    module, sent = lab_action(ActionModule, machine, {"run_id": "r1"})
    execute = module._low_level_execute_command

    def racing(command: str, in_data=None, sudoable=False) -> dict:
        answer = execute(command, in_data=in_data, sudoable=sudoable)
        if len(sent) == 1:
            put(machine, fresh)  # the other controller's swap lands right after our first read
        return answer

    module._low_level_execute_command = racing
    result = module.run(task_vars=FACTS)
    assert result["failed"] is True and result["lease_holder"]["run_id"] == "r9" and len(sent) == 2, result
    assert on_host(machine) == fresh.to_result()


def test_bad_input_and_a_locked_volume_send_nothing() -> None:
    machine = safe_mode_host("T-0909", 909)
    locked = {"ansible_facts": {"lifeline_recovery": {"os_volume": "C:", "os_volume_locked": True}}}
    cases = [
        ({"run_id": "r1", "duration": 0}, FACTS, "duration 0 is not from 1 to 1440"),
        ({"run_id": "r1", "duration": 1441}, FACTS, "1 to 1440"),
        ({"run_id": "r\n1"}, FACTS, "control character"),
        ({"run_id": "r1", "owner": ""}, FACTS, "owner '' must be"),
        ({"run_id": "r1"}, {}, "run lifeline.recovery.win_recovery_facts first"),
        ({"run_id": "r1", "os_volume": "DD:"}, FACTS, "volume 'DD:'"),
        ({"run_id": "r1"}, locked, "locked by BitLocker"),
        ({}, FACTS, "run_id"),
        ({"run_id": "r1", "lease": lease_of("r1", NOW).to_result()}, FACTS, "lease is for state released only"),
        ({"run_id": "r1", "state": "released", "lease": lease_of("r2", NOW).to_result()}, FACTS, "run 'r2'"),
        ({"run_id": "r1", "state": "released", "lease": {"version": 2}}, FACTS, "its version is 2"),
    ]
    for args, task_vars, message in cases:
        result, sent = run_task(machine, task_vars=task_vars, **args)
        assert result["failed"] is True and message in result["msg"] and sent == [], (args, result)
    assert run_task(machine, task_vars={}, run_id="r1", volume="c:")[0]["path"] == PATH  # the alias


def test_the_default_owner_is_the_controller_user_at_its_host(monkeypatch) -> None:
    monkeypatch.setattr("getpass.getuser", lambda: "alice")
    monkeypatch.setattr("socket.gethostname", lambda: "awx-7")
    assert controller_owner() == "alice@awx-7"

    def no_user() -> str:
        raise OSError("no user name")

    monkeypatch.setattr("getpass.getuser", no_user)
    monkeypatch.setattr("socket.gethostname", lambda: "h" * 300)
    owner = controller_owner()
    assert owner.startswith("unknown@h") and len(owner) == lease.MAX_OWNER
    machine = safe_mode_host("T-0910", 910)
    assert run_task(machine, run_id="r1")[0]["lease"]["owner"] == owner


@pytest.mark.parametrize("check", [False, True])
def test_every_outcome_that_does_not_fail_the_task_has_its_own_message(check: bool) -> None:
    found = (None, lease_of("r1", NOW + MINUTE), lease_of("r1", NOW + 100 * MINUTE), lease_of("r2", NOW - MINUTE), "{")
    decisions = [lease.decide_acquire(file_of(each), "r1", "me", 120, NOW, True) for each in found]
    decisions += [lease.decide_release(file_of(each), "r1") for each in found]
    messages = {decision.outcome: describe(decision, PATH, "r1", NOW, check) for decision in decisions}
    assert set(messages) == {"created", "renewed", "kept", "taken_over", "forced", "removed", "absent", "not_ours",
                             "unreadable"}  # fmt: skip
    assert len({msg for msg, _ in messages.values()}) == len(messages)
    warned = {outcome for outcome, (_, warning) in messages.items() if warning}
    assert warned == {"taken_over", "forced", "not_ours", "unreadable"}
    assert all(("check mode" in msg) == check for outcome, (msg, _) in messages.items() if outcome in
               ("created", "renewed", "taken_over", "forced", "removed"))  # fmt: skip
