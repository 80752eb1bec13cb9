"""Line plots as inline SVG (pure): the HTML report must open anywhere, offline, so no JS
and no external resources; every text is escaped because names come from workload files.

x values are seconds since the run started; the axis shows minutes, or hours past 3 h.
Series longer than the plot has columns keep each column's min and max, so a spike that
lasted one sample in 24 h still shows.
"""

from __future__ import annotations

import math
import re
from html import escape

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
           "#7f7f7f", "#bcbd22")
MAX_POINTS = 1500  # above this a series is reduced to min and max per pixel column
HOURS_AFTER_S = 3 * 3600
FAULT_FILL = "#d62728"
_LEFT, _RIGHT, _BOTTOM, _TITLE_H, _LEGEND_ROW_H = 58, 14, 38, 22, 16
_CHAR_W = 6.5  # approximate width of one 11px character, for legend layout

Point = tuple[float, float]


def line_plot(title: str, series: dict[str, list[list[float]]], unit: str,
              shaded: list[tuple[float, float | None, str]], width: int = 760, height: int = 220,
              x_label: str = "minutes since start") -> str:
    """One `<svg class="plot">` with axes, one path per series, a legend and fault windows."""
    cleaned = {str(name): _finite_points(points) for name, points in (series or {}).items()}
    windows = [(float(a), None if b is None else float(b), str(kind)) for a, b, kind in (shaded or [])
               if _finite(a) and (b is None or _finite(b))]
    head = (f'<svg class="plot" data-plot="{escape(_slug(title))}" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
            f'font-family="sans-serif" font-size="11">')
    parts = [head, f"<title>{escape(title)}</title>",
             f'<text class="plot-title" x="{_LEFT}" y="15" font-size="13" font-weight="bold">'
             f"{escape(title)}</text>"]
    if not any(cleaned.values()):
        parts.append(f'<text class="no-data" x="{width / 2:.1f}" y="{height / 2:.1f}" text-anchor="middle" '
                     f'fill="#777">no data</text>')
        return "".join(parts) + "</svg>"

    legend, legend_rows = _legend(list(cleaned), width)
    top = _TITLE_H + legend_rows * _LEGEND_ROW_H + 8
    plot_w, plot_h = max(width - _LEFT - _RIGHT, 10), max(height - top - _BOTTOM, 10)
    xs = [x for pts in cleaned.values() for x, _ in pts]
    xs += [v for a, b, _ in windows for v in (a, b) if v is not None]
    x_lo, x_hi = _pad_span(min(xs), max(xs), 30.0)
    ys = [y for pts in cleaned.values() for _, y in pts]
    y_lo, y_hi = _y_range(min(ys), max(ys))
    hours = x_hi - x_lo > HOURS_AFTER_S
    x_div = 3600.0 if hours else 60.0
    if hours and x_label == "minutes since start":
        x_label = "hours since start"
    x_ticks = [t * x_div for t in _nice_ticks(x_lo / x_div, x_hi / x_div, 6)]
    y_ticks = _nice_ticks(y_lo, y_hi, 4, expand=True)
    y_lo, y_hi = y_ticks[0], y_ticks[-1]

    def px(x: float) -> float:
        return _LEFT + (x - x_lo) / (x_hi - x_lo) * plot_w

    def py(y: float) -> float:
        return top + plot_h - (y - y_lo) / (y_hi - y_lo) * plot_h

    parts.append(legend)
    parts.append(f'<rect class="plot-area" x="{_LEFT}" y="{top}" width="{plot_w}" height="{plot_h}" '
                 f'fill="#fff" stroke="#bbb"/>')
    for start, end, kind in windows:
        a, b = max(start, x_lo), min(x_hi if end is None else end, x_hi)
        if b < a:
            continue
        state = "" if end is not None else " (not healed)"
        parts.append(f'<rect class="fault-window" x="{px(a):.1f}" y="{top}" width="{max(px(b) - px(a), 1.0):.1f}" '
                     f'height="{plot_h}" fill="{FAULT_FILL}" fill-opacity="0.12">'
                     f"<title>fault: {escape(kind)}{state}</title></rect>")
    for t in y_ticks:
        y = py(t)
        parts.append(f'<line class="grid" x1="{_LEFT}" x2="{_LEFT + plot_w}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="#eee"/>'
                     f'<text class="tick" x="{_LEFT - 5}" y="{y + 4:.1f}" text-anchor="end">'
                     f"{escape(_fmt_tick(t))}</text>")
    for t in x_ticks:
        x = px(t)
        parts.append(f'<line class="tick-mark" x1="{x:.1f}" x2="{x:.1f}" y1="{top + plot_h}" '
                     f'y2="{top + plot_h + 4}" stroke="#888"/>'
                     f'<text class="tick" x="{x:.1f}" y="{top + plot_h + 15}" text-anchor="middle">'
                     f"{escape(_fmt_tick(t / x_div))}</text>")
    for i, (name, pts) in enumerate(cleaned.items()):
        if not pts:
            continue
        pts = downsample(pts, plot_w) if len(pts) > MAX_POINTS else pts
        d = _path_data([(px(x), py(y)) for x, y in pts])
        parts.append(f'<path class="series" data-series="{escape(name)}" d="{d}" fill="none" '
                     f'stroke="{PALETTE[i % len(PALETTE)]}" stroke-width="1.5" stroke-linejoin="round">'
                     f"<title>{escape(name)}</title></path>")
    parts.append(f'<text class="axis-label" x="{_LEFT + plot_w / 2:.1f}" y="{height - 6}" '
                 f'text-anchor="middle" fill="#555">{escape(x_label)}</text>')
    parts.append(f'<text class="axis-label" x="12" y="{top + plot_h / 2:.1f}" text-anchor="middle" fill="#555" '
                 f'transform="rotate(-90 12 {top + plot_h / 2:.1f})">{escape(unit)}</text>')
    return "".join(parts) + "</svg>"


