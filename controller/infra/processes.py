"""Background processes tracked by pid file, so `down` stops exactly what `up` started.

A pid file records the pid *and* the process start time: a pid that the kernel has
reused for somebody else's process is never signalled.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
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

    def __init__(self, name: str, run_dir: Path, detached: bool = False):
        self.name = name
        self.pid_file = run_dir / f"{name}.pid"
        # Detached: not our child at all (started through a short-lived intermediate), for
        # processes started from inside a Ray worker, whose children Ray kills when it exits.
        self.detached = detached

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
        if self.detached:
            pid = _spawn_orphan(argv, log_path, env, cwd, self.name)
        else:
            with open(log_path, "ab") as log:
                try:
                    # A session of its own: Ctrl-C in the terminal that ran `up` must not reach it.
                    pid = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                           stdin=subprocess.DEVNULL, env=env, cwd=cwd,
                                           start_new_session=True).pid
                except OSError as exc:
                    raise InfraError(f"could not start {self.name} ({argv[0]}): {exc.strerror}",
                                     fix=f"check that {argv[0]} is installed and executable") from exc
        rec = ProcessRecord(self.name, pid, psutil.Process(pid).create_time(), list(argv), str(log_path))
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
            if not wait_gone(proc, timeout_s):
                proc.kill()
                wait_gone(proc, 10)
        except psutil.NoSuchProcess:
            pass
        _reap(proc.pid)
        self.pid_file.unlink(missing_ok=True)
        return True


_ORPHAN = ("import json, subprocess, sys\n"
           "a = json.loads(sys.argv[1])\n"
           "with open(a['log'], 'ab') as log:\n"
           "    p = subprocess.Popen(a['argv'], stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,\n"
           "                         cwd=a['cwd'], start_new_session=True)\n"
           "print(p.pid)\n")


def _spawn_orphan(argv: list[str], log_path: Path, env, cwd, name: str) -> int:
    args = json.dumps({"argv": argv, "log": str(log_path), "cwd": str(cwd) if cwd else None})
    result = subprocess.run([sys.executable, "-c", _ORPHAN, args], capture_output=True, text=True, env=env,
                            stdin=subprocess.DEVNULL, timeout=60)
    if result.returncode != 0:
        raise InfraError(f"could not start {name} ({argv[0]})", fix=f"check that {argv[0]} is installed",
                         details=result.stderr.strip()[-2000:] or None)
    return int(result.stdout.strip())


def wait_gone(proc: psutil.Process, timeout_s: float) -> bool:
    """Wait until the process exited. A zombie counts as exited: when another process
    started it (a broker restarted by a fault, say), only that parent could reap it."""
    deadline = time.monotonic() + timeout_s
    while True:
        _reap(proc.pid)
        try:
            if proc.status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)


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
