"""ASGI middleware: a correlation id on every request and response, an access log that
never holds a credential, and a bound on request bodies (413 beyond it)."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from controller.api.problems import PROBLEM_JSON, problem_body

REQUEST_ID = "x-request-id"
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
access_log = logging.getLogger("soak.api.access")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


class RequestContext:
    """Takes the caller's X-Request-ID when it is a plain token (else makes one), returns it
    on the response and logs one line per request: method, path, status, duration, id.
    Only the path is logged: headers (Authorization) and query strings never are."""

    def __init__(self, app: ASGIApp, metrics=None):
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = _header(scope, REQUEST_ID.encode())
        rid = given if given and _SAFE_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid
        status = {"code": 500}
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message.setdefault("headers", []).append((REQUEST_ID.encode(), rid.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or "unmatched"  # the template: bounded labels
            if self.metrics is not None:
                self.metrics.observe(scope["method"], route, status["code"], seconds)
            access_log.info("%s %s %d %.1fms id=%s", scope["method"], scope["path"], status["code"],
                            seconds * 1000, rid)


class BodyLimit:
    """Refuses bodies over `max_bytes`: by Content-Length before reading, or while reading
    a body sent without one."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        limit = self.max_bytes
        too_large = HTTPException(413, f"the request body is larger than {limit} bytes")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, too_large)
            return
        seen = 0

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise too_large  # FastAPI lets an HTTPException from the body read through
            return message

        await self.app(scope, counting_receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, exc: HTTPException) -> None:
        state = scope.get("state", {})
        body = json.dumps(problem_body(exc.status_code, exc.detail, scope["path"], state.get("request_id"))).encode()
        await send({"type": "http.response.start", "status": exc.status_code,
                    "headers": [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})
