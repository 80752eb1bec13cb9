"""Time series samples of a run, kept as Parquet files and queried with DuckDB.

The controller appends samples to a bounded in-memory buffer and flushes it every flush
interval as one Parquet file per (run, hour), written atomically (temp file + rename), so
a crash loses at most one flush interval and memory never grows with the run's length.
Once an hour is over its small files are compacted into one: a 24 h run keeps about one
file per hour. Queries downsample with DuckDB (time buckets), fast over 24 h and more.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np

# Written and read with DuckDB alone: pyarrow would add about 50 MB to the controller's RSS.
COLUMNS = ("ts_ns", "series", "agent_id", "value")
RUN = "run"  # the agent id of run-level series (rates, latencies, lag)
HOUR_NS = 3600 * 10**9
PARQUET = "(FORMAT parquet, COMPRESSION zstd)"


@dataclass(frozen=True)
class SampleBatch:
    """Samples as columns: ts_ns int64, series and agent_id NumPy unicode, value float64.

    Not object arrays of str: DuckDB's scan of those tries `import pandas` for values it
    looks at, and where pandas is not installed every try searches sys.path again: that was
    half of the control loop's CPU at 50 agents (py-spy, bench.controller_scale)."""
    ts_ns: np.ndarray
    series: np.ndarray
    agent_id: np.ndarray
    value: np.ndarray

    @classmethod
    def of(cls, ts_ns, series, agent_id, value) -> "SampleBatch":
        return cls(np.asarray(ts_ns, dtype=np.int64), np.asarray(series, dtype=str),
                   np.asarray(agent_id, dtype=str), np.asarray(value, dtype=np.float64))

    @property
    def num_rows(self) -> int:
        return len(self.ts_ns)

    def where(self, mask: np.ndarray) -> "SampleBatch":
        return SampleBatch(self.ts_ns[mask], self.series[mask], self.agent_id[mask], self.value[mask])

    def columns(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in COLUMNS}


class SampleBuffer:
    """Samples waiting for the next flush; `full` tells the caller to flush early."""

    def __init__(self, max_rows: int = 200_000):
        self.max_rows = max_rows
        self._cols: tuple[list, list, list, list] = ([], [], [], [])
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._cols[0])

    @property
    def full(self) -> bool:
        return len(self) >= self.max_rows

    def add(self, ts_ns: int, series: str, agent_id: str, value: float) -> None:
        if len(self) >= 2 * self.max_rows:
            self.dropped += 1  # the store is unreachable for long: bound memory, count the loss
            return
        ts, se, ag, va = self._cols
        ts.append(ts_ns)
        se.append(series)
        ag.append(agent_id)
        va.append(float(value))

    def drain(self) -> SampleBatch:
        batch = SampleBatch.of(*self._cols)
        self._cols = ([], [], [], [])
        return batch


COMPACTED = "compacted-upto-"


def _copy_atomic(con: duckdb.DuckDBPyConnection, select: str, params: dict, final: Path) -> Path:
    tmp = final.with_name(f".{final.name}.tmp")
    con.execute(f"COPY ({select}) TO $out {PARQUET}", {**params, "out": str(tmp)})
    os.replace(tmp, final)  # readers never see half a file
    return final


def _live_files(folder: Path) -> list[Path]:
    files = sorted(folder.glob("*.parquet"))
    compacted = [f for f in files if f.name.startswith(COMPACTED)]
    if not compacted:
        return files
    newest = max(compacted, key=lambda f: f.name)
    upto = newest.name.removeprefix(COMPACTED)
    return [newest] + [f for f in files if not f.name.startswith(COMPACTED) and f.name > upto]


@dataclass(frozen=True)
class Point:
    ts_ns: int
    agent_id: str
    min: float
    max: float
    avg: float
    last: float


class SampleFiles:
    def __init__(self, root: Path, run_id: str):
        self.dir = root / run_id
        self.run_id = run_id

    def write(self, batch: SampleBatch, now_ns: int | None = None) -> list[Path]:
        """One file per hour the samples fall in; returns the files written. File names
        start with the write time, so names sort in write order."""
        if batch.num_rows == 0:
            return []
        stamp = now_ns if now_ns is not None else int(batch.ts_ns.max())
        hours = batch.ts_ns // HOUR_NS
        written = []
        con = duckdb.connect()
        for hour in np.unique(hours).tolist():
            con.register("part", batch.where(hours == hour).columns())
            folder = self.dir / f"hour={hour}"
            folder.mkdir(parents=True, exist_ok=True)
            select = 'SELECT ts_ns, series, agent_id, "value" FROM part'
            written.append(_copy_atomic(con, select, {}, folder / f"{stamp:020d}-{uuid.uuid4().hex[:8]}.parquet"))
            con.unregister("part")
        return written

    def files(self) -> list[Path]:
        """The files that hold every sample once: per hour, its compacted file (if any)
        and the files written after what the compacted file covers."""
        out = []
        for folder in sorted(self.dir.glob("hour=*")):
            out += _live_files(folder)
        return out

    def compact(self, before_ns: int) -> int:
        """Merge the files of every hour that ended before `before_ns` into one; returns
        the hours compacted. Crash-safe: the compacted file names the last input it
        covers, so until the inputs are deleted readers simply skip them."""
        done = 0
        for folder in sorted(self.dir.glob("hour=*")):
            hour = int(folder.name.split("=", 1)[1])
            if (hour + 1) * HOUR_NS > before_ns:
                continue
            live = _live_files(folder)
            if len(live) > 1:
                _copy_atomic(duckdb.connect(), "SELECT * FROM read_parquet($files) ORDER BY ts_ns",
                             {"files": [str(f) for f in live]}, folder / f"{COMPACTED}{live[-1].name}")
                done += 1
            for stale in set(folder.glob("*.parquet")) - set(_live_files(folder)):
                stale.unlink(missing_ok=True)
        return done

    def series(self) -> list[str]:
        """The names of the series the run has samples of."""
        files = [str(f) for f in self.files()]
        if not files:
            return []
        rows = duckdb.connect().execute("SELECT DISTINCT series FROM read_parquet($files) ORDER BY 1",
                                        {"files": files}).fetchall()
        return [r[0] for r in rows]

    def query(self, series: str, from_ns: int | None = None, to_ns: int | None = None, step_s: float = 60.0,
              agent_id: str | None = None) -> list[Point]:
        """Downsampled points of one series: per step and agent, min/max/avg/last."""
        files = [str(f) for f in self.files()]
        if not files:
            return []
        step_ns = max(1, int(step_s * 1e9))
        where = ["series = $series"]
        params: dict = {"series": series, "step": step_ns}
        if from_ns is not None:
            where.append("ts_ns >= $from_ns")
            params["from_ns"] = from_ns
        if to_ns is not None:
            where.append("ts_ns < $to_ns")
            params["to_ns"] = to_ns
        if agent_id is not None:
            where.append("agent_id = $agent_id")
            params["agent_id"] = agent_id
        sql = f"""
            SELECT (ts_ns // $step) * $step AS bucket, agent_id, min(value), max(value), avg(value),
                   arg_max(value, ts_ns)
            FROM read_parquet($files) WHERE {' AND '.join(where)}
            GROUP BY bucket, agent_id ORDER BY bucket, agent_id"""
        params["files"] = files
        rows = duckdb.connect().execute(sql, params).fetchall()
        return [Point(int(b), a, lo, hi, avg, last) for b, a, lo, hi, avg, last in rows]
