# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The staged rollout's decisions as pure functions: which host gets which remediation in which wave,
and whether a finished batch lets the rollout go on.

playbooks/remediate.yml calls them through the filters in plugins/filter/rollout.py; the callback
lifeline.recovery.rollout_summary reads what they produced. Nothing here talks to a host.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ansible_collections.lifeline.recovery.plugins.plugin_utils._host_model import normalise_signature

__all__ = [
    "FACT_SIGNATURES",
    "OPERATOR_ERRORS",
    "RING_ORDER",
    "RolloutError",
    "plan",
    "remediation_from_facts",
    "select_waves",
    "signature_from_facts",
    "validate_remediations",
    "verdict",
]

RING_ORDER = ("canary", "pilot", "broad")
# The roles a mapping may name without a collection prefix; anything with a dot is taken as a FQCN.
COLLECTION = "lifeline.recovery"
_NAME = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*){0,2}$")
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ENTRY_KEYS = {"name", "signatures", "role", "vars", "description"}
# Failures that stop the boot without a bugcheck leave no minidump and no crash report, so the fleet
# inventory gives such hosts no signature. The wave tells them from what win_recovery_facts reads on
# the host, and the mapping maps these names like any other signature.
FACT_SIGNATURES = {
    "boot_device_unresolved": "the Windows loader entry's device or osdevice is not the volume that holds Windows",
    "pending_servicing": "servicing actions are pending (pending.xml or packages in a pending state)",
}


# How a remediated host is reached (the inventory's lifeline_recovery_path): over WinRM where it
# answers, or through its BMC first (roles/oob_recovery), then over WinRM.
IN_BAND = "in_band"
OUT_OF_BAND = "out_of_band"


class RolloutError(ValueError):
    """A mapping or setting that cannot drive a rollout; the message names the entry and the problem."""


# The inventory's lifeline_reachability values that say the operator's configuration, not the machine,
# stopped the look: such a host cannot be judged or repaired until someone fixes the settings.
OPERATOR_ERRORS = {
    "login_refused": "the WinRM login was refused: check the inventory's account and password",
    "certificate_rejected": "the host's WinRM certificate did not validate: check the CA the inventory trusts",
}
# Variables a mapping entry may never set, whatever a role declares: the connection (a mapping could
# otherwise send a recovery password over Basic on plain HTTP) and the rollout's own settings (a
# mapping could otherwise turn the halt off).
_RESERVED_PREFIXES = ("ansible_", "lifeline_")


def _check_role_vars(where: str, role: str, variables: Mapping, role_options: Callable[[str], Mapping | None]):
    """Refuse variables the role does not declare in meta/argument_specs.yml (entry point main), reserved
    connection and rollout variables, and values of the wrong type; nothing is touched before this passes."""
    reserved = sorted(key for key in variables if str(key).startswith(_RESERVED_PREFIXES))
    if reserved:
        raise RolloutError(
            f"{where}: vars {reserved} are connection or rollout settings, which a remediation may not change "
            "(set them in the inventory or as extra vars)"
        )
    try:
        options = role_options(role)
    except RolloutError as error:
        raise RolloutError(f"{where}: {error}") from None
    if options is None:
        raise RolloutError(f"{where}: role {role} does not exist (no such role in its collection)")
    undeclared = sorted(set(variables) - set(options))
    if undeclared:
        raise RolloutError(
            f"{where}: vars {undeclared} are not options of role {role} "
            f"(its meta/argument_specs.yml declares {sorted(options)})"
        )
    problems = check_types(variables, options)
    if problems:
        raise RolloutError(f"{where}: {'; '.join(problems)}")


def check_types(variables: Mapping, options: Mapping) -> list[str]:
    """Type errors of ``variables`` against a role's argument_specs options, as ansible-core words them."""
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

    spec = {name: {k: v for k, v in dict(option).items() if k in _SPEC_KEYS} for name, option in options.items()}
    for option in spec.values():
        option.pop("required", None)  # the role's defaults and the inventory supply the rest
    result = ArgumentSpecValidator(spec).validate(dict(variables))
    return [str(message) for message in result.error_messages]


_SPEC_KEYS = {"type", "elements", "choices", "options", "required", "default", "no_log"}


