"""A workload: what a soak run deploys and what it judges the run by.

Loaded from YAML (`workloads/*.yaml`) or the embedded default; validated before anything
starts, so a bad file never costs a run (house rule 7).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, model_validator

from agents.lakehouse.schema import TICK_FIELDS
from workloads.analysis import AnalysisSpec
from workloads.faults import FaultScheduleSpec
from workloads.ingestion import IngestionSpec
from workloads.specs import ConsumerSpec, MaintenanceSpec, NodeSpec, ProducerSpec, QuerySpec, Strict

NAME = r"^[a-z0-9][a-z0-9._-]{0,62}$"
# The table's tick columns: only a `ticks` payload's table has them.
TICK_TABLE_COLUMNS = tuple(name for name, _ in TICK_FIELDS)


class TopicSpec(Strict):
    name: str = Field(default="soak-events", pattern=r"^[a-zA-Z0-9._-]{1,249}$")
    partitions: int = Field(default=6, ge=1, le=10_000)
    replication_factor: int = Field(default=1, ge=1, le=16)


class ProducerGroup(Strict):
    count: int = Field(default=2, ge=0, le=1000)
    spec: ProducerSpec = ProducerSpec()


class ConsumerGroup(Strict):
    count: int = Field(default=2, ge=1, le=1000, description="members of one consumer group")
    spec: ConsumerSpec = ConsumerSpec()


class QueryGroup(Strict):
    count: int = Field(default=1, ge=0, le=100)
    spec: QuerySpec = QuerySpec()


class TableSpec(Strict):
    identifier: str = Field(default="soak.events", pattern=r"^[a-zA-Z_][a-zA-Z0-9_]*\.[a-zA-Z_][a-zA-Z0-9_]*$")
    partition_granularity: Literal["hour", "day"] = "hour"
    maintenance: MaintenanceSpec = MaintenanceSpec()


class SLOSpec(Strict):
    """Thresholds a report window is judged by; None switches a check off."""

    max_p99_ack_ms: float | None = Field(default=500.0, gt=0)
    max_p99_e2e_ms: float | None = Field(default=2_000.0, gt=0)
    max_lag_records: int | None = Field(default=100_000, ge=0)
    max_freshness_s: float | None = Field(default=60.0, gt=0)
    min_throughput_ratio: float | None = Field(default=0.95, gt=0, le=1, description="achieved / intended rate")
    max_anomalies: int = Field(default=0, ge=0, description="lost + duplicate + reordered + corrupt")
    warm_up_s: float = Field(default=60.0, ge=0, description="latency, lag and freshness SLOs are judged after this")


class Workload(Strict):
    name: str = Field(default="default", pattern=NAME)
    description: str = Field(default="", max_length=2000)
    topic: TopicSpec = TopicSpec()
    producers: ProducerGroup = ProducerGroup()
    consumers: ConsumerGroup = ConsumerGroup()
    queries: QueryGroup = QueryGroup()
    node: NodeSpec = NodeSpec()
    table: TableSpec = TableSpec()
    report_interval_s: float = Field(default=3600.0, ge=1, le=7 * 86_400)
    faults: FaultScheduleSpec = FaultScheduleSpec()
    slo: SLOSpec = SLOSpec()
    analysis: AnalysisSpec = AnalysisSpec()
    ingestion: IngestionSpec = IngestionSpec()

    @model_validator(mode="after")
    def _consistent(self):
        if self.consumers.count > self.topic.partitions:
            raise ValueError(f"consumers.count ({self.consumers.count}) exceeds topic.partitions "
                             f"({self.topic.partitions}): the extra members would sit idle")
        if self.payload_mode != "ticks" and self.queries.count and not self.ingestion.external:
            for q in self.queries.spec.queries:
                used = sorted(c for c in TICK_TABLE_COLUMNS if re.search(rf"\b{c}\b", q.sql, re.IGNORECASE))
                if used:
                    raise ValueError(
                        f"query {q.name} reads tick columns ({', '.join(used)}) that the table of a "
                        f"`{self.producers.spec.payload.mode}` payload does not have (it keeps the value in "
                        f"`payload`): give queries.spec.queries over the envelope columns, or queries.count: 0")
        return self

    @property
    def payload_mode(self) -> str:
        """The table's payload columns: the tick columns, or the value's bytes (raw and
        record payloads alike)."""
        return "ticks" if self.producers.spec.payload.mode == "ticks" else "raw"
