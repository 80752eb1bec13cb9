"""A stability report as Markdown (pure), for terminals, PR comments and the run folder.

The sections are built once as plain-text tables (`report_sections`) so the HTML page says
exactly the same things; each renderer only escapes and lays them out. Any field may be
missing or None (a report of a run that died early still renders): such cells show "—".
"""

from __future__ import annotations

import html
import math
import re
from datetime import datetime, timezone

MB = 1024 * 1024  # "MB" in the report is MiB, like the memory series and the leak slope
NONE = "—"
_NUMBER = re.compile(r"^[-+]?[\d,]+(\.\d+)?( s)?$")

Table = tuple[str, list[str], list[list[str]]]  # title, header, rows (plain text)


def render_markdown(report: dict) -> str:
    """Heading, verdict with reasons, then one table per section; the series are left out."""
    head = report_heading(report)
    lines = [f"# Stability report: run {_md(head['run_id'])}", "",
             f"- workload: {_md(head['workload'])}",
             f"- window: {_md(head['window'])}",
             f"- generated: {_md(head['generated'])}", "",
             f"## Verdict: **{_md(head['level'])}**", ""]
    lines += [f"- {_md(r)}" for r in head["reasons"]] or ["- (no reasons given)"]
    for title, header, rows in report_sections(report):
        lines += ["", f"## {_md(title)}", ""]
        if not rows:
            lines.append("none")
            continue
        lines.append("| " + " | ".join(_md(h) for h in header) + " |")
        lines.append("|" + "|".join("---:" if numeric_column(rows, i) else "---" for i in range(len(header))) + "|")
        lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def report_heading(report: dict) -> dict:
    """The facts above the tables, as text: run, workload, window, verdict and reasons."""
    window = report.get("window") or {}
    verdict = report.get("verdict") or {}
    start, end = window.get("start_ns"), window.get("end_ns")
    which = "whole run" if window.get("index") is None else f"window {window['index'] + 1}"
    span = f"{fmt_date(start)} {fmt_time(start)}–{fmt_time(end, start)} UTC" if start is not None else NONE
    state = "final" if window.get("final") else "interim"
    return {"run_id": _text(report.get("run_id")), "workload": _text(report.get("workload")),
            "window": f"{which}, {span} ({state})",
            "generated": f"{fmt_date(report.get('generated_ns'))} {fmt_time(report.get('generated_ns'))} UTC",
            "level": _text(verdict.get("level")).upper(),
            "reasons": [str(r) for r in verdict.get("reasons") or []]}


def report_sections(report: dict) -> list[Table]:
    """Every table of the report, cells already formatted as text (not yet escaped)."""
    day0 = (report.get("window") or {}).get("start_ns")
    return [_throughput(report.get("throughput") or {}), _latency(report.get("latency_ms") or {}),
            _lag(report.get("lag") or {}), _freshness(report.get("freshness_s") or {}),
            _memory(report.get("memory") or []), _restarts(report.get("restarts") or {}),
            _faults(report.get("faults") or [], day0), _integrity(report.get("integrity") or {}),
            _errors(report.get("errors") or {}), _alerts(report.get("alerts") or [], day0)]


def numeric_column(rows: list[list[str]], i: int) -> bool:
    """Whether column `i` holds numbers (or dashes) only, so it reads best right-aligned."""
    cells = [row[i] for row in rows if i < len(row) and row[i] != NONE]
    return all(_NUMBER.match(c) for c in cells)


def fmt_time(ns: int | None, day0_ns: int | None = None) -> str:
    """UTC HH:MM:SS; "+Nd" when the day differs from the heading's (runs last 24 h and more)."""
    if ns is None:
        return NONE
    t = datetime.fromtimestamp(ns / 1e9, tz=timezone.utc)
    out = t.strftime("%H:%M:%S")
    if day0_ns is not None:
        days = (t.date() - datetime.fromtimestamp(day0_ns / 1e9, tz=timezone.utc).date()).days
        out += f" ({days:+d}d)" if days else ""
    return out


def fmt_date(ns: int | None) -> str:
    return NONE if ns is None else datetime.fromtimestamp(ns / 1e9, tz=timezone.utc).strftime("%Y-%m-%d")


