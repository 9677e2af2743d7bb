"""The example pipelines (examples/pipelines) work as written: both run the same steps in the same order, and
those steps, run here with the same commands from a team repository's checkout, lint the collection, run
molecule on the lab, check and then remediate a lab fleet ring by ring (the pipeline's own variables pick the
cheapest scope of the heavy checks: one ansible-lint target, one sanity test, one molecule scenario)."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from .conftest import REPO, LabFleet, lab, start_fleet
from .rollout_support import REMEDIATE, on_disk, rollout_inventory

pytestmark = pytest.mark.integration

PIPELINES = REPO / "examples" / "pipelines"
STEP_PREFIX = "lifeline/scripts/pipeline/"
EXPECTED_STEPS = ["lint", "molecule", "check", "apply canary", "apply pilot", "apply broad"]
RINGS = {"BD-0001": "canary", "BD-0002": "pilot", "BD-0005": "broad"}  # armed hosts in Safe Mode with Networking
SIGNATURE = "0x7e:ctxflt.sys"
# The pipelines' variables for the scope of the heavy checks, at their cheapest faithful value here.
CHEAP_SCOPE = {
    "LIFELINE_ANSIBLE_LINT_PATHS": "awx",
    "LIFELINE_SANITY_ARGS": "--test line-endings",
    "LIFELINE_MOLECULE_SCENARIOS": "exit_recovery",
}


def github() -> dict:
    return yaml.safe_load((PIPELINES / "github-actions.yml").read_text())


def gitlab() -> dict:
    return yaml.safe_load((PIPELINES / "gitlab-ci.yml").read_text())


def github_jobs_in_order(document: dict) -> list[str]:
    jobs, ordered = document["jobs"], []
    while len(ordered) < len(jobs):
        ready = [
            name for name, job in jobs.items() if name not in ordered and set(_list(job.get("needs"))) <= set(ordered)
        ]
        assert ready, "the jobs' needs form a cycle"
        ordered.append(ready[0])
    return ordered


def _list(value) -> list:
    return [] if value is None else value if isinstance(value, list) else [value]


def github_commands(document: dict) -> list[str]:
    return [
        step["run"].strip()
        for name in github_jobs_in_order(document)
        for step in document["jobs"][name]["steps"]
        if "run" in step
    ]


def gitlab_jobs_in_order(document: dict) -> list[str]:
    jobs = [name for name, job in document.items() if isinstance(job, dict) and "stage" in job]
    return sorted(jobs, key=lambda name: document["stages"].index(document[name]["stage"]))


def gitlab_commands(document: dict) -> list[str]:
    return [line.strip() for name in gitlab_jobs_in_order(document) for line in document[name]["script"]]


def steps(commands: list[str]) -> list[str]:
    return [command.removeprefix(STEP_PREFIX) for command in commands if command.startswith(STEP_PREFIX)]


def test_both_pipelines_run_the_same_steps_in_the_same_order():
    assert steps(github_commands(github())) == EXPECTED_STEPS
    assert steps(gitlab_commands(gitlab())) == EXPECTED_STEPS
    # Nothing else runs but GitLab's approval job (it only records who approved).
    assert [command for command in github_commands(github()) if not command.startswith(STEP_PREFIX)] == []
    others = [command for command in gitlab_commands(gitlab()) if not command.startswith(STEP_PREFIX)]
    assert others == gitlab()["approve"]["script"]
    # Every step is a script of this repository.
    for step in EXPECTED_STEPS:
        assert os.access(REPO / "scripts" / "pipeline" / step.split()[0], os.X_OK), step


def test_a_manual_approval_comes_before_the_first_ring_and_the_rings_follow_each_other():
    jobs = github()["jobs"]
    assert jobs["canary"]["environment"] == "lifeline-rollout" and jobs["canary"]["needs"] == "check"
    assert jobs["pilot"]["needs"] == "canary" and jobs["broad"]["needs"] == "pilot"
    document = gitlab()
    assert document["approve"]["when"] == "manual" and document["approve"]["allow_failure"] is False
    assert document["stages"][-4:] == ["approve", "canary", "pilot", "broad"]


def test_both_pipelines_pass_the_same_estate_and_keep_the_reports():
    variables = {key: value for key, value in gitlab()["variables"].items()}
    assert github()["env"] == variables
    assert {"LIFELINE_INVENTORY", "LIFELINE_MAPPING", "LIFELINE_REPORT_DIR", *CHEAP_SCOPE} <= set(variables)
    uploads = [
        step["with"]["path"]
        for job in github()["jobs"].values()
        for step in job["steps"]
        if step.get("uses", "").startswith("actions/upload-artifact")
    ]
    assert uploads == ["reports/check", "reports/canary", "reports/pilot", "reports/broad"]
    assert [gitlab()[name]["artifacts"]["paths"] for name in ("check", "canary", "pilot", "broad")] == [
        [path] for path in uploads
    ]


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabFleet]:
    started = start_fleet(
        tmp_path_factory.mktemp("pipeline-fleet"),
        "--scenario",
        "bad-boot-driver",
        "--hosts",
        "5",
        "--reboot-seconds",
        "0.2",
    )
    yield started
    lab("down", "--fleet-file", str(started.fleet_file))


def team_repository(fleet: LabFleet, workspace: Path) -> None:
    """The team's repository as the pipelines check it out: its estate files, and Lifeline in ./lifeline."""
    (workspace / "lifeline").symlink_to(REPO)
    (workspace / "inventory").mkdir()
    rollout_inventory(fleet, workspace / "inventory", RINGS, SIGNATURE).rename(workspace / "inventory" / "estate.yml")
    shutil.copy(REPO / "inventories" / "lab" / "remediations.yml", workspace / "remediations.yml")


