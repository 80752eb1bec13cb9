"""Background processes tracked by pid file, so `down` stops exactly what `up` started.

A pid file records the pid *and* the process start time: a pid that the kernel has
reused for somebody else's process is never signalled.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

from controller.errors import InfraError


@dataclass(frozen=True)
class ProcessRecord:
    name: str
    pid: int
    create_time: float
    argv: list[str]
    log_path: str


class ManagedProcess:
    """One named background process of ours, its pid file and its log file."""

    def __init__(self, name: str, run_dir: Path):
        self.name = name
        self.pid_file = run_dir / f"{name}.pid"

    def record(self) -> ProcessRecord | None:
        try:
            return ProcessRecord(**json.loads(self.pid_file.read_text()))
        except FileNotFoundError:
            return None
        except (ValueError, TypeError):
            # A torn or foreign file: it tells us nothing we could safely signal.
            self.pid_file.unlink(missing_ok=True)
            return None

    def process(self) -> psutil.Process | None:
        """The live process this pid file names, or None (and the stale file is removed)."""
        rec = self.record()
        if rec is None:
            return None
        try:
            proc = psutil.Process(rec.pid)
            same = abs(proc.create_time() - rec.create_time) < 0.5
            if same and proc.status() != psutil.STATUS_ZOMBIE:
                return proc
        except psutil.Error:
            pass
        self.pid_file.unlink(missing_ok=True)
        return None

    def start(self, argv: list[str], log_path: Path, env: dict[str, str] | None = None,
              cwd: Path | None = None) -> ProcessRecord:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        with open(log_path, "ab") as log:
            try:
                # A session of its own: Ctrl-C in the terminal that ran `up` must not reach it.
                popen = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, env=env, cwd=cwd,
                                         start_new_session=True)
            except OSError as exc:
                raise InfraError(f"could not start {self.name} ({argv[0]}): {exc.strerror}",
                                 fix=f"check that {argv[0]} is installed and executable") from exc
        rec = ProcessRecord(self.name, popen.pid, psutil.Process(popen.pid).create_time(),
                            list(argv), str(log_path))
        tmp = self.pid_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(rec)))
        tmp.replace(self.pid_file)
        return rec

    def exited(self) -> bool:
        """True when a started process is gone (reaping it if it was our child)."""
        rec = self.record()
        if rec is None:
            return True
        _reap(rec.pid)
        return self.process() is None

    def stop(self, timeout_s: float = 30.0) -> bool:
        """SIGTERM, then SIGKILL after `timeout_s`. Returns whether something was stopped."""
        proc = self.process()
        if proc is None:
            return False
        try:
            proc.send_signal(signal.SIGTERM)
            _, alive = psutil.wait_procs([proc], timeout=timeout_s)
            for p in alive:
                p.kill()
            psutil.wait_procs(alive, timeout=10)
        except psutil.NoSuchProcess:
            pass
        _reap(proc.pid)
        self.pid_file.unlink(missing_ok=True)
        return True


def _reap(pid: int) -> None:
    # When the process was started by this interpreter, collect its exit status so it
    # does not linger as a zombie that looks alive.
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def tail(path: Path, lines: int = 15) -> str:
    """The last lines of a log file, for error messages."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 64 * 1024))
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def wait_until(predicate, timeout_s: float, interval_s: float = 0.5, clock=time.monotonic,
               sleep=time.sleep, abort=None) -> bool:
    """Poll `predicate` until true or `timeout_s`; `abort()` true ends early (returns False)."""
    deadline = clock() + timeout_s
    while True:
        if predicate():
            return True
        if abort is not None and abort():
            return False
        if clock() >= deadline:
            return False
        sleep(interval_s)