def fmt_num(v: object, digits: int = 1) -> str:
    """Integers with thousands separators, floats with `digits` decimals, None as a dash."""
    if v is None or isinstance(v, bool):
        return NONE if v is None else str(v)
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return NONE if not math.isfinite(v) else f"{v:,.{digits}f}"
    return str(v)


def _throughput(t: dict) -> Table:
    stages = ("produced", "acked", "consumed", "ingested")
    rows = [["records", *(fmt_num(t.get(s)) for s in stages)],
            ["per second", *(fmt_num(t.get(f"{s}_per_s")) for s in stages)]] if t else []
    return "Throughput", ["", *stages], rows


def _latency(lat: dict) -> Table:
    keys = ("count", "p50", "p90", "p99", "p999", "max")
    rows = [[str(name), *(fmt_num((h or {}).get(k), 2) for k in keys)] for name, h in lat.items()]
    return "Latency (ms)", ["histogram", "count", "p50", "p90", "p99", "p99.9", "max"], rows


def _lag(lag: dict) -> Table:
    rows = [["consumer lag (records)", fmt_num(lag.get("max")), fmt_num(lag.get("at_end"))]] if lag else []
    return "Lag", ["", "max", "at end"], rows


def _freshness(f: dict) -> Table:
    rows = [["freshness (s)", fmt_num(f.get("max")), fmt_num(f.get("at_end"))]] if f else []
    return "Freshness", ["", "max", "at end"], rows


def _memory(mem: list[dict]) -> Table:
    def mb(v: object) -> str:
        return fmt_num(v / MB) if isinstance(v, (int, float)) and not isinstance(v, bool) else NONE
    rows = [[_text(m.get("process")), mb(m.get("start_bytes")), mb(m.get("end_bytes")), mb(m.get("max_bytes")),
             fmt_num(m.get("floor_slope_mb_per_h"), 2)] for m in mem]
    return "Memory", ["process", "start MB", "end MB", "max MB", "floor slope MB/h"], rows


def _restarts(r: dict) -> Table:
    rows = [[str(agent), fmt_num(n)] for agent, n in sorted((r.get("by_agent") or {}).items())]
    if r:
        rows += [["total", fmt_num(r.get("total"))], ["caused by faults", fmt_num(r.get("caused_by_faults"))]]
    return "Restarts", ["agent", "restarts"], rows


def _faults(faults: list[dict], day0: int | None) -> Table:
    def recovery(f: dict) -> str:
        if f.get("recovery_s") is not None:
            return f"{fmt_num(f['recovery_s'])} s"
        return _text(f.get("recovery"))
    rows = [[_text(f.get("kind")), _text(f.get("target")), fmt_time(f.get("started_ns"), day0),
             fmt_time(f.get("healed_ns"), day0), recovery(f)] for f in faults]
    return "Faults", ["kind", "target", "started", "healed", "recovery"], rows


def _integrity(i: dict) -> Table:
    keys = ("lost", "duplicate", "reordered", "corrupt")
    return "Integrity", list(keys), [[fmt_num(i.get(k)) for k in keys]] if i else []


def _errors(e: dict) -> Table:
    rows = [["produce failures", fmt_num(e.get("produce_failures"))],
            ["query errors", fmt_num(e.get("query_errors"))]] if e else []
    rows += [[f"query {name}: {message}", ""] for name, message in sorted((e.get("query_error_messages") or {}).items())]
    rows += [[f"control step: {step}", fmt_num(n)] for step, n in sorted((e.get("control_step_errors") or {}).items())]
    return "Errors", ["error", "count"], rows


def _alerts(alerts: list[dict], day0: int | None) -> Table:
    rows = [[_text(a.get("kind")), _text(a.get("subject")), _text(a.get("summary")),
             fmt_time(a.get("first_seen_ns"), day0),
             "open" if a.get("resolved_ns") is None else fmt_time(a.get("resolved_ns"), day0)] for a in alerts]
    return "Alerts", ["kind", "subject", "summary", "first seen", "resolved"], rows


def _text(v: object) -> str:
    return NONE if v is None or v == "" else str(v)


def _md(text: str) -> str:
    """Inline Markdown text: no HTML, no table breaks, no accidental emphasis or links."""
    text = html.escape(" ".join(str(text).split()), quote=False)
    for ch in "\\`*[]|":
        text = text.replace(ch, "\\" + ch)
    return text
