"""NodeAgent: one per node, samples the processes that matter on it.

Watched: every agent registered with it (by pid) and target processes found by a
command-line substring (the Kafka broker's JVM by default, or a team's own service).
RSS, CPU seconds, threads and open files every `interval_s`; USS, which walks the page
maps, every `uss_every_s`. Samples wait in a bounded ring until the controller collects.
"""

from __future__ import annotations

import os
import threading
from collections import deque

import psutil

from agents.base import Agent
from agents.clock import Clock
from agents.fault_actions import FaultActions
from agents.process_sampler import sample_process
from workloads.specs import NodeSpec


def find_targets(patterns: dict[str, str], exclude_pid: int) -> dict[str, list[psutil.Process]]:
    """Processes whose command line contains each pattern (our own process excluded)."""
    found: dict[str, list[psutil.Process]] = {name: [] for name in patterns}
    for proc in psutil.process_iter(["cmdline", "status"]):
        if proc.pid == exclude_pid or proc.info.get("status") == psutil.STATUS_ZOMBIE:
            continue  # a killed broker nobody reaped yet is not the broker
        cmdline = " ".join(proc.info.get("cmdline") or [])
        for name, pattern in patterns.items():
            if pattern in cmdline:
                found[name].append(proc)
    return found


class NodeAgent(Agent):
    kind = "node"

    def __init__(self, agent_id: str, spec: NodeSpec | None = None, clock: Clock | None = None):
        super().__init__(agent_id, clock)
        self.spec = spec or NodeSpec()
        self._registered: dict[str, int] = {}  # agent id -> pid
        self._procs: dict[int, psutil.Process] = {}  # kept so psutil can compute CPU deltas
        self._ring: deque[dict] = deque(maxlen=self.spec.history)
        self._latest: dict[str, dict] = {}
        self._lock = threading.Lock()
        self._next_uss = 0.0
        self.dropped = 0
        self.rounds = 0
        self.faults = FaultActions()

    def register(self, name: str, pid: int) -> None:
        """Watch an agent's process (the controller registers each agent on this node)."""
        with self._lock:
            self._registered[name] = pid

    def unregister(self, name: str) -> None:
        with self._lock:
            self._registered.pop(name, None)

    # Fault actions on this node (controller/faults): each bounded by itself.
    def pause(self, pid: int, max_s: float) -> dict:
        return self.faults.pause(pid, max_s)

    def resume(self, pid: int) -> bool:
        return self.faults.resume(pid)

    def start_pressure(self, kind: str, amount: int, max_s: float) -> list[int]:
        return self.faults.start_pressure(kind, amount, max_s)

    def stop_pressure(self, pids: list[int]) -> int:
        return self.faults.stop_pressure(pids)

    def stop_raylet(self) -> int:
        return self.faults.stop_raylet()

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self.sample_once()
            self.progressed()
            stop.wait(self.spec.interval_s)

    def sample_once(self) -> list[dict]:
        now = self.clock.monotonic()
        with_uss = now >= self._next_uss
        if with_uss:
            self._next_uss = now + self.spec.uss_every_s
        wall_ns = self.clock.wall_ns()
        with self._lock:
            watched = {name: [pid] for name, pid in self._registered.items()}
        for name, procs in find_targets(self.spec.targets, exclude_pid=os.getpid()).items():
            watched[name] = [p.pid for p in procs]
        samples = []
        for name, pids in watched.items():
            for i, pid in enumerate(pids):
                proc = self._procs.get(pid) or self._procs.setdefault(pid, _process(pid))
                if proc is None:
                    self._procs.pop(pid, None)
                    continue
                try:
                    if proc.status() == psutil.STATUS_ZOMBIE:
                        continue  # killed, not reaped yet: its RSS reads 0, which is no sample of it
                    sample = sample_process(proc, with_uss=with_uss)
                except psutil.Error:
                    self._procs.pop(pid, None)
                    continue
                label = name if len(pids) == 1 else f"{name}#{i}"
                samples.append({"wall_ns": wall_ns, "name": label, **sample})
        live = {s["pid"] for s in samples}
        for pid in [p for p in self._procs if p not in live]:
            del self._procs[pid]  # bounded: only processes alive now are remembered
        with self._lock:
            for s in samples:
                if len(self._ring) == self._ring.maxlen:
                    self.dropped += 1
                self._ring.append(s)
                self._latest[s["name"]] = s
            self._latest = {k: v for k, v in self._latest.items() if v["pid"] in live}
            self.rounds += 1
        return samples

    def collect(self) -> list[dict]:
        """The samples taken since the last collection (the controller stores them)."""
        with self._lock:
            out = list(self._ring)
            self._ring.clear()
        return out

    def kind_stats(self) -> dict:
        with self._lock:
            return {"rounds": self.rounds, "dropped_samples": self.dropped, "pending_samples": len(self._ring),
                    "latest": dict(self._latest)}


def _process(pid: int) -> psutil.Process | None:
    try:
        return psutil.Process(pid)
    except psutil.Error:
        return None
