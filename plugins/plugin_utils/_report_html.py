# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rollout report (``_rollout_report.rollout_report``) as one self-contained HTML page for people: the counts per
wave, signature and path, the batches with their failure rates and the halt threshold, the recoveries over time as
an inline SVG chart, and the hosts not recovered with the reason.

Opening it needs no network: the CSS and the chart are inline, there is no script, and the page's Content Security
Policy forbids loading anything. Every text from the report (host names, reasons, signatures) is escaped.
Numbers carry ``data-`` attributes so a program (the tests) can read them back from the rendered page.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable, Mapping

from ansible_collections.lifeline.recovery.plugins.plugin_utils._rollout_report import NOT_RECOVERED, STATUSES

__all__ = ["render"]

# Nothing is fetched when the page is opened: no script, no remote style, font or image.
_POLICY = "default-src 'none'; style-src 'unsafe-inline'"
_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em;color:#222;max-width:72em}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}
th:first-child,td:first-child,td.text{text-align:left}thead th{background:#f2f2f2}
.banner{padding:.6em 1em;border-radius:4px;margin:.6em 0}.halted,.interrupted{background:#fde2e1;color:#8a1c14}
.warning{background:#fff4d6}.zero{color:#bbb}tr.halt td{background:#fde2e1}
.muted{color:#666}svg text{font-size:11px;fill:#444}
"""
_CHART_WIDTH, _CHART_HEIGHT, _MARGIN = 640, 240, 40
_SERIES = (("recovered", "#2e7d32"), ("failed", "#c62828"))


def _text(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _percent(value: object) -> str:
    return f"{value:g}" if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)


def _time(value: object) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None


def _counts_table(table_id: str, title: str, rows: Mapping[str, Mapping[str, int]]) -> str:
    statuses = [status for status in STATUSES if any(row.get(status) for row in rows.values())]
    head = "".join(f"<th>{_text(status.replace('_', ' '))}</th>" for status in statuses)
    lines = [f'<table id="{table_id}"><thead><tr><th>{_text(title)}</th>{head}<th>total</th></tr></thead><tbody>']
    for name in sorted(rows):
        cells = "".join(
            f'<td data-status="{status}" class="{"zero" if not rows[name].get(status) else ""}">'
            f"{rows[name].get(status, 0)}</td>"
            for status in statuses
        )
        total = sum(rows[name].values())
        key = _text(name)
        lines.append(f'<tr data-key="{key}"><td>{key}</td>{cells}<td data-status="total">{total}</td></tr>')
    lines.append("</tbody></table>")
    return "\n".join(lines)


def _batches_table(batches: Iterable[Mapping]) -> str:
    lines = [
        '<table id="batches"><thead><tr><th>wave</th><th>batch</th><th>hosts</th><th>recovered</th><th>failed</th>'
        "<th>failure rate</th><th>halt threshold</th><th>verdict</th></tr></thead><tbody>"
    ]
    for batch in batches:
        halt = bool(batch.get("halt"))
        threshold = batch.get("threshold")
        lines.append(
            f'<tr class="{"halt" if halt else ""}" data-key="{_text(batch.get("wave"))}#{_text(batch.get("batch"))}">'
            f'<td>{_text(batch.get("wave"))}</td><td data-field="batch">{_text(batch.get("batch"))}</td>'
            f'<td data-field="hosts">{len(batch.get("hosts") or [])}</td>'
            f'<td data-field="recovered">{_text(batch.get("recovered"))}</td>'
            f'<td data-field="failed">{_text(batch.get("failed"))}</td>'
            f'<td data-field="failure_rate">{_text(batch.get("failure_rate"))}%</td>'
            f'<td data-field="threshold">{"-" if threshold is None else _text(_percent(threshold)) + "%"}</td>'
            f'<td data-field="verdict">{"HALT" if halt else "go on"}</td></tr>'
        )
    lines.append("</tbody></table>")
    return "\n".join(lines)


def _chart(report: Mapping) -> str:
    """Cumulative recovered and failed hosts against the minutes since the run started (one point per host)."""
    ends = sorted(
        (moment, host["status"])
        for host in report["hosts"].values()
        if host["status"] in dict(_SERIES) and (moment := _time(host.get("finished_at")))
    )
    if not ends:
        return '<p id="recoveries" class="muted" data-points="0">No host finished in this run.</p>'
    start = _time(report.get("started")) or ends[0][0]
    span = max((ends[-1][0] - start).total_seconds(), 1.0)
    top = max(sum(1 for _when, status in ends if status == name) for name, _colour in _SERIES) or 1
    width, height = _CHART_WIDTH - 2 * _MARGIN, _CHART_HEIGHT - 2 * _MARGIN

    def point(seconds: float, count: int) -> tuple[float, float]:
        return _MARGIN + width * seconds / span, _MARGIN + height * (1 - count / top)

    parts = [
        f'<svg id="recoveries" xmlns="http://www.w3.org/2000/svg" width="{_CHART_WIDTH}" height="{_CHART_HEIGHT}" '
        f'viewBox="0 0 {_CHART_WIDTH} {_CHART_HEIGHT}" role="img" data-points="{len(ends)}">',
        "<title>Hosts recovered and failed over time</title>",
        f'<line x1="{_MARGIN}" y1="{_MARGIN + height}" x2="{_MARGIN + width}" y2="{_MARGIN + height}" stroke="#888"/>',
        f'<line x1="{_MARGIN}" y1="{_MARGIN}" x2="{_MARGIN}" y2="{_MARGIN + height}" stroke="#888"/>',
        f'<text x="{_MARGIN - 6}" y="{_MARGIN + 4}" text-anchor="end">{top}</text>',
        f'<text x="{_MARGIN - 6}" y="{_MARGIN + height + 4}" text-anchor="end">0</text>',
        f'<text x="{_MARGIN}" y="{_CHART_HEIGHT - 12}">0 min</text>',
        f'<text x="{_MARGIN + width}" y="{_CHART_HEIGHT - 12}" text-anchor="end">{span / 60:.1f} min</text>',
    ]
    for row, (name, colour) in enumerate(_SERIES):
        seconds = [(moment - start).total_seconds() for moment, status in ends if status == name]
        steps, count = [point(0, 0)], 0
        for elapsed in seconds:
            steps.append(point(elapsed, count))
            count += 1
            steps.append(point(elapsed, count))
        steps.append(point(span, count))
        coordinates = " ".join(f"{x:.1f},{y:.1f}" for x, y in steps)
        line = f'class="{name}" fill="none" stroke="{colour}" stroke-width="2" points="{coordinates}"'
        parts.append(f"<polyline {line}/>")
        for index, elapsed in enumerate(seconds, start=1):
            x, y = point(elapsed, index)
            parts.append(f'<circle class="{name}" cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>')
        parts.append(
            f'<text x="{_MARGIN + width - 90}" y="{_MARGIN + 14 * row}" fill="{colour}" data-series="{name}" '
            f'data-count="{count}">{name}: {count}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def _hosts_table(report: Mapping) -> str:
    noted = [(name, host) for name, host in report["hosts"].items() if host["status"] in NOT_RECOVERED]
    if not noted:
        return '<p id="not-recovered" class="muted" data-rows="0">Every host Lifeline planned for was recovered.</p>'
    lines = [
        f'<table id="not-recovered" data-rows="{len(noted)}"><thead><tr><th>host</th><th>status</th><th>wave</th>'
        "<th>path</th><th>signature</th><th>reason</th></tr></thead><tbody>"
    ]
    for name, host in noted:
        lines.append(
            f'<tr data-key="{_text(name)}"><td>{_text(name)}</td><td class="text" data-field="status">'
            f'{_text(host["status"])}</td><td class="text">{_text(host.get("wave") or "-")}</td>'
            f'<td class="text">{_text(host.get("path") or "-")}</td>'
            f'<td class="text">{_text(host.get("signature") or "-")}</td>'
            f'<td class="text" data-field="reason">{_text(host.get("reason"))}</td></tr>'
        )
    lines.append("</tbody></table>")
    return "\n".join(lines)


def render(report: Mapping) -> str:
    """The page for a rollout report (the dict the callback writes as JSON)."""
    totals = report.get("totals") or {}
    run = report.get("run_id") or "(no run ID)"
    summary = ", ".join(f"{totals.get(status, 0)} {status.replace('_', ' ')}" for status in STATUSES)
    threshold = report.get("max_failure_rate")
    rule = "" if threshold is None else f"; a batch halts the rollout when more than {_percent(threshold)}% of it fails"
    body = [
        f"<h1>Lifeline rollout {_text(run)}</h1>",
        f'<p id="run" class="muted">started {_text(report.get("started") or "-")}, '
        f"finished {_text(report.get('finished'))}{_text(rule)}</p>",
    ]
    if report.get("interrupted"):
        body.append(
            f'<p id="interrupted" class="banner interrupted">INTERRUPTED ({_text(report.get("interrupted_by"))}) '
            "before the rollout finished</p>"
        )
    if report.get("halted"):
        body.append(f'<p id="halted" class="banner halted">HALTED: {_text(report.get("halt_reason"))}</p>')
    body.extend(f'<p class="banner warning">warning: {_text(warning)}</p>' for warning in report.get("warnings") or [])
    total_cells = "".join(f'<td data-status="{status}">{totals.get(status, 0)}</td>' for status in STATUSES)
    body += [
        f'<p id="summary">{_text(summary)}</p>',
        '<table id="totals"><thead><tr><th></th>'
        + "".join(f"<th>{_text(status.replace('_', ' '))}</th>" for status in STATUSES)
        + f'</tr></thead><tbody><tr data-key="all"><td>hosts</td>{total_cells}</tr></tbody></table>',
        "<h2>Per wave</h2>",
        _counts_table("by-wave", "wave", report.get("by_wave") or {}),
        "<h2>Per failure signature</h2>",
        _counts_table("by-signature", "signature", report.get("by_signature") or {}),
        "<h2>Per path</h2>",
        _counts_table("by-path", "path", report.get("by_path") or {}),
        "<h2>Batches</h2>",
        _batches_table(report.get("batches") or []),
        "<h2>Recoveries over time</h2>",
        _chart(report),
        "<h2>Hosts not recovered</h2>",
        _hosts_table(report),
    ]
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{_POLICY}">',
            f"<title>Lifeline rollout {_text(run)}</title>",
            f"<style>{_STYLE}</style></head><body>",
            *body,
            "</body></html>",
            "",
        ]
    )
