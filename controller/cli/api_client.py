"""The CLI's client of a remote control API (`--api URL`): the same commands, over HTTP."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

from controller.errors import SoakError


class ApiError(SoakError):
    def __init__(self, status: int, what: str, fix: str | None = None):
        super().__init__(what, fix)
        self.status = status


class ApiClient:
    def __init__(self, base_url: str, token: str | None, timeout_s: float = 30.0):
        self.base = base_url.rstrip("/")
        self.token = token
        self.timeout_s = timeout_s

    def request(self, method: str, path: str, params: dict | None = None, body: dict | None = None,
                accept: str = "application/json") -> tuple[int, bytes, str]:
        query = {k: v for k, v in (params or {}).items() if v is not None}
        url = f"{self.base}{path}" + (f"?{urllib.parse.urlencode(query)}" if query else "")
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Accept", accept)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:
                return resp.status, resp.read(), resp.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:
            raise self._problem(exc) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise SoakError(f"no control API answers at {self.base}: {reason}",
                            fix="check --api (SOAK_API_URL) and that `soak serve` runs there") from None

    def _problem(self, exc: urllib.error.HTTPError) -> ApiError:
        try:
            detail = json.loads(exc.read()).get("detail") or exc.reason
        except ValueError:
            detail = exc.reason
        fix = {401: "give a valid token with --token or SOAK_API_TOKEN",
               403: "this needs an admin token"}.get(exc.code)
        return ApiError(exc.code, f"the API answered {exc.code}: {detail}", fix)

    def json(self, method: str, path: str, params: dict | None = None, body: dict | None = None):
        _, raw, _ = self.request(method, path, params, body)
        return json.loads(raw)
