"""Where `status`, `stop`, `runs` and `report` read runs from: the run store directly, or a
remote control API (`--api URL`). Both hand the commands the same `Run` and report dicts."""

from __future__ import annotations

import json
from datetime import datetime

from controller.cli.api_client import ApiClient, ApiError
from controller.errors import SoakError
from controller.runs.states import RunState
from controller.store.analysis import WHOLE_RUN, AnalysisStore
from controller.store.runs import Run, RunNotFound, RunStore


class StoreSource:
    def __init__(self, store: RunStore):
        self.store = store

    def get(self, run_id: str) -> Run:
        return self.store.get(run_id)

    def latest(self) -> Run | None:
        return self.store.latest()

    def list(self, state: RunState | None, limit: int) -> tuple[list[Run], int]:
        return self.store.list(state=state, limit=limit)

    def request_stop(self, run_id: str, now_ns: int, reason: str) -> Run:
        return self.store.request_stop(run_id, now_ns, reason=reason)

    def report_windows(self, run_id: str) -> list[dict]:
        return AnalysisStore(self.store.db).report_windows(run_id)

    def report(self, run_id: str, window: int) -> dict | None:
        return AnalysisStore(self.store.db).report(run_id, window)


def _ns(value: str | None) -> int | None:
    return None if value is None else int(datetime.fromisoformat(value).timestamp() * 1e9)


def _run(raw: dict) -> Run:
    return Run(id=raw["id"], workload_name=raw["workload"], workload={}, hours=raw["hours"],
               report_interval_s=raw.get("report_interval_s", 0.0), state=RunState(raw["state"]),
               created_ns=_ns(raw["created_at"]), started_ns=_ns(raw["started_at"]), ended_ns=_ns(raw["ended_at"]),
               verdict=raw["verdict"], reasons=raw.get("reasons", []), spec={},
               stop_requested_ns=0 if raw.get("stop_requested") else None, progress=raw.get("progress", {}))


class ApiSource:
    def __init__(self, client: ApiClient):
        self.client = client

    def get(self, run_id: str) -> Run:
        try:
            return _run(self.client.json("GET", f"/v1/runs/{run_id}"))
        except ApiError as exc:
            if exc.status == 404:
                raise RunNotFound(f"no run {run_id!r} at {self.client.base}", fix="list runs with `soak runs --api`")
            raise

    def latest(self) -> Run | None:
        found, _ = self.list(None, 1)
        return self.get(found[0].id) if found else None

    def list(self, state: RunState | None, limit: int) -> tuple[list[Run], int]:
        page = self.client.json("GET", "/v1/runs", {"state": state.value if state else None, "limit": min(limit, 200)})
        return [_run(r) for r in page["items"]], page["total"]

    def request_stop(self, run_id: str, now_ns: int, reason: str) -> Run:
        return _run(self.client.json("POST", f"/v1/runs/{run_id}/stop"))

    def report_windows(self, run_id: str) -> list[dict]:
        return [{"window": WHOLE_RUN if r["window"] is None else r["window"] - 1, "start_ns": _ns(r["start"]),
                 "end_ns": _ns(r["end"]), "verdict": r["verdict"]}
                for r in self.client.json("GET", f"/v1/runs/{run_id}/reports")]

    def report(self, run_id: str, window: int) -> dict | None:
        name = "run" if window == WHOLE_RUN else str(window + 1)
        try:
            _, raw, _ = self.client.request("GET", f"/v1/runs/{run_id}/reports/{name}")
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise
        return json.loads(raw)


def open_source(settings) -> StoreSource | ApiSource:
    if settings.api_url:
        token = settings.api_token.get_secret_value() if settings.api_token else None
        if not token:
            raise SoakError(f"--api {settings.api_url} needs a token", fix="give --token or set SOAK_API_TOKEN")
        return ApiSource(ApiClient(settings.api_url, token))
    from controller.control.launcher import open_store

    return StoreSource(open_store(settings.effective_database_url))