def validate_remediations(
    remediations: Any,
    source: str = "the remediation mapping",
    role_options: Callable[[str], Mapping | None] | None = None,
) -> list[dict]:
    """The mapping as a list of checked entries {name, signatures, role (FQCN), vars}; a clear error otherwise.

    ``role_options(fqcn)`` returns the options a role declares (None: no such role); when given, every
    entry's vars are checked against them (see _check_role_vars)."""
    if not isinstance(remediations, list) or not remediations:
        raise RolloutError(f"{source}: lifeline_remediations must be a non-empty list of remediations")
    seen: dict[str, str] = {}
    checked = []
    for index, entry in enumerate(remediations, start=1):
        where = f"{source}: remediation #{index}"
        if not isinstance(entry, Mapping):
            raise RolloutError(f"{where} is not a mapping")
        unknown = sorted(set(entry) - _ENTRY_KEYS)
        if unknown:
            raise RolloutError(f"{where} has unknown keys {unknown}; allowed: {sorted(_ENTRY_KEYS)}")
        name = str(entry.get("name") or "").strip()
        if not name:
            raise RolloutError(f"{where} has no name")
        where = f"{source}: remediation {name!r}"
        signatures = entry.get("signatures")
        if isinstance(signatures, str) or not isinstance(signatures, list) or not signatures:
            raise RolloutError(f"{where}: signatures must be a non-empty list of failure signatures")
        role = str(entry.get("role") or "").strip()
        if not _NAME.match(role):
            raise RolloutError(f"{where}: role {role!r} is not a role name (e.g. channel_file_remediation)")
        role = role if "." in role else f"{COLLECTION}.{role}"
        variables = entry.get("vars") or {}
        if not isinstance(variables, Mapping):
            raise RolloutError(f"{where}: vars must be a mapping of role variables")
        bad = [key for key in variables if not _VARIABLE.match(str(key))]
        if bad:
            raise RolloutError(f"{where}: vars {bad} are not variable names")
        if role_options is not None:
            _check_role_vars(where, role, variables, role_options)
        normalised = []
        for signature in signatures:
            key = normalise_signature(signature)
            if not key:
                raise RolloutError(f"{where}: an empty signature")
            if key in seen:
                raise RolloutError(f"{where}: signature {key!r} is already mapped by remediation {seen[key]!r}")
            seen[key] = name
            normalised.append(key)
        checked.append({"name": name, "signatures": normalised, "role": role, "vars": dict(variables)})
    return checked


def select_waves(value: Any) -> list[str]:
    """The waves a run remediates (``lifeline_waves``), in ring order: all three when unset or empty; a list
    of ring names (or one name, or names separated by commas, as a survey or a command line gives them).
    An unknown name is a clear error, raised before any host is touched."""
    if value is None or value == "" or value == []:
        return list(RING_ORDER)
    names = value.split(",") if isinstance(value, str) else value
    if not isinstance(names, (list, tuple)) or not all(isinstance(name, str) for name in names):
        raise RolloutError(f"lifeline_waves must be a list of wave names ({', '.join(RING_ORDER)}), not {value!r}")
    wanted = {name.strip().lower() for name in names if name.strip()}
    unknown = sorted(wanted - set(RING_ORDER))
    if unknown:
        raise RolloutError(f"lifeline_waves names unknown wave(s) {unknown}: the waves are {', '.join(RING_ORDER)}")
    return [ring for ring in RING_ORDER if ring in wanted] or list(RING_ORDER)


def _ring(value: Any) -> str:
    ring = str(value or "broad").strip().lower()
    return ring if ring in RING_ORDER else "broad"


