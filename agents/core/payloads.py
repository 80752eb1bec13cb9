"""Record payloads: market ticks (JSON) or raw bytes, in a configurable size distribution.

Payloads come from a pool made ahead of time with their CRC32C, so the hot produce path
does no encoding. The tick pool is remade now and then so exchange timestamps stay
close to the send time.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

from agents.core.envelope import crc32c

SYMBOLS = ("AAPL", "MSFT", "NVDA", "AMZN", "GOOG", "META", "TSLA", "JPM", "V", "XOM", "ASML", "SAP", "NESN",
           "SHEL", "TM", "BABA", "TSM", "NVO", "LVMH", "BHP")
EXCHANGES = ("XNAS", "XNYS", "XLON", "XETR", "XTKS")
TICK_COLUMNS = ("symbol", "price", "quantity", "side", "exchange_ts_us", "exchange")


@dataclass(frozen=True)
class SizeDistribution:
    """`constant` (mean), `uniform` (low..high) or `lognormal` (median, sigma), clipped to low..high."""

    kind: str = "constant"
    mean: int = 100
    low: int = 16
    high: int = 1024 * 1024
    sigma: float = 0.5

    def sample(self, rng: random.Random) -> int:
        if self.kind == "constant":
            size = self.mean
        elif self.kind == "uniform":
            size = rng.randint(self.low, self.high)
        elif self.kind == "lognormal":
            size = int(rng.lognormvariate(0, self.sigma) * self.mean)
        else:
            raise ValueError(f"unknown size distribution {self.kind!r}")
        return max(self.low, min(self.high, size)) if self.kind != "constant" else size


def tick(rng: random.Random, exchange_ts_us: int, size: int) -> bytes:
    """One market tick as compact JSON, padded with a `pad` field up to `size` bytes."""
    symbol = rng.choice(SYMBOLS)
    body = {"symbol": symbol, "price": round(rng.uniform(5, 900), 2), "quantity": rng.randint(1, 5000),
            "side": rng.choice("BS"), "exchange_ts_us": exchange_ts_us, "exchange": rng.choice(EXCHANGES)}
    raw = json.dumps(body, separators=(",", ":")).encode()
    room = size - len(raw) - len(',"pad":""')
    if room > 0:
        raw = raw[:-1] + b',"pad":"' + b"x" * room + b'"}'
    return raw


class PayloadPool:
    """A ring of ready payloads with their CRC32C."""

    def __init__(self, mode: str, sizes: SizeDistribution, seed: int, pool_size: int = 4096):
        if mode not in ("ticks", "raw"):
            raise ValueError(f"unknown payload mode {mode!r} (allowed: ticks, raw)")
        self.mode = mode
        self.sizes = sizes
        self.rng = random.Random(seed)
        self.pool_size = pool_size
        self.payloads: list[bytes] = []
        self.crcs: list[int] = []

    def refill(self, now_us: int) -> None:
        rng = self.rng
        if self.mode == "ticks":
            payloads = [tick(rng, now_us, self.sizes.sample(rng)) for _ in range(self.pool_size)]
        else:
            payloads = [rng.randbytes(self.sizes.sample(rng)) for _ in range(self.pool_size)]
        self.payloads = payloads
        self.crcs = [crc32c(p) for p in payloads]
