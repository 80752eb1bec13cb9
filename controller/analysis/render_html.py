"""A stability report as one self-contained HTML page (pure): inline CSS and SVG only, no
scripts and no external URLs, so it can be mailed, archived or opened offline years later.

It says what the Markdown says (same `report_sections`) plus four plots with the fault
windows shaded, so a memory step or a lag spike can be read against the fault that caused it.
"""

from __future__ import annotations

from html import escape

from controller.analysis.render_markdown import numeric_column, report_heading, report_sections
from controller.analysis.svg_plot import line_plot

VERDICT_COLOURS = {"PASS": "#1a7f37", "WARN": "#b7791f", "FAIL": "#cf222e"}
PLOTS = (  # series key, title, unit
    ("memory_mb", "Memory (MB per process)", "MB"),
    ("latency_p99_ms", "Latency p99 (ms per histogram)", "ms"),
    ("throughput_per_s", "Throughput (records/s)", "records/s"),
    ("lag_records", "Consumer lag (records)", "records"),
)
_CSS = """
body { font-family: system-ui, sans-serif; margin: 24px auto; max-width: 820px; color: #222; }
h1 { font-size: 1.4em; margin-bottom: 4px; }
h2 { font-size: 1.1em; margin: 22px 0 6px; border-bottom: 1px solid #ddd; }
.meta { color: #555; margin: 2px 0; }
.verdict { color: #fff; padding: 10px 16px; border-radius: 6px; margin: 16px 0 8px; font-size: 1.6em;
           font-weight: bold; letter-spacing: 0.05em; }
.verdict-other { background: #6e7781; }
table { border-collapse: collapse; font-size: 0.9em; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; }
th.num, td.num { text-align: right; }
th { background: #f4f4f4; }
.none { color: #777; font-style: italic; }
svg.plot { display: block; margin: 10px 0; }
""" + "".join(f".verdict-{level} {{ background: {colour}; }}\n" for level, colour in VERDICT_COLOURS.items())


def render_html(report: dict) -> str:
    """The whole page: heading, coloured verdict with reasons, four plots, then the tables."""
    head = report_heading(report)
    level = head["level"]
    title = f"Stability report: run {head['run_id']}"
    reasons = "".join(f"<li>{escape(r)}</li>" for r in head["reasons"]) or "<li>(no reasons given)</li>"
    body = [f"<h1>{escape(title)}</h1>",
            f'<p class="meta">workload: <b>{escape(head["workload"])}</b></p>',
            f'<p class="meta">window: {escape(head["window"])}</p>',
            f'<p class="meta">generated: {escape(head["generated"])}</p>',
            f'<div class="verdict verdict-{level if level in VERDICT_COLOURS else "other"}">'
            f"{escape(level)}</div>",
            f'<ul class="reasons">{reasons}</ul>',
            "<h2>Plots</h2>", *plots(report)]
    for name, header, rows in report_sections(report):
        body.append(f"<h2>{escape(name)}</h2>")
        body.append(_table(header, rows) if rows else '<p class="none">none</p>')
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"/>'
            f"<title>{escape(title)}</title><style>{_CSS}</style></head>\n<body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def plots(report: dict) -> list[str]:
    """The four SVG plots, each with the run's fault windows shaded."""
    series = report.get("series") or {}
    shaded = [tuple(w[:3]) for w in report.get("fault_windows") or [] if w and len(w) >= 3]
    return [line_plot(title, series.get(key) or {}, unit, shaded) for key, title, unit in PLOTS]


def _table(header: list[str], rows: list[list[str]]) -> str:
    cls = ['' if not numeric_column(rows, i) else ' class="num"' for i in range(len(header))]
    th = "".join(f"<th{cls[i]}>{escape(h)}</th>" for i, h in enumerate(header))
    trs = "".join("<tr>" + "".join(f"<td{cls[i]}>{escape(c)}</td>" for i, c in enumerate(row)) + "</tr>"
                  for row in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{trs}</tbody></table>"
