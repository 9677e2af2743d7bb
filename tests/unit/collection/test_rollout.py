"""The staged rollout's decisions: the plan from inventory verdicts and the mapping, the batch verdict,
and the summary report the callback prints and writes."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleValueOmittedError
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

from ansible_collections.lifeline.recovery.plugins.callback.rollout_summary import rollout_report
from ansible_collections.lifeline.recovery.plugins.plugin_utils._rollout import (
    FACT_SIGNATURES,
    RolloutError,
    plan,
    remediation_from_facts,
    signature_from_facts,
    validate_remediations,
    verdict,
)

REPO = Path(__file__).resolve().parents[3]
SHIPPED = yaml.safe_load((REPO / "playbooks/vars/remediations.yml").read_text())["lifeline_remediations"]
# The lab estate's mapping: the shipped entries and the incidents of the lab's scenarios.
MAPPING = yaml.safe_load((REPO / "inventories/lab/remediations.yml").read_text())["lifeline_remediations"]
CHECKED = validate_remediations(MAPPING)


def host(state: str, signature: str | None = None, ring: str = "broad") -> dict:
    return {"lifeline_recovery_state": state, "lifeline_failure_signature": signature, "lifeline_recovery_ring": ring}


HOSTVARS = {
    "A": host("recovery_reachable", "0x50:CSAgent.sys", "canary"),
    "B": host("recovery_reachable", "0x7E:ctxflt.sys", "pilot"),
    "C": host("healthy", None, "canary"),
    "D": host("unbootable", "0x50:csagent.sys"),
    "E": host("recovery_reachable", "0x1e:unknown.sys"),
    "F": host("recovery_reachable", "0x50:csagent.sys", "not-a-ring"),
    "G": host("recovery_reachable", None, "canary"),
}


def test_the_mapping_plans_each_host_by_signature_and_ring():
    planned = plan(HOSTVARS, HOSTVARS, MAPPING)
    hosts = planned["hosts"]
    assert hosts["A"]["role"] == "lifeline.recovery.channel_file_remediation"
    assert hosts["A"]["vars"]["channel_file_remediation_patterns"] == ["C-00000291*.sys"]
    assert hosts["B"]["role"] == "lifeline.recovery.boot_driver_remediation"
    assert planned["waves"] == {"canary": ["A", "G"], "pilot": ["B"], "broad": ["F"]}  # unknown rings go broad
    assert hosts["G"]["action"] == "remediate" and hosts["G"]["role"] is None  # decided from its facts
    assert hosts["C"] == {**hosts["C"], "action": "skip", "reason": "already healthy"}
    assert hosts["D"]["action"] == "needs_hands" and "cannot reach it in band" in hosts["D"]["reason"]
    told = {**HOSTVARS, "D": {**HOSTVARS["D"], "lifeline_recovery_path_reason": "failover not armed"}}
    assert plan(told, told, MAPPING)["hosts"]["D"]["reason"] == "failover not armed"  # the inventory's reason
    assert hosts["E"]["reason"] == "no remediation is mapped for signature 0x1e:unknown.sys"


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ([], "non-empty list"),
        ([{"name": "x", "signatures": "0x50:a.sys", "role": "r"}], "signatures must be a non-empty list"),
        ([{"name": "x", "signatures": ["a"], "role": "r; rm -rf /"}], "is not a role name"),
        ([{"name": "x", "signatures": ["a"], "role": "r", "varz": {}}], "unknown keys ['varz']"),
        ([{"name": "x", "signatures": ["a"], "role": "r", "vars": {"bad key": 1}}], "are not variable names"),
        (
            [{"name": "x", "signatures": ["A"], "role": "r"}, {"name": "y", "signatures": ["a "], "role": "r"}],
            "signature 'a' is already mapped by remediation 'x'",
        ),
    ],
)
def test_a_bad_mapping_is_refused_naming_the_entry_and_the_problem(mapping, message):
    with pytest.raises(RolloutError, match=r"remediations\.yml") as error:
        plan(["A"], HOSTVARS, mapping, "remediations.yml")
    assert message in str(error.value)


def outcome(status: str, reason: str = "") -> dict:
    return {"outcome": status, "reason": reason}


def test_a_batch_within_the_threshold_goes_on():
    judged = verdict(
        ["A", "B", "C", "D", "E"],
        {h: outcome("recovered") for h in "ABCD"} | {"E": outcome("failed", "x")},
        "broad",
        20,
    )
    assert (judged["failed"], judged["failure_rate"], judged["halt"]) == (1, 20.0, False)  # 20% is not > 20%


def test_hosts_that_never_reported_back_count_as_failures_and_halt_with_the_reason():
    judged = verdict(["A", "B"], {"A": outcome("recovered")}, "canary", 20)
    assert judged["halt"] and judged["failed"] == 1 and judged["failure_rate"] == 50.0
    assert (
        "Rollout halted after wave canary batch 1: 1 of 2 host(s) failed (50% > the 20% threshold)" in judged["reason"]
    )
    assert "B: did not report back" in judged["reason"]


@pytest.mark.parametrize("threshold", ["lots", -1, 101])
def test_an_impossible_threshold_is_refused(threshold):
    with pytest.raises(RolloutError, match="lifeline_max_failure_rate"):
        verdict([], {}, "canary", threshold)


def test_the_report_counts_failed_needing_hands_skipped_and_untouched_per_wave_and_signature():
    planned = plan(HOSTVARS, HOSTVARS, MAPPING)
    batches = [verdict(["A"], {"A": outcome("failed", "came back crashing")}, "canary", 0)]
    report = rollout_report(planned, {"A": outcome("failed", "came back crashing")}, batches, batches[0]["reason"])
    assert report["totals"] == {"failed": 1, "needs_hands": 1, "skipped": 2, "untouched": 3}
    assert report["by_wave"]["canary"] == {"failed": 1, "skipped": 1, "untouched": 1}
    assert report["by_signature"]["0x50:csagent.sys"] == {"failed": 1, "needs_hands": 1, "untouched": 1}
    assert report["hosts"]["D"]["status"] == "needs_hands"
    assert report["hosts"]["B"]["reason"] == "the rollout halted before this host's batch"
    assert report["halted"] and report["batches"][0]["halt"]


def test_an_unbootable_host_whose_bmc_answered_is_remediated_out_of_band_in_its_ring():
    oob = {**host("unbootable", "0x50:csagent.sys", "pilot"), "lifeline_recovery_path": "out_of_band"}
    silent_unmapped = {**host("unbootable", "0x1e:unknown.sys"), "lifeline_recovery_path": "out_of_band"}
    hostvars = {**HOSTVARS, "H": oob, "I": silent_unmapped, "J": {**oob, "lifeline_failure_signature": None}}

    planned = plan(hostvars, hostvars, MAPPING)
    hosts = planned["hosts"]

    assert (hosts["H"]["action"], hosts["H"]["path"]) == ("remediate", "out_of_band")
    assert hosts["H"]["role"] == "lifeline.recovery.channel_file_remediation"
    assert "H" in planned["waves"]["pilot"]
    assert (hosts["J"]["action"], hosts["J"]["path"]) == ("remediate", "out_of_band")  # from its facts
    assert (hosts["I"]["action"], hosts["I"]["path"]) == ("skip", None)  # nothing mapped: not booted for nothing
    assert (hosts["A"]["path"], hosts["D"]["path"], hosts["C"]["path"]) == ("in_band", "needs_hands", None)

    outcomes = {"H": {**outcome("recovered"), "path": "out_of_band"}, "A": {**outcome("recovered"), "path": "in_band"}}
    report = rollout_report(planned, outcomes, [], "")
    assert report["hosts"]["H"]["path"] == "out_of_band" and report["hosts"]["A"]["path"] == "in_band"
    assert report["hosts"]["D"]["path"] == "needs_hands"
    assert report["by_path"]["out_of_band"] == {"recovered": 1, "untouched": 1}
    assert report["by_path"]["needs_hands"] == {"needs_hands": 1}


# win_recovery_facts as the lab's WinRE hosts report them (broken-bcd, stuck-pending-actions, crowdstrike-291).
def facts(device: str = "partition=D:", pending: bool = False, os_volume: str | None = "D:") -> dict:
    return {
        "environment": "winre",
        "os_volume": os_volume,
        "boot": {"default_entry": "{default}", "device": device, "osdevice": device, "path": "\\Windows\\system32"},
        "pending_servicing": {"pending": pending, "pending_xml": pending, "packages": [], "error": None},
    }


@pytest.mark.parametrize(
    ("host_facts", "signature"),
    [
        (facts("partition=\\Device\\HarddiskVolume2"), "boot_device_unresolved"),
        (facts(pending=True), "pending_servicing"),
        (facts("partition=d:"), None),  # bcdedit's case does not matter
        (facts("partition=C:", os_volume="C:"), None),  # Safe Mode: Windows is C:
        (facts("partition=\\Device\\HarddiskVolume2", os_volume=None), None),  # locked: cannot tell
        ({}, None),
        (None, None),
    ],
)
def test_a_failure_without_a_bugcheck_is_named_from_the_facts(host_facts, signature):
    assert signature_from_facts(host_facts) == signature
    assert signature is None or signature in FACT_SIGNATURES


def test_the_shipped_mapping_repairs_broken_boot_entries_and_stuck_servicing_from_the_facts():
    planned = plan(["G"], HOSTVARS, MAPPING)["hosts"]["G"]
    bcd = remediation_from_facts(planned, facts("partition=\\Device\\HarddiskVolume2"), CHECKED)
    assert (bcd["action"], bcd["signature"], bcd["role"]) == (
        "remediate", "boot_device_unresolved", "lifeline.recovery.boot_config_repair")  # fmt: skip
    pending = remediation_from_facts(planned, facts(pending=True), CHECKED)
    assert pending["role"] == "lifeline.recovery.servicing_rollback"
    assert pending["vars"] == {"servicing_rollback_revert_pending_actions": True}
    nothing = remediation_from_facts(planned, facts(), CHECKED)
    assert nothing["action"] == "skip" and "facts show no failure Lifeline can repair" in nothing["reason"]
    unmapped = remediation_from_facts(planned, facts(pending=True), CHECKED[:1])
    assert unmapped["reason"] == "no remediation is mapped for signature pending_servicing (read from the host's facts)"
    # A host the inventory gave a mapped signature keeps its plan whatever its facts say.
    crowdstrike = plan(["A"], HOSTVARS, MAPPING)["hosts"]["A"]
    assert remediation_from_facts(crowdstrike, facts(pending=True), CHECKED) == crowdstrike


def test_the_lab_mapping_covers_every_remediable_failure_of_the_mixed_scenario():
    mapped = {signature for entry in MAPPING for signature in entry["signatures"]}
    # crowdstrike-291, bad-boot-driver, bad-quality-update (as the fleet inventory names their crashes),
    # broken-bcd and stuck-pending-actions (named from the facts).
    assert {"0x50:csagent.sys", "0x7e:ctxflt.sys", "0x7e:storport.sys"} | set(FACT_SIGNATURES) <= mapped


def test_the_shipped_mapping_holds_the_documented_incident_and_the_failures_named_from_facts_only():
    signatures = [signature for entry in SHIPPED for signature in entry["signatures"]]
    assert signatures == ["0x50:csagent.sys", "pending_servicing", "boot_device_unresolved"]
    # The lab's mapping starts with the shipped one, entry for entry: the two cannot drift apart.
    assert MAPPING[: len(SHIPPED)] == SHIPPED


# --- the mapping against the roles' argument_specs, operator errors, the canary ring (issue 10) -------------


def shipped_role_options(role: str):
    """What remediate.yml's filter reads for a role of this collection: its meta/argument_specs.yml options."""
    path = REPO / "roles" / role.rsplit(".", 1)[-1] / "meta" / "argument_specs.yml"
    if not role.startswith("lifeline.recovery.") or not path.exists():
        return None
    return yaml.safe_load(path.read_text())["argument_specs"]["main"]["options"]


