"""The run verdict (pure): PASS, WARN or FAIL with the reasons, from what the end phase found.

FAIL is about correctness and about not being able to tell: an acknowledged record
missing or duplicated in the table, a corrupt or reordered record, a drain that never
reached zero lag, a check that could not run, or nothing acknowledged at all. WARN is
about stability: SLO thresholds crossed, agents that had to be restarted, a run stopped
before its time. Findings merge as PASS < WARN < FAIL, as in Jepsen's checkers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from workloads.model import SLOSpec

PASS, WARN, FAIL = "PASS", "WARN", "FAIL"
_ORDER = {PASS: 0, WARN: 1, FAIL: 2}


@dataclass(frozen=True)
class Evidence:
    """What the verdict is a function of; every field comes from the run's own data."""

    check: dict | None  # agents.lakehouse.final_check.check_table, or None if it could not run
    check_error: str | None = None
    drained: bool = True
    lag_left: int = 0
    anomalies: dict[str, float] = field(default_factory=dict)  # verifier counts: duplicate, reordered, corrupt
    corrupt_examples: tuple[tuple[int, int, str], ...] = ()  # (partition, offset, what was damaged)
    query_errors: int = 0  # query runs that failed
    query_error_messages: dict[str, str] = field(default_factory=dict)  # named query -> its last error
    acked: float = 0.0
    intended: float | None = None  # records the rate profiles asked for (None: `max` rate)
    p99_ack_ms: float = 0.0
    p99_e2e_ms: float = 0.0
    max_lag: int = 0
    max_freshness_s: float | None = None
    restarts: int = 0
    fault_restarts: int = 0  # restarts the injected faults caused (agent kills): expected, not a warning
    faults_not_recovered: tuple[str, ...] = ()  # one line per fault the run did not recover from
    faults_not_healed: tuple[str, ...] = ()  # one line per fault still in place when the run ended
    alerts: tuple[str, ...] = ()  # what the leak and regression detectors found
    stopped_early: bool = False
    elapsed_s: float = 0.0
    planned_s: float = 0.0


@dataclass(frozen=True)
class Verdict:
    level: str
    reasons: tuple[str, ...]


def _first(examples: list | None, what: str) -> str:
    """' (e.g. stream seqs a..b)' from a check's first example, if it has one."""
    if not examples:
        return ""
    stream, *rest = examples[0]
    if what == "seqs":  # a missing range [a, b)
        a, b = rest
        return f" (e.g. {stream} seq {a})" if b - a == 1 else f" (e.g. {stream} seqs {a}..{b - 1})"
    return f" (e.g. {stream} seq {rest[0]}, {rest[1]} rows)"


def query_failures(count: int, last_errors: dict[str, str]) -> str:
    """A failed query is a check that did not run: said with what failed, never as a bare count."""
    said = "; ".join(f"{name}: {message}" for name, message in sorted(last_errors.items()))
    return f"{count} query runs failed" + (f" ({said})" if said else "")


