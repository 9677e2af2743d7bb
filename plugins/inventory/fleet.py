# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: fleet
short_description: The Lifeline fleet inventory
version_added: 0.1.0
author:
  - Lifeline maintainers
description:
  - Builds the inventory of Windows machines that Lifeline works on, with the WinRM connection
    variables that reach each of them.
  - For now it reads one kind of source, the fleet file that C(lifeline-lab up) writes for the
    simulated fleet. Every host goes into the group C(lab), plus any groups that O(groups) and
    O(keyed_groups) construct.
  - Each host gets C(ansible_host), C(ansible_port), C(ansible_user), C(ansible_password),
    C(ansible_connection=winrm), C(ansible_shell_type=powershell) and the C(ansible_winrm_*)
    variables of the chosen O(lab_transport). NTLM is used wherever a host accepts it; Basic only
    inside HTTPS.
  - Data read from the fleet file is never templated, on any supported ansible-core.
  - The configuration file name must end in C(.lifeline.yml) or C(.lifeline.yaml).
  - With caching on, the cache holds the hosts' credentials, like the inventory it caches.
requirements:
  - PyYAML
extends_documentation_fragment:
  - ansible.builtin.constructed
  - ansible.builtin.inventory_cache
options:
  plugin:
    description: The name of this plugin; it marks the file as this plugin's configuration.
    required: true
    type: str
    choices: ['lifeline.recovery.fleet']
  lab_fleet_file:
    description:
      - Path of the fleet file written by C(lifeline-lab up --fleet-file PATH), read as YAML when it
        ends in C(.yml) or C(.yaml) and as JSON otherwise.
      - A relative path set in the inventory configuration file is relative to that file's directory.
      - The environment variable E(LIFELINE_LAB_FLEET_FILE), when set and not empty, overrides the
        value in the configuration file (unlike most plugin options); a relative path given there
        is relative to the current working directory.
      - A C(~) at the start is expanded.
      - Declared as a string because Ansible would resolve a relative path against the current
        working directory before the plugin sees it.
    type: str
    env:
      - name: LIFELINE_LAB_FLEET_FILE
  lab_transport:
    description:
      - How to reach the lab hosts.
      - V(https) connects to each host's C(https_port) and validates its certificate against the
        fleet's C(ca_file) (NTLM with channel binding, or Basic for a host that accepts only Basic).
      - V(http) connects to each host's C(http_port) with NTLM and message encryption always on.
        Basic over plain HTTP is never chosen.
    type: str
    choices: ['https', 'http']
    default: https
    env:
      - name: LIFELINE_LAB_TRANSPORT
"""

EXAMPLES = r"""
# inventories/lab/fleet.lifeline.yml is the embedded default: the simulated fleet over HTTPS with
# certificate validation. This variant reaches it over HTTP with NTLM message encryption and
# groups the hosts by /24 address block (net_127_42_0, ...).
plugin: lifeline.recovery.fleet
lab_fleet_file: ../../.lab/fleet.yml
lab_transport: http
keyed_groups:
  - key: ansible_host.split('.')[:3] | join('_')
    prefix: net
