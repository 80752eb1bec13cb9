"""One `SoakSettings`, built at the entry point and passed down.

Nothing else in the code base reads the environment (house rule 2). Every field can
be set with a `SOAK_`-prefixed environment variable (`SOAK_DATA_DIR`, `SOAK_KAFKA_PORT`,
...) or by the CLI flag of the same name; the defaults need no configuration at all:
a local broker, local Ray, SQLite and an Iceberg warehouse under one data directory.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"


def _default_cache_dir() -> Path:
    # Jars and tool binaries are shared by every data directory of this user:
    # a new data directory must not download Kafka again.
    return Path.home() / ".cache" / "soak-fleet"


class SoakSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SOAK_", extra="forbid", validate_default=True)

    # Where everything of a run lives: broker data and logs, run store, warehouse.
    data_dir: Path = Field(default=Path("soak-data"), description="run data, logs and local services")
    cache_dir: Path = Field(default_factory=_default_cache_dir, description="downloaded jars and tools")

    # External services; None means "the embedded local default".
    bootstrap_servers: str | None = Field(default=None, description="Kafka bootstrap servers")
    ray_address: str | None = Field(default=None, description="Ray cluster address (None: local Ray)")
    database_url: str | None = Field(default=None, description="run store URL (None: SQLite in data_dir)")
    catalog_uri: str | None = Field(default=None, description="Iceberg SQL catalog URL (None: SQLite)")
    warehouse: str | None = Field(default=None, description="Iceberg warehouse (None: data_dir/warehouse)")
    # pyiceberg's catalog and FileIO properties (s3.endpoint, s3.access-key-id, ...): DuckDB's
    # reads of the table's files take their S3 settings from the same ones.
    catalog_properties: dict[str, str] = Field(
        default_factory=dict, description='catalog/FileIO properties as JSON, e.g. {"s3.endpoint": "http://minio:9000"}')

    # The local broker (KRaft, single node).
    kafka_host: str = LOOPBACK
    kafka_port: int = Field(default=9092, ge=1, le=65535)
    kafka_controller_port: int = Field(default=9093, ge=1, le=65535)
    # The broker listener that is only reached through Toxiproxy (see infra/kafka_config.py).
    kafka_proxied_port: int = Field(default=9094, ge=1, le=65535)
    # Size-based retention per partition keeps the disk bounded over a long soak.
    kafka_retention_bytes: int = Field(default=2 * 1024**3, ge=16 * 1024**2)
    kafka_heap: str = Field(default="512m", pattern=r"^\d+[mMgG]$")
    kafka_ready_timeout_s: float = Field(default=90.0, gt=0)
    kafka_pom: Path = REPO_ROOT / "deploy" / "local" / "pom.xml"
    kafka_log4j_config: Path = REPO_ROOT / "deploy" / "local" / "log4j2.properties"
    java_bin: str = "java"
    maven_bin: str = "mvn"

    # Toxiproxy between clients and the broker, for network faults.
    toxiproxy_enabled: bool = False
    toxiproxy_api_port: int = Field(default=8474, ge=1, le=65535)
    toxiproxy_kafka_port: int = Field(default=19094, ge=1, le=65535)
    toxiproxy_version: str = "v2.12.0"
    go_bin: str = "go"
    # A Toxiproxy of your own in front of another cluster: its API and the address clients use.
    toxiproxy_url: str | None = Field(default=None, description="e.g. http://proxy-host:8474 (None: the local one)")
    toxiproxy_bootstrap_servers: str | None = Field(default=None, description="bootstrap servers through it")
    toxiproxy_proxy: str = Field(default="kafka", description="the proxy's name in Toxiproxy")

    # Faults against systems the controller cannot reach directly: shell command templates
    # (systemd, kubectl, ssh). Broker placeholders {bootstrap} {host} {port}; node
    # placeholders {node_id} {node_ip} {ray_address}. See docs/faults.md.
    broker_kill_command: str | None = None
    broker_stop_command: str | None = None
    broker_start_command: str | None = None
    node_stop_command: str | None = Field(default=None, description="None: the node agent stops its raylet")
    node_start_command: str | None = None

    # Prometheus: started by `infra up` when its binary is installed (or when asked).
    prometheus_enabled: bool | None = Field(default=None, description="None: start it if installed")
    prometheus_port: int = Field(default=9090, ge=1, le=65535)
    prometheus_bin: str = "prometheus"
    scrape_interval_s: float = Field(default=5.0, gt=0)

    # Alertmanager: the soak's alerts are pushed to its v2 API when a URL is known. A local
    # one is started by `infra up` only when enabled. Not 9093: that is the broker's controller port.
    alertmanager_url: str | None = Field(default=None, pattern=r"^https?://[^\s/]+",
                                         description="push alerts to this Alertmanager's v2 API "
                                                     "(None: do not push)")
    alertmanager_enabled: bool = Field(default=False, description="start a local one with `soak infra up`")
    alertmanager_port: int = Field(default=9095, ge=1, le=65535)
    alertmanager_bin: str = "prometheus-alertmanager"

    # Grafana: `soak dashboards push` provisions it; a run with a URL pushes fault annotations.
    # The token reaches the run's controller through its Ray runtime environment, never the store.
    grafana_url: str | None = Field(default=None, pattern=r"^https?://[^\s/]+", description="a Grafana to annotate")
    grafana_token: SecretStr | None = Field(default=None, description="a Grafana service account token")

    # The controller's own endpoints.
    metrics_port: int = Field(default=9464, ge=1, le=65535)

    # The control API (`soak serve`). Tokens are comma-separated; with none given, a token
    # of each role is generated on the first start, kept in api_tokens_file and printed once.
    api_host: str = Field(default=LOOPBACK, description="address `soak serve` listens on")
    api_port: int = Field(default=8080, ge=1, le=65535)
    api_admin_tokens: SecretStr | None = Field(default=None, description="tokens that may read and change")
    api_read_tokens: SecretStr | None = Field(default=None, description="tokens that may only read")
    api_tokens_file: Path | None = Field(default=None, description="None: data_dir/api-tokens.json")
    api_max_body_bytes: int = Field(default=1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    # The CLI as a client of a remote API (`soak status --api URL`); the token is best given
    # as SOAK_API_TOKEN: a command-line flag shows in the process list.
    api_url: str | None = Field(default=None, pattern=r"^https?://[^\s/]+", description="a control API to talk to")
    api_token: SecretStr | None = Field(default=None, description="the bearer token for api_url")

    # The local Ray head (started by `infra up` / `soak start` unless ray_address is given).
    ray_port: int = Field(default=6379, ge=1, le=65535)
    ray_num_cpus: int | None = Field(default=None, ge=1, description="None: the machine's cores")
    ray_object_store_mb: int = Field(default=512, ge=80)
    ray_ready_timeout_s: float = Field(default=90.0, gt=0)

    # The control loop.
    sample_interval_s: float = Field(default=5.0, gt=0, le=3600, description="one control-loop tick")
    flush_interval_s: float = Field(default=30.0, gt=0, le=3600, description="samples reach disk this often")
    drain_timeout_s: float = Field(default=300.0, gt=0, description="end phase: wait this long for lag 0")
    agent_call_timeout_s: float = Field(default=10.0, gt=0)
    restart_backoff_s: float = Field(default=2.0, gt=0)
    restart_backoff_max_s: float = Field(default=120.0, gt=0)

    @field_validator("data_dir", "cache_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        # Child processes run with other working directories; paths must not move.
        return value.expanduser().absolute()

    # Derived locations: one place decides the layout of the data directory.
    @property
    def infra_dir(self) -> Path:
        return self.data_dir / "infra"

    @property
    def kafka_jar_dir(self) -> Path:
        return self.cache_dir / "kafka-jars"

    @property
    def tools_bin_dir(self) -> Path:
        return self.cache_dir / "bin"

    @property
    def local_bootstrap(self) -> str:
        return f"{self.kafka_host}:{self.kafka_port}"

    @property
    def effective_bootstrap_servers(self) -> str:
        return self.bootstrap_servers or self.local_bootstrap

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'soak.db'}"

    @property
    def effective_catalog_uri(self) -> str:
        return self.catalog_uri or f"sqlite:///{self.data_dir / 'catalog.db'}"

    @property
    def effective_warehouse(self) -> str:
        return self.warehouse or (self.data_dir / "warehouse").as_uri()

    @property
    def uses_local_broker(self) -> bool:
        return self.bootstrap_servers is None

    @property
    def uses_local_ray(self) -> bool:
        return self.ray_address is None

    @property
    def local_ray_address(self) -> str:
        return f"{LOOPBACK}:{self.ray_port}"

    @property
    def effective_ray_address(self) -> str:
        return self.ray_address or self.local_ray_address

    @property
    def local_alertmanager_url(self) -> str:
        return f"http://{self.kafka_host}:{self.alertmanager_port}"

    @property
    def effective_alertmanager_url(self) -> str | None:
        """Where alerts are pushed: the explicit URL, else the local Alertmanager when
        enabled, else None (no push)."""
        if self.alertmanager_url:
            return self.alertmanager_url.rstrip("/")
        return self.local_alertmanager_url if self.alertmanager_enabled else None

    @property
    def effective_api_tokens_file(self) -> Path:
        return self.api_tokens_file or self.data_dir / "api-tokens.json"

    @property
    def samples_dir(self) -> Path:
        return self.data_dir / "samples"
