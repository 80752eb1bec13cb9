"""Report renderers on a literal report: Markdown and a self-contained HTML page with plots."""

from __future__ import annotations

import copy
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

from controller.analysis.render_html import render_html
from controller.analysis.render_markdown import render_markdown
from controller.analysis.svg_plot import downsample, line_plot

T0 = 1_714_557_600 * 10**9  # 2024-05-01 10:00:00 UTC
S = 10**9
MB = 1024 * 1024


def report() -> dict:
    """A small hour-2 report with one fault, one open alert and a name that needs escaping."""
    minutes = range(0, 61, 5)
    return {
        "run_id": "run-42", "workload": "orders", "generated_ns": T0 + 3605 * S,
        "window": {"index": 2, "start_ns": T0, "end_ns": T0 + 3600 * S, "final": False},
        "verdict": {"level": "WARN", "reasons": ["p99 ack latency 250 ms > 100 ms", "2 agent restarts"]},
        "throughput": {"produced": 360_000, "acked": 359_990, "consumed": 359_990, "ingested": 359_000,
                       "produced_per_s": 100.0, "acked_per_s": 99.99, "consumed_per_s": 99.99,
                       "ingested_per_s": 99.7},
        "latency_ms": {"ack": {"count": 359_990, "p50": 4.2, "p90": 9.1, "p99": 250.0, "p999": 900.5, "max": 1200.0},
                       "query:count": {"count": 60, "p50": 30.0, "p90": 45.0, "p99": 80.0, "p999": 80.0, "max": 81.0}},
        "lag": {"max": 5400, "at_end": 12},
        "freshness_s": {"max": 14.5, "at_end": None},
        "memory": [{"process": "producer-0", "start_bytes": 100 * MB, "end_bytes": 104 * MB,
                    "max_bytes": 110 * MB, "floor_slope_mb_per_h": 3.25},
                   {"process": "broker", "start_bytes": 900 * MB, "end_bytes": 905 * MB,
                    "max_bytes": 950 * MB, "floor_slope_mb_per_h": None}],
        "restarts": {"total": 2, "by_agent": {"consumer-0": 2}, "caused_by_faults": 2},
        "faults": [{"kind": "agent_kill", "target": "consumer-0", "started_ns": T0 + 1200 * S,
                    "healed_ns": T0 + 1260 * S, "recovery": "recovered", "recovery_s": 42.5},
                   {"kind": "broker_pause", "target": None, "started_ns": T0 + 3000 * S, "healed_ns": None,
                    "recovery": "pending", "recovery_s": None}],
        "integrity": {"lost": 0, "duplicate": 0, "reordered": 3, "corrupt": 0},
        "errors": {"produce_failures": 1, "query_errors": 0, "control_step_errors": {"sampler": 4}},
        "alerts": [{"kind": "memory_leak", "subject": "<b>producer-0</b>", "summary": "floor +3.2 MB/h over 1 h",
                    "first_seen_ns": T0 + 3500 * S, "resolved_ns": None, "evidence": {"slope": 3.25}}],
        "series": {
            "memory_mb": {"producer-0": [[m * 60, 100 + m / 15] for m in minutes],
                          "broker": [[m * 60, 900 + (m % 3)] for m in minutes]},
            "latency_p99_ms": {"ack": [[m * 60, 5 + (200 if m == 20 else 0)] for m in minutes]},
            "throughput_per_s": {"produced": [[m * 60, 100] for m in minutes],
                                 "ingested": [[m * 60, 99 - (50 if m == 20 else 0)] for m in minutes]},
            "lag_records": {"total": [[m * 60, 5400 if m == 20 else 10] for m in minutes]},
        },
        "fault_windows": [[1200, 1260, "agent_kill"], [3000, 3600, "broker_pause"]],
    }


class _Collect(HTMLParser):
    """Start tags with their classes, and whether every non-void tag was closed in order."""

    VOID = {"meta", "br", "img", "hr", "input", "link"}

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, set[str]]] = []
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, set((dict(attrs).get("class") or "").split())))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, set((dict(attrs).get("class") or "").split())))

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(tag)


def _parse(page: str) -> _Collect:
    p = _Collect()
    p.feed(page)
    p.close()
    assert p.errors == [] and p.stack == []
    return p


def _svgs(page: str) -> list[ET.Element]:
    return [ET.fromstring(s) for s in re.findall(r"<svg\b.*?</svg>", page, flags=re.S)]


def _with_class(root: ET.Element, tag: str, cls: str) -> list[ET.Element]:
    return [e for e in root.iter(tag) if cls in (e.get("class") or "").split()]


