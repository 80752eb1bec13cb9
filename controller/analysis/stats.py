"""Statistical tests the detectors use (pure, numpy only).

Mann-Kendall trend test with the Hamed-Rao variance correction for serial correlation,
the Theil-Sen slope with Sen's confidence bounds, one-sided Mann-Whitney U, Welch's
t-test, and least-squares "line vs best single step" errors. Normal approximations with
tie corrections: the detectors use them on tens to hundreds of points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

Z_95_TWO_SIDED = 1.959963984540054


def normal_sf(z: float) -> float:
    """P(Z > z) for a standard normal Z."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def ranks(x: np.ndarray) -> np.ndarray:
    """Ranks from 1, ties get their mean rank."""
    order = np.argsort(x, kind="mergesort")
    sorted_x = x[order]
    r = np.empty(len(x), dtype=float)
    i = 0
    while i < len(x):
        j = i
        while j + 1 < len(x) and sorted_x[j + 1] == sorted_x[i]:
            j += 1
        r[order[i:j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return r


def _tie_term(x: np.ndarray, f) -> float:
    _, counts = np.unique(x, return_counts=True)
    counts = counts[counts > 1].astype(float)
    return float(np.sum(f(counts))) if len(counts) else 0.0


def pairwise_slopes(t: np.ndarray, y: np.ndarray) -> np.ndarray:
    i, j = np.triu_indices(len(t), k=1)
    dt = t[j] - t[i]
    keep = dt != 0
    return (y[j][keep] - y[i][keep]) / dt[keep]


@dataclass(frozen=True)
class Trend:
    n: int
    s: float  # Mann-Kendall S
    var_s: float  # corrected for ties and serial correlation
    z: float
    p_increasing: float  # one-sided p-value of an upward trend
    slope: float  # Theil-Sen, per unit of t
    slope_low: float  # Sen's lower 95 % bound
    slope_high: float
    correction: float  # Hamed-Rao n/n* (at least 1)


def _acf(x: np.ndarray) -> np.ndarray:
    d = x - x.mean()
    denom = float(np.dot(d, d))
    if denom == 0:
        return np.zeros(len(x))
    full = np.correlate(d, d, mode="full")[len(x) - 1:]
    return full / denom


def trend(t, y) -> Trend:
    """Mann-Kendall with the Hamed-Rao (1998) correction, and the Theil-Sen slope."""
    t = np.asarray(t, dtype=float)
    y = np.asarray(y, dtype=float)
    n = len(y)
    if n < 4:
        raise ValueError("a trend needs at least 4 points")
    i, j = np.triu_indices(n, k=1)
    s = float(np.sum(np.sign(y[j] - y[i])))
    var_s = (n * (n - 1) * (2 * n + 5) - _tie_term(y, lambda c: c * (c - 1) * (2 * c + 5))) / 18.0
    slopes = pairwise_slopes(t, y)
    slope = float(np.median(slopes)) if len(slopes) else 0.0
    # Hamed-Rao: the autocorrelation of the ranks of the detrended series at significant
    # lags inflates the variance (positive correlation makes trends look likelier).
    acf = _acf(ranks(y - slope * t))
    bound = Z_95_TWO_SIDED / math.sqrt(n)
    k = np.arange(1, n - 2)
    r = acf[1:n - 2]
    significant = np.abs(r) > bound
    total = float(np.sum(((n - k) * (n - k - 1) * (n - k - 2) * r)[significant]))
    # Only ever widened: lags that look negatively correlated by chance must not make
    # a detector that has to stay quiet more eager than the plain test.
    correction = max(1.0 + 2.0 / (n * (n - 1) * (n - 2)) * total, 1.0)
    var_s *= correction
    if var_s <= 0:
        z = 0.0
    elif s > 0:
        z = (s - 1) / math.sqrt(var_s)
    elif s < 0:
        z = (s + 1) / math.sqrt(var_s)
    else:
        z = 0.0
    low, high = _sen_bounds(np.sort(slopes), var_s)
    return Trend(n, s, var_s, z, normal_sf(z), slope, low, high, correction)


def _sen_bounds(sorted_slopes: np.ndarray, var_s: float) -> tuple[float, float]:
    """Sen's (1968) distribution-free confidence interval of the slope (95 %, two-sided)."""
    m = len(sorted_slopes)
    if m == 0:
        return 0.0, 0.0
    c = Z_95_TWO_SIDED * math.sqrt(max(var_s, 0.0))
    lower = int(math.floor((m - c) / 2.0))  # 1-based rank M1, as an index
    upper = int(math.ceil((m + c) / 2.0))  # 1-based rank M2 + 1, as an index
    lower = min(max(lower, 0), m - 1)
    upper = min(max(upper, 0), m - 1)
    return float(sorted_slopes[lower]), float(sorted_slopes[upper])


def line_and_step_errors(t, y, min_segment: int = 3) -> tuple[float, float, int]:
    """Sum of squared errors of the least-squares line and of the best single step (two
    levels), and the index where that step is. A leak is a line; a restart or a cache
    filling once is a step."""
    t = np.asarray(t, dtype=float)
    y = np.asarray(y, dtype=float)
    n = len(y)
    a, b = np.polyfit(t, y, 1)
    line_sse = float(np.sum((y - (a * t + b)) ** 2))
    c1, c2 = np.cumsum(y), np.cumsum(y * y)
    best, where = math.inf, -1
    for k in range(min_segment, n - min_segment + 1):
        left = c2[k - 1] - c1[k - 1] ** 2 / k
        right = (c2[-1] - c2[k - 1]) - (c1[-1] - c1[k - 1]) ** 2 / (n - k)
        if left + right < best:
            best, where = float(left + right), k
    return line_sse, best, where


def two_step_error(y, min_segment: int = 3) -> float:
    """Sum of squared errors of the best staircase of two steps (three levels, each at
    least `min_segment` points): a cache filled twice, a heap grown in two steps. A leak
    is a line, which a staircase fits worse once the growth is above the noise."""
    y = np.asarray(y, dtype=float)
    n = len(y)
    if n < 3 * min_segment:
        return math.inf
    c1 = np.concatenate(([0.0], np.cumsum(y)))
    c2 = np.concatenate(([0.0], np.cumsum(y * y)))
    i, j = np.meshgrid(np.arange(n + 1), np.arange(n + 1), indexing="ij")
    with np.errstate(divide="ignore", invalid="ignore"):
        seg = (c2[j] - c2[i]) - (c1[j] - c1[i]) ** 2 / (j - i)  # seg[i, j]: one level on y[i:j]
    valid = (i >= min_segment) & (j - i >= min_segment) & (n - j >= min_segment)
    total = seg[0, :][:, None] + seg + seg[:, n][None, :]
    return float(np.min(total[valid]))


@dataclass(frozen=True)
class RankTest:
    u: float
    z: float
    p: float  # one-sided: the second sample tends to be larger


def mann_whitney_greater(baseline, sample) -> RankTest:
    """One-sided Mann-Whitney U: is `sample` stochastically larger than `baseline`?"""
    x = np.asarray(baseline, dtype=float)
    y = np.asarray(sample, dtype=float)
    n1, n2 = len(x), len(y)
    if n1 == 0 or n2 == 0:
        raise ValueError("both samples need points")
    r = ranks(np.concatenate([x, y]))
    u = float(np.sum(r[n1:]) - n2 * (n2 + 1) / 2.0)
    n = n1 + n2
    ties = _tie_term(np.concatenate([x, y]), lambda c: c ** 3 - c)
    var_u = n1 * n2 / 12.0 * ((n + 1) - ties / (n * (n - 1)))
    if var_u <= 0:
        return RankTest(u, 0.0, 1.0)
    z = (u - n1 * n2 / 2.0 - 0.5) / math.sqrt(var_u)  # continuity correction
    return RankTest(u, z, normal_sf(z))


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (Lentz's method)."""
    tiny, qab, qap, qam = 1e-300, a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 3e-14:
            break
    return h


def incomplete_beta(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_two_sided_p(t_stat: float, df: float) -> float:
    """P(|T| > |t|) for Student's t with `df` degrees of freedom."""
    if df <= 0 or math.isnan(t_stat):
        return 1.0
    return incomplete_beta(df / 2.0, 0.5, df / (df + t_stat * t_stat))


def welch_t_test(a, b) -> tuple[float, float]:
    """Welch's t statistic (b minus a) and its two-sided p-value."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if len(a) < 2 or len(b) < 2:
        return 0.0, 1.0
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    if va + vb == 0:
        return (0.0, 1.0) if a.mean() == b.mean() else (math.copysign(math.inf, b.mean() - a.mean()), 0.0)
    t_stat = (b.mean() - a.mean()) / math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
    return float(t_stat), t_two_sided_p(t_stat, df)