@pytest.mark.parametrize("mapping", [SHIPPED, MAPPING], ids=["shipped", "lab"])
def test_the_mappings_pass_the_roles_argument_specs(mapping):
    checked = validate_remediations(mapping, "remediations.yml", shipped_role_options)
    assert [entry["role"] for entry in checked][:3] == [
        "lifeline.recovery.channel_file_remediation", "lifeline.recovery.servicing_rollback",
        "lifeline.recovery.boot_config_repair"]  # fmt: skip


@pytest.mark.parametrize(
    ("role", "variables", "message"),
    [
        ("no_such_role", {}, "role lifeline.recovery.no_such_role does not exist"),
        (
            "channel_file_remediation",
            {"channel_file_remediation_patern": ["x"]},
            "vars ['channel_file_remediation_patern'] are not options of role "
            "lifeline.recovery.channel_file_remediation",
        ),
        (
            "channel_file_remediation",
            {"ansible_winrm_transport": "basic", "ansible_winrm_scheme": "http"},
            "vars ['ansible_winrm_scheme', 'ansible_winrm_transport'] are connection or rollout settings",
        ),
        ("boot_driver_remediation", {"lifeline_max_failure_rate": 100}, "are connection or rollout settings"),
        ("boot_driver_remediation", {"boot_driver_remediation_drivers": {"a": 1}}, "boot_driver_remediation_drivers"),
    ],
)
def test_an_entry_may_set_only_what_its_role_declares(role, variables, message):
    mapping = [{"name": "x", "signatures": ["0x1:a.sys"], "role": role, "vars": variables}]
    with pytest.raises(RolloutError, match=r"remediations\.yml: remediation 'x'") as error:
        plan(["A"], HOSTVARS, mapping, "remediations.yml", shipped_role_options)
    assert message in str(error.value)


