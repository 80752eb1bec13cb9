"""Pydantic models of what each agent kind is told to do (embedded in workload files).

Bad values are refused with the field, the value and what is allowed (house rule 7).
"""

from __future__ import annotations

from string import Formatter
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from agents.core import record_schema
from agents.core.payloads import SizeDistribution
from agents.core.rates import Burst, Constant, DiurnalSine, RateProfile, Steps
from agents.core.record_schema import RecordPlan


def placeholders(template: str) -> set[str]:
    """The `{names}` of a command template."""
    return {name for _, name, _, _ in Formatter().parse(template) if name}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RateSpec(Strict):
    """How fast a producer sends: `max` (as fast as it can) or an open-loop profile."""

    profile: Literal["max", "constant", "steps", "sine", "burst"] = "constant"
    per_second: float = Field(default=1000.0, gt=0, le=10_000_000)
    steps: list[tuple[float, float]] = Field(default_factory=list, description="[[start_s, per_second], ...]")
    amplitude: float = Field(default=0.0, ge=0)
    period_s: float = Field(default=86_400.0, gt=0)
    burst_per_second: float = Field(default=0.0, ge=0)
    every_s: float = Field(default=60.0, gt=0)
    duration_s: float = Field(default=5.0, gt=0)

    def build(self) -> RateProfile | None:
        """The profile, or None for `max`. Raises ValueError naming what is wrong."""
        if self.profile == "max":
            return None
        if self.profile == "constant":
            return Constant(self.per_second)
        if self.profile == "steps":
            return Steps(tuple((float(t), float(r)) for t, r in self.steps))
        if self.profile == "sine":
            return DiurnalSine(self.per_second, self.amplitude, self.period_s)
        return Burst(self.per_second, self.burst_per_second, self.every_s, self.duration_s)

    @model_validator(mode="after")
    def _profile_is_buildable(self):
        try:
            self.build()
        except ValueError as exc:
            raise ValueError(f"rate profile {self.profile!r}: {exc}") from exc
        return self


class SizeSpec(Strict):
    distribution: Literal["constant", "uniform", "lognormal"] = "constant"
    mean: int = Field(default=100, ge=1, le=16 * 1024 * 1024)
    low: int = Field(default=16, ge=1)
    high: int = Field(default=64 * 1024, ge=1, le=16 * 1024 * 1024)
    sigma: float = Field(default=0.5, gt=0, le=5)

    @model_validator(mode="after")
    def _bounds(self):
        if self.low > self.high:
            raise ValueError(f"size low ({self.low}) must not exceed high ({self.high})")
        return self

    def build(self) -> SizeDistribution:
        return SizeDistribution(self.distribution, self.mean, self.low, self.high, self.sigma)


EnvelopePart = Literal["run_id", "producer_id", "incarnation", "partition", "seq", "sent_us"]