def plan(
    hosts: Iterable[str],
    hostvars: Mapping,
    remediations: Any,
    source: str = "the remediation mapping",
    role_options: Callable[[str], Mapping | None] | None = None,
    min_canary: Any = 1,
    waves: Any = None,
    sliced: bool = False,
) -> dict:
    """Each host's part in the rollout, from what the inventory says about it.

    A host is remediated when the inventory found it reachable in recovery (recovery_state
    recovery_reachable: path ``in_band``), or unbootable with a BMC that answered (recovery_path
    out_of_band: path ``out_of_band``, brought within WinRM's reach by roles/oob_recovery first), and its
    failure signature is mapped (or it has none: the wave reads it from the facts); it is blocked when the
    operator's settings kept the inventory from looking at it (refused login, rejected certificate: the run
    fails for it); otherwise it is skipped with the reason. The canary ring gets at least ``min_canary`` hosts while
    there are hosts to remediate (promoted from pilot, then broad, by name). Returns {"hosts": {name:
    {...}}, "waves": {ring: [names]}, "remediations": the checked mapping, "warnings": [...]}.

    ``waves`` (lifeline_waves, see select_waves) are the waves this run remediates: a host of another ring is
    skipped with the reason, and it keeps the ring the inventory gives it, so that one job per wave (an AWX
    workflow: canary, approval, pilot, broad) plans every ring the same way. The canary ring is topped up
    only by a run that remediates it. A ``sliced`` run (one of several jobs that share the hosts of one wave
    and its halt record, AWX job slicing) sees only its slice: it names exactly one wave and promotes nothing,
    since each slice would otherwise pick a canary of its own.
    """
    entries = validate_remediations(remediations, source, role_options)
    selected = select_waves(waves)
    if sliced and len(selected) != 1:
        raise RolloutError(
            f"a sliced run (lifeline_halt_dir set) remediates one wave, not {', '.join(selected)}: set lifeline_waves "
            "to the one wave the slices share and run the rings one after another (an AWX workflow)"
        )
    minimum = _count(min_canary, "lifeline_min_canary") if "canary" in selected and not sliced else 0
    by_signature = {signature: entry for entry in entries for signature in entry["signatures"]}
    planned: dict[str, dict] = {}
    waves: dict[str, list[str]] = {ring: [] for ring in RING_ORDER}
    for host in sorted(set(hosts)):
        variables = hostvars.get(host) or {}
        state = str(variables.get("lifeline_recovery_state") or "unknown")
        reachability = str(variables.get("lifeline_reachability") or "")
        signature = normalise_signature(variables.get("lifeline_failure_signature"))
        ring = _ring(variables.get("lifeline_recovery_ring"))
        record = {
            "wave": ring,
            "state": state,
            "signature": signature or None,
            "environment": variables.get("lifeline_boot_environment"),
            "bitlocker_locked": variables.get("lifeline_bitlocker_locked"),
            "remediation": None,
            "role": None,
            "vars": {},
            "action": "skip",
            "reason": "",
            "path": None,
        }
        out_of_band = state == "unbootable" and variables.get("lifeline_recovery_path") == OUT_OF_BAND
        entry = by_signature.get(signature)
        if reachability in OPERATOR_ERRORS:
            record["action"] = "blocked"
            record["reason"] = str(variables.get("lifeline_operator_error") or OPERATOR_ERRORS[reachability])
        elif state == "healthy":
            record["reason"] = "already healthy"
        elif state == "unbootable" and not out_of_band:
            record["action"] = "needs_hands"
            record["path"] = "needs_hands"
            record["reason"] = str(
                variables.get("lifeline_recovery_path_reason")
                or "unbootable: WinRM does not answer, so Lifeline cannot reach it in band"
            )
        elif state != "recovery_reachable" and not out_of_band:
            record["reason"] = f"{state}: not known to be reachable over WinRM ({reachability or 'not probed'})"
        elif not signature:
            # No crash was seen: the wave reads the host's facts and picks the remediation there.
            record.update(action="remediate", remediation="(from the host's facts)")
            waves[ring].append(host)
        elif entry is None:
            record["reason"] = f"no remediation is mapped for signature {signature or '(none)'}"
        else:
            record.update(action="remediate", remediation=entry["name"], role=entry["role"], vars=entry["vars"])
            waves[ring].append(host)
        if record["action"] == "remediate":
            record["path"] = OUT_OF_BAND if out_of_band else IN_BAND
        planned[host] = record
    warnings = _fill_canary(planned, waves, minimum, selected)
    for record in planned.values():
        # A host of another wave is that wave's job: remediated, or failed as blocked, there.
        if record["wave"] not in selected and record["action"] in ("remediate", "blocked"):
            record.update(action="skip", path=None)
            record["reason"] = (
                f"in the {record['wave']} ring: this run remediates the {' and '.join(selected)} wave(s) only "
                "(lifeline_waves)"
            )
    for ring in RING_ORDER:
        if ring not in selected:
            waves[ring] = []
    return {"hosts": planned, "waves": waves, "selected_waves": selected, "remediations": entries, "warnings": warnings}


def _count(value: Any, name: str) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise RolloutError(f"{name} must be a whole number of hosts, not {value!r}") from None
    if number < 0:
        raise RolloutError(f"{name} must be 0 or more, not {number}")
    return number


def _fill_canary(planned: dict, waves: dict[str, list[str]], minimum: int, selected: list[str]) -> list[str]:
    """Promote hosts into the canary ring until it has ``minimum`` (a small fleet can hash none into it),
    and say which of the ``selected`` rings are empty; returns the warnings."""
    warnings = []
    for ring in RING_ORDER[1:]:
        while len(waves["canary"]) < minimum and waves[ring]:
            host = waves[ring].pop(0)
            waves["canary"].append(host)
            planned[host]["wave"] = "canary"
            planned[host]["promoted_from"] = ring
            warnings.append(
                f"{host} moved from the {ring} ring to the canary ring: the canary ring needs at least "
                f"{minimum} host(s) (lifeline_min_canary)"
            )
    waves["canary"].sort()
    if any(waves.values()):
        empty = [ring for ring in selected if not waves[ring]]
        warnings.extend(f"the {ring} ring has no host to remediate" for ring in empty)
    return warnings


