"""How long a report takes over a long run's store: an hourly report and the whole-run
report of a 24 h run of 100 agents, sampled every 5 s.

    python -m bench.report_time [--agents 100] [--hours 24] [--json FILE]

Writes the run's samples as the controller leaves them (one Parquet file per hour, the
per-agent counters and gauges and the per-process RSS/USS/CPU/threads/files of a default
run, run-level rates, latency quantiles and lag), then times what the analysis step does
for a report: gathering the window's facts from the sample files, judging them
(build_report) and rendering Markdown and HTML. The peer is the store's own read: one
DuckDB query of every sample of the window, whose time the report's reads cannot beat.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import duckdb
import numpy as np

from agents.clock import FakeClock
from controller.analysis.render_html import render_html
from controller.analysis.render_markdown import render_markdown
from controller.analysis.report import build_report
from controller.control.window_facts import gather
from controller.sampling.totals import RunTotals
from controller.store.samples import SampleBatch, SampleFiles
from workloads.loader import load_workload

S = 10**9
T0 = 1_794_999_600 * S
TICK_S = 5.0
SERIES_PER_AGENT = 12  # counters and gauges of an agent's stats
PROCESS_SERIES = ("rss_bytes", "uss_bytes", "cpu_seconds", "threads", "open_files")
RUN_SERIES = ("acked_per_s", "committed_records_per_s", "ack_latency.p50_us", "ack_latency.p99_us",
              "ack_latency.max_us", "e2e_latency.p50_us", "e2e_latency.p99_us", "e2e_latency.max_us",
              "freshness_s", "lag_records")
REPEATS = 3


def write_store(root: Path, run_id: str, agents: int, hours: int) -> int:
    """`hours` of samples at a 5 s tick, one Parquet file per hour; the row count."""
    files = SampleFiles(root, run_id)
    names = [f"agent-{i}" for i in range(agents)]
    series = [(f"counter_{k}", a) for a in names for k in range(SERIES_PER_AGENT)]
    series += [(s, a) for a in [*names, "kafka-broker", "controller"] for s in PROCESS_SERIES]
    series += [(s, "run") for s in RUN_SERIES] + [("lag_records", f"partition-{p}") for p in range(6)]
    ticks = int(3600 / TICK_S)
    names_col = np.array([s for s, _ in series] * ticks, dtype=object)
    agents_col = np.array([a for _, a in series] * ticks, dtype=object)
    rng = np.random.default_rng(1)
    rows = 0
    for hour in range(hours):
        ts = T0 + ((hour * 3600 + np.arange(ticks) * TICK_S) * S).astype(np.int64)
        values = rng.normal(2e8, 1e6, len(series) * ticks)
        batch = SampleBatch.of(np.repeat(ts, len(series)), names_col, agents_col, values)
        files.write(batch, now_ns=int(ts[0]))
        rows += batch.num_rows
    files.compact(before_ns=T0 + (hours + 1) * 3600 * S)
    return rows


def controller_view(files: SampleFiles, run_id: str, end_ns: int):
    """What `gather` reads of a controller: its run, spec, totals and sample files."""
    workload = load_workload(None)
    spec = SimpleNamespace(workload=workload, sample_interval_s=TICK_S)
    return SimpleNamespace(run_id=run_id, spec=spec, started_ns=T0, samples=files, totals=RunTotals(), calm={},
                           restarts=Counter(), step_errors=Counter(), clock=FakeClock(wall_ns=end_ns))


def time_report(c, start_ns: int, end_ns: int, index: int | None) -> dict:
    gathers, builds, renders = [], [], []
    for _ in range(REPEATS):
        t = time.perf_counter()
        facts = gather(c, index, start_ns, end_ns, {}, [], [])
        gathers.append(time.perf_counter() - t)
        t = time.perf_counter()
        report = build_report(facts, c.spec.workload.slo)
        builds.append(time.perf_counter() - t)
        t = time.perf_counter()
        render_markdown(report)
        render_html(report)
        renders.append(time.perf_counter() - t)
    peer = []
    for _ in range(REPEATS):
        t = time.perf_counter()
        duckdb.connect().execute("SELECT count(*), avg(value) FROM read_parquet($f) WHERE ts_ns >= $a AND ts_ns < $b",
                                 {"f": [str(p) for p in c.samples.files()], "a": start_ns, "b": end_ns}).fetchall()
        peer.append(time.perf_counter() - t)
    m = statistics.median
    total = m(gathers) + m(builds) + m(renders)
    return {"gather_s": m(gathers), "build_s": m(builds), "render_s": m(renders), "total_s": total,
            "peer_scan_s": m(peer), "ratio": total / m(peer)}


def run(agents: int, hours: int) -> dict:
    root = Path(tempfile.mkdtemp(prefix="soak-bench-report-"))
    try:
        t = time.monotonic()
        rows = write_store(root, "run-bench", agents, hours)
        files = SampleFiles(root, "run-bench")
        size = sum(f.stat().st_size for f in files.files())
        print(f"  wrote {rows:,} samples ({size / 2**20:.0f} MiB) in {time.monotonic() - t:.0f} s", flush=True)
        end_ns = T0 + hours * 3600 * S
        c = controller_view(files, "run-bench", end_ns)
        hourly = time_report(c, end_ns - 3600 * S, end_ns, hours - 1)
        whole = time_report(c, T0, end_ns, None)
        return {"agents": agents, "hours": hours, "samples": rows, "store_mib": size / 2**20,
                "hourly": hourly, "whole_run": whole}
    finally:
        shutil.rmtree(root, ignore_errors=True)


def markdown(r: dict) -> str:
    lines = [f"{r['agents']} agents, {r['hours']} h at a 5 s tick: {r['samples']:,} samples, "
             f"{r['store_mib']:.0f} MiB of sample files", "",
             "| report | gather s | judge s | render s | total s | peer: one scan of the window s | ratio |",
             "|---|---|---|---|---|---|---|"]
    for label, key in (("hourly (the last hour)", "hourly"), (f"whole run ({r['hours']} h)", "whole_run")):
        x = r[key]
        lines.append(f"| {label} | {x['gather_s']:.2f} | {x['build_s']:.3f} | {x['render_s']:.3f} | {x['total_s']:.2f} "
                     f"| {x['peer_scan_s']:.2f} | {x['ratio']:.1f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--hours", type=int, default=24)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    result = run(args.agents, args.hours)
    print(markdown(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
