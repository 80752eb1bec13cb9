"""A killed agent's process not reaped yet (a zombie) reads 0 RSS: it is no sample."""

from __future__ import annotations

import subprocess
import sys
import time

import psutil

from agents.node import NodeAgent
from workloads.specs import NodeSpec


def test_a_zombie_agent_process_gives_no_sample():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 10
    while psutil.Process(child.pid).status() != psutil.STATUS_ZOMBIE and time.monotonic() < deadline:
        time.sleep(0.05)  # it exits; nobody reaps it yet
    assert psutil.Process(child.pid).status() == psutil.STATUS_ZOMBIE
    agent = NodeAgent("node-0", NodeSpec(targets={}))
    agent.register("producer-0", child.pid)
    agent.register("self", psutil.Process().pid)
    try:
        names = {s["name"]: s["rss_bytes"] for s in agent.sample_once()}
        assert "producer-0" not in names and names["self"] > 0, names
    finally:
        child.wait()
