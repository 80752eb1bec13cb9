"""Whose ingestion a run soaks: ours (`builtin`: our verifiers write the soak table) or a
team's own job (`external`: it reads the workload's topic and writes its own Iceberg
table; our verifiers only read Kafka, and the table checks read the team's table
through a column mapping)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from workloads.specs import Strict

IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$"
COLUMN = r"^[A-Za-z_][A-Za-z0-9_]{0,127}$"


class ColumnMap(Strict):
    """Where the envelope lives in the team's rows (names of their columns): in columns of
    its own, or as the record key our producers wrote (`envelope`: a binary column the
    job copies the Kafka key into), with the partition beside it either way."""

    partition: str = Field(pattern=COLUMN, description="the Kafka partition (sequences are per partition)")
    producer_id: str | None = Field(default=None, pattern=COLUMN)
    incarnation: str | None = Field(default=None, pattern=COLUMN)
    seq: str | None = Field(default=None, pattern=COLUMN)
    envelope: str | None = Field(default=None, pattern=COLUMN,
                                 description="the record key as written (binary): producer, incarnation, seq, "
                                             "send time and run in one column")
    sent_time: str | None = Field(default=None, pattern=COLUMN,
                                  description="our send time (microseconds, or a timestamp): freshness")
    run_id: str | None = Field(default=None, pattern=COLUMN,
                               description="our run id: rows of other runs are left out (else every row counts)")

    @model_validator(mode="after")
    def _distinct(self):
        given = [v for v in self.model_dump().values() if v is not None]
        if len(set(given)) != len(given):
            raise ValueError("two envelope parts are mapped to one column")
        parts = [self.producer_id, self.incarnation, self.seq]
        if self.envelope is None and None in parts:
            raise ValueError("columns needs producer_id, incarnation and seq, or envelope (the record key)")
        if self.envelope is not None and any(p is not None for p in (*parts, self.sent_time, self.run_id)):
            raise ValueError("with envelope (the record key) give only partition besides: the key has the rest")
        return self


class CatalogSpec(Strict):
    """The team's Iceberg catalog, as pyiceberg's `load_catalog` takes it."""

    name: str = Field(default="default", min_length=1, description="the catalog's name (a SQL catalog keeps "
                      "tables per catalog name: the team's job's own)")
    type: Literal["sql", "rest"] = "sql"
    uri: str = Field(min_length=1, description="sql: a SQLAlchemy URL; rest: the REST catalog's URL")
    warehouse: str | None = Field(default=None, description="file://... or s3://...")
    properties: dict[str, str] = Field(default_factory=dict,
                                       description="more catalog/FileIO properties, e.g. s3.endpoint")


class ExternalTableSpec(Strict):
    catalog: CatalogSpec
    identifier: str = Field(pattern=IDENTIFIER, description="namespace.table")
    columns: ColumnMap


class IngestionSpec(Strict):
    mode: Literal["builtin", "external"] = "builtin"
    table: ExternalTableSpec | None = Field(default=None, description="external: the team's table")
    settle_timeout_s: float = Field(default=300.0, gt=0, le=86_400,
                                    description="external: after the drain, how long the team's job has to "
                                                "land the last acknowledged records before the final check")
    quiet_s: float = Field(default=30.0, gt=0, le=3600,
                           description="external: the check is final once the team's table holds every "
                                       "acknowledged record, or has not changed for this long")

    @model_validator(mode="after")
    def _table_iff_external(self):
        if (self.mode == "external") != (self.table is not None):
            raise ValueError("ingestion.table is given with mode `external`, and only then")
        return self

    @property
    def external(self) -> bool:
        return self.mode == "external"
