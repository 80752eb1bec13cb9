"""Alerts (pure): what a detector found, about which subject, with its evidence.

An alert opens the first time a finding holds and resolves when it no longer does; the
same kind and subject never has two open alerts. Kinds are a bounded set (they become a
Prometheus label); subjects are agent or process names, bounded by the workload.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

LEAK = "memory_leak"
LAG_GROWTH = "lag_growth"
LATENCY_REGRESSION = "latency_regression"
THROUGHPUT_REGRESSION = "throughput_regression"
CROSS_RUN_REGRESSION = "cross_run_regression"
FAULT_NOT_RECOVERED = "fault_not_recovered"
KINDS = (LEAK, LAG_GROWTH, LATENCY_REGRESSION, THROUGHPUT_REGRESSION, CROSS_RUN_REGRESSION, FAULT_NOT_RECOVERED)


@dataclass(frozen=True)
class Alert:
    kind: str
    subject: str
    summary: str  # one line a person reads: what, how much, since when
    evidence: dict = field(default_factory=dict)  # the numbers and the window they come from
    first_seen_ns: int = 0
    last_seen_ns: int = 0
    resolved_ns: int | None = None
    id: int | None = None  # the store's id, once stored

    @property
    def key(self) -> tuple[str, str]:
        return self.kind, self.subject

    @property
    def active(self) -> bool:
        return self.resolved_ns is None

    def to_json(self) -> dict:
        return {"id": self.id, "kind": self.kind, "subject": self.subject, "summary": self.summary,
                "evidence": self.evidence, "first_seen_ns": self.first_seen_ns, "last_seen_ns": self.last_seen_ns,
                "resolved_ns": self.resolved_ns}

    @classmethod
    def from_json(cls, raw: dict) -> "Alert":
        return cls(raw["kind"], raw["subject"], raw.get("summary", ""), dict(raw.get("evidence") or {}),
                   int(raw.get("first_seen_ns") or 0), int(raw.get("last_seen_ns") or 0), raw.get("resolved_ns"),
                   raw.get("id"))


@dataclass(frozen=True)
class Finding:
    """One detector's answer for one subject at one evaluation: firing or not, and why."""

    kind: str
    subject: str
    firing: bool
    summary: str = ""
    evidence: dict = field(default_factory=dict)


def apply(open_alerts: dict[tuple[str, str], Alert], findings: list[Finding], now_ns: int) -> list[Alert]:
    """The alerts that change: opened, updated (new evidence) or resolved. A finding that
    is not firing resolves its open alert; a subject not evaluated keeps its alert as is."""
    changed = []
    for f in findings:
        current = open_alerts.get((f.kind, f.subject))
        if f.firing:
            if current is None:
                changed.append(Alert(f.kind, f.subject, f.summary, f.evidence, now_ns, now_ns))
            else:
                changed.append(replace(current, summary=f.summary, evidence=f.evidence, last_seen_ns=now_ns))
        elif current is not None:
            changed.append(replace(current, resolved_ns=now_ns))
    return changed
