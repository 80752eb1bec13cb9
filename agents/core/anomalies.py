"""Where a deliberately faulty producer breaks its stream: a seeded, exact plan."""

from __future__ import annotations

import random

SKIP, DUPLICATE, REORDER, CORRUPT = "skip", "duplicate", "reorder", "corrupt"


def plan_anomalies(seed: int, partitions: list[int], within: int, skip: int = 0, duplicate: int = 0,
                   reorder: int = 0, corrupt: int = 0) -> dict[tuple[int, int], str]:
    """{(partition, seq): kind}: disjoint anomalies among seqs 1..within-3 of the partitions.

    A reorder at s swaps s and s+1, so s+1 is left untouched and no two swaps touch.
    The first and the last seqs of the window stay clean so every anomaly is visible
    in-stream, not only at the final check.
    """
    rng = random.Random(seed)
    wanted = {SKIP: skip, DUPLICATE: duplicate, REORDER: reorder, CORRUPT: corrupt}
    total = sum(wanted.values())
    capacity = len(partitions) * (within - 3) // 3
    if total > capacity:
        raise ValueError(f"{total} anomalies do not fit in {within} seqs x {len(partitions)} partitions "
                         f"(at most {capacity}); raise `within`")
    plan: dict[tuple[int, int], str] = {}
    taken: set[tuple[int, int]] = set()
    kinds = [k for k, n in wanted.items() for _ in range(n)]
    rng.shuffle(kinds)
    for kind in kinds:
        while True:
            p, s = rng.choice(partitions), rng.randint(1, within - 3)
            # Keep a clean neighbour on each side: a swap needs s+1, and an anomaly
            # right after a swap would blur which one the ledger saw.
            if taken & {(p, s - 1), (p, s), (p, s + 1), (p, s + 2)}:
                continue
            plan[(p, s)] = kind
            taken.update({(p, s), (p, s + 1)} if kind == REORDER else {(p, s)})
            break
    return plan
