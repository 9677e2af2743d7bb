# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: fleet
short_description: The Lifeline fleet inventory, with each machine's recovery state
version_added: 0.1.0
author:
  - Lifeline maintainers (@lifeline)
description:
  - Builds the inventory of Windows machines that Lifeline works on, tells in seconds which are
    healthy, which are reachable in a recovery environment and which are down, and groups them for
    the playbooks.
  - "Host sources, combinable: O(hosts) and O(address_ranges) in this file, CMDB exports
    (O(cmdb_files)) and the hosts named by failure signals (O(signals_files), O(signals_urls)). A host
    named by several sources is one host (names compare case-insensitively); the first source that
    names it gives its address and ring, later ones fill what is missing."
  - A record that cannot be read (a bad line or item) is skipped with a warning naming the file and
    line; a source that cannot be read at all is reported the same way and the other sources still
    count. O(strict_sources) turns these warnings into one error.
  - "Every source follows the same input rules: a host name is letters, digits, V(.), V(_) and V(-)
    (at most 253); an address is an IPv4 or IPv6 literal or a DNS host name (RFC 1123), nothing else
    (no user, port, path, fragment or zone index). A record that breaks them is skipped with a
    warning naming the source, the line or item, and the problem."
  - "The probe (O(probe), on by default): per host, with O(probe_workers) at a time and
    O(probe_timeout) seconds each, an anonymous WS-Man Identify, then one authenticated WinRM
    command: the survey of M(lifeline.recovery.win_recovery_facts) (without the crash history), read
    by the same rules, so the inventory and the modules place a host alike. It gives the boot
    environment (the Control\\MiniNT key of WinRE; X: as the system drive without that key is
    V(unknown); Control\\SafeBoot\\Option OptionValue 1 or 2 of Safe Mode, any other value V(unknown)),
    the Windows volume's BitLocker lock state (manage-bde -status) and the newest minidump's bugcheck."
  - "The verdict, per host variable: C(lifeline_recovery_state) is V(healthy) (answered, Windows
    runs normally), V(recovery_reachable) (answered from Safe Mode or Safe Mode with Networking; a
    stock WinRE never answers, it has no WinRM), V(unbootable) (no answer at all, and a signal
    reports a crash with no heartbeat after it) or V(unknown) (no answer and no such signal;
    answered but refused the login; presented a certificate that did not validate, which is never
    V(unbootable) since something answered TLS; or answered with something the probe could not
    read, or from an environment it cannot tell, V(unknown) in C(lifeline_boot_environment)). A
    host in WinRE (stock WinRE runs no WinRM), at a BitLocker PIN prompt, in Safe Mode without
    WinRM, or in a boot loop does not answer: it is V(unbootable) with a signal, V(unknown) without."
  - "C(lifeline_reachability): V(answered), V(answered_in_recovery), V(login_refused) (the listener
    answered but refused the login), V(certificate_rejected) (a TLS server answered with a
    certificate that did not validate), V(look_failed), V(no_answer), V(not_probed).
    C(lifeline_boot_environment): V(normal), V(safe_mode), V(safe_mode_network), V(winre) or V(unknown).
    C(lifeline_failure_signature): bugcheck and faulting module, normalised (V(0x50:csagent.sys)): the
    bugcheck from the host's newest minidump or the signal, the module from the signal (a minidump
    header does not name it); null for healthy hosts and where nothing is known.
    C(lifeline_bitlocker_locked): true, false, or null when unknown. C(lifeline_last_seen): ISO 8601
    UTC time of the probe's answer, else the last heartbeat a signal reports.
    C(lifeline_recovery_ring): V(canary), V(pilot) or V(broad), from the source data's C(ring) field
    when it has one, else from a hash of the host name (O(ring_canary_percent), O(ring_pilot_percent)).
    C(lifeline_evidence): the sentences behind the verdict. C(lifeline_source_data): a CMDB record's
    other fields, as text."
  - "C(lifeline_operator_error): null, or one sentence when the probe failed for a reason the operator
    must fix, not the machine: with V(login_refused), the account and authentication that were
    refused and where they are set (never the password); with V(certificate_rejected), the CA file
    (or the system store) used and what failed; with V(look_failed), that no account is configured
    (Identify still tells a silent host from one that answers). A playbook should stop when any host
    has one."
  - "Out-of-band evidence: a source record may name the host's BMC (a DMTF Redfish service: iDRAC, iLO,
    XCC, OpenBMC) in the columns or keys C(bmc_address) (or C(bmc_ip), C(bmc_host), C(bmc)), C(bmc_port)
    (default O(bmc_port)) and C(bmc_system_id) (the ComputerSystem Id, when the BMC has several). When
    probing, the plugin asks the BMC of each host silent in band (HTTPS, O(bmc_user) and O(bmc_password),
    the certificate validated against O(bmc_ca_file)) for the system's C(PowerState), its
    C(BootProgress.LastState) and the newest C(OS Stop/Shutdown) entry of its logs. A silent host whose
    BMC reports it powered off, or on with a LastState other than C(OSRunning), is V(unbootable) even
    without a signal. C(lifeline_bmc) (every host with a BMC): its C(address), C(port), C(base_uri),
    C(system_id), C(manager_id), C(reachability) (V(answered), V(login_refused), V(certificate_rejected),
    V(no_answer), V(error), V(not_asked)), C(detail), C(power_state), C(boot_progress) and C(os_stop);
    never a credential. C(lifeline_bmc_user), C(lifeline_bmc_ca_file) and C(lifeline_bmc_cert_validation)
    come from this file; the BMC password never becomes a variable (see the secrets below)."
  - "C(lifeline_recovery_path): V(in_band) for a V(recovery_reachable) host (WinRM answers), V(out_of_band)
    for an V(unbootable) host whose BMC answered, V(needs_hands) for any other V(unbootable) one (no BMC,
    or a BMC that refused or did not answer: the reason says which), null otherwise;
    C(lifeline_recovery_path_reason) says why, for an unbootable host from its newest readiness record
    (O(readiness_files)): the WinRE failover was armed
    yet Safe Mode with Networking failed too; it was not armed, so the host waits in WinRE; or BitLocker
    TPM+PIN holds every boot at the PIN prompt. C(lifeline_readiness): the host's newest readiness
    record (C(armed), C(tpm_pin), C(lacking), C(checked)), for every host that has one."
  - "Groups: V(recovery_state_<state>), V(reachability_<reachability>), V(ring_<ring>),
    V(recovery_path_<path>),
    V(signature_<signature>) with every character outside a-z and 0-9 made V(_) (V(signature_0x50_csagent_sys)),
    V(lifeline_operator_error) for the hosts with an operator error,
    plus whatever O(compose), O(groups) and O(keyed_groups) construct (they see the variables above)."
  - "One warning per run sums up the refused logins (how many hosts, as which account), one the
    rejected certificates (how many hosts, against which CA), one the hosts without an account, and
    one says for how many hosts O(winrm_cert_validation) is off; the same for the BMCs (refused logins,
    rejected certificates, O(bmc_cert_validation) off)."
  - With O(probe) off and no signals source, the plugin adds only hosts and connection variables.
  - Connection settings come from this file only, never from a source (a CMDB or a signal cannot
    send Lifeline elsewhere or choose Basic over HTTP). Every host uses O(winrm_scheme), O(winrm_port),
    O(winrm_transport), O(winrm_user) and O(winrm_ca_file) (host variables C(ansible_user),
    C(ansible_winrm_*)). Basic is allowed only inside HTTPS.
  - "Secrets: O(winrm_password) and O(bmc_password) (inline ansible-vault values or the environment) serve
    the probe only. No password is ever a host or group variable, nor in the cache: an inventory sync
    (AWX/AAP) stores what the inventory returns. The playbooks take them as variables the operator
    supplies: C(ansible_password) (the WinRM account's, the variable ansible-core's winrm connection
    reads) and C(lifeline_bmc_password) (the BMC account's, for out-of-band recovery), as extra vars
    (C(-e @secrets.yml --ask-vault-pass), a vault-encrypted file) or from an AWX/AAP credential that
    injects them as extra vars. playbooks/prepare.yml, remediate.yml and rollback.yml stop a host that
    lacks one before touching it, naming the variable. See docs/connection-secrets.md."
  - Data read from sources or reported by hosts is never templated, on any supported ansible-core.
  - The configuration file name must end in C(.lifeline.yml) or C(.lifeline.yaml).
  - "With caching on, the cache holds the hosts, their verdicts and connection variables, never a
    password."
requirements:
  - PyYAML
  - pywinrm (for the probe)
extends_documentation_fragment:
  - ansible.builtin.constructed
  - ansible.builtin.inventory_cache
options:
  plugin:
    description: The name of this plugin; it marks the file as this plugin's configuration.
    required: true
    type: str
    choices: ['lifeline.recovery.fleet']
  hosts:
    description:
      - Hosts listed here, each a name (or address) or a mapping with C(name), C(address) and C(ring).
    type: list
    elements: raw
    default: []
  address_ranges:
    description:
      - Address ranges whose every address is a host named by its address (V(10.1.0.0/28), V(10.1.0.5-10.1.0.40)).
    type: list
    elements: str
    default: []
  cmdb_files:
    description:
      - CMDB exports, CSV with a header row or JSON (a list of objects, or one under C(hosts)). Columns
        or keys C(name) (or C(hostname), C(computername)), C(address) (or C(ip), C(fqdn)), C(ring), the
        BMC's C(bmc_address) (or C(bmc_ip), C(bmc_host), C(bmc)), C(bmc_port), C(bmc_system_id); the
        others become C(lifeline_source_data). Relative paths are relative to this file.
      - A CSV record with a field longer than 131072 characters is skipped with a warning naming the
        file and line; the other records still count.
    type: list
    elements: str
    default: []
  signals_files:
    description:
      - Failure signals as JSON lines (a monitoring or SIEM export), one event an object with
        C(host), C(time), C(event) (V(crash) or V(heartbeat)), C(bugcheck) (V(0x50)), C(module)
        (the faulting module) and C(last_heartbeat). Relative paths are relative to this file.
    type: list
    elements: str
    default: []
  readiness_files:
    description:
      - Readiness reports written by C(playbooks/prepare.yml) (JSON). For a host silent after a crash,
        the newest record says why it cannot be reached in band (C(lifeline_recovery_path_reason))
        - its WinRE failover was armed but Safe Mode with Networking failed too, it was not armed (it waits
        in WinRE), or BitLocker TPM+PIN holds every boot at the PIN prompt.
      - A path may be a glob (V(reports/readiness-*.json)); the newest record of each host wins. A
        missing file is a warning, not an error. Relative paths are relative to this file.
    type: list
    elements: str
    default: []
  signals_urls:
    description: HTTP(S) endpoints that answer a GET with the same JSON lines (certificates are validated).
    type: list
    elements: str
    default: []
  strict_sources:
    description: Fail when any source or record cannot be read, instead of warning and going on.
    type: bool
    default: false
  probe:
    description: Probe every host over WinRM (Identify, then one authenticated look).
    type: bool
    default: true
    env:
      - name: LIFELINE_PROBE
  probe_workers:
    description: How many hosts the probe talks to at once.
    type: int
    default: 25
  probe_timeout:
    description: Seconds one host may take, Identify and look together (also the timeout of O(signals_urls)).
    type: float
    default: 10
  ring_canary_percent:
    description: Share of hosts (by name hash) in the canary ring when the source data sets none.
    type: float
    default: 5
  ring_pilot_percent:
    description: Share of hosts (by name hash) in the pilot ring when the source data sets none.
    type: float
    default: 20
  winrm_scheme:
    description: V(https) (certificate validated) or V(http) (NTLM with message encryption).
    type: str
    choices: ['https', 'http']
    default: https
  winrm_port:
    description: WinRM port; 5986 for https, 5985 for http when unset.
    type: int
  winrm_transport:
    description: WinRM authentication; V(basic) only with O(winrm_scheme=https).
    type: str
    choices: ['ntlm', 'basic']
    default: ntlm
  winrm_connection:
    description:
      - The connection plugin the playbooks use for the hosts (C(ansible_connection)).
      - V(ansible.builtin.winrm) opens a session (authentication, a shell) for every task.
        V(lifeline.recovery.winrm) is the same plugin, with the same sealing and certificate validation, but keeps
        each host's session and shell from task to task for the run (fewer round trips; a small process per live
        host, about 30 MiB each).
      - Set it here, not as the extra var C(ansible_connection), which would also override the tasks a play
        delegates to the controller (the BMC's Redfish calls).
    type: str
    choices: ['ansible.builtin.winrm', 'lifeline.recovery.winrm']
    default: ansible.builtin.winrm
  winrm_user:
    description: The account Lifeline logs on with (a service account that administers the hosts).
    type: str
    env:
      - name: LIFELINE_WINRM_USER
  winrm_password:
    description:
      - Password of O(winrm_user), for the probe only; put it in ansible-vault (an inline C(!vault) value) or
        the environment. It never becomes a variable; playbooks get it as C(ansible_password) from the operator.
    type: str
    env:
      - name: LIFELINE_WINRM_PASSWORD
  winrm_ca_file:
    description: CA bundle that validates the hosts' certificates over https (the system store when unset).
    type: path
  winrm_cert_validation:
    description:
      - Validate the hosts' certificates over https. Turning it off is for test rigs only, and the
        inventory warns once per run, naming how many hosts it concerns.
    type: bool
    default: true
  bmc_port:
    description: The BMCs' HTTPS port where a source names a BMC without C(bmc_port).
    type: int
    default: 443
  bmc_user:
    description: The account Lifeline logs on to the BMCs with (Redfish, HTTP Basic over HTTPS).
    type: str
    env:
      - name: LIFELINE_BMC_USER
  bmc_password:
    description:
      - Password of O(bmc_user), for the probe only; put it in ansible-vault (an inline C(!vault) value) or
        the environment. It is never cached, never shown and never a variable; playbooks get it as
        C(lifeline_bmc_password) from the operator.
    type: str
    env:
      - name: LIFELINE_BMC_PASSWORD
  bmc_ca_file:
    description: CA bundle that validates the BMCs' certificates (the system store when unset).
    type: path
  bmc_cert_validation:
    description:
      - Validate the BMCs' certificates. Turning it off is for test rigs only; the inventory warns once per run.
    type: bool
    default: true
"""

EXAMPLES = r"""
# A real estate: a CMDB export and a SIEM export; HTTPS validated against the estate's CA; the
# service account's password (for the probe) from ansible-vault; groups by site (a CMDB column).
plugin: lifeline.recovery.fleet
cmdb_files: [cmdb/windows-servers.csv]
signals_files: [/var/exports/crashes.jsonl]
winrm_scheme: https
winrm_ca_file: /etc/pki/corp-ca.pem
winrm_user: CORP\svc-lifeline
# winrm_password: !vault |
#   $ANSIBLE_VAULT;1.1;AES256
#   ...
# The CSV's bmc_address (and bmc_port) columns name each server's BMC (Redfish over HTTPS).
bmc_user: lifeline-oob
bmc_ca_file: /etc/pki/bmc-ca.pem
# bmc_password: !vault |
#   $ANSIBLE_VAULT;1.1;AES256
#   ...
keyed_groups:
  - key: lifeline_source_data.site | default('none')
    prefix: site

# The same estate over HTTP with NTLM message encryption, the password from LIFELINE_WINRM_PASSWORD,
# and groups by /24 address block (net_10_20_0, ...).
# plugin: lifeline.recovery.fleet
# cmdb_files: [cmdb/windows-servers.csv]
# winrm_scheme: http
# winrm_user: CORP\svc-lifeline
# keyed_groups:
#   - key: ansible_host.split('.')[:3] | join('_')
#     prefix: net
"""

import glob
import os
import re
from collections import Counter
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


from ansible_collections.lifeline.recovery.plugins.plugin_utils._classify import classify, group_name
from ansible_collections.lifeline.recovery.plugins.plugin_utils._probe import (
    CERTIFICATE_REJECTED,
    LOGIN_REFUSED,
    LOOK_FAILED,
)
from ansible_collections.lifeline.recovery.plugins.plugin_utils._redfish import (
    BMC_CERTIFICATE_REJECTED,
    BMC_LOGIN_REFUSED,
    BMC_NOT_ASKED,
    BmcEvidence,
    BmcTarget,
)
from ansible_collections.lifeline.recovery.plugins.plugin_utils._sources import (
    BMC_SOURCE_COLUMNS,
    HostRecord,
    Signal,
    SourceError,
    SourceProblem,
    address_range,
    bmc_endpoint,
    merge_hosts,
    read_cmdb,
    read_signals,
    signals_by_host,
    static_hosts,
)

OPERATOR_ERROR_GROUP = "lifeline_operator_error"
CONFIG_SUFFIXES = (".lifeline.yml", ".lifeline.yaml")
# Variables whose values are constants of this plugin, not data from a source.
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
BMC_VAR = "lifeline_bmc"
_TEMPLATE_CHARS = re.compile(r"[{}]")


def _hosts(count: int) -> str:
    return f"{count} host{'s' if count != 1 else ''}"


def _counted(counts: Counter) -> str:
    """``18 hosts as 'svc' (ntlm) and 2 hosts as 'adm' (ntlm)``: each kind with its count."""
    return " and ".join(f"{_hosts(count)} {kind}" for kind, count in counts.items())


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

        cache_key = self.get_cache_key(path)
        user_cache_setting = self.get_option("cache")
        attempt_to_read_cache = user_cache_setting and cache
        cache_needs_update = user_cache_setting and not cache
        entries = None
        if attempt_to_read_cache:
            try:
                entries = self._cache[cache_key]
            except KeyError:
                cache_needs_update = True
        if entries is None:
            entries = self._discover(path)
        if cache_needs_update:
            self._cache[cache_key] = entries  # no password in it: the passwords serve the probe only
        self._populate(entries)

    # --- configuration ------------------------------------------------------------------------

    @staticmethod
    def _config_relative(config_path: str, value: Any) -> str:
        value = os.path.expanduser(str(value))
        if not os.path.isabs(value):
            value = os.path.join(os.path.dirname(os.path.abspath(config_path)), value)
        return os.path.normpath(value)

    def _config_connection(self) -> dict[str, Any]:
        scheme = self.get_option("winrm_scheme")
        auth = self.get_option("winrm_transport")
        if auth == "basic" and scheme != "https":
            raise AnsibleParserError(
                "winrm_transport basic needs winrm_scheme https: Basic over plain HTTP sends the password"
            )
        user = self.get_option("winrm_user")
        password = self.get_option("winrm_password")
        return {
            "scheme": scheme,
            "auth": auth,
            "port": self.get_option("winrm_port") or (5986 if scheme == "https" else 5985),
            "user": None if user is None else str(user),
            "password": None if password is None else str(password),
            "ca_file": self.get_option("winrm_ca_file"),
            "validate": self.get_option("winrm_cert_validation"),
            "plugin": self.get_option("winrm_connection"),
        }

    def _config_bmc(self) -> dict[str, Any]:
        user = self.get_option("bmc_user")
        password = self.get_option("bmc_password")
        return {
            "user": None if user is None else str(user),
            "password": None if password is None else str(password),
            "ca_file": self.get_option("bmc_ca_file"),
            "validate": self.get_option("bmc_cert_validation"),
        }

    # --- discovery: sources, probe, verdicts ---------------------------------------------------

    def _discover(self, config_path: str) -> list[dict[str, Any]]:
        problems: list[str] = []
        failed_sources = 0
        host_lists: list[list[HostRecord]] = []
        signals: list[Signal] = []

        def note(found: list[SourceProblem]) -> None:
            problems.extend(str(problem) for problem in found)

        records, found = static_hosts(self.get_option("hosts"))
        note(found)
        host_lists.append(records)
        for text in self.get_option("address_ranges"):
            try:
                addresses = address_range(text)
                host_lists.append(
                    [HostRecord(address, address, None, f"address range {text}") for address in addresses]
                )
            except SourceError as exc:
                problems.append(f"{config_path}: {exc}")
                failed_sources += 1
        for value in self.get_option("cmdb_files"):
            cmdb_path = self._config_relative(config_path, value)
            try:
                records, found = read_cmdb(self._read_text(cmdb_path, "CMDB export"), cmdb_path)
            except SourceError as exc:
                problems.append(str(exc))
                failed_sources += 1
                continue
            note(found)
            host_lists.append(records)
        signal_sources = [self._config_relative(config_path, value) for value in self.get_option("signals_files")]
        for source in signal_sources:
            try:
                found_signals, found = read_signals(self._read_text(source, "signals file"), source)
            except SourceError as exc:
                problems.append(str(exc))
                failed_sources += 1
                continue
            note(found)
            signals.extend(found_signals)
        for url in self.get_option("signals_urls"):
            try:
                found_signals, found = read_signals(self._fetch(url), url)
            except SourceError as exc:
                problems.append(str(exc))
                failed_sources += 1
                continue
            note(found)
            signals.extend(found_signals)
        host_lists.append([HostRecord(signal.host, None, None, signal.origin) for signal in signals])
        readiness = self._read_readiness(config_path, problems)

        hosts = merge_hosts(host_lists)
        if problems:
            if self.get_option("strict_sources") or (not hosts and failed_sources):
                raise AnsibleParserError("cannot read the fleet's sources:\n" + "\n".join(problems))
            for problem in problems:
                self.display.warning(f"lifeline.recovery.fleet skipped {problem}")

        connection = self._config_connection()
        bmc_config = self._config_bmc()
        classifying = self.get_option("probe") or bool(signal_sources or self.get_option("signals_urls"))
        entries: list[dict[str, Any]] = []
        targets = []
        bmcs: dict[str, BmcTarget] = {}
        for record in hosts:
            variables, target = self._connection(record, connection)
            entries.append({"name": record.name, "groups": [], "vars": variables})
            targets.append(target)
            other = {key: value for key, value in record.data.items() if key.lower() not in BMC_SOURCE_COLUMNS}
            if other:
                variables["lifeline_source_data"] = other  # the BMC columns are read into lifeline_bmc
            bmc = self._bmc(record, bmc_config)
            if bmc is not None:
                bmcs[record.name] = bmc
                variables[BMC_VAR] = BmcEvidence(BMC_NOT_ASKED, "the inventory did not ask this BMC").hostvar(bmc)
                variables.update(self._bmc_settings(bmc_config))
        if not classifying:
            return entries

        probes = {}
        if self.get_option("probe"):
            from ansible_collections.lifeline.recovery.plugins.plugin_utils._probe import probe_fleet

            probes = probe_fleet(targets, self.get_option("probe_workers"), float(self.get_option("probe_timeout")))
        bmc_evidence = self._ask_bmcs(hosts, probes, bmcs)
        by_host = signals_by_host(signals)
        for record, entry in zip(hosts, entries, strict=True):
            verdict = classify(
                record.name,
                probes.get(record.name),
                by_host.get(record.name.lower()),
                record.ring,
                float(self.get_option("ring_canary_percent")),
                float(self.get_option("ring_pilot_percent")),
                readiness.get(record.name.lower()),
                bmc_evidence.get(record.name),
            )
            entry["vars"].update(verdict.hostvars())
            if record.name in bmc_evidence:
                entry["vars"][BMC_VAR] = bmc_evidence[record.name].hostvar(bmcs[record.name])
            if record.name.lower() in readiness:
                entry["vars"]["lifeline_readiness"] = readiness[record.name.lower()].hostvar()
            entry["groups"] += [
                f"recovery_state_{verdict.recovery_state}",
                f"reachability_{verdict.reachability}",
                f"ring_{verdict.recovery_ring}",
            ]
            if verdict.failure_signature:
                entry["groups"].append(group_name("signature", verdict.failure_signature))
            if verdict.operator_error:
                entry["groups"].append(OPERATOR_ERROR_GROUP)
            if verdict.recovery_path:
                entry["groups"].append(f"recovery_path_{verdict.recovery_path}")
        return entries

    def _bmc(self, record: HostRecord, bmc_config: dict[str, Any]) -> BmcTarget | None:
        """The BMC the host's source record names, or None; a bad BMC column is a warning (an error
        with strict_sources) and leaves the host without a BMC."""
        try:
            endpoint = bmc_endpoint(record.data, self.get_option("bmc_port"))
        except ValueError as exc:
            problem = f"{record.origin or record.name}: {exc} (host {record.name})"
            if self.get_option("strict_sources"):
                raise AnsibleParserError(f"cannot read the fleet's sources:\n{problem}") from None
            self.display.warning(f"lifeline.recovery.fleet skipped the BMC of {problem}")
            return None
        if endpoint is None:
            return None
        address, port, system_id = endpoint
        return BmcTarget(
            record.name,
            address,
            port,
            bmc_config["user"],
            bmc_config["password"],
            bmc_config["ca_file"],
            bmc_config["validate"],
            system_id,
        )

    @staticmethod
    def _bmc_settings(bmc_config: dict[str, Any]) -> dict[str, Any]:
        """The BMC connection settings a role needs, from this file (never the password)."""
        return {
            "lifeline_bmc_user": bmc_config["user"],
            "lifeline_bmc_ca_file": bmc_config["ca_file"],
            "lifeline_bmc_cert_validation": bool(bmc_config["validate"]),
        }

    def _ask_bmcs(self, hosts: list[HostRecord], probes: dict, bmcs: dict[str, BmcTarget]) -> dict[str, BmcEvidence]:
        """When probing: what the BMC of each host silent in band says (hosts that answered are not asked)."""
        if not self.get_option("probe"):
            return {}
        from ansible_collections.lifeline.recovery.plugins.plugin_utils._probe import NO_ANSWER
        from ansible_collections.lifeline.recovery.plugins.plugin_utils._redfish import read_bmcs

        silent = [
            bmcs[record.name]
            for record in hosts
            if record.name in bmcs and getattr(probes.get(record.name), "reachability", NO_ANSWER) == NO_ANSWER
        ]
        return read_bmcs(silent, self.get_option("probe_workers"), float(self.get_option("probe_timeout")))

    def _read_readiness(self, config_path: str, problems: list[str]) -> dict:
        """The newest readiness record per host (lower-case name) from the configured reports."""
        from ansible_collections.lifeline.recovery.plugins.plugin_utils._readiness import newest, read_readiness

        reports = []
        paths = []
        for value in self.get_option("readiness_files"):
            pattern = self._config_relative(config_path, value)
            found = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
            found = [path for path in found if os.path.exists(path)]
            if not found:
                self.display.warning(
                    f"lifeline.recovery.fleet: no readiness report at {pattern} yet (playbooks/prepare.yml)"
                )
            paths.extend(found)
        for path in paths:
            try:
                found, skipped = read_readiness(self._read_text(path, "readiness report"), path)
            except (SourceError, ValueError) as exc:
                problems.append(str(exc))
                continue
            problems.extend(skipped)
            reports.append(found)
        return newest(reports)

    @staticmethod
    def _connection(record: HostRecord, connection: dict[str, Any]):
        from ansible_collections.lifeline.recovery.plugins.plugin_utils._probe import ProbeTarget

        https = connection["scheme"] == "https"
        variables: dict[str, Any] = {
            "ansible_host": record.address or record.name,
            "ansible_port": connection["port"],
            "ansible_connection": connection.get("plugin") or "ansible.builtin.winrm",
            "ansible_shell_type": "powershell",
            "ansible_winrm_scheme": connection["scheme"],
            "ansible_winrm_transport": [connection["auth"]],
        }
        if https:
            variables["ansible_winrm_server_cert_validation"] = "validate" if connection["validate"] else "ignore"
            if connection["ca_file"]:
                variables["ansible_winrm_ca_trust_path"] = connection["ca_file"]
        else:
            variables["ansible_winrm_message_encryption"] = "always"
        if connection["user"] is not None:
            variables["ansible_user"] = connection["user"]
        target = ProbeTarget(
            record.name,
            record.address or record.name,
            connection["port"],
            connection["scheme"],
            connection["auth"],
            connection["user"],
            connection["password"],
            ca_file=connection["ca_file"],
            cert_validation=connection["validate"],
            message_encryption="auto" if https else "always",
        )
        return variables, target

    @staticmethod
    def _read_text(path: str, what: str) -> str:
        try:
            with open(path, encoding="utf-8") as handle:
                return handle.read()
        except OSError as exc:
            raise SourceError(f"cannot read the {what} {path}: {exc.strerror or exc}") from None
        except UnicodeDecodeError as exc:
            raise SourceError(f"the {what} {path} is not UTF-8 text ({exc.reason})") from None

    def _fetch(self, url: str) -> str:
        from ansible.module_utils.urls import open_url

        try:
            with open_url(url, timeout=float(self.get_option("probe_timeout")), validate_certs=True) as response:
                return response.read().decode("utf-8")
        except Exception as exc:
            raise SourceError(f"cannot fetch the signals from {url}: {exc}") from None

    # --- the inventory ------------------------------------------------------------------------

    def _warn_operator_errors(self, entries: list[dict[str, Any]]) -> None:
        """One warning each for the refused logins (by account), the rejected certificates (by CA), the
        hosts without an account and those whose certificates are not validated at all: a wrong
        setting is not a fleet in trouble."""
        refused: Counter = Counter()
        rejected: Counter = Counter()
        unvalidated = no_account = 0
        bmc_refused: Counter = Counter()
        bmc_rejected: Counter = Counter()
        bmc_unvalidated = 0
        for entry in entries:
            variables = entry["vars"]
            bmc = variables.get(BMC_VAR)
            if bmc is not None:
                if bmc["reachability"] == BMC_LOGIN_REFUSED:
                    bmc_refused[f"as {variables.get('lifeline_bmc_user')!r}"] += 1
                elif bmc["reachability"] == BMC_CERTIFICATE_REJECTED:
                    bmc_rejected[f"against {variables.get('lifeline_bmc_ca_file') or 'the system CA store'}"] += 1
                bmc_unvalidated += not variables.get("lifeline_bmc_cert_validation", True)
            reachability = variables.get("lifeline_reachability")
            if reachability == LOGIN_REFUSED:
                refused[f"as {variables.get('ansible_user')!r} ({variables['ansible_winrm_transport'][0]})"] += 1
            elif reachability == CERTIFICATE_REJECTED:
                rejected[f"against {variables.get('ansible_winrm_ca_trust_path') or 'the system CA store'}"] += 1
            elif reachability == LOOK_FAILED and variables.get("lifeline_operator_error"):
                no_account += 1
            unvalidated += variables.get("ansible_winrm_server_cert_validation") == "ignore"
        see = f"(it says nothing about the machines; see the group {OPERATOR_ERROR_GROUP})"
        if refused:
            self.display.warning(
                f"lifeline.recovery.fleet: the WinRM login was refused on {_counted(refused)}: "
                f"check the account and password {see}"
            )
        if rejected:
            self.display.warning(
                f"lifeline.recovery.fleet: the server certificate did not validate on {_counted(rejected)}: "
                f"check the CA file and the hosts' certificates {see}"
            )
        if no_account:
            self.display.warning(
                f"lifeline.recovery.fleet: no WinRM account is configured for {_hosts(no_account)}: "
                f"set winrm_user and winrm_password {see}"
            )
        if bmc_refused:
            self.display.warning(
                f"lifeline.recovery.fleet: the BMC login was refused on {_counted(bmc_refused)}: check bmc_user "
                "and bmc_password (those hosts keep needs_hands)"
            )
        if bmc_rejected:
            self.display.warning(
                f"lifeline.recovery.fleet: the BMC certificate did not validate on {_counted(bmc_rejected)}: "
                "check bmc_ca_file and the BMCs' certificates"
            )
        if bmc_unvalidated:
            self.display.warning(
                f"lifeline.recovery.fleet: BMC certificate validation is off (bmc_cert_validation: false) for "
                f"{_hosts(bmc_unvalidated)}: anything on the network path can pose as their BMCs and receive the "
                "password; use it on test rigs only"
            )
        if unvalidated:
            self.display.warning(
                f"lifeline.recovery.fleet: certificate validation is off (winrm_cert_validation: false) for "
                f"{_hosts(unvalidated)} over HTTPS: anything on the network path can pose as them and receive "
                "the password; use it on test rigs only"
            )

    def _populate(self, entries: list[dict[str, Any]]) -> None:
        strict = self.get_option("strict")
        self._warn_operator_errors(entries)
        for entry in entries:
            name = self.inventory.add_host(make_unsafe(entry["name"]))
            for group in entry["groups"]:
                self.inventory.add_group(group)
                self.inventory.add_child(group, name)
            for key, value in entry["vars"].items():
                if key not in _CONSTANT_VARS:
                    value = make_unsafe(value)
                self.inventory.set_variable(name, key, value)

            hostvars = self.inventory.get_host(name).get_vars()
            self._set_composite_vars(self.get_option("compose"), hostvars, name, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), hostvars, name, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), hostvars, name, strict=strict)
