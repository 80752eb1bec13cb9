"""Alerting edges: the soak's alerts pushed to systems people already watch (Alertmanager)."""

from controller.alerting.alertmanager import AlertmanagerError, AlertmanagerPush, alertname, payload

__all__ = ["AlertmanagerError", "AlertmanagerPush", "alertname", "payload"]
