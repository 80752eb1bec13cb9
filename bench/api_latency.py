"""Latency of the control API over HTTP: GET /v1/runs/{id}, and a samples query over a
24 h run's worth of stored samples. The peer of each is the same read without the API
(the run store's `get`, the sample files' DuckDB query), timed in the same run.

    python -m bench.api_latency [--requests 1000] [--queries 100]

The API runs on uvicorn in this process's background thread; requests go over one
keep-alive HTTP connection, one at a time.
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import tempfile
import threading
import time
from pathlib import Path

import uvicorn

from agents.clock import FakeClock
from controller.api.app import create_app
from controller.api.auth import ApiTokens
from controller.control.launcher import create_run
from controller.infra.ports import free_ports
from controller.runs.states import RunState
from controller.settings import SoakSettings
from controller.store.db import Database
from controller.store.runs import RunStore
from controller.store.samples import SampleBuffer, SampleFiles
from workloads.loader import load_workload

TOKEN = "bench-admin-token-" + "x" * 24
S = 10**9
T0 = 1_794_999_600 * S
TICK_S = 5.0
# What a default run samples per 5 s tick: per agent counters and gauges, per process
# RSS/USS/CPU/threads/files, run-level rates and latency quantiles, lag per partition.
AGENTS = {"producer-0": 8, "producer-1": 8, "consumer-0": 16, "consumer-1": 16, "query-0": 5, "maintenance-0": 6,
          "node-0": 3}
PROCESSES = [*AGENTS, "kafka-broker", "controller"]
RUN_SERIES = 20
PARTITIONS = 6


def write_day(root: Path, run_id: str) -> int:
    """24 h of samples at the default 5 s tick, one compacted Parquet file per hour."""
    files = SampleFiles(root, run_id)
    rows = 0
    for hour in range(24):
        buffer = SampleBuffer(max_rows=10**9)
        for tick in range(int(3600 / TICK_S)):
            ts = T0 + int((hour * 3600 + tick * TICK_S) * S)
            for agent, n in AGENTS.items():
                for i in range(n):
                    buffer.add(ts, f"counter_{i}", agent, float(tick))
            for proc in PROCESSES:
                buffer.add(ts, "rss_bytes", proc, 2e8 + tick)
                for name in ("uss_bytes", "cpu_seconds", "threads", "open_files"):
                    buffer.add(ts, name, proc, float(tick))
            for i in range(RUN_SERIES):
                buffer.add(ts, f"run_series_{i}", "run", 1.0)
            for p in range(PARTITIONS):
                buffer.add(ts, "lag_records", f"partition-{p}", 10.0)
        rows += len(buffer)
        files.write(buffer.drain(), now_ns=T0 + hour * 3600 * S)
    files.compact(before_ns=T0 + 25 * 3600 * S)
    return rows


def percentiles(samples_s: list[float]) -> tuple[float, float]:
    ms = sorted(s * 1000 for s in samples_s)
    return statistics.median(ms), ms[min(len(ms) - 1, int(round(0.99 * (len(ms) - 1))))]


def timed(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="GET /v1/runs/{id} requests")
    parser.add_argument("--queries", type=int, default=100, help="samples queries")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="soak-bench-api-"))
    settings = SoakSettings(data_dir=root, api_port=free_ports(1)[0])
    db = Database(settings.effective_database_url)
    db.create_schema()
    runs = RunStore(db)
    run_id = create_run(runs, load_workload("default"), 24.0, settings, FakeClock(T0)).run_id
    runs.set_state(run_id, RunState.RUNNING, T0)
    # A progress document of a real run's size (rates, latency, memory, faults, ...).
    runs.save_progress(run_id, {"elapsed_s": 86400.0, "padding": {f"k{i}": i * 1.5 for i in range(300)}}, T0)
    started = time.perf_counter()
    rows = write_day(settings.samples_dir, run_id)
    print(f"wrote {rows:,} samples (24 h at a {TICK_S:g} s tick) in {time.perf_counter() - started:.1f} s", flush=True)

    app = create_app(settings, ApiTokens((TOKEN,), ()), database=db, clock=FakeClock(T0 + 86400 * S))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=settings.api_port, log_level="warning",
                                           access_log=False))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    conn = http.client.HTTPConnection("127.0.0.1", settings.api_port)
    headers = {"Authorization": f"Bearer {TOKEN}"}

    def get(path: str) -> None:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        assert response.status == 200, (response.status, body[:300])

    query = f"/v1/runs/{run_id}/samples?series=rss_bytes&step=60"
    files = SampleFiles(settings.samples_dir, run_id)
    points = len(files.query("rss_bytes", T0, None, 60.0))
    for _ in range(20):  # warm both paths
        get(f"/v1/runs/{run_id}")
        runs.get(run_id)
    get(query)
    rows_out = []
    for name, api_fn, peer_fn, n, peer in (
            (f"GET /v1/runs/{{id}}", lambda: get(f"/v1/runs/{run_id}"), lambda: runs.get(run_id), args.requests,
             "RunStore.get"),
            (f"GET samples rss_bytes, 24 h, step 60 ({points:,} points)", lambda: get(query),
             lambda: files.query("rss_bytes", T0, None, 60.0), args.queries, "SampleFiles.query")):
        api_p50, api_p99 = percentiles(timed(api_fn, n))
        peer_p50, peer_p99 = percentiles(timed(peer_fn, n))
        rows_out.append((name, n, api_p50, api_p99, peer, peer_p50, peer_p99))
    server.should_exit = True
    print("\n| request | n | API p50 ms | API p99 ms | peer (same read, no API) | peer p50 ms | peer p99 ms | "
          "p50 ratio |")
    print("|---|---|---|---|---|---|---|---|")
    for name, n, a50, a99, peer, p50, p99 in rows_out:
        print(f"| {name} | {n} | {a50:.2f} | {a99:.2f} | {peer} | {p50:.2f} | {p99:.2f} | {a50 / p50:.2f} |")


if __name__ == "__main__":
    main()
