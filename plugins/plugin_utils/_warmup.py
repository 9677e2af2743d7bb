# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plugin loading every forked worker would otherwise redo, done once in ansible-playbook's main process.

Ansible forks a fresh worker for every task on every host, and each worker starts from the main process's
memory as it was at the fork. What the main process has not loaded yet, every worker loads again and throws
away: the wrappers of all builtin Jinja filters and tests (built on the first filter or test a template
uses), the configuration definitions parsed from the DOCUMENTATION of the connection and shell plugins, and
the modules of the action plugins (with the plugin_utils they import). ``prime_plugins`` loads them through
the same loaders the workers use, before the first fork (the rollout_summary callback calls it when the
playbook starts), so each worker finds them in its inherited caches. It changes no behaviour: a plugin that
cannot be loaded here is left for the worker to load (and to report) as before; priming only saves CPU.

``warm_up`` then freezes the garbage collector's view of everything alive (``gc.freeze``): a worker's collections
no longer walk the parent's objects it inherited (touching each one's header, which also copies its page), 5-9%
of the workers' CPU in a 60-host rollout. Those objects (modules, plugins, the inventory) live the whole run anyway;
what the main process creates later is collected as before.
"""

from __future__ import annotations

import gc
from pathlib import Path

from ansible.errors import AnsibleError
from ansible.plugins.loader import action_loader, connection_loader, filter_loader, shell_loader, test_loader

__all__ = ["ACTIONS", "CONNECTIONS", "JINJA_PLUGINS", "SHELLS", "prime_plugins", "warm_up"]

COLLECTION = "lifeline.recovery"
# One name per Jinja loader is enough: the first lookup builds the wrappers of every builtin filter (test),
# and a lookup of one of the collection's filters imports all of the collection's filter modules.
JINJA_PLUGINS = (
    (filter_loader, "ansible.builtin.default"),
    (test_loader, "ansible.builtin.defined"),
    (filter_loader, f"{COLLECTION}.rollout_plan"),
)
# The connections the fleet inventory hands out (its option winrm_connection) and the shell both use.
CONNECTIONS = ("ansible.builtin.winrm", f"{COLLECTION}.winrm")
SHELLS = ("powershell",)
# The builtin actions the collection's playbooks and roles run on every host, beside its own (all of them).
BUILTIN_ACTIONS = ("set_fact", "assert", "fail", "debug", "normal", "set_stats", "add_host")
_ACTION_DIR = Path(__file__).resolve().parent.parent / "action"
ACTIONS = tuple(f"ansible.builtin.{name}" for name in BUILTIN_ACTIONS) + tuple(
    sorted(f"{COLLECTION}.{path.stem}" for path in _ACTION_DIR.glob("*.py"))
)
# What loading a plugin that is missing or broken raises (a missing one mostly loads as None):
# an unknown or removed name (KeyError, AnsibleError), a library its module imports and that is absent.
_LOAD_ERRORS = (AnsibleError, ImportError, KeyError)


def prime_plugins() -> list[str]:
    """Load the plugins above into the loaders' caches of this process; the names that did not load."""
    loads = [(loader, name, {}) for loader, name in JINJA_PLUGINS]
    loads += [(connection_loader, name, {"class_only": True}) for name in CONNECTIONS]
    loads += [(shell_loader, name, {"class_only": True}) for name in SHELLS]
    loads += [(action_loader, name, {"class_only": True}) for name in ACTIONS]
    missed = []
    for loader, name, options in loads:
        try:
            loaded = loader.get(name, **options)
        except _LOAD_ERRORS:
            loaded = None
        if loaded is None:
            missed.append(name)
    return missed


def warm_up() -> list[str]:
    """Prime the plugins, then freeze what is alive for the collector; the names that did not load."""
    missed = prime_plugins()
    gc.freeze()
    return missed
