"""When to print a progress line where stderr is not a terminal (pure).

A terminal gets one line redrawn in place; a log file, `nohup`, a CI job or a systemd unit
would get nothing until the end of a 24 h run, so there a line is printed at each change of
state (running, draining, ...) and otherwise once a minute."""

from __future__ import annotations

PLAIN_EVERY_S = 60.0


class ProgressPace:
    def __init__(self, every_s: float = PLAIN_EVERY_S):
        self.every_s = every_s
        self._last_s: float | None = None
        self._last_state: str | None = None

    def due(self, now_s: float, state: str) -> bool:
        """Whether to print now; if so, it counts as printed."""
        if self._last_s is not None and state == self._last_state and now_s - self._last_s < self.every_s:
            return False
        self._last_s, self._last_state = now_s, state
        return True
