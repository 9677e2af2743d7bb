# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The missing_secret filter: playbooks/tasks/secrets.yml's check of one host's connection secrets, by the rules
in plugin_utils/_prerequisites.py that the rollout plan applies to every host of remediate.yml."""

from __future__ import annotations

from collections.abc import Mapping

from ansible_collections.lifeline.recovery.plugins.plugin_utils._prerequisites import missing_secret as _missing


def missing_secret(variables: Mapping, bmc: bool = False) -> str:
    return _missing(variables, bool(bmc))


class FilterModule:
    def filters(self) -> dict:
        return {"missing_secret": missing_secret}
