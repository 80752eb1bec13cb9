import yaml

from controller.infra.prometheus import prom_duration, prometheus_config


def test_scrapes_the_controller_and_itself():
    config = yaml.safe_load(prometheus_config("127.0.0.1", 9090, 9464, 5.0))
    assert config["global"]["scrape_interval"] == "5s"
    jobs = {job["job_name"]: job["static_configs"][0]["targets"] for job in config["scrape_configs"]}
    assert jobs == {"soak-controller": ["127.0.0.1:9464"], "prometheus": ["127.0.0.1:9090"]}


def test_fractional_intervals_render_as_prometheus_durations():
    # Prometheus rejects "0.5s": durations are whole numbers of a unit.
    assert yaml.safe_load(prometheus_config("h", 1, 2, 0.5))["global"]["scrape_interval"] == "500ms"
    assert prom_duration(60) == "60s" and prom_duration(1.25) == "1250ms"
