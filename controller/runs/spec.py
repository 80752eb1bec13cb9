"""RunSpec: everything a run needs, resolved once at `soak start` and stored with the run.

A resumed controller (restarted by Ray, or by `soak resume`) reads the spec back from the
store, so it carries on with exactly the run's own settings, whatever the environment of
the command that resumed it.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field

from agents.lakehouse.catalog import TableRef
from agents.lakehouse.external_table import ExternalTableRef
from controller.faults.environment import FaultEnvironment, resolve
from controller.settings import SoakSettings
from workloads.model import Workload


class RunSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    run_id: str
    workload: Workload
    hours: float = Field(gt=0)
    report_interval_s: float = Field(gt=0)
    bootstrap: str
    database_url: str
    catalog_uri: str
    warehouse: str
    catalog_properties: dict[str, str] = {}
    samples_dir: str
    metrics_port: int
    sample_interval_s: float = Field(gt=0)
    flush_interval_s: float = Field(gt=0)
    drain_timeout_s: float = Field(gt=0)
    agent_call_timeout_s: float = Field(gt=0)
    restart_backoff_s: float = Field(gt=0)
    restart_backoff_max_s: float = Field(gt=0)
    client_bootstrap: str | None = None  # what agents bootstrap on (through Toxiproxy); None: `bootstrap`
    faults_env: FaultEnvironment = FaultEnvironment()
    alertmanager_url: str | None = None  # alerts are pushed there too
    grafana_url: str | None = None  # fault annotations are pushed there
    created_ns: int | None = None  # verifiers read a shared topic from here on (None: from its beginning)

    @classmethod
    def build(cls, run_id: str, workload: Workload, hours: float, settings: SoakSettings,
              report_interval_s: float | None = None, created_ns: int | None = None) -> "RunSpec":
        faults_env, client_bootstrap = resolve(settings, workload.faults, workload.node.services)
        return cls(faults_env=faults_env, client_bootstrap=client_bootstrap, created_ns=created_ns,
                   run_id=run_id, workload=workload, hours=hours,
                   report_interval_s=report_interval_s or workload.report_interval_s,
                   bootstrap=settings.effective_bootstrap_servers, database_url=settings.effective_database_url,
                   catalog_uri=settings.effective_catalog_uri, warehouse=settings.effective_warehouse,
                   catalog_properties=settings.catalog_properties,
                   samples_dir=str(settings.samples_dir), metrics_port=settings.metrics_port,
                   sample_interval_s=settings.sample_interval_s, flush_interval_s=settings.flush_interval_s,
                   drain_timeout_s=settings.drain_timeout_s, agent_call_timeout_s=settings.agent_call_timeout_s,
                   restart_backoff_s=settings.restart_backoff_s,
                   restart_backoff_max_s=settings.restart_backoff_max_s,
                   alertmanager_url=settings.effective_alertmanager_url,
                   grafana_url=settings.grafana_url.rstrip("/") if settings.grafana_url else None)

    @property
    def agent_bootstrap(self) -> str:
        return self.client_bootstrap or self.bootstrap

    @property
    def duration_s(self) -> float:
        return self.hours * 3600.0

    # Each run has its own topic, consumer group and table, so runs never read each
    # other's records and every run starts from empty offsets and an empty table. In
    # external mode the topic is the one the team's job reads, as named; verifiers pass
    # over earlier runs' records (the key's run tag) and the check keeps to this run's.
    @property
    def topic(self) -> str:
        if self.workload.ingestion.external:
            return self.workload.topic.name
        return f"{self.workload.topic.name}-{self.run_id}"

    @property
    def external_table(self) -> ExternalTableRef | None:
        """The team's table (external mode), else None."""
        ingestion = self.workload.ingestion
        return ExternalTableRef.from_spec(ingestion.table) if ingestion.external else None

    @property
    def group_id(self) -> str:
        return f"soak-{self.run_id}"

    @property
    def table_ref(self) -> TableRef:
        table = self.workload.table
        return TableRef(self.catalog_uri, self.warehouse, identifier=f"{table.identifier}_{run_key(self.run_id)}",
                        payload_mode=self.workload.payload_mode, partition_granularity=table.partition_granularity,
                        properties=tuple(sorted(self.catalog_properties.items())))


def run_key(run_id: str) -> str:
    """The run id as an identifier part (Iceberg table names: letters, digits, _)."""
    return re.sub(r"[^a-zA-Z0-9_]", "_", run_id)
