"""The run's live picture (pure): rates, interval latencies, lag, memory, fleet health.

Built every tick from the run totals and the previous tick; stored with the run so
`soak status` and the foreground progress line read it without talking to Ray.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agents.core.histogram import LatencyHistogram, interval
from controller.sampling.totals import RunTotals

RATE_COUNTERS = {"sent": "producer", "acked": "producer", "consumed": "consumer",
                 "committed_records": "consumer"}
LATENCIES = ("ack_latency", "e2e_latency", "ingest_latency")


@dataclass
class Window:
    """What the previous tick saw, to turn cumulative totals into per-interval values."""

    wall_ns: int | None = None
    counters: dict[str, float] = field(default_factory=dict)
    histograms: dict[str, LatencyHistogram] = field(default_factory=dict)


@dataclass
class Peaks:
    """Worst values seen while producers ran; kept in the checkpoint across resumes."""

    max_lag: int = 0
    max_freshness_s: float | None = None

    def update(self, lag_total: int | None, freshness_s: float | None) -> None:
        if lag_total is not None:
            self.max_lag = max(self.max_lag, lag_total)
        if freshness_s is not None:
            self.max_freshness_s = max(self.max_freshness_s or 0.0, freshness_s)

    def to_json(self) -> dict:
        return {"max_lag": self.max_lag, "max_freshness_s": self.max_freshness_s}

    @classmethod
    def from_json(cls, raw: dict) -> "Peaks":
        return cls(int(raw.get("max_lag", 0)), raw.get("max_freshness_s"))


def advance(totals: RunTotals, prev: Window, wall_ns: int) -> tuple[dict[str, float], dict[str, dict], Window]:
    """Per-second rates and interval latency summaries (us) since `prev`; the new window."""
    counters = {name: totals.total(name, kind) for name, kind in RATE_COUNTERS.items()}
    merged = {name: totals.merged(name) for name in LATENCIES}
    rates: dict[str, float] = {}
    if prev.wall_ns is not None and wall_ns > prev.wall_ns:
        dt = (wall_ns - prev.wall_ns) / 1e9
        rates = {f"{name}_per_s": max(0.0, value - prev.counters.get(name, 0.0)) / dt
                 for name, value in counters.items()}
    latencies = {name: interval(h, prev.histograms.get(name)).summary() for name, h in merged.items()}
    return rates, latencies, Window(wall_ns, counters, merged)


def freshness(stats_by_agent: dict[str, dict]) -> float | None:
    """The stalest view any query agent has of the table (None before the first query)."""
    values = [s["freshness_s"] for s in stats_by_agent.values()
              if s.get("kind") == "query" and isinstance(s.get("freshness_s"), (int, float))]
    return max(values) if values else None
