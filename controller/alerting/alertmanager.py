"""The soak's alerts pushed to an Alertmanager's v2 API (`POST /api/v2/alerts`).

`payload` is pure: alerts as `controller.analysis.alerts.Alert.to_json()` gives them
(kind, subject, summary, evidence, first_seen_ns, resolved_ns) become Alertmanager
alerts. `AlertmanagerPush` is the edge that sends them, with retries.
"""

from __future__ import annotations

import http.client
import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone

from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from controller.errors import SoakError

SEVERITY = "warning"
EVIDENCE_MAX_BYTES = 2048
TRUNCATED = "…"


class AlertmanagerError(SoakError):
    """Alertmanager refused the alerts, or could not be reached after the retries."""


def alertname(kind: str) -> str:
    """`memory_leak` -> `SoakMemoryLeak`: Alertmanager's convention for alert names."""
    return "Soak" + "".join(part[:1].upper() + part[1:].lower() for part in re.split(r"[^0-9A-Za-z]+", kind))


def rfc3339(ns: int) -> str:
    """Nanoseconds since the epoch as RFC 3339 in UTC, to the millisecond: 2024-05-01T12:00:00.250Z."""
    seconds, rest = divmod(int(ns), 1_000_000_000)
    stamp = datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{rest // 1_000_000:03d}Z"


def compact_evidence(evidence: Mapping | None, max_bytes: int = EVIDENCE_MAX_BYTES) -> str:
    """The evidence as compact JSON, cut to `max_bytes` of UTF-8 (ending in … when cut)."""
    text = json.dumps(dict(evidence or {}), separators=(",", ":"), sort_keys=True, default=str,
                      ensure_ascii=False)
    raw = text.encode()
    if len(raw) <= max_bytes:
        return text
    keep = max_bytes - len(TRUNCATED.encode())
    return raw[:keep].decode("utf-8", "ignore") + TRUNCATED


def payload(alerts: Iterable[Mapping], run_id: str, workload: str,
            generator_url: str | None = None) -> list[dict]:
    """Alertmanager v2 alerts for the soak's alerts: labels name the alert (kind, subject,
    run, workload), annotations carry the summary and the evidence; resolved alerts get
    an endsAt, active ones none (Alertmanager then keeps them for its resolve_timeout)."""
    out = []
    for alert in alerts:
        labels = {"alertname": alertname(alert["kind"]), "kind": str(alert["kind"]),
                  "subject": str(alert["subject"]), "run_id": str(run_id), "workload": str(workload),
                  "severity": SEVERITY}
        item: dict = {"labels": labels,
                      "annotations": {"summary": str(alert.get("summary") or ""),
                                      "evidence": compact_evidence(alert.get("evidence"))}}
        if alert.get("first_seen_ns"):
            item["startsAt"] = rfc3339(alert["first_seen_ns"])
        if alert.get("resolved_ns") is not None:
            item["endsAt"] = rfc3339(alert["resolved_ns"])
        if generator_url:
            item["generatorURL"] = generator_url
        out.append(item)
    return out


class _Transient(Exception):
    """A failure worth another try: no connection, a timeout, a 5xx."""


class AlertmanagerPush:
    """Sends the soak's alerts to one Alertmanager (`{url}/api/v2/alerts`).

    Alertmanager forgets an active alert (one without endsAt) after its resolve_timeout
    (5 min by default) unless it is sent again: the caller re-pushes every active alert
    at least every `resend_every_s` seconds, and pushes an alert once more, with its
    resolved_ns, when it resolves. Pushing the same alert again is harmless (Alertmanager
    identifies it by its labels).

    Transient failures (connection errors, timeouts, 5xx) are retried `attempts` times
    with a short exponential wait; then, or at once on a 4xx, AlertmanagerError names
    the URL and the reason.
    """

    resend_every_s = 60
    attempts = 3
    backoff_s = 0.2

    def __init__(self, url: str, timeout_s: float = 5):
        self.url = url.rstrip("/")
        self.endpoint = f"{self.url}/api/v2/alerts"
        self.timeout_s = timeout_s

    def push(self, alerts: Iterable[Mapping], run_id: str, workload: str, *,
             generator_url: str | None = None) -> None:
        body = payload(alerts, run_id, workload, generator_url)
        if not body:
            return
        data = json.dumps(body).encode()
        retrying = Retrying(retry=retry_if_exception_type(_Transient), stop=stop_after_attempt(self.attempts),
                            wait=wait_exponential(multiplier=self.backoff_s, max=2.0), reraise=True)
        try:
            for attempt in retrying:
                with attempt:
                    self._post(data, len(body))
        except _Transient as exc:
            raise AlertmanagerError(
                f"could not push {len(body)} alert(s) to Alertmanager at {self.url} after "
                f"{self.attempts} attempts: {exc}",
                fix="check that Alertmanager runs and answers there, or correct SOAK_ALERTMANAGER_URL") from exc

    def _post(self, data: bytes, count: int) -> None:
        request = urllib.request.Request(self.endpoint, data=data, method="POST",
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as resp:
                resp.read()
        except urllib.error.HTTPError as exc:
            detail = f"HTTP {exc.code}: {_body(exc)}"
            if exc.code >= 500:
                raise _Transient(detail) from exc
            raise AlertmanagerError(f"Alertmanager at {self.url} refused {count} alert(s) ({detail})",
                                    fix="check that SOAK_ALERTMANAGER_URL is an Alertmanager (v2 API)") from exc
        except urllib.error.URLError as exc:
            raise _Transient(str(exc.reason)) from exc
        except (OSError, http.client.HTTPException) as exc:
            raise _Transient(f"{type(exc).__name__}: {exc}") from exc


def _body(exc: urllib.error.HTTPError) -> str:
    try:
        return " ".join(exc.read(500).decode("utf-8", "replace").split()) or exc.reason
    except OSError:
        return str(exc.reason)
