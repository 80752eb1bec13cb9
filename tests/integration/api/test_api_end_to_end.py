"""A run started, watched and read through `soak serve`, on the session's broker and Ray
(as a CI pipeline drives a staging cluster): POST /v1/runs, a fault injected and an API
restart along the way, then its report and alerts, and `soak status --api`."""

from __future__ import annotations

import json
import re
import subprocess
import time
import urllib.error
import urllib.request

from controller.store.analysis import AnalysisStore
from controller.store.db import Database
from tests.integration.cli_helpers import run_soak
from tests.integration.conftest import SOAK_CLI, cli_env, port_overrides

HOURS = 0.03  # 108 s


class Served:
    """`soak serve` in a subprocess; `start()` again after `stop()` is the API restarted."""

    def __init__(self, env: dict, args: list[str], log_dir):
        self.env, self.args, self.log_dir = env, args, log_dir
        self.url = f"http://127.0.0.1:{env['SOAK_API_PORT']}"
        self.process = None
        self.starts = 0

    def start(self) -> str:
        self.starts += 1
        out = self.log_dir / f"serve-{self.starts}.out"
        with open(out, "w") as sink:
            self.process = subprocess.Popen(SOAK_CLI + ["serve", *self.args], env=self.env, stdout=sink,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, out.read_text()
            try:
                with urllib.request.urlopen(f"{self.url}/readyz", timeout=2):
                    return out.read_text()
            except OSError:
                time.sleep(0.3)
        raise AssertionError(f"the API did not come up:\n{out.read_text()}")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)

    def call(self, method: str, path: str, token: str, body: dict | None = None,
             accept: str = "application/json") -> tuple[int, bytes, dict]:
        req = urllib.request.Request(f"{self.url}{path}", method=method,
                                     data=None if body is None else json.dumps(body).encode())
        req.add_header("Authorization", f"Bearer {token}")
        req.add_header("Accept", accept)
        if body is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return resp.status, resp.read(), dict(resp.headers)
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read(), dict(exc.headers)

    def json(self, path: str, token: str):
        status, raw, _ = self.call("GET", path, token)
        assert status == 200, (path, status, raw)
        return json.loads(raw)


def wait_run(api: Served, run_id: str, token: str, predicate, timeout_s: float, what: str) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        run = api.json(f"/v1/runs/{run_id}", token)
        if predicate(run):
            return run
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}: {run}")


def test_a_run_through_the_api_from_start_to_report(local_stack, ray_cluster, tmp_path):
    ports = port_overrides()
    env = cli_env(tmp_path / "data", prometheus_enabled="false", flush_interval_s=10, **ports)
    api = Served(env, ["--ray-address", ray_cluster.address, "--bootstrap-servers", local_stack.kafka.bootstrap],
                 tmp_path)
    first = api.start()
    tokens = dict(re.findall(r"^\s+(admin|read):\s+(\S+)$", first, re.M))
    assert set(tokens) == {"admin", "read"}, f"no tokens printed on the first start:\n{first}"
    admin, reader = tokens["admin"], tokens["read"]
    try:
        workload = {"name": "api-e2e", "topic": {"partitions": 2},
                    "producers": {"count": 1, "spec": {"rate": {"profile": "constant", "per_second": 200}}},
                    "consumers": {"count": 1, "spec": {"commit_interval_s": 2}},
                    "queries": {"count": 1, "spec": {"interval_s": 5}}, "slo": {"warm_up_s": 20}}
        status, raw, headers = api.call("POST", "/v1/runs", admin, {"workload": workload, "hours": HOURS,
                                                                    "overrides": {"report_interval_s": 30,
                                                                                  "no_faults": True}})
        assert status == 201, raw
        run_id = json.loads(raw)["id"]
        assert headers["location"] == f"/v1/runs/{run_id}"
        wait_run(api, run_id, reader, lambda r: r["progress"].get("totals", {}).get("ingested", 0) > 500, 150,
                 "records in the table")

        status, raw, _ = api.call("POST", f"/v1/runs/{run_id}/faults", admin,
                                  {"kind": "agent_kill", "params": {"agent_kind": "producer"}})
        assert status == 202, raw
        fault_id = json.loads(raw)["id"]

        api.stop()  # restarting the API loses nothing: the run and its faults live in the store
        again = api.start()
        assert "API tokens: in" in again and admin not in again and reader not in again
        run = wait_run(api, run_id, reader, lambda r: r["state"] in ("finished", "stopped", "failed"), 300,
                       "the run to end")
        assert run["state"] == "finished" and run["verdict"] in ("PASS", "WARN"), run
        assert run["progress"]["anomalies"] == {} or not any(run["progress"]["anomalies"].values()), run

        faults = api.json(f"/v1/runs/{run_id}/faults", reader)
        assert [(f["id"], f["kind"], f["state"], f["recovery_state"]) for f in faults] == [
            (fault_id, "agent_kill", "healed", "recovered")], faults
        agents = {a["agent_id"]: a for a in api.json(f"/v1/runs/{run_id}/agents", reader)}
        assert agents["producer-0"]["restarts"] >= 1 and agents["consumer-0"]["node"]

        reports = api.json(f"/v1/runs/{run_id}/reports", reader)
        assert reports[0]["name"] == "run" and len(reports) >= 3, reports  # the whole run and its windows
        whole = api.json(f"/v1/runs/{run_id}/reports/run", reader)
        assert whole["verdict"]["level"] == run["verdict"] and whole["run_id"] == run_id
        status, page, headers = api.call("GET", f"/v1/runs/{run_id}/reports/1", reader, accept="text/html")
        assert status == 200 and headers["content-type"].startswith("text/html") and b"<svg" in page
        alerts = api.json(f"/v1/runs/{run_id}/alerts", reader)
        stored = AnalysisStore(Database(f"sqlite:///{tmp_path / 'data' / 'soak.db'}")).alerts(run_id)
        assert [(a["id"], a["kind"], a["subject"]) for a in alerts] == [(a.id, a.kind, a.subject) for a in stored]

        series = api.json(f"/v1/runs/{run_id}/series", reader)
        assert {"rss_bytes", "acked_per_s", "lag_records"} <= set(series)
        rss = api.json(f"/v1/runs/{run_id}/samples?series=rss_bytes&agent=producer-0&step=10", reader)
        assert len(rss["points"]) >= 5 and all(p["min"] > 0 for p in rss["points"])

        remote = run_soak(["status", run_id, "--api", api.url], {**env, "SOAK_API_TOKEN": reader}, timeout_s=60)
        assert remote.returncode == 0 and f"run {run_id} finished" in remote.stdout, remote.stdout + remote.stderr
        with urllib.request.urlopen(f"{api.url}/metrics", timeout=10) as resp:
            assert b'soak_api_requests_total{method="GET",route="/v1/runs/{run_id}",status="200"}' in resp.read()
    finally:
        api.stop()
