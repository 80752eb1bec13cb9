"""Local infrastructure started by the project itself: Kafka (KRaft), Toxiproxy, Prometheus.

The CLI (`soak infra up | down | status`) and the integration-test fixtures use the same
code, so what the tests prove is what users run.
"""