def judge(e: Evidence, slo: SLOSpec) -> Verdict:
    found: list[tuple[str, str]] = []

    def add(level: str, reason: str) -> None:
        found.append((level, reason))

    if e.check is None:
        add(FAIL, f"the final correctness check could not run: {e.check_error or 'unknown error'}")
    else:
        c = e.check
        table = f"the table {c['table']}" if c.get("table") else "the table"
        examples = c.get("examples") or {}
        if c.get("missing", 0):
            add(FAIL, f"table check: {c['missing']} acknowledged records are missing from {table}"
                      f"{_first(examples.get('missing'), 'seqs')}")
        if c.get("duplicates", 0):
            add(FAIL, f"table check: {c['duplicates']} duplicate rows in {table}"
                      f"{_first(examples.get('duplicated_keys'), 'seq')}")
        if c.get("state_losses", 0):
            add(FAIL, f"{c['state_losses']} acknowledged records never reached a verifier")
    for kind in ("corrupt", "reordered", "duplicate"):
        if e.anomalies.get(kind, 0):
            where = _corrupt_where(e.corrupt_examples) if kind == "corrupt" else ""
            add(FAIL, f"verifiers saw {int(e.anomalies[kind])} {kind} records{where}")
    if not e.drained:
        add(FAIL, f"the drain did not reach zero lag ({e.lag_left} records left): the check is not settled")
    if e.acked == 0:
        add(FAIL, "no record was acknowledged: the pipeline never worked")
    anomalies = sum(int(e.anomalies.get(k, 0)) for k in ("corrupt", "reordered", "duplicate"))
    if anomalies > slo.max_anomalies and not any(level == FAIL for level, _ in found):
        add(FAIL, f"{anomalies} anomalies exceed the allowed {slo.max_anomalies}")

    if e.query_errors:
        add(WARN, query_failures(e.query_errors, e.query_error_messages))
    if slo.max_p99_ack_ms is not None and e.p99_ack_ms > slo.max_p99_ack_ms:
        add(WARN, f"p99 ack latency {e.p99_ack_ms:.0f} ms is above the SLO of {slo.max_p99_ack_ms:g} ms")
    if slo.max_p99_e2e_ms is not None and e.p99_e2e_ms > slo.max_p99_e2e_ms:
        add(WARN, f"p99 end-to-end latency {e.p99_e2e_ms:.0f} ms is above the SLO of {slo.max_p99_e2e_ms:g} ms")
    if slo.max_lag_records is not None and e.max_lag > slo.max_lag_records:
        add(WARN, f"consumer lag reached {e.max_lag} records (SLO {slo.max_lag_records})")
    if slo.max_freshness_s is not None and e.max_freshness_s is not None and e.max_freshness_s > slo.max_freshness_s:
        add(WARN, f"table freshness reached {e.max_freshness_s:.0f} s (SLO {slo.max_freshness_s:g} s)")
    if slo.min_throughput_ratio is not None and e.intended:
        ratio = e.acked / e.intended
        if ratio < slo.min_throughput_ratio:
            add(WARN, f"acknowledged {ratio:.1%} of the intended records (SLO {slo.min_throughput_ratio:.0%})")
    unexpected = e.restarts - e.fault_restarts
    if unexpected > 0:
        caused = f" ({e.fault_restarts} more caused by injected faults)" if e.fault_restarts else ""
        add(WARN, f"{unexpected} agent restarts{caused}")
    for line in e.faults_not_recovered:
        add(WARN, f"not recovered: {line}")
    for line in e.faults_not_healed:
        add(FAIL, f"fault still in place at the final check: {line}")
    for line in e.alerts:
        add(WARN, f"alert: {line}")
    if e.stopped_early:
        add(WARN, f"stopped early, after {e.elapsed_s / 60:.1f} of {e.planned_s / 60:.1f} minutes")

    if not found:
        rows = int(e.check.get("acked", 0)) if e.check else 0
        return Verdict(PASS, (f"{rows} acknowledged records, each in the table exactly once; every SLO met",))
    level = max((lvl for lvl, _ in found), key=_ORDER.__getitem__)
    return Verdict(level, tuple(reason for _, reason in found))


def _corrupt_where(examples: tuple[tuple[int, int, str], ...], limit: int = 3) -> str:
    if not examples:
        return ""
    shown = "; ".join(f"partition {p} offset {o}: {what}" for p, o, what in examples[:limit])
    more = f"; {len(examples) - limit} more examples" if len(examples) > limit else ""
    return f" ({shown}{more})"


def corrupt_examples(stats_by_agent: dict[str, dict]) -> tuple[tuple[int, int, str], ...]:
    """Where the verifiers saw corrupt records, from their latest stats, by partition and offset."""
    found = {(int(p), int(o), str(what)) for stats in stats_by_agent.values()
             for p, o, what in stats.get("corrupt_examples", ())}
    return tuple(sorted(found))


def last_query_errors(stats_by_agent: dict[str, dict]) -> dict[str, str]:
    """Each named query's last error message, from the query agents' latest stats."""
    out: dict[str, str] = {}
    for stats in stats_by_agent.values():
        out.update(stats.get("last_error") or {})
    return out
