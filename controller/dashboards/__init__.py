"""Grafana dashboards: built from panel lists here, shipped as JSON in dashboards/, pushed
to a Grafana with `soak dashboards push`."""