def downsample(points: list[Point], columns: int) -> list[Point]:
    """Min and max of each of `columns` equal x slices, in x order: spikes survive."""
    if len(points) <= 2 * columns or columns < 1:
        return points
    x0, x1 = points[0][0], points[-1][0]
    span = (x1 - x0) or 1.0
    kept: list[Point] = []
    col, lo, hi = None, None, None
    for p in points:
        c = min(int((p[0] - x0) / span * columns), columns - 1)
        if c != col:
            if col is not None:
                kept.extend(sorted({lo, hi}))
            col, lo, hi = c, p, p
        else:
            lo = p if p[1] < lo[1] else lo
            hi = p if p[1] > hi[1] else hi
    kept.extend(sorted({lo, hi}))
    return kept


def _finite(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _finite_points(points: list[list[float]] | None) -> list[Point]:
    """Points with finite numbers, sorted by time; anything else is dropped, not fatal."""
    out = [(float(p[0]), float(p[1])) for p in points or []
           if isinstance(p, (list, tuple)) and len(p) >= 2 and _finite(p[0]) and _finite(p[1])]
    return sorted(out)


def _path_data(pixels: list[Point]) -> str:
    return "M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in pixels)


def _legend(names: list[str], width: int) -> tuple[str, int]:
    """Legend entries laid out left to right, wrapping to new rows when the width runs out."""
    parts, x, row = [], float(_LEFT), 0
    for i, name in enumerate(names):
        w = 14 + len(name) * _CHAR_W + 14
        if x + w > width - _RIGHT and x > _LEFT:
            x, row = float(_LEFT), row + 1
        y = _TITLE_H + row * _LEGEND_ROW_H + 8
        parts.append(f'<g class="legend-item"><rect x="{x:.1f}" y="{y - 8}" width="10" height="10" '
                     f'fill="{PALETTE[i % len(PALETTE)]}"/><text x="{x + 14:.1f}" y="{y + 1}">'
                     f"{escape(name)}</text></g>")
        x += w
    return '<g class="legend">' + "".join(parts) + "</g>", row + 1


def _pad_span(lo: float, hi: float, pad: float) -> tuple[float, float]:
    return (lo - pad, hi + pad) if hi - lo <= 0 else (lo, hi)


def _y_range(lo: float, hi: float) -> tuple[float, float]:
    """Start at zero for non-negative data unless that flattens the variation away."""
    if lo >= 0 and (hi == 0 or lo <= 0.5 * hi):
        lo = 0.0
    if hi - lo <= 0:
        pad = abs(hi) * 0.1 or 1.0
        lo, hi = (lo - pad if lo != 0 else 0.0), hi + pad
    return lo, hi


def _nice_ticks(lo: float, hi: float, count: int, expand: bool = False) -> list[float]:
    """Round tick values (1, 2, 5 x 10^k steps) inside [lo, hi], or enclosing it (`expand`)."""
    raw = (hi - lo) / max(count, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    first = (math.floor if expand else math.ceil)(lo / step + (1e-9 if expand else -1e-9))
    last = (math.ceil if expand else math.floor)(hi / step + (-1e-9 if expand else 1e-9))
    return [round(i * step, 12) for i in range(first, last + 1)] or [lo]


def _fmt_tick(v: float) -> str:
    """Compact tick text: 1.5k, 2M, 0.25."""
    a = abs(v)
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if a >= div:
            return f"{v / div:.3g}{suffix}"
    return f"{v:.3g}" if v else "0"


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "plot"
