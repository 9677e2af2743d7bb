"""The rollout report's renderings: the HTML page people read (self-contained, every text escaped, the numbers of the
JSON report) and the JUnit XML CI systems read (one test case per host); and the counts set_stats hands AWX."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from ansible_collections.lifeline.recovery.plugins.plugin_utils import _report_html, _report_junit
from ansible_collections.lifeline.recovery.plugins.plugin_utils._rollout_report import rollout_report, stats_summary

from .report_pages import read_page

HOSTILE = "<script>alert('x')</script> & \"quoted\" <img src=https://example.invalid/x.png>"
SIG = "0x50:csagent.sys"


def planned(action: str, wave: str | None = "canary", path: str | None = "in_band", reason: str = "") -> dict:
    return {"action": action, "wave": wave, "signature": SIG, "remediation": "cs291", "path": path, "reason": reason}


def outcome(status: str, reason: str = "", wave: str = "canary") -> dict:
    return {"outcome": status, "reason": reason, "wave": wave, "signature": SIG, "remediation": "cs291"}


def halted_report() -> dict:
    """Canary A recovered, B failed (with a hostile reason) and halted the rollout; broad C untouched; D needs
    hands; E blocked; host names hostile too."""
    plan = {
        "hosts": {
            "A": planned("remediate"),
            HOSTILE: planned("remediate"),
            "C": planned("remediate", "broad"),
            "D": planned("needs_hands", path="needs_hands", reason="in stock WinRE: no WinRM"),
            "E": planned("blocked", path=None, reason="the login was refused"),
        },
        "warnings": [f"warning {HOSTILE}"],
    }
    batch = {"wave": "canary", "batch": 1, "hosts": ["A", HOSTILE], "recovered": 1, "failed": 1}
    batch.update(failure_rate=50.0, threshold=20.0, halt=True)
    return rollout_report(
        plan,
        {"A": outcome("recovered"), HOSTILE: outcome("failed", f"did not come back healthy: {HOSTILE}")},
        [batch],
        f"Rollout halted after wave canary batch 1: {HOSTILE}",
        run_id=f"run {HOSTILE}",
        started="2026-01-01T10:00:00.000+00:00",
        finished_at={"A": "2026-01-01T10:01:00.000+00:00", HOSTILE: "2026-01-01T10:02:30.000+00:00"},
        max_failure_rate=20.0,
    )


def test_the_page_holds_the_reports_numbers_and_the_halt():
    report = halted_report()
    page = read_page(_report_html.render(report))

    assert page.counts("by-wave") == report["by_wave"]
    assert page.counts("by-signature") == report["by_signature"]
    assert page.counts("by-path") == report["by_path"]
    assert {status: int(text) for status, text in page.tables["totals"]["all"].items() if int(text)} == report["totals"]
    assert page.tables["batches"]["canary#1"] == {
        "batch": "1", "hosts": "2", "recovered": "1", "failed": "1", "failure_rate": "50.0%", "threshold": "20%",
        "verdict": "HALT"}  # fmt: skip
    assert page.texts["halted"] == "HALTED: " + report["halt_reason"]
    assert page.texts["run"].endswith("a batch halts the rollout when more than 20% of it fails")
    # One point per host that finished; the series' last count is its total.
    assert page.points == {"recovered": 1, "failed": 1}
    assert page.attributes["recoveries"]["data-points"] == "2"
    not_recovered = page.tables["not-recovered"]
    assert {key: row["status"] for key, row in not_recovered.items()} == {
        HOSTILE: "failed", "C": "untouched", "D": "needs_hands", "E": "blocked"}  # fmt: skip
    assert not_recovered[HOSTILE]["reason"] == f"did not come back healthy: {HOSTILE}"
    assert not_recovered["D"]["reason"] == "in stock WinRE: no WinRM"


def test_every_text_is_escaped_and_the_page_loads_nothing():
    text = _report_html.render(halted_report())
    page = read_page(text)
    # The hostile name, reason, run ID and warning are text, never markup.
    assert "script" not in page.tags and "img" not in page.tags and "link" not in page.tags
    assert "<script" not in text and "<img" not in text
    assert set(page.tags) <= {
        "html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "table", "thead", "tbody", "tr", "th",
        "td", "svg", "line", "text", "polyline", "circle"}  # fmt: skip
    # Nothing to fetch: no src/href at all, and a policy that forbids loading anything anyway.
    assert not page.attribute_names & {"src", "href", "xlink:href", "style"}
    assert "default-src 'none'" in text


def test_an_empty_run_renders():
    report = rollout_report({"hosts": {}}, {}, [], "")
    page = read_page(_report_html.render(report))
    assert page.tables["totals"]["all"] == dict.fromkeys(page.tables["totals"]["all"], "0")
    assert page.tables["batches"] == {} and page.counts("by-wave") == {}
    assert page.attributes["recoveries"]["data-points"] == "0"
    assert page.attributes["not-recovered"]["data-rows"] == "0"
    assert "halted" not in page.texts


def test_junit_has_one_case_per_host_failing_what_the_recap_fails():
    report = halted_report()
    suites = ET.fromstring(_report_junit.render(report))
    suite = suites.find("testsuite")
    cases = {case.get("name"): case for case in suite.findall("testcase")}
    assert set(cases) == set(report["hosts"])
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("5", "2", "2")
    assert list(cases["A"]) == []  # recovered: passed
    failure = cases[HOSTILE].find("failure")
    assert failure.get("type") == "failed" and failure.text == f"did not come back healthy: {HOSTILE}"
    assert cases["E"].find("failure").get("message") == "blocked: the login was refused"
    assert cases["D"].find("skipped").get("message") == "needs_hands: in stock WinRE: no WinRM"
    assert cases["C"].find("skipped").get("message") == "untouched: the rollout halted before this host's batch"
    assert cases["C"].get("classname") == "lifeline.broad"


def test_junit_carries_no_character_xml_cannot_hold():
    hosts = {"hosts": {"A": planned("remediate")}}
    report = rollout_report(hosts, {"A": outcome("failed", "bad\x00\x1bbytes")}, [], "")
    failure = ET.fromstring(_report_junit.render(report)).find("testsuite/testcase/failure")
    assert failure.text == "bad??bytes"


def test_the_stats_for_awx_are_the_reports_counts_without_the_host_table():
    report = halted_report()
    summary = stats_summary(report)
    assert summary["totals"] == report["totals"] and summary["by_wave"] == report["by_wave"]
    assert summary["halted"] and summary["not_recovered"] == 4
    assert summary["batches"] == [{key: value for key, value in report["batches"][0].items() if key != "hosts"}]
    assert "hosts" not in summary
    json.dumps(summary)  # plain JSON, as set_stats needs
