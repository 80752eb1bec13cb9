"""Fault start and heal as Grafana annotations, pushed by the controller during a run
(when a Grafana URL is set). Best effort: a Grafana that is down never stalls a run."""

from __future__ import annotations

import logging

from controller.dashboards.model import FAULT_TAG

log = logging.getLogger(__name__)


def fault_annotation(fault: dict, run_id: str, workload: str, event: str) -> dict:
    """The annotation of a fault's `event` (started or healed): a region once healed."""
    start_ms = fault["started_ns"] // 1_000_000
    body = {"time": start_ms, "tags": [FAULT_TAG, fault["kind"], f"run:{run_id}", f"workload:{workload}"],
            "text": f"{fault['kind']} {event}: {fault.get('target') or '-'} (fault {fault['id']}, run {run_id})"}
    if event == "healed" and fault.get("healed_ns"):
        body["timeEnd"] = fault["healed_ns"] // 1_000_000
    return body


class GrafanaAnnotations:
    def __init__(self, url: str, token: str | None, timeout_s: float = 5.0):
        from controller.dashboards.push import grafana_api

        self.api = grafana_api(url, token, timeout_s)
        self.failures = 0

    def post(self, body: dict) -> bool:
        try:
            self.api.annotations.add_annotation(time_from=body["time"], time_to=body.get("timeEnd"),
                                                tags=body["tags"], text=body["text"])
            return True
        except Exception as exc:  # noqa: BLE001 - any failure: counted, logged, the run goes on
            self.failures += 1
            log.warning("could not push a fault annotation to Grafana: %s", exc)
            return False
