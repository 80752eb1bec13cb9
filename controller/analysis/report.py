"""The stability report of one window, or of the whole run (pure).

Built from what the analysis step gathered: counter deltas and interval histograms of the
window (percentiles from merged histograms, never averaged), sample series, fault rows,
restarts, anomalies, errors and alerts. The verdict judges the window by the workload's
SLOs; the whole-run report carries the run's own verdict (from the final check) and adds
what the detectors found. Rendered by render_markdown / render_html; stored as JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from controller.analysis.alerts import CROSS_RUN_REGRESSION, FAULT_NOT_RECOVERED, Alert
from controller.analysis.series import floors, outside
from controller.analysis.stats import pairwise_slopes
from controller.runs.verdict import FAIL, PASS, WARN, query_failures
from workloads.model import SLOSpec

MB = 2**20
NS = 1e9
LATENCY_NAMES = {"ack_latency": "ack", "e2e_latency": "e2e", "ingest_latency": "ingest",
                 "commit_latency": "iceberg_commit"}
THROUGHPUT = {"produced": "sent", "acked": "acked", "consumed": "consumed", "ingested": "committed_records"}
_ORDER = {PASS: 0, WARN: 1, FAIL: 2}

Points = list[tuple[float, float]]


@dataclass
class WindowFacts:
    run_id: str
    workload: str
    index: int | None  # None: the whole run
    start_ns: int
    end_ns: int
    run_start_ns: int
    counters: dict[str, float] = field(default_factory=dict)  # deltas over the window
    latency: dict[str, dict] = field(default_factory=dict)  # histogram name -> summary (us) of the window
    calm_latency: dict[str, dict] = field(default_factory=dict)  # the same, outside faults: what SLOs judge
    memory: dict[str, Points] = field(default_factory=dict)  # process -> (t_s, rss bytes)
    latency_p99: dict[str, Points] = field(default_factory=dict)  # histogram name -> (t_s, p99 us) per tick
    throughput: dict[str, Points] = field(default_factory=dict)  # rate name -> (t_s, per second)
    lag: Points = field(default_factory=list)
    freshness: Points = field(default_factory=list)
    faults: list[dict] = field(default_factory=list)  # fault rows that touch the window
    restarts: dict[str, int] = field(default_factory=dict)
    fault_restarts: int = 0
    anomalies: dict[str, float] = field(default_factory=dict)  # duplicate, reordered, corrupt
    lost: int | None = None  # known at the final check only
    step_errors: dict[str, int] = field(default_factory=dict)
    query_errors: dict[str, str] = field(default_factory=dict)  # named query -> its last error message
    alerts: list[Alert] = field(default_factory=list)
    run_verdict: tuple[str, list[str]] | None = None  # the whole run's, from its final check
    generated_ns: int = 0
    memory_floor_s: float = 300.0


def _t(ns: int | None, run_start_ns: int) -> float | None:
    return None if ns is None else (ns - run_start_ns) / NS


def fault_windows(faults: list[dict], run_start_ns: int, end_ns: int) -> list[tuple[float, float, str]]:
    """(start_s, end_s, kind) of each fault from its start to its recovery (or its heal,
    or the end of the window while it is in place), in seconds since the run started."""
    out = []
    for f in faults:
        if f.get("started_ns") is None:
            continue
        end = f.get("healed_ns")
        if end is not None and f.get("recovery_s") is not None:
            end += int(f["recovery_s"] * NS)
        out.append((_t(f["started_ns"], run_start_ns), _t(end if end is not None else end_ns, run_start_ns),
                    f["kind"]))
    return out


def _ms(summary: dict) -> dict:
    return {"count": int(summary.get("count", 0)),
            **{q: summary.get(f"{q}_us", 0) / 1000 for q in ("p50", "p90", "p99", "p999", "max")}}


def latency_name(name: str) -> str:
    if name.startswith("query_latency."):
        return "query:" + name.split(".", 1)[1]
    return LATENCY_NAMES.get(name, name)


def floor_slope_mb_per_h(points: Points, floor_s: float) -> float | None:
    f = floors(points, floor_s, origin_s=points[0][0]) if points else []
    if len(f) < 4:
        return None
    slopes = pairwise_slopes(np.array([t for t, _ in f]) / 3600.0, np.array([v / MB for _, v in f]))
    return float(np.median(slopes)) if len(slopes) else None


def memory_rows(memory: dict[str, Points], floor_s: float) -> list[dict]:
    rows = []
    for name, points in sorted(memory.items()):
        if not points:
            continue
        values = [v for _, v in points]
        rows.append({"process": name, "start_bytes": values[0], "end_bytes": values[-1], "max_bytes": max(values),
                     "floor_slope_mb_per_h": floor_slope_mb_per_h(points, floor_s)})
    return rows


def judge_window(f: WindowFacts, slo: SLOSpec, windows: list[tuple[float, float, str]]) -> tuple[str, list[str]]:
    """PASS / WARN / FAIL of one window, with reasons (merged as PASS < WARN < FAIL)."""
    found: list[tuple[str, str]] = []
    for kind in ("corrupt", "reordered", "duplicate"):
        if f.anomalies.get(kind, 0):
            found.append((FAIL, f"verifiers saw {int(f.anomalies[kind])} {kind} records"))
    if f.lost:
        found.append((FAIL, f"{f.lost} acknowledged records are missing"))
    failed_queries = int(f.counters.get("errors_total", 0))
    if failed_queries:
        found.append((WARN, query_failures(failed_queries, f.query_errors)))
    if f.counters.get("acked", 0) == 0 and f.index is not None:
        found.append((WARN, "no record was acknowledged in this window"))
    calm = {latency_name(k): v for k, v in f.calm_latency.items()}
    # Worded as the run's verdict words them, so a breach both name is listed once.
    for key, label, limit in (("ack", "ack", slo.max_p99_ack_ms), ("e2e", "end-to-end", slo.max_p99_e2e_ms)):
        summary = calm.get(key)
        if limit is not None and summary and summary.get("count"):
            p99 = summary["p99_us"] / 1000
            if p99 > limit:
                found.append((WARN, f"p99 {label} latency {p99:.0f} ms is above the SLO of {limit:g} ms"))
    spans = [(a, b) for a, b, _ in windows]
    calm_lag = [v for _, v in outside(f.lag, spans)]
    if slo.max_lag_records is not None and calm_lag and max(calm_lag) > slo.max_lag_records:
        found.append((WARN, f"consumer lag reached {int(max(calm_lag))} records (SLO {slo.max_lag_records})"))
    calm_fresh = [v for _, v in outside(f.freshness, spans)]
    if slo.max_freshness_s is not None and calm_fresh and max(calm_fresh) > slo.max_freshness_s:
        found.append((WARN, f"table freshness reached {max(calm_fresh):.0f} s (SLO {slo.max_freshness_s:g} s)"))
    unexpected = sum(f.restarts.values()) - f.fault_restarts
    if unexpected > 0:
        found.append((WARN, f"{unexpected} agent restarts not caused by injected faults"))
    for fault in f.faults:
        if fault.get("recovery_state") == "not_recovered":
            found.append((WARN, f"no recovery from {fault['kind']} on {fault.get('target') or '-'}"))
    for alert in f.alerts:
        # The run's own verdict already names what the detectors found while it ran.
        judged_by_run = f.run_verdict is not None and alert.kind != CROSS_RUN_REGRESSION
        if alert.kind != FAULT_NOT_RECOVERED and not judged_by_run:
            found.append((WARN, f"{alert.kind} ({alert.subject}): {alert.summary}"))
    if f.run_verdict is not None:
        level, reasons = f.run_verdict
        found = [(level, r) for r in reasons if level != PASS] + found
    if not found:
        reason = f.run_verdict[1] if f.run_verdict and f.run_verdict[0] == PASS else ["every SLO met"]
        return PASS, list(reason)
    level = max((lvl for lvl, _ in found), key=_ORDER.__getitem__)
    seen, reasons = set(), []
    for _, r in found:
        if r not in seen:
            seen.add(r)
            reasons.append(r)
    return level, reasons


def _series(points: Points, scale: float = 1.0) -> list[list[float]]:
    return [[round(t, 3), v * scale] for t, v in points]


def build_report(f: WindowFacts, slo: SLOSpec) -> dict:
    windows = fault_windows(f.faults, f.run_start_ns, f.end_ns)
    level, reasons = judge_window(f, slo, windows)
    seconds = max((f.end_ns - f.start_ns) / NS, 1e-9)
    throughput = {}
    for label, counter in THROUGHPUT.items():
        value = f.counters.get(counter, 0.0)
        throughput[label] = int(value)
        throughput[f"{label}_per_s"] = value / seconds
    lag_values = [v for _, v in f.lag]
    fresh_values = [v for _, v in f.freshness]
    return {
        "run_id": f.run_id, "workload": f.workload, "generated_ns": f.generated_ns,
        "window": {"index": f.index, "start_ns": f.start_ns, "end_ns": f.end_ns, "final": f.index is None},
        "verdict": {"level": level, "reasons": reasons},
        "throughput": throughput,
        "latency_ms": {latency_name(k): _ms(v) for k, v in sorted(f.latency.items()) if v.get("count")},
        "lag": {"max": int(max(lag_values)) if lag_values else None,
                "at_end": int(lag_values[-1]) if lag_values else None},
        "freshness_s": {"max": max(fresh_values) if fresh_values else None,
                        "at_end": fresh_values[-1] if fresh_values else None},
        "memory": memory_rows(f.memory, f.memory_floor_s),
        "restarts": {"total": sum(f.restarts.values()), "by_agent": dict(sorted(f.restarts.items())),
                     "caused_by_faults": f.fault_restarts},
        "faults": [{"kind": x["kind"], "target": x.get("target"), "started_ns": x.get("started_ns"),
                    "healed_ns": x.get("healed_ns"), "recovery": x.get("recovery_state"),
                    "recovery_s": x.get("recovery_s")} for x in f.faults],
        "integrity": {"lost": f.lost, **{k: int(f.anomalies.get(k, 0)) for k in ("duplicate", "reordered", "corrupt")}},
        "errors": {"produce_failures": int(f.counters.get("failed", 0)),
                   "query_errors": int(f.counters.get("errors_total", 0)),
                   "query_error_messages": dict(sorted(f.query_errors.items())),
                   "control_step_errors": dict(f.step_errors)},
        "alerts": [a.to_json() for a in f.alerts],
        "series": {
            "memory_mb": {name: _series(p, 1 / MB) for name, p in sorted(f.memory.items())},
            "latency_p99_ms": {latency_name(n): _series(p, 1 / 1000) for n, p in sorted(f.latency_p99.items())},
            "throughput_per_s": {n: _series(p) for n, p in sorted(f.throughput.items())},
            "lag_records": {"total": _series(f.lag)},
        },
        "fault_windows": [[a, b, k] for a, b, k in windows],
    }
