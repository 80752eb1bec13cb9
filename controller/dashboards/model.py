"""A small model of a Grafana dashboard and its JSON (dashboard schema of Grafana 11)."""

from __future__ import annotations

from dataclasses import dataclass, field

DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
# Every query is of the picked workload and run (the run's controller is one scrape target).
RUN = 'workload=~"$workload", instance=~"$instance"'
SCHEMA_VERSION = 39
FAULT_TAG = "soak-fault"  # the tag of the fault annotations the controller pushes


@dataclass(frozen=True)
class Query:
    expr: str
    legend: str = ""


@dataclass(frozen=True)
class Panel:
    title: str
    queries: tuple[Query, ...]
    unit: str = "short"
    kind: str = "timeseries"  # or stat
    description: str = ""
    width: int = 12
    height: int = 8


@dataclass(frozen=True)
class Dashboard:
    uid: str
    title: str
    description: str
    panels: tuple[Panel, ...]
    tags: tuple[str, ...] = ("soak",)
    prometheus_annotations: tuple[tuple[str, Query], ...] = field(default_factory=tuple)  # (name, query)


def _variables() -> list[dict]:
    def query_var(name: str, label: str, query: str, hide: int = 0, multi: bool = False) -> dict:
        return {"name": name, "label": label, "type": "query", "datasource": DATASOURCE, "hide": hide,
                "query": {"query": query, "refId": f"var-{name}"}, "definition": query, "refresh": 2,
                "includeAll": multi, "multi": multi, "allValue": ".*" if multi else None, "sort": 2,
                "current": {}, "options": []}

    return [
        {"name": "datasource", "label": "Prometheus", "type": "datasource", "query": "prometheus", "hide": 0,
         "current": {}, "options": [], "refresh": 1},
        query_var("workload", "workload", "label_values(soak_run_info, workload)"),
        query_var("run", "run", 'label_values(soak_run_info{workload=~"$workload"}, run_id)'),
        # The scrape target of the picked run's controller: what every panel filters on.
        query_var("instance", "controller", 'label_values(soak_run_info{run_id=~"$run"}, instance)', hide=2,
                  multi=True),
    ]


def _panel(panel: Panel, pid: int, x: int, y: int) -> dict:
    out = {"id": pid, "type": panel.kind, "title": panel.title, "description": panel.description,
           "datasource": DATASOURCE, "gridPos": {"h": panel.height, "w": panel.width, "x": x, "y": y},
           "targets": [{"refId": chr(ord("A") + i), "datasource": DATASOURCE, "expr": q.expr,
                        "legendFormat": q.legend or "__auto", "range": True} for i, q in enumerate(panel.queries)],
           "fieldConfig": {"defaults": {"unit": panel.unit}, "overrides": []},
           "options": {"legend": {"displayMode": "list", "placement": "bottom"}, "tooltip": {"mode": "multi"}}}
    if panel.kind == "stat":
        out["options"] = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                          "colorMode": "value", "graphMode": "area"}
    return out


def to_json(d: Dashboard) -> dict:
    panels, x, y, row_h = [], 0, 0, 0
    for i, panel in enumerate(d.panels, start=1):
        if x + panel.width > 24:
            x, y, row_h = 0, y + row_h, 0
        panels.append(_panel(panel, i, x, y))
        x, row_h = x + panel.width, max(row_h, panel.height)
    annotations = [
        {"builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"}, "enable": True, "hide": True,
         "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts", "type": "dashboard"},
        # Fault start and heal, pushed by the controller when it knows a Grafana URL.
        {"datasource": {"type": "grafana", "uid": "-- Grafana --"}, "enable": True, "iconColor": "red",
         "name": "Faults (from the controller)", "target": {"type": "tags", "tags": [FAULT_TAG], "matchAny": True,
                                                            "limit": 500}},
    ]
    for name, q in d.prometheus_annotations:
        annotations.append({"datasource": DATASOURCE, "enable": True, "iconColor": "orange", "name": name,
                            "expr": q.expr, "titleFormat": q.legend, "step": "15s"})
    return {"uid": d.uid, "title": d.title, "description": d.description, "tags": list(d.tags),
            "schemaVersion": SCHEMA_VERSION, "version": 1, "editable": True, "graphTooltip": 1,
            "time": {"from": "now-24h", "to": "now"}, "refresh": "30s", "timezone": "utc",
            "templating": {"list": _variables()}, "annotations": {"list": annotations}, "panels": panels}


def queries(dashboard_json: dict) -> list[tuple[str, str]]:
    """(where, expr) of every panel query and Prometheus annotation of a dashboard's JSON."""
    out = [(f"{dashboard_json['uid']}/{p['title']}", t["expr"]) for p in dashboard_json["panels"]
           for t in p.get("targets", [])]
    out += [(f"{dashboard_json['uid']}/annotation {a['name']}", a["expr"])
            for a in dashboard_json["annotations"]["list"] if "expr" in a]
    return out