class RecordSpec(Strict):
    """Records in a team's own schema (payload mode `record`): JSON or Avro binary, each
    field filled by a generator (agents/core/field_generators.py), from a preset, or from
    its Avro default or type. The envelope always travels in the key and headers;
    `envelope_fields` also writes parts of it into named fields of the value."""

    format: Literal["json", "avro"] = "json"
    preset: Literal["market_ticks"] | None = None
    fields: dict[str, dict[str, Any]] = Field(default_factory=dict,
                                              description="field -> {gen: sequence|choice|range|..., params}")
    schema_file: str | None = Field(default=None, description="an Avro record schema (.avsc), relative to "
                                    "the workload file; read when the workload is loaded")
    avro_schema: dict[str, Any] | None = Field(default=None, description="the Avro record schema itself")
    envelope_fields: dict[EnvelopePart, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _buildable(self):
        if self.schema_file is not None and self.avro_schema is None:
            raise ValueError(f"schema_file {self.schema_file!r} was not read (only a workload file loaded by "
                             f"`soak` can name one); give the schema itself as avro_schema")
        self.build()  # ValueError names the field
        return self

    def build(self) -> RecordPlan:
        """A fresh plan for one producer (generators keep state)."""
        return record_schema.plan(self.format, self.fields, self.avro_schema, self.preset, self.envelope_fields)


class PayloadSpec(Strict):
    mode: Literal["ticks", "raw", "record"] = "ticks"
    size: SizeSpec = SizeSpec()
    pool_size: int = Field(default=4096, ge=1, le=1_000_000)
    refresh_s: float = Field(default=10.0, gt=0, description="how often tick timestamps are renewed")
    record: RecordSpec | None = Field(default=None, description="mode `record`: the schema and its generators "
                                      "(size, pool_size and refresh_s do not apply)")

    @model_validator(mode="after")
    def _record_iff_mode(self):
        if (self.mode == "record") != (self.record is not None):
            raise ValueError("payload.record is given with mode `record`, and only then")
        return self


class FaultyMode(Strict):
    """A deliberately broken producer, for proving the verifier: a seeded, known set of
    records is skipped (but counted as acknowledged), duplicated, swapped with its
    successor, or sent with a flipped payload byte."""

    seed: int = 0
    skip: int = Field(default=0, ge=0)
    duplicate: int = Field(default=0, ge=0)
    reorder: int = Field(default=0, ge=0)
    corrupt: int = Field(default=0, ge=0)
    within: int = Field(default=10_000, ge=10, description="anomalies fall among the first N seqs per partition")


class ProducerSpec(Strict):
    rate: RateSpec = RateSpec()
    payload: PayloadSpec = PayloadSpec()
    max_records: int | None = Field(default=None, ge=1, description="stop after this many (None: run until stopped)")
    kafka: dict[str, str | int | float | bool] = Field(default_factory=dict, description="librdkafka overrides")
    # The envelope always travels in the record key, which is what our verifiers read; the
    # headers carry it again for other tools. A record with headers costs confluent-kafka's
    # produce() about twice as much (bench/README.md): a soak whose topic only our verifiers
    # read can leave them out.
    envelope_headers: bool = True
    faulty: FaultyMode | None = None
    flush_timeout_s: float = Field(default=60.0, gt=0)
    leak_mb_per_hour: float = Field(default=0.0, ge=0, le=100_000,
                                    description="test only: retain this much memory per hour (proves the leak detector)")


class MaintenanceSpec(Strict):
    """Table upkeep for long runs: snapshot expiry, compaction of closed time partitions,
    and deletion of files no snapshot references (with an age guard)."""

    every_s: float = Field(default=600.0, gt=0)
    snapshot_max_age_s: float = Field(default=3600.0, gt=0)
    min_snapshots: int = Field(default=5, ge=1)
    compact_min_files: int = Field(default=8, ge=2)
    closed_after_s: float = Field(default=600.0, ge=0, description="a time partition is closed this long after its end")
    orphan_min_age_s: float = Field(default=3600.0, ge=0)


class ConsumerSpec(Strict):
    commit_interval_s: float = Field(default=5.0, gt=0, le=3600)
    # The open batch is held in memory until its commit: a verifier catching up reads this
    # many records (as Arrow columns) before it commits, whatever its lag. Its memory stays
    # at the high-water mark of its catch-ups (freed memory is kept for reuse): when rows
    # were Python lists, with 50,000 the floor rose about 40 MiB over three catch-ups, with
    # 10,000 about 15.
    max_batch_records: int = Field(default=10_000, ge=1)
    session_timeout_ms: int = Field(default=10_000, ge=1000)
    kafka: dict[str, str | int | float | bool] = Field(default_factory=dict)
    write_table: bool = True


class NamedQuery(Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,40}$")
    sql: str = Field(min_length=1, max_length=10_000, description="SQL over the view `events`")


DEFAULT_QUERIES = (
    NamedQuery(name="point_lookup", sql="SELECT * FROM events WHERE producer_id = $producer_id AND seq = $seq"),
    NamedQuery(name="window_aggregate",
               sql="SELECT symbol, count(*) AS n, avg(price) AS avg_price FROM events "
                   "WHERE sent_ts >= $window_start GROUP BY symbol"),
    NamedQuery(name="full_count", sql="SELECT count(*) FROM events"),
)


class QuerySpec(Strict):
    interval_s: float = Field(default=10.0, gt=0)
    queries: tuple[NamedQuery, ...] = DEFAULT_QUERIES
    engine: Literal["plan", "extension", "arrow"] = Field(
        default="plan", description="plan: pyiceberg plans files, DuckDB reads the Parquet files (local or S3); "
                                    "extension: DuckDB's iceberg_scan; arrow: pyiceberg reads every row into memory "
                                    "each cycle (any FileIO pyiceberg has, e.g. GCS or Azure)")
    window_s: float = Field(default=60.0, gt=0)


class ServiceCommands(Strict):
    """Fault drivers for a team's service: shell command templates the controller runs
    (`systemctl restart ingest-job`, `kubectl rollout restart deploy/ingest-job`, `ssh ...`),
    with `{service}` and `{run_id}` filled in."""

    restart: str | None = Field(default=None, min_length=1, description="fault service_restart")
    stop: str | None = Field(default=None, min_length=1, description="fault service_stop, until `start`")
    start: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _usable(self):
        if self.stop and not self.start:
            raise ValueError("a service with a stop command needs a start command (to heal the fault)")
        if not self.restart and not self.stop:
            raise ValueError("a service needs a restart or a stop command")
        for template in (self.restart, self.stop, self.start):
            unknown = placeholders(template or "") - {"service", "run_id"}
            if unknown:
                raise ValueError(f"unknown placeholder(s) {', '.join(sorted(unknown))} in {template!r} "
                                 "(allowed: {service}, {run_id})")
        return self


class NodeSpec(Strict):
    interval_s: float = Field(default=5.0, gt=0)
    uss_every_s: float = Field(default=60.0, gt=0, description="USS is costly: sampled less often")
    targets: dict[str, str] = Field(default_factory=lambda: {"kafka-broker": "kafka.Kafka"},
                                    description="name -> command-line substring of processes to watch")
    history: int = Field(default=720, ge=1, description="samples kept between two collections")
    services: dict[str, ServiceCommands] = Field(default_factory=dict,
                                                 description="name (of a target, usually) -> fault commands")
