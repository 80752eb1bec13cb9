"""Resource samples of one process with psutil (the edge; no logic lives here)."""

from __future__ import annotations

import psutil


def sample_process(proc: psutil.Process, with_uss: bool = False) -> dict:
    """RSS, USS (optional: it walks the page maps), CPU seconds, threads and open files."""
    with proc.oneshot():
        mem = proc.memory_info()
        cpu = proc.cpu_times()
        sample = {"pid": proc.pid, "rss_bytes": mem.rss, "cpu_seconds": cpu.user + cpu.system,
                  "threads": proc.num_threads()}
        try:
            sample["open_files"] = proc.num_fds()
        except (psutil.AccessDenied, AttributeError):
            sample["open_files"] = None
    if with_uss:
        try:
            sample["uss_bytes"] = proc.memory_full_info().uss
        except psutil.AccessDenied:
            sample["uss_bytes"] = None
    return sample
