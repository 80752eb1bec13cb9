"""Query agent latency: the default workload's named queries over soak tables of growing
size, two ways of reading Iceberg from DuckDB, and a table of many small commits before
and after table maintenance.

    python -m bench.query_latency [--rows 1000000 10000000] [--small-commit-hours 1] [--json FILE]

For each table: `plan` (pyiceberg plans the files, DuckDB reads them with read_parquet:
the query agent's default) against `extension` (DuckDB's iceberg_scan). Each figure is
the median of `--repeats` timings after one warm-up; the view's (re)binding, which the
query agent does once per cycle, is timed on its own. Tables are written in ingestion
order in 1 M-row commits (one file per commit, hour partitions as a soak's table). The
small-commit table has the commits of two verifiers at 5 s for `--small-commit-hours`
(100 rows each, one hour partition per hour-equivalent), and is timed as written, then
after `run_maintenance` (snapshot expiry and compaction, the maintenance agent's pass).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa

from agents.lakehouse.catalog import TableRef
from agents.lakehouse.duckdb_iceberg import connect
from agents.lakehouse.maintenance import run_maintenance
from agents.lakehouse.queries import bind_events_view, run_named
from agents.lakehouse.schema import arrow_schema
from workloads.specs import DEFAULT_QUERIES, MaintenanceSpec

ENGINES = ("plan", "extension")
CHUNK_ROWS = 1_000_000
PRODUCERS = 8
SYMBOLS = np.array([f"SYM{i:02d}" for i in range(20)])
HOUR_US = 3600 * 10**6
T0_US = 1_767_225_600 * 10**6  # 2026-01-01T00:00Z
SMALL_COMMIT_ROWS = 100
COMMITS_PER_HOUR = 2 * 3600 // 5  # two verifiers committing every 5 s
UTC_US = pa.timestamp("us", tz="UTC")


def synthetic_rows(first: int, n: int, span_us: int, total: int) -> pa.Table:
    """Rows first..first+n of a table of `total` rows whose send times spread over `span_us`."""
    i = np.arange(first, first + n, dtype=np.int64)
    sent = T0_US + i * span_us // max(total, 1)
    rng = np.random.default_rng(first)
    producers = pa.DictionaryArray.from_arrays(pa.array(i % PRODUCERS, pa.int32()),
                                               pa.array([f"p-{k}" for k in range(PRODUCERS)])).cast(pa.string())
    cols = {
        "run_id": pa.array(np.full(n, "run-bench")),
        "producer_id": producers,
        "incarnation": pa.array(np.ones(n, dtype=np.int64)),
        "partition": pa.array((i % 6).astype(np.int32)),
        "offset": pa.array(i),
        "seq": pa.array(i // PRODUCERS),
        "sent_ts": pa.array(sent).cast(UTC_US),
        "ingest_ts": pa.array(sent + 500_000).cast(UTC_US),
        "crc_ok": pa.array(np.ones(n, dtype=bool)),
        "symbol": pa.array(SYMBOLS[rng.integers(0, len(SYMBOLS), n)]),
        "price": pa.array(rng.uniform(10, 500, n)),
        "quantity": pa.array(rng.integers(1, 1000, n)),
        "side": pa.array(np.where(rng.random(n) < 0.5, "buy", "sell")),
        "exchange": pa.array(np.full(n, "XNAS")),
        "exchange_ts": pa.array(sent - 1000).cast(UTC_US),
    }
    return pa.table(cols, schema=arrow_schema("ticks"))


def new_table(root: Path, name: str):
    ref = TableRef(f"sqlite:///{root / f'{name}.db'}", (root / f"wh-{name}").as_uri())
    ref.ensure_local_dirs()
    return ref.load_or_create()


def fill(table, rows: int, span_us: int, chunk: int) -> tuple[int, float]:
    """Append `rows` in commits of `chunk` rows; (commits, seconds)."""
    started, commits = time.monotonic(), 0
    for first in range(0, rows, chunk):
        table.append(synthetic_rows(first, min(chunk, rows - first), span_us, rows))
        commits += 1
        if commits % 100 == 0:
            print(f"    {commits:,} commits, {time.monotonic() - started:.0f} s", flush=True)
    return commits, time.monotonic() - started


def params_for(rows: int, span_us: int) -> dict:
    newest_s = (T0_US + span_us) / 1e6
    return {"producer_id": "p-3", "seq": rows // PRODUCERS // 2, "run_id": "run-bench",
            "window_start": datetime.fromtimestamp(newest_s - 60, tz=timezone.utc)}


def time_queries(table, params: dict, repeats: int) -> dict:
    """engine -> {"bind_ms", query name -> ms} (medians)."""
    out = {}
    for engine in ENGINES:
        con = connect()
        binds, per_query = [], {q.name: [] for q in DEFAULT_QUERIES}
        for attempt in range(repeats + 1):  # the first is a warm-up
            t = time.perf_counter()
            table.refresh()
            bind_events_view(con, table, engine)
            bind = time.perf_counter() - t
            for q in DEFAULT_QUERIES:
                t = time.perf_counter()
                run_named(con, q.sql, params)
                if attempt:
                    per_query[q.name].append(time.perf_counter() - t)
            if attempt:
                binds.append(bind)
        con.close()
        out[engine] = {"bind_ms": statistics.median(binds) * 1e3,
                       **{name: statistics.median(v) * 1e3 for name, v in per_query.items()}}
    return out


def data_files(table) -> int:
    return sum(1 for _ in table.scan().plan_files())


def run(row_counts: list[int], small_commit_hours: float, repeats: int) -> dict:
    root = Path(tempfile.mkdtemp(prefix="soak-bench-query-"))
    results = {"tables": [], "small_commits": None}
    try:
        for rows in row_counts:
            print(f"  table of {rows:,} rows", flush=True)
            table = new_table(root, f"t{rows}")
            commits, seconds = fill(table, rows, 24 * HOUR_US, CHUNK_ROWS)
            timings = time_queries(table, params_for(rows, 24 * HOUR_US), repeats)
            results["tables"].append({"rows": rows, "commits": commits, "write_s": seconds,
                                      "data_files": data_files(table), "ms": timings})
            shutil.rmtree(root / f"wh-t{rows}", ignore_errors=True)
        if small_commit_hours > 0:
            commits = int(small_commit_hours * COMMITS_PER_HOUR)
            rows = commits * SMALL_COMMIT_ROWS
            span_us = int(small_commit_hours * HOUR_US)
            print(f"  {commits:,} small commits ({small_commit_hours:g} h of two verifiers at 5 s)", flush=True)
            table = new_table(root, "small")
            _, seconds = fill(table, rows, span_us, SMALL_COMMIT_ROWS)
            params = params_for(rows, span_us)
            before = {"data_files": data_files(table), "snapshots": len(table.snapshots()),
                      "ms": time_queries(table, params, repeats)}
            # The maintenance agent's pass once every partition is closed (the rows' times are
            # in the past) and every snapshot but the last is old enough to expire.
            spec = MaintenanceSpec(snapshot_max_age_s=1, min_snapshots=1, closed_after_s=0, orphan_min_age_s=0)
            time.sleep(1.5)
            t = time.monotonic()
            done = run_maintenance(table, "bench", spec, time.time_ns())
            maintenance_s = time.monotonic() - t
            table.refresh()
            after = {"data_files": data_files(table), "snapshots": len(table.snapshots()),
                     "ms": time_queries(table, params, repeats)}
            results["small_commits"] = {"hours": small_commit_hours, "commits": commits, "rows": rows,
                                        "write_s": seconds, "maintenance_s": maintenance_s,
                                        "files_rewritten": done.files_rewritten, "before": before, "after": after}
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return results


def markdown(results: dict) -> str:
    names = [q.name for q in DEFAULT_QUERIES]
    head = "| table | data files | " + " | ".join(f"{n} ms (plan / extension)" for n in ["bind", *names]) + " |"
    lines = [head, "|" + "---|" * (3 + len(names))]

    def row(label: str, files: int, ms: dict) -> str:
        cells = [f"{ms['plan'][k]:,.1f} / {ms['extension'][k]:,.1f}" for k in ["bind_ms", *names]]
        return f"| {label} | {files:,} | " + " | ".join(cells) + " |"

    for t in results["tables"]:
        lines.append(row(f"{t['rows']:,} rows", t["data_files"], t["ms"]))
    small = results["small_commits"]
    if small:
        label = f"{small['commits']:,} commits of {SMALL_COMMIT_ROWS} rows ({small['hours']:g} h at 5 s x 2)"
        lines.append(row(f"{label}, no maintenance", small["before"]["data_files"], small["before"]["ms"]))
        lines.append(row(f"{label}, after maintenance ({small['maintenance_s']:.0f} s)", small["after"]["data_files"],
                         small["after"]["ms"]))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--small-commit-hours", type=float, default=1.0,
                        help="hours-equivalent of small commits (0: skip that table)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    results = run(args.rows, args.small_commit_hours, args.repeats)
    print(markdown(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
