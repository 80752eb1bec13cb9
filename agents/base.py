"""One interface for every agent kind: start, stop, health and a small stats snapshot.

The work runs in a background thread, so the same object serves as a plain object in
tests and as a Ray actor (whose method calls then return at once). Every agent reports
its own process too: the load generator must not be the thing that leaks.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import traceback
from abc import ABC, abstractmethod
from typing import ClassVar

import psutil

from agents.clock import Clock, SystemClock
from agents.process_sampler import sample_process

log = logging.getLogger(__name__)


class Agent(ABC):
    kind: ClassVar[str]

    def __init__(self, agent_id: str, clock: Clock | None = None):
        self.agent_id = agent_id
        self.clock = clock or SystemClock()
        # New on every construction (a restarted process is a new incarnation); the
        # controller records each one.
        self.incarnation = self.clock.wall_ns() // 1000
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._state = "created"
        self._error: str | None = None
        self._started_mono: float | None = None
        self._last_progress_mono: float | None = None
        self._own_process = psutil.Process()

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return  # idempotent: a controller may repeat a start after its own restart
        self._state = "running"
        self._started_mono = self._last_progress_mono = self.clock.monotonic()
        self._thread = threading.Thread(target=self._run_guarded, name=f"{self.kind}-{self.agent_id}", daemon=True)
        self._thread.start()

    def _run_guarded(self) -> None:
        try:
            self.run(self._stop)
            self._state = "finished" if not self._stop.is_set() else "stopped"
        except Exception as exc:  # the agent reports its failure through health()
            self._error = f"{type(exc).__name__}: {exc}"
            self._state = "failed"
            log.error("%s %s failed:\n%s", self.kind, self.agent_id, traceback.format_exc())

    @abstractmethod
    def run(self, stop: threading.Event) -> None:
        """The agent's work; returns when `stop` is set (or when its work is done)."""

    def stop(self, timeout_s: float = 60.0) -> dict:
        """Stop, wait for the work to wind down, and return the final stats."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
        return self.stats()

    def wait(self, timeout_s: float | None = None) -> bool:
        """Block until the work ends by itself; True if it has."""
        if self._thread is None:
            return False
        self._thread.join(timeout_s)
        return not self._thread.is_alive()

    def progressed(self) -> None:
        self._last_progress_mono = self.clock.monotonic()

    # -- observation -----------------------------------------------------------------------------
    def health(self) -> dict:
        now = self.clock.monotonic()
        idle = now - self._last_progress_mono if self._last_progress_mono is not None else None
        return {"kind": self.kind, "agent_id": self.agent_id, "incarnation": self.incarnation,
                "state": self._state, "error": self._error, "seconds_since_progress": idle,
                "pid": os.getpid(), "host": socket.gethostname(), "node_id": self.node_id()}

    def node_id(self) -> str | None:
        """The cluster node this agent runs on (the Ray wrapper knows; plain objects don't)."""
        return None

    def stats(self) -> dict:
        return {"kind": self.kind, "agent_id": self.agent_id, "incarnation": self.incarnation,
                "state": self._state, "wall_ns": self.clock.wall_ns(), "process": sample_process(self._own_process),
                **self.kind_stats()}

    @abstractmethod
    def kind_stats(self) -> dict:
        """The kind's own counters and sparse histograms: small and mergeable."""
