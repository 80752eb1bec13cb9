"""One line of live progress from a run's stored progress (pure)."""

from __future__ import annotations


def duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}"


def size(n: float | None) -> str:
    if not n:
        return "-"
    for unit in ("B", "KiB", "MiB"):
        if n < 1024:
            return f"{n:.0f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


def millis(us: float | None) -> str:
    return "-" if us is None else f"{us / 1000:.0f} ms"


def progress_line(state: str, p: dict) -> str:
    rates = p.get("rates", {})
    lat = p.get("latency_us", {})
    agents = p.get("agents", {})
    up, known = sum(agents.get("up", {}).values()), sum(agents.get("known", {}).values())
    memory = p.get("memory", {})
    targets = memory.get("targets_rss_bytes") or {}
    anomalies = sum((p.get("anomalies") or {}).values())
    parts = [
        f"{duration(p.get('elapsed_s', 0))} / {duration(p.get('duration_s', 0))}",
        state if p.get("end_phase") in (None, "", state) else f"{state} ({p['end_phase']})",
        f"acked {rates.get('acked_per_s', 0):,.0f}/s",
        f"ingested {rates.get('committed_records_per_s', 0):,.0f}/s",
        f"p99 ack {millis(lat.get('ack_latency', {}).get('p99_us'))}",
        f"p99 e2e {millis(lat.get('e2e_latency', {}).get('p99_us'))}",
        f"lag {p.get('lag', 0):,}",
        f"agents {up}/{known} up",
        f"restarts {agents.get('restarts', 0)}",
        f"agents rss {size(memory.get('agents_rss_bytes'))}",
    ]
    parts += [f"{name} {size(rss)}" for name, rss in sorted(targets.items()) if rss]
    parts += [f"anomalies {anomalies:.0f}", f"faults {p.get('faults', {}).get('active', 0)}",
              f"alerts {p.get('alerts', 0)}"]
    errors = sum((p.get("step_errors") or {}).values())
    if errors:
        parts.append(f"step errors {errors}")
    return " | ".join(parts)
