"""QueryAgent: DuckDB over the Iceberg table, as the pipeline's readers would query it.

Every `interval_s` it refreshes the table, times each named query into its own
histogram, and measures freshness (now minus the newest event time). On request it runs
the correctness check per producer incarnation against the producers' ack ledgers.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timezone

from agents.base import Agent
from agents.clock import Clock
from agents.core.ack_ledger import AckLedger, merge_acks
from agents.core.correctness import compare
from agents.core.histogram import LatencyHistogram
from agents.lakehouse.catalog import TableRef
from agents.lakehouse.duckdb_iceberg import connect
from agents.lakehouse.external_table import ExternalTableRef, bind_external_view
from agents.lakehouse.queries import NEWEST_SQL, bind_events_view, islands, run_named
from workloads.specs import QuerySpec


class QueryAgent(Agent):
    kind = "query"

    def __init__(self, agent_id: str, run_id: str, table: TableRef | ExternalTableRef, spec: QuerySpec | None = None,
                 clock: Clock | None = None):
        super().__init__(agent_id, clock)
        self.run_id = run_id
        self.table_ref = table
        self.spec = spec or QuerySpec()
        self._lock = threading.Lock()  # one DuckDB connection: the loop and checks take turns
        self._stats_lock = threading.Lock()
        self.latency = {q.name: LatencyHistogram() for q in self.spec.queries}
        self.errors: Counter[str] = Counter()
        self.last_error: dict[str, str] = {}  # per named query: bounded by the workload
        self.cycles = 0
        self.freshness_s: float | None = None
        self.max_freshness_s = 0.0
        self.data_files = 0
        self._con = None
        self._table = None

    def _open(self) -> None:
        if self._con is None:
            ref = self.table_ref
            self._table = ref.load() if isinstance(ref, ExternalTableRef) else ref.load_or_create()
            self._con = connect(properties=ref.properties, location=self._table.location())

    def _bind(self) -> int:
        """`events` over the table's current snapshot (a team's table through its mapping)."""
        self._table.refresh()
        if isinstance(self.table_ref, ExternalTableRef):
            return bind_external_view(self._con, self.table_ref, self._table, self.run_id, self.spec.engine)
        return bind_events_view(self._con, self._table, self.spec.engine)

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            started = self.clock.monotonic()
            with self._lock:
                self._open()
                self._cycle()
            self.progressed()
            stop.wait(max(0.0, self.spec.interval_s - (self.clock.monotonic() - started)))

    def _cycle(self) -> None:
        self.data_files = self._bind()
        newest = self._con.execute(NEWEST_SQL).fetchone()
        if newest is None or newest[2] is None:
            return  # nothing ingested yet (or a team's table whose send time is not mapped)
        producer_id, seq, newest_us = newest
        now_us = self.clock.wall_ns() // 1000
        freshness = max(0.0, (now_us - newest_us) / 1e6)
        window_start = datetime.fromtimestamp((now_us / 1e6) - self.spec.window_s, tz=timezone.utc)
        params = {"producer_id": producer_id, "seq": seq, "window_start": window_start, "run_id": self.run_id}
        for query in self.spec.queries:
            t0 = self.clock.monotonic()
            try:
                run_named(self._con, query.sql, params)
            except Exception as exc:  # a failing query is a finding, not a crash
                with self._stats_lock:
                    self.errors[f"{query.name}: {type(exc).__name__}"] += 1
                    self.last_error[query.name] = str(exc).splitlines()[0][:300]
                continue
            elapsed_us = int((self.clock.monotonic() - t0) * 1e6)
            with self._stats_lock:
                self.latency[query.name].record(elapsed_us)
        with self._stats_lock:
            self.freshness_s = freshness
            self.max_freshness_s = max(self.max_freshness_s, freshness)
            self.cycles += 1

    def check(self, ack_ledgers: list[dict], settled: bool = True) -> dict:
        """Table vs acknowledgements, per producer incarnation: missing, duplicated, unexpected."""
        with self._lock:
            self._open()
            self._bind()
            table_islands = islands(self._con, self.run_id)
        acked = merge_acks(AckLedger.from_json(raw) for raw in ack_ledgers)
        return compare(table_islands, acked, settled=settled).summary()

    def kind_stats(self) -> dict:
        with self._stats_lock:
            return {"run_id": self.run_id, "cycles": self.cycles, "freshness_s": self.freshness_s,
                    "max_freshness_s": self.max_freshness_s, "data_files": self.data_files,
                    "errors": dict(self.errors), "last_error": dict(self.last_error),
                    "query_latency": {name: h.to_json() for name, h in self.latency.items()}}