"""

import os
import re
from collections.abc import Mapping, Set
from typing import Any

from ansible.errors import AnsibleParserError
from ansible.module_utils.common.collections import is_sequence
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable

try:
    from ansible.utils.unsafe_proxy import wrap_var
except ImportError:  # the module is due to go (ansible-core 2.23); inventory data is untrusted there anyway

    def wrap_var(value: Any) -> Any:
        return value


from ansible_collections.lifeline.recovery.plugins.plugin_utils._lab_fleet import (
    FleetFileError,
    LabFleet,
    cacheable_document,
    connection_vars,
    parse_fleet,
    read_fleet_document,
    winrm_auth,
)

FLEET_FILE_ENV = "LIFELINE_LAB_FLEET_FILE"
LAB_GROUP = "lab"
CONFIG_SUFFIXES = (".lifeline.yml", ".lifeline.yaml")
# Variables whose values are constants of this plugin, not data from the fleet file.
_CONSTANT_VARS = frozenset(
    {
        "ansible_connection",
        "ansible_shell_type",
        "ansible_winrm_scheme",
        "ansible_winrm_transport",
        "ansible_winrm_server_cert_validation",
        "ansible_winrm_message_encryption",
    }
)
# Secrets are marked unsafe whatever they contain.
_ALWAYS_UNSAFE_VARS = frozenset({"ansible_password"})
_TEMPLATE_CHARS = re.compile(r"[{}]")


def make_unsafe(value: Any) -> Any:
    """Mark every string that could start a template as unsafe, recursively.

    ansible-core 2.19 never templates inventory data; older cores need the marks (the approach
    of community.general's make_unsafe, which leaves strings without braces plain for AWX).
    """
    if value is None:
        return value
    if isinstance(value, Mapping):
        return {make_unsafe(key): make_unsafe(item) for key, item in value.items()}
    if isinstance(value, Set):
        return {make_unsafe(item) for item in value}
    if is_sequence(value):
        return type(value)(make_unsafe(item) for item in value)
    if isinstance(value, str) and _TEMPLATE_CHARS.search(value):
        return wrap_var(value)
    if isinstance(value, bytes) and _TEMPLATE_CHARS.search(value.decode("utf-8", "replace")):
        return wrap_var(value)
    return value


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    NAME = "lifeline.recovery.fleet"

    def verify_file(self, path: str) -> bool:
        return super().verify_file(path) and path.endswith(CONFIG_SUFFIXES)

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        fleet_path = self._fleet_file_path(path)

        cache_key = self.get_cache_key(f"{path}:{fleet_path}")
        user_cache_setting = self.get_option("cache")
        attempt_to_read_cache = user_cache_setting and cache
        cache_needs_update = user_cache_setting and not cache
        document = None
        if attempt_to_read_cache:
            try:
                document = self._cache[cache_key]
            except KeyError:
                cache_needs_update = True
        if document is None:
            document = self._read_document(fleet_path)
        if cache_needs_update:
            self._cache[cache_key] = document

        try:
            fleet = parse_fleet(document, fleet_path)
        except FleetFileError as exc:
            raise AnsibleParserError(str(exc)) from None
        self._populate(fleet)

    def _fleet_file_path(self, config_path: str) -> str:
        from_env = os.environ.get(FLEET_FILE_ENV)
        if from_env:
            return os.path.abspath(os.path.expanduser(from_env))
        value = self.get_option("lab_fleet_file")
        if not value:
            raise AnsibleParserError(f"{config_path} sets no lab_fleet_file and {FLEET_FILE_ENV} is not set")
        value = os.path.expanduser(str(value))
        if not os.path.isabs(value):
            value = os.path.join(os.path.dirname(os.path.abspath(config_path)), value)
        return os.path.normpath(value)

    @staticmethod
    def _read_document(fleet_path: str) -> dict[str, Any]:
        if not os.path.exists(fleet_path):
            raise AnsibleParserError(
                f"the lab fleet file {fleet_path} does not exist: bring a fleet up with "
                f"`lifeline-lab up --fleet-file {fleet_path}`, or point {FLEET_FILE_ENV} at a fleet file"
            )
        try:
            return cacheable_document(read_fleet_document(fleet_path))
        except FleetFileError as exc:
            raise AnsibleParserError(str(exc)) from None

    def _populate(self, fleet: LabFleet) -> None:
        transport = self.get_option("lab_transport")
        strict = self.get_option("strict")
        self.inventory.add_group(LAB_GROUP)
        for host in fleet.hosts:
            auth = winrm_auth(host, transport)
            if auth is None:
                self.display.warning(
                    f"lab host {host.name} lists no transport usable over {transport} "
                    f"({', '.join(host.transports or ())}); trying NTLM, which it will likely refuse"
                )
                auth = "ntlm"
            try:
                variables = connection_vars(host, fleet, transport, auth)
            except FleetFileError as exc:
                raise AnsibleParserError(str(exc)) from None

            name = self.inventory.add_host(make_unsafe(host.name), group=LAB_GROUP)
            for key, value in variables.items():
                if key in _ALWAYS_UNSAFE_VARS:
                    value = wrap_var(value)
                elif key not in _CONSTANT_VARS:
                    value = make_unsafe(value)
                self.inventory.set_variable(name, key, value)

            hostvars = self.inventory.get_host(name).get_vars()
            self._set_composite_vars(self.get_option("compose"), hostvars, name, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), hostvars, name, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), hostvars, name, strict=strict)
