"""How long `soak infra up` takes, cold (jars downloaded) and cached, and the broker's RSS.

    python -m bench.infra_startup [--cached-runs 3]

Cold: an empty Maven local repository and an empty jar cache, so every jar comes from
Maven Central. Cached: the same data-dir-less start again with the jars in the cache.
Runs on free ports with throw-away data directories; leaves nothing running.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from controller.infra.ports import free_ports

CLI = [sys.executable, "-m", "controller"]
PORTS = ("kafka_port", "kafka_controller_port", "kafka_proxied_port")


def env_for(data_dir: Path, cache_dir: Path, maven_bin: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOAK_")}
    env.update({"SOAK_DATA_DIR": str(data_dir), "SOAK_CACHE_DIR": str(cache_dir),
                "SOAK_MAVEN_BIN": maven_bin, "SOAK_PROMETHEUS_ENABLED": "false"})
    env.update({f"SOAK_{k.upper()}": str(p) for k, p in zip(PORTS, free_ports(len(PORTS)))})
    return env


def timed_up(env: dict[str, str]) -> tuple[float, int, int]:
    """Seconds for `infra up`, the broker's RSS right after, and 30 s later (bytes)."""
    start = time.monotonic()
    subprocess.run(CLI + ["infra", "up"], env=env, check=True, capture_output=True)
    elapsed = time.monotonic() - start
    status = json.loads(subprocess.run(CLI + ["infra", "status", "--json"], env=env, check=True,
                                       capture_output=True, text=True).stdout)
    pid = next(c["pid"] for c in status if c["name"] == "kafka")
    rss_now = psutil.Process(pid).memory_info().rss
    time.sleep(30)
    rss_later = psutil.Process(pid).memory_info().rss
    subprocess.run(CLI + ["infra", "down", "--purge"], env=env, check=True, capture_output=True)
    return elapsed, rss_now, rss_later


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cached-runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="soak-bench-") as tmp:
        root = Path(tmp)
        wrapper = root / "mvn-fresh-repo"
        wrapper.write_text(f'#!/bin/sh\nexec mvn -Dmaven.repo.local="{root}/m2" "$@"\n')
        wrapper.chmod(0o755)
        cache = root / "cache"
        cold = timed_up(env_for(root / "cold", cache, str(wrapper)))
        cached = [timed_up(env_for(root / f"warm{i}", cache, str(wrapper))) for i in range(args.cached_runs)]
    mib = 1024 * 1024
    print("| start | seconds | broker RSS after start (MiB) | broker RSS 30 s later (MiB) |")
    print("|---|---|---|---|")
    print(f"| cold (jars from Maven Central) | {cold[0]:.1f} | {cold[1] / mib:.0f} | {cold[2] / mib:.0f} |")
    print(f"| cached (median of {len(cached)}) | {statistics.median(c[0] for c in cached):.1f} | "
          f"{statistics.median(c[1] for c in cached) / mib:.0f} | {statistics.median(c[2] for c in cached) / mib:.0f} |")


if __name__ == "__main__":
    main()
