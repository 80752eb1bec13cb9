"""A deliberate leak, for proving the leak detector: memory retained at a set rate.

Test only (`producers.spec.leak_mb_per_hour`). The bytes are written, not just reserved,
so they count in the resident set the node agent samples.
"""

from __future__ import annotations

MB = 2**20
CHUNK = 64 * 1024


class MemoryRetainer:
    def __init__(self, mb_per_hour: float, started_s: float):
        self.bytes_per_s = mb_per_hour * MB / 3600.0
        self.started_s = started_s
        self.kept: list[bytes] = []
        self.retained = 0

    def tick(self, now_s: float) -> int:
        """Retain what the rate asks for by now; returns the bytes held."""
        target = int((now_s - self.started_s) * self.bytes_per_s)
        while self.retained + CHUNK <= target:
            self.kept.append(b"\x5a" * CHUNK)
            self.retained += CHUNK
        return self.retained
