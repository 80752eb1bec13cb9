"""Provision a Grafana with grafana-client: the folder, the Prometheus datasource (when
missing) and the dashboards (updated in place, uids kept). Idempotent."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from controller.errors import SoakError

FOLDER_UID, FOLDER_TITLE = "soak-fleet", "Soak fleet"
DATASOURCE_UID, DATASOURCE_NAME = "soak-prometheus", "Prometheus (soak fleet)"


@dataclass
class PushResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)


def grafana_api(url: str, token: str | None, timeout_s: float = 15.0):
    from grafana_client import GrafanaApi

    return GrafanaApi.from_url(url, credential=token, timeout=timeout_s)


def _missing(call) -> bool:
    """True when `call()` answers 404 (the thing is not there)."""
    from grafana_client.client import GrafanaClientError

    try:
        call()
    except GrafanaClientError as exc:
        if exc.status_code == 404:
            return True
        raise
    return False


def push(api, dashboard_files: list[Path], prometheus_url: str | None) -> PushResult:
    from grafana_client.client import GrafanaException

    result = PushResult()
    try:
        if _missing(lambda: api.folder.get_folder(FOLDER_UID)):
            api.folder.create_folder(FOLDER_TITLE, uid=FOLDER_UID)
            result.created.append(f"folder {FOLDER_TITLE}")
        if prometheus_url and _missing(lambda: api.datasource.get_datasource_by_uid(DATASOURCE_UID)):
            api.datasource.create_datasource({"uid": DATASOURCE_UID, "name": DATASOURCE_NAME, "type": "prometheus",
                                              "access": "proxy", "url": prometheus_url, "isDefault": False})
            result.created.append(f"datasource {DATASOURCE_NAME}")
        for path in dashboard_files:
            dashboard = json.loads(path.read_text())
            dashboard.pop("id", None)  # Grafana finds it by uid: updated in place
            existed = not _missing(lambda: api.dashboard.get_dashboard(dashboard["uid"]))
            api.dashboard.update_dashboard({"dashboard": dashboard, "folderUid": FOLDER_UID, "overwrite": True,
                                            "message": "soak dashboards push"})
            (result.updated if existed else result.created).append(f"dashboard {dashboard['title']}")
    except GrafanaException as exc:
        raise SoakError(f"Grafana refused a request: {exc.status_code} {exc.message}",
                        fix="check --grafana-url and that the token may edit dashboards, folders and datasources") \
            from exc
    except OSError as exc:
        raise SoakError(f"no Grafana answers: {exc}", fix="check --grafana-url") from exc
    return result
