"""plugin_utils/_warmup.py: after the warm-up in the parent, a forked worker loads no plugin module and parses no
plugin documentation for what the collection's runs use, and its collector skips the objects it inherited;
a plugin that is missing costs nothing but speed.

Each check runs in a fresh interpreter: the plugin loaders' caches are process-wide, and the test forks."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

# What a forked worker of a Lifeline run asks the loaders for (names as the task executor and the winrm
# connection pass them), after the parent's warm-up; the child counts the loads it still has to do.
_FORKED_WORKER = """\
    import gc, json, os
    from ansible import constants as C
    from ansible.plugins.loader import (
        PluginLoader, action_loader, connection_loader, filter_loader, init_plugin_loader, shell_loader, test_loader,
    )

    init_plugin_loader()
    from ansible_collections.lifeline.recovery.plugins.plugin_utils import _warmup

    missed = _warmup.warm_up()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        loads = []
        load_module_source = PluginLoader._load_module_source
        def spy_module(self, *, python_module_name, path):
            loads.append(python_module_name)
            return load_module_source(self, python_module_name=python_module_name, path=path)
        PluginLoader._load_module_source = spy_module
        config_definitions = []
        define = C.config.initialize_plugin_configuration_definitions
        def spy_config(plugin_type, name, defs):
            config_definitions.append(f"{plugin_type} {name}")
            return define(plugin_type, name, defs)
        C.config.initialize_plugin_configuration_definitions = spy_config
        wrappers_inherited = bool(filter_loader._cached_non_collection_wrappers) and bool(
            test_loader._cached_non_collection_wrappers
        )
        found = [
            connection_loader.get("ansible.builtin.winrm", class_only=True) is not None,
            connection_loader.get("lifeline.recovery.winrm", class_only=True) is not None,
            shell_loader.get("powershell") is not None,
            filter_loader.get("ansible.builtin.default") is not None,
            filter_loader.get("lifeline.recovery.rollout_verdict") is not None,
            test_loader.get("ansible.builtin.defined") is not None,
            action_loader.get("lifeline.recovery.win_boot_config", class_only=True) is not None,
            action_loader.get("lifeline.recovery.rollout_lock", class_only=True) is not None,
            action_loader.get("ansible.builtin.set_fact", class_only=True) is not None,
        ]
        os.write(write, json.dumps({
            "inherited_objects_frozen": gc.get_freeze_count() > 0,
            "found": all(found), "wrappers_inherited": wrappers_inherited,
            "modules_loaded": loads, "config_definitions_parsed": config_definitions,
        }).encode())
        os._exit(0)
    os.close(write)
    child = json.loads(os.read(read, 65536))
    os.waitpid(pid, 0)
    print(json.dumps({"missed": missed, "child": child}))
    """

_MISSING_PLUGINS = """\
    import json
    from ansible.plugins.loader import connection_loader, filter_loader, init_plugin_loader

    init_plugin_loader()
    from ansible_collections.lifeline.recovery.plugins.plugin_utils import _warmup

    _warmup.JINJA_PLUGINS += ((filter_loader, "nowhere.absent.some_filter"),)
    _warmup.CONNECTIONS += ("nowhere.absent.some_connection",)
    _warmup.ACTIONS += ("lifeline.recovery.no_such_action",)
    missed = _warmup.prime_plugins()
    print(json.dumps({"missed": missed, "winrm": connection_loader.get("winrm", class_only=True) is not None}))
    """


def _run(script: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        cwd=ROOT,
        env={"ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "PATH": "/usr/bin:/bin", "HOME": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_forked_worker_finds_the_plugins_loaded_and_their_configuration_defined() -> None:
    report = _run(_FORKED_WORKER)
    assert report["missed"] == []
    assert report["child"] == {
        "inherited_objects_frozen": True,
        "found": True,
        "wrappers_inherited": True,
        "modules_loaded": [],
        "config_definitions_parsed": [],
    }


def test_a_missing_plugin_is_named_and_the_others_still_load() -> None:
    report = _run(_MISSING_PLUGINS)
    assert report == {
        "missed": ["nowhere.absent.some_filter", "nowhere.absent.some_connection", "lifeline.recovery.no_such_action"],
        "winrm": True,
    }