def signature_from_facts(facts: Any) -> str | None:
    """The FACT_SIGNATURES name for a host that failed without a bugcheck, from win_recovery_facts'
    ``lifeline_recovery`` facts; None when they show neither failure (or cannot tell: volume locked)."""
    if not isinstance(facts, Mapping):
        return None
    os_volume = str(facts.get("os_volume") or "").strip().rstrip("\\").lower()
    boot = facts.get("boot") if isinstance(facts.get("boot"), Mapping) else {}
    if os_volume and boot:
        # bcdedit shows a loader device that resolves as partition=<letter>: (D: in WinRE, C: in
        # Windows); one it cannot resolve stays \Device\HarddiskVolumeN, the 0xc000000e case.
        wanted = f"partition={os_volume}"
        devices = [str(boot.get(key) or "").strip().lower() for key in ("device", "osdevice")]
        if any(device and device != wanted for device in devices):
            return "boot_device_unresolved"
    servicing = facts.get("pending_servicing") if isinstance(facts.get("pending_servicing"), Mapping) else {}
    if servicing.get("pending") or servicing.get("pending_xml"):
        return "pending_servicing"
    return None


def remediation_from_facts(planned: Mapping, facts: Any, remediations: Iterable[Mapping]) -> dict:
    """The plan record of a host the inventory gave no signature, completed from its facts: the
    signature signature_from_facts names and the remediation mapped to it (``remediations``: the plan's
    checked entries), or action skip with why."""
    record = dict(planned)
    if record.get("role") or record.get("action") != "remediate":
        return record
    signature = signature_from_facts(facts)
    entry = next((e for e in remediations if signature in e["signatures"]), None) if signature else None
    record["signature"] = signature
    if entry is None:
        record.update(action="skip", remediation=None, vars={})
        record["reason"] = (
            f"no remediation is mapped for signature {signature} (read from the host's facts)"
            if signature
            else "no crash was reported and the host's facts show no failure Lifeline can repair"
        )
    else:
        record.update(remediation=entry["name"], role=entry["role"], vars=entry["vars"])
    return record


def verdict(batch: Iterable[str], outcomes: Mapping, wave: str, max_failure_rate: Any, batch_number: int = 1) -> dict:
    """Whether the rollout may go on after a batch: the share of its hosts that did not come back healthy.

    ``outcomes`` maps host -> the outcome record the wave set (missing: the host vanished from the
    play, e.g. unreachable, and counts as a failure). The rollout halts when the failure rate is
    strictly greater than ``max_failure_rate`` (a percentage, as Ansible's max_fail_percentage).
    """
    try:
        threshold = float(max_failure_rate)
    except (TypeError, ValueError):
        raise RolloutError(f"lifeline_max_failure_rate must be a percentage, not {max_failure_rate!r}") from None
    if not 0 <= threshold <= 100:
        raise RolloutError(f"lifeline_max_failure_rate must be between 0 and 100, not {threshold:g}")
    hosts = sorted(set(batch))
    failures: dict[str, str] = {}
    counts = {"recovered": 0, "failed": 0, "would_change": 0, "skipped": 0}
    for host in hosts:
        outcome = outcomes.get(host) if isinstance(outcomes.get(host), Mapping) else None
        status = outcome.get("outcome") if outcome else None
        if status in ("recovered", "would_change", "skipped"):
            counts[status] += 1
        else:
            counts["failed"] += 1
            failures[host] = (outcome or {}).get(
                "reason"
            ) or "did not report back (unreachable or removed from the play)"
    attempted = len(hosts) - counts["skipped"]
    rate = 100.0 * counts["failed"] / attempted if attempted else 0.0
    halt = rate > threshold
    summary = (
        f"wave {wave} batch {batch_number}: {counts['failed']} of {attempted} host(s) failed "
        f"({rate:.0f}% {'>' if halt else '<='} the {threshold:g}% threshold)"
    )
    reason = ""
    if halt:
        named = "; ".join(f"{host}: {why}" for host, why in list(failures.items())[:5])
        reason = f"Rollout halted after {summary}. Later batches and waves were left untouched. Failures: {named}"
    return {
        "wave": wave,
        "batch": batch_number,
        "hosts": hosts,
        **counts,
        "failure_rate": round(rate, 1),
        "threshold": threshold,
        "halt": halt,
        "failures": failures,
        "summary": summary,
        "reason": reason,
    }
