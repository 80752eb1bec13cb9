"""The local Prometheus scrapes whatever serves /metrics on the controller's port."""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request

from prometheus_client import CollectorRegistry, Gauge, start_http_server


def query(prometheus_url: str, promql: str) -> list:
    url = f"{prometheus_url}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    with urllib.request.urlopen(url, timeout=5) as resp:
        return json.loads(resp.read())["data"]["result"]


def test_prometheus_scrapes_the_controller_metrics_port(local_stack):
    settings = local_stack.settings
    registry = CollectorRegistry()
    Gauge("soak_infra_probe", "a value served where the controller's exporter will be",
          registry=registry).set(42)
    server, thread = start_http_server(settings.metrics_port, addr="127.0.0.1", registry=registry)
    try:
        deadline = time.monotonic() + 30
        result = []
        while time.monotonic() < deadline and not result:
            result = query(local_stack.prometheus.url, 'soak_infra_probe{job="soak-controller"}')
            time.sleep(0.5)
        assert result, "Prometheus never scraped the controller's metrics port"
        assert float(result[0]["value"][1]) == 42.0
    finally:
        server.shutdown()
        thread.join(5)