def test_markdown_has_verdict_reasons_faults_and_alerts():
    md = render_markdown(report())
    assert md.startswith("# Stability report: run run-42\n")
    assert "window 3, 2024-05-01 10:00:00–11:00:00 UTC (interim)" in md
    assert "## Verdict: **WARN**" in md
    assert "- p99 ack latency 250 ms &gt; 100 ms" in md and "- 2 agent restarts" in md
    assert "| agent_kill | consumer-0 | 10:20:00 | 10:21:00 | 42.5 s |" in md
    assert "| broker_pause | — | 10:50:00 | — | pending |" in md
    assert "| memory_leak | &lt;b&gt;producer-0&lt;/b&gt; | floor +3.2 MB/h over 1 h | 10:58:20 | open |" in md
    assert "| producer-0 | 100.0 | 104.0 | 110.0 | 3.25 |" in md
    assert "| ack | 359,990 | 4.20 | 9.10 | 250.00 | 900.50 | 1,200.00 |" in md
    assert "| control step: sampler | 4 |" in md
    assert "<b>" not in md and "[[" not in md  # escaped, and the series are left out


def test_html_is_well_formed_with_four_plots_and_fault_windows():
    page = render_html(report())
    tags = _parse(page).tags
    assert sum(1 for t, c in tags if t == "svg" and "plot" in c) == 4
    svgs = _svgs(page)
    assert len(svgs) == 4
    for svg in svgs:
        assert svg.get("class") == "plot"
        assert _with_class(svg, "path", "series")
        windows = _with_class(svg, "rect", "fault-window")
        assert [w.find("title").text for w in windows] == ["fault: agent_kill", "fault: broker_pause"]
    memory = svgs[0]
    assert {p.get("data-series") for p in _with_class(memory, "path", "series")} == {"producer-0", "broker"}
    assert len({p.get("stroke") for p in _with_class(memory, "path", "series")}) == 2
    assert 'class="verdict verdict-WARN"' in page and "#b7791f" in page
    assert "<td>agent_kill</td>" in page and "<td>42.5 s</td>" in page


def test_html_is_self_contained_and_escaped():
    page = render_html(report())
    low = page.lower()
    assert "<script" not in low and "http://" not in low and "https://" not in low
    assert "<b>producer-0</b>" not in page and "&lt;b&gt;producer-0&lt;/b&gt;" in page


def test_empty_or_missing_fields_still_render():
    r = copy.deepcopy(report())
    r["series"] = {"memory_mb": {}, "latency_p99_ms": {"ack": []}}
    r["fault_windows"] = []
    r.update(lag=None, memory=[], alerts=None, faults=[], verdict={"level": "FAIL", "reasons": []})
    page = render_html(r)
    _parse(page)
    svgs = _svgs(page)
    assert len(svgs) == 4
    for svg in svgs:
        assert not _with_class(svg, "path", "series")
        assert _with_class(svg, "text", "no-data")[0].text == "no data"
    assert "verdict-FAIL" in page and "#cf222e" in page
    md = render_markdown(r)
    assert "## Alerts\n\nnone" in md and "## Lag\n\nnone" in md
    bare = render_markdown({"run_id": "r", "window": {"index": None, "start_ns": None}})
    assert "whole run" in bare
    _parse(render_html({}))


def test_plot_axes_switch_to_hours_and_escape_names():
    svg = ET.fromstring(line_plot("p<1>", {"a&b": [[0, 1], [5 * 3600, 2]]}, "MB", [(3600, 7200, "<x>")]))
    assert svg.find("title").text == "p<1>"
    assert "hours since start" in [t.text for t in _with_class(svg, "text", "axis-label")]
    ticks = [t.text for t in _with_class(svg, "text", "tick")]
    assert "5" in ticks and "300" not in ticks
    assert _with_class(svg, "rect", "fault-window")[0].find("title").text == "fault: <x>"
    assert _with_class(svg, "path", "series")[0].get("data-series") == "a&b"
    minutes = ET.fromstring(line_plot("m", {"a": [[0, 1], [1800, 2]]}, "MB", []))
    assert "minutes since start" in [t.text for t in _with_class(minutes, "text", "axis-label")]


def test_long_series_are_downsampled_and_keep_spikes():
    points = [[float(i), 1.0] for i in range(100_000)]
    points[54_321][1] = 500.0
    svg = ET.fromstring(line_plot("x", {"s": points}, "u", []))
    d = _with_class(svg, "path", "series")[0].get("d")
    assert d.count("L") < 1500
    ys = [float(c.split(",")[1]) for c in re.findall(r"[\d.]+,[\d.]+", d)]
    assert max(ys) - min(ys) > 100  # the one spike among 100k flat points still stands out
    kept = downsample([(float(i), float(i % 7)) for i in range(10_000)], 100)
    assert len(kept) <= 200 and kept == sorted(kept)
    assert {y for _, y in kept} == {0.0, 6.0}


def test_plot_tolerates_bad_points_and_flat_series():
    svg = ET.fromstring(line_plot("t", {"a": [[0, None], [60, float("nan")], [120, 3], [180, 3]], "b": []},
                                  "u", [(0, None, "open")]))
    assert len(_with_class(svg, "path", "series")) == 1
    assert _with_class(svg, "rect", "fault-window")[0].find("title").text == "fault: open (not healed)"
