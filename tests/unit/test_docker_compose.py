"""docker-compose.yml stays consistent with the defaults in controller/settings.py."""

from pathlib import Path

import yaml

from controller.settings import REPO_ROOT, SoakSettings

COMPOSE = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def published(service: str) -> set[int]:
    return {int(p.split(":")[-2]) for p in SERVICES[service].get("ports", [])}


def test_the_stack_has_every_component():
    assert {"kafka", "postgres", "prometheus", "grafana", "controller", "api"} <= set(SERVICES)


def test_host_ports_are_the_defaults():
    d = SoakSettings()
    assert d.kafka_port in published("kafka")
    assert d.prometheus_port in published("prometheus")
    assert d.metrics_port in published("controller")
    assert d.api_port in published("api") and SERVICES["api"]["command"][:2] == ["soak", "serve"]


def test_kafka_is_kraft_and_advertises_the_default_bootstrap_to_the_host():
    env = SERVICES["kafka"]["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert f"PLAINTEXT://{SoakSettings().local_bootstrap}" in env["KAFKA_ADVERTISED_LISTENERS"]
    assert SERVICES["kafka"]["image"].startswith("apache/kafka:4.")


def test_controller_settings_match_the_other_services():
    env = SERVICES["controller"]["environment"]
    internal = [l for l in SERVICES["kafka"]["environment"]["KAFKA_ADVERTISED_LISTENERS"].split(",")
                if l.startswith("INTERNAL://")][0]
    assert env["SOAK_BOOTSTRAP_SERVERS"] == internal.removeprefix("INTERNAL://")
    pg = SERVICES["postgres"]["environment"]
    assert env["SOAK_DATABASE_URL"].endswith(
        f"{pg['POSTGRES_USER']}:{pg['POSTGRES_PASSWORD']}@postgres:5432/{pg['POSTGRES_DB']}")
    # Every key is a real setting: a typo would silently be ignored by the container.
    fields = {f"SOAK_{name.upper()}" for name in SoakSettings.model_fields}
    assert set(env) <= fields
    assert int(env["SOAK_METRICS_PORT"]) == SoakSettings().metrics_port


def test_prometheus_scrapes_the_controller_and_the_api_and_loads_the_rules():
    mount = [v for v in SERVICES["prometheus"]["volumes"] if ":/etc/prometheus:" in v][0]
    folder = REPO_ROOT / mount.split(":")[0]
    config = yaml.safe_load((folder / "prometheus.yml").read_text())
    targets = {t for job in config["scrape_configs"] for sc in job.get("static_configs", []) for t in sc["targets"]}
    assert {f"controller:{SoakSettings().metrics_port}", f"api:{SoakSettings().api_port}"} <= targets
    assert config["rule_files"] == ["rules/*.yml"] and list(folder.glob("rules/*.yml"))


def test_mounted_and_built_files_exist():
    for service in SERVICES.values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (REPO_ROOT / source).exists(), source
    build = SERVICES["controller"]["build"]
    assert (REPO_ROOT / build["context"] / build["dockerfile"]).is_file()
    assert Path(REPO_ROOT / "dashboards/provisioning/datasources/prometheus.yaml").is_file()


def test_grafana_is_provisioned_with_the_datasource_and_the_dashboards():
    volumes = dict(v.rsplit(":", 1)[0].split(":", 1) for v in SERVICES["grafana"]["volumes"])
    assert volumes["./dashboards/provisioning"] == "/etc/grafana/provisioning"
    provider = yaml.safe_load((REPO_ROOT / "dashboards/provisioning/dashboards/soak.yaml").read_text())
    path = provider["providers"][0]["options"]["path"]
    assert volumes["./dashboards"] == path and len(list((REPO_ROOT / "dashboards").glob("*.json"))) == 4
