# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rollout report (``_rollout_report.rollout_report``) as JUnit XML for CI systems: one test case per host.

A recovered host passes (a check-mode ``would_change`` too, with what it would do as system-out). A host Ansible's
recap fails (``FAILED_STATUSES``: did not come back healthy, blocked by the operator's settings, interrupted) is a
failure with the reason; every other host (needs hands, skipped, left untouched by a halt) is skipped with the
reason. So the CI's verdict agrees with the exit code and the per-host status of the run.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping

from ansible_collections.lifeline.recovery.plugins.plugin_utils._rollout_report import FAILED_STATUSES

__all__ = ["render"]

PASSED = ("recovered", "would_change")
# Characters XML 1.0 cannot carry at all (control characters but tab, newline, carriage return).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(value: object) -> str:
    return _NOT_XML.sub("?", "" if value is None else str(value))


def render(report: Mapping) -> str:
    """The JUnit XML document (``testsuites`` with one ``testsuite``) for a rollout report."""
    hosts = report.get("hosts") or {}
    name = _xml_text(f"lifeline rollout {report.get('run_id') or ''}".strip())
    failures = sum(1 for host in hosts.values() if host["status"] in FAILED_STATUSES)
    skipped = sum(1 for host in hosts.values() if host["status"] not in FAILED_STATUSES + PASSED)
    counts = {"tests": str(len(hosts)), "failures": str(failures), "errors": "0", "skipped": str(skipped)}
    suites = ET.Element("testsuites", {"name": name, **counts})
    suite = ET.SubElement(suites, "testsuite", {"name": name, **counts, "timestamp": _xml_text(report.get("started"))})
    for host_name, host in hosts.items():
        case = ET.SubElement(
            suite,
            "testcase",
            {"classname": _xml_text(f"lifeline.{host.get('wave') or 'unplanned'}"), "name": _xml_text(host_name)},
        )
        status, reason = host["status"], _xml_text(host.get("reason"))
        message = f"{status}: {reason}" if reason else status
        if status in FAILED_STATUSES:
            ET.SubElement(case, "failure", {"type": status, "message": message}).text = reason
        elif status not in PASSED:
            ET.SubElement(case, "skipped", {"message": message})
        elif status == "would_change":
            ET.SubElement(case, "system-out").text = "check mode: would remediate " + _xml_text(host.get("remediation"))
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"
