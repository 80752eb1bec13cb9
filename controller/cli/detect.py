"""`soak detect leak|regression`: the run's detectors on a CSV series, for offline use.

The input has a header and two columns, `t_seconds,value`. The detector walks the series
as it would live (an evaluation every `--eval-every`), and the answer is one JSON object.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Annotated

import typer

from controller.analysis.leak import LeakSettings
from controller.analysis.leak import detect as detect_leak
from controller.analysis.regression import RegressionSettings
from controller.analysis.regression import detect as detect_regression
from controller.cli.durations import parse_duration
from controller.errors import SoakError

app = typer.Typer(help="Run a detector on a CSV series (columns t_seconds,value) and print JSON.",
                  no_args_is_help=True)
MB = {"mb": 1.0, "bytes": 1.0 / 2**20, "kb": 1.0 / 2**10, "gb": 2**10}

InputOption = Annotated[Path, typer.Option("--input", "-i", help="CSV with a header and columns t_seconds,value")]


def read_series(path: Path, scale: float = 1.0) -> list[tuple[float, float]]:
    """(t, value * scale) rows sorted by time; a bad row is an error naming its line."""
    if not path.is_file():
        raise SoakError(f"no such file: {path}", fix="give --input an existing CSV file")
    points = []
    with path.open(newline="") as f:
        rows = csv.reader(f)
        header = next(rows, None)
        if header is None or [h.strip().lower() for h in header[:2]] != ["t_seconds", "value"]:
            raise SoakError(f"{path}: the first line must be the header t_seconds,value (got {header})",
                            fix="add the header line")
        for line, row in enumerate(rows, start=2):
            if not row or not "".join(row).strip():
                continue
            try:
                t, v = float(row[0]), float(row[1])
            except (ValueError, IndexError):
                raise SoakError(f"{path}:{line}: not two numbers: {','.join(row)!r}",
                                fix="every row is t_seconds,value") from None
            if math.isfinite(t) and math.isfinite(v):
                points.append((t, v * scale))
    if len(points) < 2:
        raise SoakError(f"{path}: fewer than two data rows", fix="give a longer series")
    points.sort()
    return points


def _seconds(value: str | None, option: str) -> float | None:
    return parse_duration(value, option) if value else None


def _clean(value):
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return value


@app.command()
def leak(
    input_file: InputOption,
    unit: Annotated[str, typer.Option("--unit", help="Unit of the values: MB (MiB), bytes, KB, GB")] = "MB",
    floor: Annotated[str | None, typer.Option("--floor", help="Floor width, e.g. 5m (default 5m)")] = None,
    warm_up: Annotated[str | None, typer.Option(
        "--warm-up", help="Leave out this much at the start (default: max(1h, a fitted warm-up))")] = None,
    eval_every: Annotated[str | None, typer.Option("--eval-every", help="Evaluation cadence (default 5m)")] = None,
    min_slope: Annotated[float | None, typer.Option("--min-slope", help="MB/h the slope must exceed (0.5)")] = None,
    limit_mb: Annotated[float | None, typer.Option("--limit-mb", help="A memory limit, for the time to reach it")] = None,
) -> None:
    """Memory leak: a sustained, robust upward trend of the floors after the warm-up."""
    scale = MB.get(unit.lower())
    if scale is None:
        raise SoakError(f"unknown --unit {unit!r}", fix=f"use one of {', '.join(MB)}")
    given = {"floor_s": _seconds(floor, "--floor"), "warm_up_s": _seconds(warm_up, "--warm-up"),
             "eval_every_s": _seconds(eval_every, "--eval-every"), "min_slope_per_h": min_slope, "limit": limit_mb}
    s = LeakSettings(**{k: v for k, v in given.items() if v is not None})
    points = read_series(input_file, scale)
    r = detect_leak(points, s)
    c = r.check
    print(json.dumps({k: _clean(v) for k, v in {
        "alert": r.alert, "detected_at_seconds": None if r.detected_at_s is None else points[0][0] + r.detected_at_s,
        "slope_mb_per_hour": c.slope_per_h, "slope_lower_bound_mb_per_hour": c.slope_low_per_h, "p_value": c.p,
        "warm_up_seconds": c.warm_up_s, "hours_to_limit": c.hours_to_limit, "reason": c.why}.items()}))


@app.command()
def regression(
    input_file: InputOption,
    baseline: Annotated[Path | None, typer.Option(
        "--baseline", "-b", help="An earlier run's series as the baseline (default: this series' first window)")] = None,
    direction: Annotated[str, typer.Option("--direction", help="up: latency getting worse; down: throughput")] = "up",
    min_effect: Annotated[float | None, typer.Option("--min-effect", help="Relative change, e.g. 0.15")] = None,
    bucket: Annotated[str | None, typer.Option("--bucket", help="Median bucket, e.g. 5m (default 5m)")] = None,
    warm_up: Annotated[str | None, typer.Option("--warm-up", help="Leave out this much (default 1h)")] = None,
    eval_every: Annotated[str | None, typer.Option("--eval-every", help="Evaluation cadence (default 5m)")] = None,
) -> None:
    """Regression: the trailing window's medians shifted from the baseline's, sustained."""
    if direction not in ("up", "down"):
        raise SoakError(f"unknown --direction {direction!r}", fix="use up (latency) or down (throughput)")
    defaults = {"min_effect": 0.15 if direction == "up" else 0.10}
    given = {"min_effect": min_effect, "bucket_s": _seconds(bucket, "--bucket"),
             "warm_up_s": _seconds(warm_up, "--warm-up"), "eval_every_s": _seconds(eval_every, "--eval-every")}
    s = RegressionSettings(direction=direction, **{**defaults, **{k: v for k, v in given.items() if v is not None}})
    points = read_series(input_file)
    r = detect_regression(points, s, read_series(baseline) if baseline else None)
    c = r.check
    print(json.dumps({k: _clean(v) for k, v in {
        "alert": r.alert, "detected_at_seconds": None if r.detected_at_s is None else points[0][0] + r.detected_at_s,
        "effect": c.effect, "p_value": c.p, "baseline_median": c.baseline_median,
        "trailing_median": c.trailing_median, "reason": c.why}.items()}))
