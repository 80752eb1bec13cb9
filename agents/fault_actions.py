"""What a node agent does on its own node when the controller injects a fault there.

Every action is bounded on its own: a paused process is resumed and a pressure process
exits at its deadline even if no heal ever comes (the controller may be gone). Only Ray
worker processes are paused, and only our own pressure processes are killed, so a pid
reused by something else is never touched.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import psutil

PRESSURE_MARK = "soak-fault-pressure"
# Small programs run with the node agent's interpreter; argv: mark, deadline (epoch s), amount.
# Ray runs its workers niced; a pressure process takes the normal priority back where it may
# (niced on a busy machine, the memory one took more than 10 s to fill its pages).
_NORMAL = "import os\ntry:\n    os.setpriority(os.PRIO_PROCESS, 0, 0)\nexcept OSError:\n    pass\n"
_CPU = _NORMAL + "import sys, time\nd = float(sys.argv[2])\nwhile time.time() < d:\n    pass\n"
_MEMORY = _NORMAL + ("import sys, time\nd, mb = float(sys.argv[2]), int(sys.argv[3])\nb = bytearray(mb << 20)\n"
           "for i in range(0, len(b), 4096):\n    b[i] = 1\nwhile time.time() < d:\n    time.sleep(0.2)\n")


def _is_ray_worker(proc: psutil.Process) -> bool:
    try:
        cmdline = proc.cmdline()
    except psutil.Error:
        return False
    return bool(cmdline) and cmdline[0].startswith("ray::")


class FaultActions:
    def __init__(self):
        self._resume_timers: dict[int, threading.Timer] = {}
        self._pressure: list[subprocess.Popen] = []

    # -- pause -------------------------------------------------------------------------------
    def pause(self, pid: int, max_s: float) -> dict:
        """SIGSTOP an agent's process; SIGCONT by itself after `max_s` at the latest."""
        proc = psutil.Process(pid)
        if not _is_ray_worker(proc):
            raise ValueError(f"pid {pid} is not a Ray worker process: not pausing it")
        proc.send_signal(signal.SIGSTOP)
        timer = threading.Timer(max_s, self.resume, args=(pid,))
        timer.daemon = True
        self._resume_timers[pid] = timer
        timer.start()
        return {"pid": pid, "create_time": proc.create_time()}

    def resume(self, pid: int) -> bool:
        """SIGCONT (idempotent); False when the process is gone."""
        timer = self._resume_timers.pop(pid, None)
        if timer is not None:
            timer.cancel()
        try:
            psutil.Process(pid).send_signal(signal.SIGCONT)
        except psutil.NoSuchProcess:
            return False
        return True

    # -- pressure ----------------------------------------------------------------------------
    def start_pressure(self, kind: str, amount: int, max_s: float) -> list[int]:
        """`cpu`: `amount` busy processes; `memory`: one process holding `amount` MiB."""
        deadline = time.time() + max_s
        if kind == "cpu":
            argvs = [[sys.executable, "-c", _CPU, PRESSURE_MARK, str(deadline)] for _ in range(amount)]
        elif kind == "memory":
            argvs = [[sys.executable, "-c", _MEMORY, PRESSURE_MARK, str(deadline), str(amount)]]
        else:
            raise ValueError(f"unknown pressure kind {kind!r}")
        self._reap()
        started = [subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL) for argv in argvs]
        self._pressure.extend(started)
        return [p.pid for p in started]

    def stop_pressure(self, pids: list[int]) -> int:
        """Kill our pressure processes among `pids` (idempotent); how many were alive."""
        killed = 0
        for pid in pids:
            try:
                proc = psutil.Process(pid)
                if PRESSURE_MARK in proc.cmdline():
                    proc.kill()
                    killed += 1
            except psutil.Error:
                continue
        self._reap()
        return killed

    def _reap(self) -> None:
        self._pressure = [p for p in self._pressure if p.poll() is None]

    # -- node loss ---------------------------------------------------------------------------
    def stop_raylet(self, delay_s: float = 0.5) -> int:
        """SIGKILL this node's raylet shortly after answering (this process dies with it)."""
        proc = psutil.Process(os.getpid())
        while proc is not None and proc.name() != "raylet":
            proc = proc.parent()
        if proc is None:
            raise RuntimeError("no raylet among this process's ancestors")
        threading.Timer(delay_s, proc.kill).start()
        return proc.pid