def run_step(command: str, workspace: Path, env: dict[str, str]) -> float:
    started = time.monotonic()
    result = subprocess.run(
        shlex.split(command), cwd=workspace, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, f"{command}:\n{result.stdout[-4000:]}\n{result.stderr[-3000:]}"
    return time.monotonic() - started


def environment(document: dict) -> dict[str, str]:
    """The pipeline's own variables, the estate's files in this workspace, the cheapest scope of the heavy checks."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("ANSIBLE_", "LIFELINE_"))}
    env.update({key: str(value) for key, value in document["env"].items()})
    env.update(CHEAP_SCOPE, LIFELINE_INVENTORY="inventory/estate.yml")
    return env


def test_the_pipeline_steps_run_in_order_against_a_lab_fleet(fleet: LabFleet, tmp_path: Path):
    workspace = tmp_path / "team-repo"
    workspace.mkdir()
    team_repository(fleet, workspace)
    env = environment(github())
    before = {name: fleet.show(name) for name in RINGS}
    # remediate.yml runs the selected rings only once it reads lifeline_waves (issue 14).
    selects_rings = "lifeline_waves" in REMEDIATE.read_text()
    timings = {}
    for command in github_commands(github()):
        step = command.removeprefix(STEP_PREFIX)
        timings[step] = run_step(command, workspace, env)
        if step == "check":
            for name in RINGS:
                after = fleet.show(name)
                assert on_disk(after) == on_disk(before[name]), name
                assert after["machine"]["environment"] == "safe_mode_network", name
        if step.startswith("apply "):
            ring = step.split()[1]
            for name, host_ring in RINGS.items():
                machine = fleet.show(name)["machine"]
                done = list(RINGS.values()).index(host_ring) <= list(RINGS.values()).index(ring)
                if done:
                    assert (machine["power"], machine["environment"]) == ("running", "normal"), (step, name)
                elif selects_rings:
                    assert machine["environment"] == "safe_mode_network", (step, name)
    for directory in ("check", "canary", "pilot", "broad"):
        assert list((workspace / "reports" / directory).glob("rollout-*.json")), directory
    print("pipeline step timings (s):", {step: round(seconds, 1) for step, seconds in timings.items()})
