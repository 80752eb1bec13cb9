"""How a run is analysed: the detectors' settings (every time constant included).

The defaults suit a 24 h run (5-minute floors and medians, an hour of warm-up); a
compressed run gives seconds instead, e.g. `floor_s: 5`. Set to `enabled: false` to
switch a detector off.
"""

from __future__ import annotations

from pydantic import Field

from controller.analysis.leak import LeakSettings
from controller.analysis.regression import RegressionSettings
from workloads.specs import Strict


class TrendSpec(Strict):
    """The leak detector's settings (memory in MB, or consumer lag in records)."""

    enabled: bool = True
    floor_s: float = Field(default=300.0, gt=0, description="width of a floor (the minimum of each span)")
    warm_up_s: float | None = Field(default=None, ge=0, description="None: max(min_warm_up_s, a fitted warm-up)")
    min_warm_up_s: float = Field(default=3600.0, ge=0)
    fit_within_s: float = Field(default=6 * 3600.0, gt=0, description="the warm-up is fitted on this first span")
    settled_share: float = Field(default=0.02, gt=0, lt=1,
                                 description="a warm-up ends where its slope has fallen to this share of its peak")
    window_s: float = Field(default=8 * 3600.0, gt=0, description="the trailing span judged")
    min_floors: int = Field(default=24, ge=6)
    growth_vs_warm_up: float = Field(default=0.5, ge=0,
                                     description="growth must have been seen this share of the warm-up before it")
    min_pace_share: float = Field(default=0.65, ge=0, le=1,
                                  description="the last third's slope, at least this share of the first third's")
    rise_margin: float = Field(default=0.0, ge=0,
                               description="how much worse than a levelled-off rise a line may fit (0: no worse)")
    eval_every_s: float = Field(default=300.0, gt=0)
    sustain: int = Field(default=3, ge=1, description="consecutive evaluations before an alert")
    max_p: float = Field(default=1e-3, gt=0, lt=1)
    min_slope_per_h: float = Field(default=0.5, ge=0, description="MB/h for memory, records/h for lag")
    min_pct_per_h: float = Field(default=0.1, ge=0, description="% of the post-warm-up baseline per hour")
    limit: float | None = Field(default=None, gt=0, description="memory limit in MB, for the projected time to it")
    exclude: tuple[str, ...] = Field(default=(), description="processes not judged (name prefixes), e.g. kafka-broker")

    def settings(self) -> LeakSettings:
        return LeakSettings(**self.model_dump(exclude={"enabled", "exclude"}))

    def judges(self, process: str) -> bool:
        return not any(process.startswith(prefix) for prefix in self.exclude)


class ShiftSpec(Strict):
    """The regression detector's settings (p99 latency up, or throughput down)."""

    enabled: bool = True
    bucket_s: float = Field(default=300.0, gt=0, description="width of a median bucket")
    warm_up_s: float = Field(default=3600.0, ge=0)
    baseline_s: float = Field(default=2 * 3600.0, gt=0, description="the first window after the warm-up")
    trailing_s: float = Field(default=2700.0, gt=0)
    eval_every_s: float = Field(default=300.0, gt=0)
    sustain: int = Field(default=3, ge=1)
    max_p: float = Field(default=1e-3, gt=0, lt=1)
    min_effect: float = Field(default=0.15, gt=0, lt=10, description="relative change of the median")

    def settings(self, direction: str) -> RegressionSettings:
        return RegressionSettings(direction=direction, **self.model_dump(exclude={"enabled"}))


class AnalysisSpec(Strict):
    memory: TrendSpec = TrendSpec()
    lag: TrendSpec = TrendSpec(min_slope_per_h=1000.0, min_pct_per_h=0.0)
    latency: ShiftSpec = ShiftSpec()
    throughput: ShiftSpec = ShiftSpec(min_effect=0.10)
    cross_run_window: int = Field(default=50, ge=4, description="earlier runs of the workload compared with this one")
    cross_run_max_p: float = Field(default=1e-3, gt=0, lt=1)
