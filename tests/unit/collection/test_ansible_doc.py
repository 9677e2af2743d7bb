"""ansible-doc renders every plugin of the collection, found in the tree (a new plugin is checked without
being listed here): modules, the inventory, the lookup, the callback and each filter a filter plugin
exports. One ansible-doc call per plugin type, all at once; each must exit 0 with nothing on stderr (no
error, no warning) and give every name its documentation."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PLUGINS = ROOT / "plugins"
COLLECTION = "lifeline.recovery"
PACKAGE = "ansible_collections.lifeline.recovery.plugins"
# Plugin types whose files are plugins of that name (plugin_utils, action and doc_fragments are not).
FILE_TYPES = {
    "modules": "module",
    "inventory": "inventory",
    "lookup": "lookup",
    "callback": "callback",
    "connection": "connection",
}
# Folders of plugins/ holding no plugin of their own type: modules' actions, shared code, doc fragments.
NOT_PLUGIN_TYPES = {"action", "plugin_utils", "filter", "doc_fragments"}
TIMEOUT = 120


def _file_plugins(directory: str) -> list[str]:
    return sorted(path.stem for path in (PLUGINS / directory).glob("*.py") if not path.stem.startswith("_"))


def _filters() -> list[str]:
    names = []
    for path in sorted((PLUGINS / "filter").glob("*.py")):
        module = importlib.import_module(f"{PACKAGE}.filter.{path.stem}")
        names += module.FilterModule().filters()
    return sorted(names)


def plugins_by_type() -> dict[str, list[str]]:
    found = {plugin_type: _file_plugins(directory) for directory, plugin_type in FILE_TYPES.items()}
    found["filter"] = _filters()
    return found


@pytest.fixture(scope="module")
def rendered() -> dict[str, tuple[subprocess.CompletedProcess, list[str]]]:
    environment = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}
    ansible_doc = str(Path(sys.executable).parent / "ansible-doc")
    running = {}
    for plugin_type, names in plugins_by_type().items():
        command = [ansible_doc, "-t", plugin_type, "--json", *(f"{COLLECTION}.{name}" for name in names)]
        running[plugin_type] = (
            subprocess.Popen(command, cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE),
            names,
        )
    results = {}
    for plugin_type, (process, names) in running.items():
        stdout, stderr = process.communicate(timeout=TIMEOUT)
        results[plugin_type] = (subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr), names)
    return results


def test_the_tree_has_plugins_of_every_type() -> None:
    found = plugins_by_type()
    assert all(found.values()), found
    assert {"rollout_plan", "rollout_verdict", "rollout_remediation"} <= set(found["filter"])


def test_every_plugin_folder_is_rendered() -> None:
    folders = {path.name for path in PLUGINS.iterdir() if path.is_dir() and not path.name.startswith("_")}
    assert folders - NOT_PLUGIN_TYPES - {"__pycache__"} == set(FILE_TYPES)


@pytest.mark.parametrize("plugin_type", [*FILE_TYPES.values(), "filter"])
def test_ansible_doc_renders_every_plugin_without_error_or_warning(rendered, plugin_type: str) -> None:
    completed, names = rendered[plugin_type]
    assert completed.returncode == 0, completed.stderr.decode()
    assert completed.stderr.decode().strip() == ""
    documents = json.loads(completed.stdout)
    assert sorted(documents) == sorted(f"{COLLECTION}.{name}" for name in names)
    for name, document in documents.items():
        doc = document["doc"]
        assert doc["short_description"] and doc["description"], name
        assert document.get("examples") or plugin_type == "callback", name
        if plugin_type in ("module", "filter", "lookup"):
            assert document.get("return"), name
