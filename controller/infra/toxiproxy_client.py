"""A small client of Toxiproxy's HTTP API (the faults use it to add and remove toxics)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from controller.errors import InfraError


class ToxiproxyClient:
    def __init__(self, base_url: str, timeout_s: float = 5.0):
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s

    def _call(self, method: str, path: str, body: dict | None = None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base_url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            raise InfraError(f"Toxiproxy {method} {path} answered {exc.code}: "
                             f"{exc.read().decode(errors='replace').strip()}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise InfraError(f"Toxiproxy at {self.base_url} is unreachable ({exc})",
                             fix="start it with `soak infra up --toxiproxy`") from exc
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return raw.decode(errors="replace")

    def version(self) -> str | None:
        try:
            answer = self._call("GET", "/version")
        except InfraError:
            return None
        return answer.get("version") if isinstance(answer, dict) else str(answer).strip()

    def proxies(self) -> dict:
        return self._call("GET", "/proxies") or {}

    def ensure_proxy(self, name: str, listen: str, upstream: str) -> dict:
        """Create the proxy, or bring an existing one back to this listen/upstream, enabled."""
        if name in self.proxies():
            return self._call("POST", f"/proxies/{name}",
                              {"listen": listen, "upstream": upstream, "enabled": True})
        return self._call("POST", "/proxies", {"name": name, "listen": listen, "upstream": upstream,
                                               "enabled": True})

    def set_enabled(self, name: str, enabled: bool) -> dict:
        return self._call("POST", f"/proxies/{name}", {"enabled": enabled})

    def add_toxic(self, proxy: str, name: str, kind: str, attributes: dict,
                  stream: str = "downstream", toxicity: float = 1.0) -> dict:
        return self._call("POST", f"/proxies/{proxy}/toxics",
                          {"name": name, "type": kind, "stream": stream, "toxicity": toxicity,
                           "attributes": attributes})

    def remove_toxic(self, proxy: str, name: str) -> None:
        self._call("DELETE", f"/proxies/{proxy}/toxics/{name}")

    def toxics(self, proxy: str) -> list[dict]:
        return self._call("GET", f"/proxies/{proxy}/toxics") or []
