"""Gathering a report window's facts from the run's samples and store (the I/O half of a
report; controller/analysis/report.py is the pure half)."""

from __future__ import annotations

from agents.core.histogram import LatencyHistogram, interval
from controller.analysis.report import WindowFacts
from controller.runs.verdict import last_query_errors
from controller.store.samples import RUN, SampleFiles

WINDOW_COUNTERS = ("sent", "acked", "consumed", "committed_records", "failed", "errors_total")
PLOT_POINTS = 400  # per series: enough for a plot, small in the stored report


def snapshot(c) -> dict:
    """The run's cumulative numbers now: a window is the difference of two snapshots."""
    t = c.totals
    return {"counters": {name: t.total(name) for name in WINDOW_COUNTERS},
            "histograms": {name: t.merged(name).to_json() for name in t.histogram_names()},
            "calm": {name: h.to_json() for name, h in c.calm.items()},
            "restarts": dict(c.restarts), "anomalies": t.anomalies(), "step_errors": dict(c.step_errors)}


def _hist_delta(now: dict, before: dict) -> dict[str, dict]:
    out = {}
    for name, raw in now.items():
        previous = before.get(name)
        h = interval(LatencyHistogram.from_json(raw), LatencyHistogram.from_json(previous) if previous else None)
        out[name] = h.summary()
    return out


def _delta(now: dict, before: dict) -> dict:
    return {k: v - before.get(k, 0) for k, v in now.items() if v - before.get(k, 0)}


def by_agent(samples: SampleFiles, series: str, start_ns: int, end_ns: int, step_s: float, run_start_ns: int,
             value: str = "avg") -> dict[str, list[tuple[float, float]]]:
    out: dict[str, list[tuple[float, float]]] = {}
    for p in samples.query(series, start_ns, end_ns, step_s):
        out.setdefault(p.agent_id, []).append(((p.ts_ns - run_start_ns) / 1e9, getattr(p, value)))
    return out


def gather(c, index: int | None, start_ns: int, end_ns: int, before: dict, faults: list[dict],
           alerts: list, run_verdict=None, lost: int | None = None) -> WindowFacts:
    now = snapshot(c)
    run_start = c.started_ns or start_ns
    step_s = max((end_ns - start_ns) / 1e9 / PLOT_POINTS, c.spec.sample_interval_s)
    samples = c.samples
    memory = by_agent(samples, "rss_bytes", start_ns, end_ns, step_s, run_start)
    run_series = lambda name, value="avg": by_agent(samples, name, start_ns, end_ns, step_s, run_start,  # noqa: E731
                                                     value).get(RUN, [])
    touching = [f for f in faults if f.get("started_ns") and f["started_ns"] < end_ns
                and (f.get("healed_ns") is None or f["healed_ns"] + int((f.get("recovery_s") or 0) * 1e9) >= start_ns)]
    return WindowFacts(
        run_id=c.run_id, workload=c.spec.workload.name, index=index, start_ns=start_ns, end_ns=end_ns,
        run_start_ns=run_start, counters=_delta(now["counters"], before.get("counters", {})),
        latency=_hist_delta(now["histograms"], before.get("histograms", {})),
        calm_latency=_hist_delta(now["calm"], before.get("calm", {})),
        memory=memory,
        latency_p99={name: run_series(f"{name}.p99_us", "max") for name in ("ack_latency", "e2e_latency")},
        throughput={"acked": run_series("acked_per_s"), "ingested": run_series("committed_records_per_s")},
        lag=run_series("lag_records", "max"), freshness=run_series("freshness_s", "max"),
        faults=touching, restarts=_delta(now["restarts"], before.get("restarts", {})),
        fault_restarts=sum(1 for f in touching if f["kind"] == "agent_kill" and start_ns <= f["started_ns"] < end_ns),
        anomalies=_delta(now["anomalies"], before.get("anomalies", {})), lost=lost,
        step_errors=_delta(now["step_errors"], before.get("step_errors", {})),
        query_errors=last_query_errors(c.latest_stats) if now["counters"]["errors_total"] > before.get(
            "counters", {}).get("errors_total", 0) else {},
        alerts=[a for a in alerts if a.first_seen_ns < end_ns and (a.resolved_ns is None or a.resolved_ns >= start_ns)],
        run_verdict=run_verdict, generated_ns=c.clock.wall_ns(),
        memory_floor_s=c.spec.workload.analysis.memory.floor_s)