def test_hosts_the_operators_settings_kept_from_the_look_are_blocked_with_the_reason():
    hostvars = {
        "A": {**host("unknown", None, "canary"), "lifeline_reachability": "login_refused",
              "lifeline_operator_error": "the WinRM login as 'svc' (ntlm) was refused"},
        "B": {**host("unknown", None), "lifeline_reachability": "certificate_rejected"},
        "C": {**host("unknown", None), "lifeline_reachability": "no_answer"},
    }  # fmt: skip
    hosts = plan(hostvars, hostvars, MAPPING)["hosts"]
    assert (hosts["A"]["action"], hosts["A"]["reason"]) == ("blocked", "the WinRM login as 'svc' (ntlm) was refused")
    assert hosts["B"]["action"] == "blocked" and "certificate did not validate" in hosts["B"]["reason"]
    assert hosts["C"]["action"] == "skip" and "not known to be reachable over WinRM (no_answer)" in hosts["C"]["reason"]


def test_a_small_fleet_always_gets_a_canary_and_empty_rings_are_named():
    # 30 hosts that all hash outside the 5% canary bucket: the first by name is promoted from pilot.
    hostvars = {f"H{n:02}": host("recovery_reachable", "0x50:csagent.sys", "pilot" if n < 3 else "broad") for n in
                range(30)}  # fmt: skip
    planned = plan(hostvars, hostvars, MAPPING)
    assert planned["waves"]["canary"] == ["H00"] and planned["waves"]["pilot"] == ["H01", "H02"]
    assert planned["hosts"]["H00"]["wave"] == "canary" and planned["hosts"]["H00"]["promoted_from"] == "pilot"
    assert planned["warnings"][0].startswith("H00 moved from the pilot ring to the canary ring")
    bigger = plan(hostvars, hostvars, MAPPING, min_canary=4)["waves"]
    assert (bigger["canary"], bigger["pilot"]) == (["H00", "H01", "H02", "H03"], [])
    assert "the pilot ring has no host to remediate" in plan(hostvars, hostvars, MAPPING, min_canary=4)["warnings"]
    assert plan(hostvars, hostvars, MAPPING, min_canary=0)["waves"]["canary"] == []
    with pytest.raises(RolloutError, match="lifeline_min_canary must be a whole number"):
        plan(hostvars, hostvars, MAPPING, min_canary="one")


