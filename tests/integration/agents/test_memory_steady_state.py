"""A producer and a verifier at a steady rate for ten minutes keep flat memory."""

from __future__ import annotations

import time

import pytest

from controller.infra.processes import wait_until
from tests.integration.agents.steady import DURATION_S, RATE

WARM_UP_S = 120
WINDOW_S = 60
MAX_GROWTH_BYTES = 48 * 1024 * 1024
CATCH_UP_S = 240  # the verifier shares two cores with the whole suite; at the end it may trail


def floors(samples: list[dict], name: str, t0_ns: int) -> list[int]:
    """Minimum RSS per one-minute window after warm-up: GC and batch sawtooth do not count."""
    by_window: dict[int, int] = {}
    for s in samples:
        if s["name"] != name:
            continue
        age = (s["wall_ns"] - t0_ns) / 1e9
        if age < WARM_UP_S:
            continue
        w = int(age // WINDOW_S)
        by_window[w] = min(by_window.get(w, s["rss_bytes"]), s["rss_bytes"])
    return [by_window[w] for w in sorted(by_window)]


@pytest.mark.after_the_rest
def test_producer_and_verifier_memory_stays_flat_for_ten_minutes(steady_pipeline, request):
    p = steady_pipeline
    request.addfinalizer(p.stop)  # passed or failed: the compressed soak, next, has the cores without it
    while (left := DURATION_S - (time.monotonic() - p.started_at)) > 0:
        p.collect()  # drain the node agent's ring now and then, as the controller does
        time.sleep(min(left, 30))
    p.collect()
    producer = p.stats("producer")
    p.stop_producer()  # what is acked now is what the verifier must catch up with

    # It really ran steadily the whole time, through everything else the suite did, and the
    # verifier kept up: it commits everything acked by then within a bounded catch-up.
    assert producer["acked"] >= RATE * DURATION_S * 0.9
    verifier, maintenance = p.stats("verifier"), p.stats("maintenance")
    behind = producer["acked"] - verifier["committed_records"]
    wait_until(lambda: p.stats("verifier")["committed_records"] >= producer["acked"], CATCH_UP_S)
    verifier = p.stats("verifier")
    print(f"verifier was {behind} records behind at the end of the window; now {verifier['committed_records']}"
          f" of {producer['acked']}")
    assert verifier["committed_records"] >= producer["acked"], "the verifier did not catch up"
    assert maintenance["runs"] >= 10 and maintenance["totals"]["expired_snapshots"] > 0, maintenance
    t0_ns = min(s["wall_ns"] for s in p.samples)
    report = {name: floors(p.samples, name, t0_ns) for name in ("producer", "verifier", "kafka-broker")}
    print("RSS floors per minute after warm-up (MiB):",
          {k: [round(v / 2**20, 1) for v in f] for k, f in report.items()})
    for name in ("producer", "verifier"):
        f = report[name]
        assert len(f) >= 6, f"too few windows for {name}: {f}"
        first, highest = f[0], max(f)
        assert highest - first < MAX_GROWTH_BYTES, f"{name} RSS floor grew {(highest - first) / 2**20:.1f} MiB"
    assert report["kafka-broker"], "the node agent sampled the broker (a target found by command line)"
