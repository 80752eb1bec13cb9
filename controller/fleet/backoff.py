"""Restart backoff per agent: exponential, capped, forgotten after a long healthy spell."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class _Record:
    attempts: int = 0
    next_allowed: float = 0.0
    last_restart: float = 0.0


class RestartBackoff:
    def __init__(self, base_s: float, max_s: float, reset_after_s: float | None = None):
        self.base_s, self.max_s = base_s, max_s
        # Healthy this long after its last restart: the agent starts again from base_s.
        self.reset_after_s = reset_after_s if reset_after_s is not None else 10 * max_s
        self._records: dict[str, _Record] = {}

    def ready(self, agent_id: str, now: float) -> bool:
        rec = self._records.get(agent_id)
        return rec is None or now >= rec.next_allowed

    def wait_s(self, agent_id: str, now: float) -> float:
        rec = self._records.get(agent_id)
        return 0.0 if rec is None else max(0.0, rec.next_allowed - now)

    def restarted(self, agent_id: str, now: float) -> None:
        rec = self._records.setdefault(agent_id, _Record())
        if rec.attempts and now - rec.last_restart >= self.reset_after_s:
            rec.attempts = 0
        rec.attempts += 1
        rec.last_restart = now
        rec.next_allowed = now + min(self.max_s, self.base_s * 2 ** (rec.attempts - 1))

    def attempts(self, agent_id: str) -> int:
        rec = self._records.get(agent_id)
        return rec.attempts if rec else 0