def test_nothing_to_remediate_warns_of_no_ring():
    hostvars = {"A": host("healthy", None, "canary")}
    assert plan(hostvars, hostvars, MAPPING)["warnings"] == []


def test_the_report_tells_blocked_and_interrupted_hosts_apart_from_untouched_ones():
    hostvars = {
        "A": host("recovery_reachable", "0x50:csagent.sys", "canary"),
        "B": host("recovery_reachable", "0x50:csagent.sys", "canary"),
        "C": host("recovery_reachable", "0x50:csagent.sys", "broad"),
        "D": {**host("unknown", None), "lifeline_reachability": "login_refused"},
    }
    planned = plan(hostvars, hostvars, MAPPING)
    report = rollout_report(planned, {"A": outcome("recovered")}, [], "", "SIGINT", "run1", ["A", "B"])
    assert {name: entry["status"] for name, entry in report["hosts"].items()} == {
        "A": "recovered", "B": "interrupted", "C": "untouched", "D": "blocked"}  # fmt: skip
    assert report["interrupted"] and report["interrupted_by"] == "SIGINT" and report["run_id"] == "run1"
    assert "changed halfway" in report["hosts"]["B"]["reason"]
    assert "before this host's batch" in report["hosts"]["C"]["reason"]


def wave_gather(planned: dict):
    """What playbooks/tasks/wave.yml's first facts task asks win_recovery_facts to gather for a planned host: a list,
    or None when the option is omitted (everything, the SYSTEM hive survey included)."""
    wave = yaml.safe_load((REPO / "playbooks/tasks/wave.yml").read_text())
    remediate = next(t for t in wave if "block" in t)["block"][1]["block"]
    task = next(t for t in remediate if t["name"] == "Read where Windows is")
    templar = Templar(loader=DataLoader(), variables={"lifeline_plan": planned})
    try:
        return templar.template(trust_as_template(task["lifeline.recovery.win_recovery_facts"]["gather"]))
    except AnsibleValueOmittedError:
        return None


@pytest.mark.parametrize("name", sorted(HOSTVARS))
def test_the_wave_reads_the_system_hive_only_for_hosts_whose_remediation_the_facts_pick(name):
    """A host the inventory gave a mapped signature (or that is not remediated) keeps its plan whatever its facts
    say, and nothing later reads the hive's facts: the environment survey alone (one command, no hive answer)."""
    planned = plan(list(HOSTVARS), HOSTVARS, MAPPING)["hosts"][name]
    picked_from_facts = any(
        remediation_from_facts(planned, host_facts, CHECKED) != planned
        for host_facts in (facts("partition=\\Device\\HarddiskVolume2"), facts(pending=True), facts())
    )
    assert picked_from_facts == (name == "G")  # G: reachable, no crash signature from the inventory
    assert wave_gather(planned) == (None if picked_from_facts else ["environment"]), planned
