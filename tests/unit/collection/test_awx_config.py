"""AWX configuration as code (awx/configure.yml): the objects derived from awx/settings.yml by the filter
lifeline.recovery.awx_config, checked against what the collection reads and what the awx.awx modules accept.
No AWX runs here: the playbook is syntax-checked and linted, and the inputs it derives are tested."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import ansible_collections.awx.awx.plugins.modules as awx_modules
import pytest
import yaml

from ansible_collections.lifeline.recovery.plugins.filter.awx_config import awx_config
from ansible_collections.lifeline.recovery.plugins.inventory import fleet
from ansible_collections.lifeline.recovery.plugins.lookup import bitlocker_recovery_password
from ansible_collections.lifeline.recovery.plugins.plugin_utils._awx_config import AwxConfigError, awx_objects

REPO = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
CONFIGURE = REPO / "awx" / "configure.yml"
SETTINGS = yaml.safe_load((REPO / "awx" / "settings.yml").read_text())["lifeline_awx"]
OBJECTS = awx_objects(SETTINGS)
ENV = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg")}
ENV.pop("ANSIBLE_INVENTORY", None)


def module_options(name: str) -> dict:
    source = (Path(awx_modules.__path__[0]) / f"{name}.py").read_text()
    documentation = re.search(r'DOCUMENTATION = r?"""(.*?)"""', source, re.S) or re.search(
        r"DOCUMENTATION = r?'''(.*?)'''", source, re.S
    )
    return yaml.safe_load(documentation.group(1))["options"]


def env_names(documentation: str, option: str) -> list[str]:
    return [entry["name"] for entry in yaml.safe_load(documentation)["options"][option]["env"]]


def settings(**changes) -> dict:
    return {**SETTINGS, **changes}


def remediation_templates(objects: dict) -> dict[str, dict]:
    return {
        template["extra_vars"]["lifeline_waves"][0]: template
        for template in objects["job_templates"]
        if "extra_vars" in template
    }


def test_the_service_account_type_injects_what_the_inventory_and_the_playbooks_read():
    account = OBJECTS["credential_types"][0]
    env = account["injectors"]["env"]
    for option, field in (
        ("winrm_user", "username"),
        ("winrm_password", "password"),
        ("bmc_user", "bmc_username"),
        ("bmc_password", "bmc_password"),
    ):
        (name,) = env_names(fleet.DOCUMENTATION, option)
        assert field in env[name]
    # Passwords reach the playbooks as extra vars (the inventory puts none in host variables).
    assert account["injectors"]["extra_vars"] == {
        "ansible_password": "{{ password }}",
        "lifeline_bmc_password": "{{ bmc_password | default('') }}",
    }
    fields = {field["id"]: field for field in account["inputs"]["fields"]}
    assert fields["password"]["secret"] and fields["bmc_password"]["secret"]
    assert account["inputs"]["required"] == ["username", "password"]


def test_the_escrow_type_writes_a_file_the_lookup_is_pointed_at():
    escrow = OBJECTS["credential_types"][1]
    (env_name,) = env_names(bitlocker_recovery_password.DOCUMENTATION, "escrow_file")
    lookup_vars = yaml.safe_load(bitlocker_recovery_password.DOCUMENTATION)["options"]["escrow_file"]["vars"]
    assert escrow["injectors"]["file"] == {"template.escrow": "{{ escrow_csv }}"}
    assert escrow["injectors"]["env"] == {env_name: "{{ tower.filename.escrow }}"}
    assert escrow["injectors"]["extra_vars"] == {lookup_vars[0]["name"]: "{{ tower.filename.escrow }}"}
    (field,) = escrow["inputs"]["fields"]
    assert field["secret"] and field["multiline"]


def test_the_inventory_source_is_the_fleet_configuration_refreshed_on_every_launch():
    source = OBJECTS["inventory_source"]
    assert source["source"] == "scm"
    assert source["source_project"] == OBJECTS["project"]["name"]
    assert source["source_path"] == SETTINGS["inventory_file"]
    assert source["update_on_launch"] is True and source["update_cache_timeout"] == 0
    assert source["overwrite"] is True and source["overwrite_vars"] is True
    assert source["credential"] == OBJECTS["credentials"][0]["name"]


def test_one_remediation_template_per_ring_with_its_wave_and_the_mapping_from_the_project():
    templates = remediation_templates(awx_objects(settings(broad_slices=4, extra_vars={"oob_recovery_image_url": "u"})))
    assert list(templates) == ["canary", "pilot", "broad"]
    for ring, template in templates.items():
        assert template["playbook"] == "remediate.yml"
        assert template["extra_vars"] == {
            "oob_recovery_image_url": "u",
            "lifeline_waves": [ring],
            "lifeline_remediations_file": SETTINGS["remediations_file"],
            "lifeline_max_failure_rate": 20,
            "lifeline_run_id": "awx-{{ awx_job_id }}",
        }
        assert template["credentials"] == [credential["name"] for credential in OBJECTS["credentials"]]
        assert template["ask_limit_on_launch"] is True
    assert [templates[ring]["job_slice_count"] for ring in ("canary", "pilot", "broad")] == [1, 1, 4]


def test_discover_and_prepare_templates_need_only_the_service_account():
    by_name = {template["name"]: template for template in OBJECTS["job_templates"]}
    for name in ("discover", "prepare"):
        template = by_name[f"Lifeline {name}"]
        assert template["playbook"] == f"{name}.yml"
        assert template["credentials"] == ["Lifeline service account"]
        assert "extra_vars" not in template


def edges(workflow: dict) -> list[tuple[str, str]]:
    return [
        (node["identifier"], then["identifier"])
        for node in workflow["workflow_nodes"]
        for then in node["related"]["success_nodes"]
    ]


def test_the_workflow_runs_the_rings_in_order_with_an_approval_after_the_canary():
    workflow = awx_objects(settings(approval_timeout=3600))["workflow"]
    assert edges(workflow) == [("canary", "approve"), ("approve", "pilot"), ("pilot", "broad")]
    nodes = {node["identifier"]: node["unified_job_template"] for node in workflow["workflow_nodes"]}
    assert nodes["approve"]["type"] == "workflow_approval" and nodes["approve"]["timeout"] == 3600
    assert nodes["broad"] == {
        "name": "Lifeline remediate broad",
        "type": "job_template",
        "organization": {"name": "Platform"},
    }
    # Only success edges: a ring whose job fails (a halt) stops the workflow there.
    assert all(set(node["related"]) == {"success_nodes"} for node in workflow["workflow_nodes"])


def test_the_workflow_without_approval():
    assert edges(awx_objects(settings(approval=False))["workflow"]) == [("canary", "pilot"), ("pilot", "broad")]


def test_names_follow_the_prefix_and_the_project_uses_the_execution_environment():
    objects = awx_objects(settings(prefix="Recovery", scm_credential="git read-only"))
    assert objects["project"]["name"] == "Recovery estate"
    assert objects["project"]["credential"] == "git read-only"
    assert objects["project"]["default_environment"] == objects["execution_environment"]["name"]
    assert {template["execution_environment"] for template in objects["job_templates"]} == {
        "Recovery execution environment"
    }
    assert "credential" not in OBJECTS["project"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"organization": ""}, "lifeline_awx.organization must be a non-empty string"),
        ({"scm_url": None}, "lifeline_awx.scm_url"),
        ({"inventory_file": "inventory/hosts.yml"}, "must end in .lifeline.yml or .lifeline.yaml"),
        ({"inventory_file": "/etc/fleet.lifeline.yml"}, "a path inside the project"),
        ({"remediations_file": "../mapping.yml"}, "lifeline_awx.remediations_file is a path inside the project"),
        ({"broad_slices": 0}, "lifeline_awx.broad_slices must be a whole number of at least 1"),
        ({"broad_slices": True}, "lifeline_awx.broad_slices"),
        ({"max_failure_rate": 101}, "lifeline_awx.max_failure_rate must be a whole number from 0 to 100"),
        ({"approval": "yes"}, "lifeline_awx.approval must be true or false"),
        ({"execution_environment_pull": "sometimes"}, "execution_environment_pull must be one of"),
        ({"playbooks": {"rollback": "rollback.yml"}}, "unknown playbooks ['rollback']"),
        (
            {"extra_vars": {"ansible_password": "x", "lifeline_waves": []}},
            "may not set ansible_password, lifeline_waves",
        ),
        ({"extra_vars": ["x"]}, "lifeline_awx.extra_vars must be a mapping"),
    ],
)
def test_a_wrong_setting_is_named(changes: dict, message: str):
    with pytest.raises(AwxConfigError) as raised:
        awx_objects(settings(**changes))
    assert message in str(raised.value)


def test_the_settings_must_be_a_mapping():
    with pytest.raises(AwxConfigError, match="lifeline_awx must be a mapping"):
        awx_objects(["organization"])


def test_the_filter_returns_unsafe_values_and_turns_errors_into_filter_errors():
    from ansible.errors import AnsibleFilterError

    rendered = awx_config(SETTINGS)
    assert rendered["credential_types"][0]["injectors"]["extra_vars"]["ansible_password"] == "{{ password }}"
    with pytest.raises(AnsibleFilterError, match=r"lifeline_awx\.organization"):
        awx_config(settings(organization=""))


# Which module each derived object goes to, and the configure.yml task that passes it.
MODULES = {
    "credential_types": "credential_type",
    "credentials": "credential",
    "execution_environment": "execution_environment",
    "project": "project",
    "inventory": "inventory",
    "inventory_source": "inventory_source",
    "job_templates": "job_template",
    "workflow": "workflow_job_template",
}
NOT_MODULE_ARGUMENTS = {"secret"}  # the key of a credential's inputs in lifeline_awx_secrets


def configure_tasks() -> dict[str, dict]:
    (play,) = yaml.safe_load(CONFIGURE.read_text())
    tasks = {}
    for task in play["tasks"]:
        module = next((key for key in task if key.startswith("awx.awx.")), None)
        if module:
            tasks[module.removeprefix("awx.awx.")] = task[module]
    return tasks


@pytest.mark.parametrize(("key", "module"), MODULES.items())
def test_every_derived_argument_is_a_module_option_and_the_playbook_passes_it(key: str, module: str):
    options = module_options(module)
    entries = OBJECTS[key] if isinstance(OBJECTS[key], list) else [OBJECTS[key]]
    passed = configure_tasks()[module]
    for entry in entries:
        arguments = set(entry) - NOT_MODULE_ARGUMENTS
        assert arguments <= set(options), sorted(arguments - set(options))
        assert arguments <= set(passed), sorted(arguments - set(passed))


def test_workflow_nodes_use_only_the_options_of_a_node():
    suboptions = module_options("workflow_job_template")["workflow_nodes"]["suboptions"]
    template_options = set(suboptions["unified_job_template"]["suboptions"])
    for node in OBJECTS["workflow"]["workflow_nodes"]:
        assert set(node) <= set(suboptions)
        assert set(node["unified_job_template"]) <= template_options


def run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=REPO, env=ENV, capture_output=True, text=True, timeout=180)


def test_the_playbook_passes_syntax_check():
    result = run(
        str(BIN / "ansible-playbook"), "-i", "localhost,", "--syntax-check", str(CONFIGURE), "-e", "@awx/settings.yml"
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_playbook_passes_ansible_lint():
    result = run(str(BIN / "ansible-lint"), "awx/")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ansible_renders_the_derived_objects_leaving_awx_templates_alone():
    """Through Ansible's own templating (as configure.yml uses it), injector templates stay for AWX to fill."""
    result = run(
        str(BIN / "ansible"),
        "localhost",
        "-i",
        "localhost,",
        "-c",
        "local",
        "-e",
        "@awx/settings.yml",
        "-m",
        "ansible.builtin.debug",
        "-a",
        "var=lifeline_awx|lifeline.recovery.awx_config",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    body = json.loads(result.stdout[result.stdout.index("{") :])
    (rendered,) = (value for key, value in body.items() if key.startswith("lifeline_awx"))
    assert rendered == json.loads(json.dumps(OBJECTS))


TEAM_REPO = REPO / "examples" / "team-repo"


def test_the_settings_name_files_the_example_team_repository_has():
    for path in (SETTINGS["inventory_file"], SETTINGS["remediations_file"], *SETTINGS["playbooks"].values()):
        assert (TEAM_REPO / path).is_file(), path
    inventory = yaml.safe_load((TEAM_REPO / SETTINGS["inventory_file"]).read_text())
    assert inventory["plugin"] == "lifeline.recovery.fleet"
    # No account or password in the project: the credential gives them.
    assert not {"winrm_user", "winrm_password", "bmc_user", "bmc_password"} & set(inventory)


def test_the_team_repository_mapping_is_valid():
    from ansible_collections.lifeline.recovery.plugins.plugin_utils._rollout import validate_remediations

    mapping = yaml.safe_load((TEAM_REPO / SETTINGS["remediations_file"]).read_text())["lifeline_remediations"]
    assert validate_remediations(mapping)


@pytest.mark.parametrize("playbook", ["discover", "prepare", "remediate"])
def test_the_team_repository_playbooks_import_the_collections(playbook: str):
    path = TEAM_REPO / SETTINGS["playbooks"][playbook]
    (play,) = yaml.safe_load(path.read_text())
    assert play["ansible.builtin.import_playbook"] == f"lifeline.recovery.{playbook}"
    result = run(str(BIN / "ansible-playbook"), "-i", "localhost,", "--syntax-check", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
