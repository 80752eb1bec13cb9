"""A run's time series, downsampled (DuckDB over the run's Parquet sample files)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from agents.clock import Clock
from controller.api.problems import ApiProblem
from controller.api.schemas import when
from controller.store.runs import RunStore
from controller.store.samples import SampleFiles

MAX_STEPS = 10_000  # per agent: a bigger answer is a mistake in `step`, not a wish


def _ns(t: datetime | None) -> int | None:
    return None if t is None else int(t.timestamp() * 1e9)


class SampleService:
    def __init__(self, runs: RunStore, clock: Clock):
        self.runs, self.clock = runs, clock

    def _files(self, run_id: str) -> tuple[SampleFiles, object]:
        run = self.runs.get(run_id)
        root = run.spec.get("samples_dir")
        if not root:
            raise ApiProblem(404, f"run {run_id} has no samples location in its spec")
        return SampleFiles(Path(root), run_id), run

    def series(self, run_id: str) -> list[str]:
        files, _ = self._files(run_id)
        return files.series()

    def query(self, run_id: str, series: str, start: datetime | None, end: datetime | None, step_s: float,
              agent_id: str | None) -> dict:
        files, run = self._files(run_id)
        from_ns = _ns(start) if start is not None else run.created_ns
        to_ns = _ns(end) if end is not None else (run.ended_ns or None)
        if to_ns is not None and to_ns <= from_ns:
            raise ApiProblem(422, "query.to: must be after `from`", [{"field": "query.to", "message": "before from"}])
        span_s = ((to_ns or self.clock.wall_ns()) - from_ns) / 1e9
        if span_s / step_s > MAX_STEPS:
            raise ApiProblem(422, f"query.step: {span_s:.0f} s in steps of {step_s:g} s is more than {MAX_STEPS} points "
                                  f"per agent; use step >= {span_s / MAX_STEPS:.0f}",
                             [{"field": "query.step", "message": "too small for the time range"}])
        points = files.query(series, from_ns, to_ns, step_s, agent_id)
        if not points:
            known = files.series()
            if series not in known:
                raise ApiProblem(404, f"run {run_id} has no series {series!r}; it has: {', '.join(known) or 'none yet'}")
        # Plain dicts of the SampleSeries shape: a 24 h series is ten thousands of points, and
        # a model per point cost more than the query itself.
        return {"series": series, "step_s": step_s,
                "points": [{"ts": _iso(p.ts_ns), "agent_id": p.agent_id, "min": p.min, "max": p.max, "avg": p.avg,
                            "last": p.last} for p in points]}


def _iso(ns: int) -> str:
    return when(ns).isoformat().replace("+00:00", "Z")
