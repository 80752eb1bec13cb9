"""Agent stats snapshots as flat series (pure).

Counters are cumulative per agent incarnation; gauges are values at the snapshot time;
histograms travel in their sparse form and are merged, never averaged.
"""

from __future__ import annotations

AGENT_COUNTERS: dict[str, tuple[str, ...]] = {
    "producer": ("sent", "acked", "failed", "bytes_sent", "buffer_full_waits", "intended", "client_replacements"),
    "consumer": ("consumed", "bytes_consumed", "committed_records", "foreign", "fenced", "commit_errors",
                 "rebalances", "consumer_restarts", "iceberg_commits", "iceberg_conflicts",
                 "verdicts.in_order", "verdicts.gaps", "verdicts.gap_records", "verdicts.duplicate",
                 "verdicts.reordered", "verdicts.corrupt"),
    "query": ("cycles", "errors_total"),
    "maintenance": ("runs", "failures", "totals.expired_snapshots", "totals.compacted_partitions",
                    "totals.files_rewritten", "totals.orphans_deleted"),
    "node": ("rounds", "dropped_samples"),
}
AGENT_GAUGES: dict[str, tuple[str, ...]] = {
    "producer": ("behind_records", "unflushed_at_stop"),
    "consumer": ("candidate_losses.records",),
    "query": ("freshness_s", "max_freshness_s", "data_files"),
    "maintenance": (),
    "node": ("pending_samples",),
}
AGENT_HISTOGRAMS: dict[str, tuple[str, ...]] = {
    "producer": ("ack_latency",),
    "consumer": ("e2e_latency", "ingest_latency", "commit_latency"),
}
PROCESS_SERIES = ("rss_bytes", "uss_bytes", "cpu_seconds", "threads", "open_files")


def _get(stats: dict, dotted: str):
    value = stats
    for part in dotted.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def counters(stats: dict) -> dict[str, float]:
    kind = stats.get("kind", "")
    out = {}
    for name in AGENT_COUNTERS.get(kind, ()):
        value = sum(stats.get("errors", {}).values()) if name == "errors_total" else _get(stats, name)
        if isinstance(value, (int, float)):
            out[name] = float(value)
    return out


def gauges(stats: dict) -> dict[str, float]:
    kind = stats.get("kind", "")
    out = {}
    for name in AGENT_GAUGES.get(kind, ()):
        value = _get(stats, name)
        if isinstance(value, (int, float)):
            out[name] = float(value)
    return out


def histograms(stats: dict) -> dict[str, dict]:
    """Histogram name -> sparse histogram; query agents have one per named query."""
    kind = stats.get("kind", "")
    out = {name: stats[name] for name in AGENT_HISTOGRAMS.get(kind, ()) if isinstance(stats.get(name), dict)}
    if kind == "query":
        for query, raw in (stats.get("query_latency") or {}).items():
            out[f"query_latency.{query}"] = raw
    return out


def process_series(sample: dict) -> dict[str, float]:
    return {name: float(sample[name]) for name in PROCESS_SERIES if isinstance(sample.get(name), (int, float))}
