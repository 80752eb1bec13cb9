"""A local HTTP server implementing the Grafana HTTP API endpoints soak fleet calls
(folders, datasources, dashboards, annotations), recording every request. No Grafana
package exists for this machine; the stub follows Grafana's documented API."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Request:
    method: str
    path: str
    body: dict | None
    authorization: str | None


class GrafanaStub:
    def __init__(self, token: str):
        self.token = token
        self.requests: list[Request] = []
        self.folders: dict[str, dict] = {}
        self.datasources: dict[str, dict] = {}
        self.dashboards: dict[str, dict] = {}
        self.annotations: list[dict] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _answer(self, status: int, body) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _handle(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                stub.requests.append(Request(method, self.path, body, self.headers.get("Authorization")))
                if self.headers.get("Authorization") != f"Bearer {stub.token}":
                    return self._answer(401, {"message": "Unauthorized"})
                status, answer = stub.route(method, self.path, body)
                self._answer(status, answer)

            def do_GET(self):
                self._handle("GET")

            def do_POST(self):
                self._handle("POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def route(self, method: str, path: str, body: dict | None) -> tuple[int, object]:
        parts = path.split("?")[0].strip("/").split("/")
        not_found = (404, {"message": "Not found"})
        if parts[:2] == ["api", "folders"]:
            if method == "GET":
                return (200, self.folders[parts[2]]) if parts[2] in self.folders else not_found
            if body["uid"] in self.folders:
                return 409, {"message": "a folder with the same uid already exists"}
            self.folders[body["uid"]] = {"id": len(self.folders) + 1, **body}
            return 200, self.folders[body["uid"]]
        if parts[:2] == ["api", "datasources"]:
            if method == "GET":
                return (200, self.datasources[parts[3]]) if parts[3] in self.datasources else not_found
            if body["uid"] in self.datasources:
                return 409, {"message": "data source with the same uid already exists"}
            self.datasources[body["uid"]] = {"id": len(self.datasources) + 1, **body}
            return 200, {"datasource": self.datasources[body["uid"]], "message": "Datasource added"}
        if parts[:2] == ["api", "dashboards"]:
            if method == "GET":
                uid = parts[3]
                return (200, {"dashboard": self.dashboards[uid], "meta": {}}) if uid in self.dashboards else not_found
            dashboard = body["dashboard"]
            existing = self.dashboards.get(dashboard["uid"])
            if existing is not None and not body.get("overwrite"):
                return 412, {"message": "The dashboard has been changed by someone else", "status": "version-mismatch"}
            version = (existing or {}).get("version", 0) + 1
            self.dashboards[dashboard["uid"]] = {**dashboard, "version": version, "folderUid": body.get("folderUid")}
            return 200, {"uid": dashboard["uid"], "status": "success", "version": version}
        if parts[:2] == ["api", "annotations"] and method == "POST":
            self.annotations.append(body)
            return 200, {"id": len(self.annotations), "message": "Annotation added"}
        return not_found

    def close(self) -> None:
        self.server.shutdown()
