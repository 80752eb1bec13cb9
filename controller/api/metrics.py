"""The API's own Prometheus metrics: requests by route template and status, and latency."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class ApiMetrics:
    def __init__(self):
        self.registry = CollectorRegistry()  # one per app: several apps in one process stay apart
        self.requests = Counter("soak_api_requests_total", "API requests by route template and status",
                                ("method", "route", "status"), registry=self.registry)
        self.duration = Histogram("soak_api_request_duration_seconds", "API request duration by route template",
                                  ("method", "route"), buckets=BUCKETS_S, registry=self.registry)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.duration.labels(method, route).observe(seconds)
