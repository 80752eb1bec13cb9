"""Run totals across incarnations, stats flattening and the live picture (pure)."""

from agents.core.histogram import LatencyHistogram
from controller.control.progress import Peaks, Window, advance, freshness
from controller.sampling.flatten import counters, gauges, histograms, process_series
from controller.sampling.lag import partition_lag
from controller.sampling.totals import RunTotals


def hist(*values) -> dict:
    h = LatencyHistogram()
    h.record_many(values)
    return h.to_json()


def producer(incarnation, acked, latencies=()):
    return {"kind": "producer", "incarnation": incarnation, "sent": acked, "acked": acked, "failed": 0,
            "bytes_sent": acked * 100, "buffer_full_waits": 0, "intended": acked, "behind_records": 3,
            "ack_latency": hist(*latencies), "process": {"rss_bytes": 1}}


def test_flatten_picks_counters_gauges_histograms_per_kind():
    stats = producer(1, 10, [1000])
    assert counters(stats)["acked"] == 10 and gauges(stats) == {"behind_records": 3.0}
    assert set(histograms(stats)) == {"ack_latency"}
    query = {"kind": "query", "cycles": 4, "errors": {"a": 1, "b": 2}, "freshness_s": 1.5,
             "query_latency": {"full_count": hist(5)}}
    assert counters(query) == {"cycles": 4.0, "errors_total": 3.0}
    assert set(histograms(query)) == {"query_latency.full_count"}
    consumer = {"kind": "consumer", "verdicts": {"duplicate": 2, "corrupt": 0}, "candidate_losses": {"records": 7}}
    assert counters(consumer)["verdicts.duplicate"] == 2 and gauges(consumer) == {"candidate_losses.records": 7.0}
    assert process_series({"rss_bytes": 5, "uss_bytes": None, "pid": 3}) == {"rss_bytes": 5.0}


def test_totals_never_go_back_when_an_agent_restarts():
    t = RunTotals()
    t.update("producer-0", producer(1, 100, [1000, 2000]))
    t.update("producer-0", producer(1, 150, [1000, 2000, 3000]))
    t.update("producer-0", producer(2, 20, [500]))  # a new incarnation counts from zero
    t.update("producer-1", producer(7, 5))
    assert t.total("acked") == 175 and t.total("acked", "consumer") == 0
    merged = t.merged("ack_latency")
    assert merged.total == 4 and merged.max_value == 3000
    again = RunTotals.from_json(t.to_json())  # a resumed controller carries on
    again.update("producer-0", producer(2, 30, [500, 600]))
    assert again.total("acked") == 185 and again.merged("ack_latency").total == 5


def test_advance_gives_rates_and_interval_latency():
    t = RunTotals()
    t.update("producer-0", producer(1, 100, [1000] * 100))
    rates, lat, window = advance(t, Window(), 10 * 10**9)
    assert rates == {} and lat["ack_latency"]["count"] == 100
    t.update("producer-0", producer(1, 300, [1000] * 100 + [50_000] * 200))
    rates, lat, window = advance(t, window, 12 * 10**9)
    assert rates["acked_per_s"] == 100.0
    assert lat["ack_latency"]["count"] == 200 and lat["ack_latency"]["p50_us"] >= 50_000


def test_peaks_freshness_and_lag():
    p = Peaks()
    p.update(10, None)
    p.update(4, 2.5)
    assert Peaks.from_json(p.to_json()) == Peaks(10, 2.5)
    assert freshness({"q": {"kind": "query", "freshness_s": 3.0}, "r": {"kind": "query", "freshness_s": None},
                      "p": {"kind": "producer"}}) == 3.0
    assert freshness({}) is None
    assert partition_lag({0: 100, 1: 50, 2: 10}, {0: 90, 1: 60}, {0: 0, 1: 0, 2: 4}) == {0: 10, 1: 0, 2: 6}
