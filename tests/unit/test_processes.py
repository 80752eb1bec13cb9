"""Pid-file tracking with a real short-lived process (no service involved)."""

import json
import os
import sys

import psutil

from controller.infra.processes import ManagedProcess, tail, wait_until

SLEEPER = [sys.executable, "-c", "import time; print('up', flush=True); time.sleep(60)"]


def test_start_records_pid_and_stop_ends_exactly_that_process(tmp_path):
    managed = ManagedProcess("sleeper", tmp_path / "run")
    rec = managed.start(SLEEPER, tmp_path / "logs" / "sleeper.log")
    assert managed.process().pid == rec.pid
    assert json.loads(managed.pid_file.read_text())["pid"] == rec.pid
    assert wait_until(lambda: "up" in tail(tmp_path / "logs" / "sleeper.log"), 10, 0.05)

    assert managed.stop(timeout_s=5) is True
    assert not managed.pid_file.exists()
    assert not psutil.pid_exists(rec.pid) or psutil.Process(rec.pid).status() == psutil.STATUS_ZOMBIE
    assert managed.stop() is False  # idempotent


def test_a_reused_pid_is_never_signalled(tmp_path):
    # A pid file naming a live process that started at another time: not ours.
    me = psutil.Process()
    managed = ManagedProcess("foreign", tmp_path)
    managed.pid_file.write_text(json.dumps({"name": "foreign", "pid": me.pid,
                                            "create_time": me.create_time() - 1000,
                                            "argv": ["x"], "log_path": "x"}))
    assert managed.process() is None
    assert managed.stop() is False
    assert not managed.pid_file.exists(), "a stale pid file is cleaned up"


def test_a_torn_pid_file_is_ignored(tmp_path):
    managed = ManagedProcess("torn", tmp_path)
    managed.pid_file.write_text("{not json")
    assert managed.record() is None and managed.process() is None


def test_exited_notices_a_process_that_died(tmp_path):
    managed = ManagedProcess("quick", tmp_path)
    managed.start([sys.executable, "-c", "pass"], tmp_path / "quick.log")
    assert wait_until(managed.exited, 10, 0.05)


def test_tail_returns_the_last_lines_only(tmp_path):
    log = tmp_path / "x.log"
    log.write_text("".join(f"line {i}\n" for i in range(100)))
    assert tail(log, 3) == "line 97\nline 98\nline 99"
    assert tail(tmp_path / "missing.log") == ""


def test_wait_until_uses_the_given_clock():
    now = [0.0]
    assert wait_until(lambda: False, 5, interval_s=1, clock=lambda: now[0],
                      sleep=lambda d: now.__setitem__(0, now[0] + d)) is False
    assert now[0] == 5.0
    assert wait_until(lambda: False, 5, abort=lambda: True, sleep=lambda d: None) is False


def test_a_detached_process_is_nobodys_child_and_is_stopped_by_its_pid_file(tmp_path):
    managed = ManagedProcess("sleeper", tmp_path, detached=True)
    rec = managed.start(["sleep", "60"], tmp_path / "sleeper.log")
    proc = psutil.Process(rec.pid)
    assert proc.ppid() != os.getpid() and proc.name() == "sleep"
    assert managed.process() is not None
    assert managed.stop(timeout_s=5) and managed.process() is None
