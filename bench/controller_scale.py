"""The controller's cost by fleet size and sampling interval, with simulated agents.

    python -m bench.controller_scale [--agents 10 50 200] [--intervals 1 5] [--minutes 3] [--json FILE]

For each fleet size and sampling interval: a run of that many agents (40 % producers,
40 % consumer-verifiers, the rest query agents, plus table maintenance and a node agent)
whose agents are simulated (bench/simulated_agents.py: the real agent classes making up
their work, a few per host process), driven by the real control loop in this process
on a local Ray head and a throw-away broker. Measured after the first minute: the
controller's CPU as a share of one core and its RSS (a process per measurement: the
loop, its Ray driver and its sample store), the sample files written per agent-hour, and the time of
one control tick. The peer is the same loop with the smallest fleet: the ratio shows
how the cost grows with the fleet.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import psutil
import ray

from agents.clock import SystemClock
from bench.common import bench_stack
from bench.simulated_agents import SimulatedFleet
from controller.control import launcher
from controller.control.loop import Controller
from controller.infra.ports import free_ports
from controller.settings import SoakSettings
from workloads.model import Workload

WARM_UP_S = 60.0


def workload(agents: int, broker_config: str) -> Workload:
    producers = consumers = max(1, int(agents * 0.4))
    queries = max(1, agents - 2 - producers - consumers)
    return Workload.model_validate({
        "name": f"bench-controller-{agents}", "topic": {"partitions": max(6, consumers)},
        "producers": {"count": producers, "spec": {"rate": {"profile": "constant", "per_second": 100}}},
        "consumers": {"count": consumers, "spec": {"commit_interval_s": 5}},
        "queries": {"count": queries, "spec": {"interval_s": 10}},
        "node": {"interval_s": 5, "targets": {"kafka-broker": broker_config}}})


def measure_alone(settings: dict, workdir: Path, agents: int, interval_s: float, minutes: float) -> dict:
    """`measure` in this (fresh) process, on a Ray of its own."""
    settings = SoakSettings(**{**settings, "ray_port": free_ports(1)[0], "metrics_port": free_ports(1)[0]})
    # "local": a Ray of its own, even where a cluster file of an earlier head is left behind.
    ray.init(address="local", num_cpus=2, include_dashboard=False, logging_level="WARNING")
    try:
        return measure(settings, workdir, agents, interval_s, minutes)
    finally:
        ray.shutdown()


def measure(settings, workdir: Path, agents: int, interval_s: float, minutes: float) -> dict:
    settings = settings.model_copy(update={"sample_interval_s": interval_s,
                                           "data_dir": workdir / f"run-{agents}-{interval_s:g}"})
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = launcher.open_store(settings.effective_database_url)
    spec = launcher.create_run(store, workload(agents, str(workdir / "kafka" / "server.properties")),
                               1.0, settings, SystemClock())
    fleet = SimulatedFleet(spec)
    node = ray.get_runtime_context().get_node_id()
    controller = Controller(spec, store, fleet, SystemClock(), lambda: [node])
    stop = threading.Event()
    thread = threading.Thread(target=controller.run, args=(stop,), daemon=True)
    own = psutil.Process(os.getpid())
    thread.start()
    time.sleep(WARM_UP_S)
    cpu0, t0, ticks0 = _cpu(own), time.monotonic(), []
    rss = []
    while time.monotonic() - t0 < minutes * 60 - WARM_UP_S:
        time.sleep(min(5.0, interval_s))
        rss.append(own.memory_info().rss)
        ticks0.append(controller.tick_seconds)
    cpu = (_cpu(own) - cpu0) / (time.monotonic() - t0)
    live = sum(1 for o in controller.observed.values() if o.status.value == "healthy")
    stop.set()
    thread.join(60)
    for aid in list(fleet.handles):
        fleet.retire(aid)
    controller.flush()
    files = Path(spec.samples_dir)
    sample_bytes = sum(f.stat().st_size for f in files.rglob("*") if f.is_file())
    agent_hours = (agents + 2) * minutes / 60
    return {"agents": agents, "healthy": live, "interval_s": interval_s, "minutes": minutes,
            "cpu_share": cpu, "rss_mib_end": rss[-1] / 2**20, "rss_mib_max": max(rss) / 2**20,
            "tick_ms_median": sorted(ticks0)[len(ticks0) // 2] * 1e3, "step_errors": dict(controller.step_errors),
            "sample_kib_per_agent_hour": sample_bytes / 1024 / agent_hours}


def _cpu(proc: psutil.Process) -> float:
    t = proc.cpu_times()
    return t.user + t.system


def markdown(results: list[dict]) -> str:
    base = {r["interval_s"]: r["cpu_share"] for r in results if r["agents"] == min(x["agents"] for x in results)}
    lines = ["| agents | sampling | controller CPU, share of one core | vs smallest fleet | RSS at the end (max) MiB "
             "| tick ms (median) | sample files KiB per agent-hour |", "|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r['agents']} ({r['healthy']} healthy) | {r['interval_s']:g} s | {100 * r['cpu_share']:.1f} % "
                     f"| {r['cpu_share'] / base[r['interval_s']]:.1f}x | {r['rss_mib_end']:.0f} ({r['rss_mib_max']:.0f}) "
                     f"| {r['tick_ms_median']:.0f} | {r['sample_kib_per_agent_hour']:.0f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agents", type=int, nargs="+", default=[10, 50, 200])
    parser.add_argument("--intervals", type=float, nargs="+", default=[1.0, 5.0])
    parser.add_argument("--minutes", type=float, default=3.0, help="per measurement, the first minute not counted")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    if args.minutes * 60 <= WARM_UP_S:
        parser.error(f"--minutes must be above {WARM_UP_S / 60:g}")
    results = []
    with bench_stack() as (settings, bootstrap, workdir):
        for agents in args.agents:
            for interval in args.intervals:
                print(f"  {agents} agents at {interval:g} s sampling", flush=True)
                # A process (and Ray) per measurement: RSS is a high-water mark, and a
                # controller that had run a bigger fleet first would carry its peak.
                with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as child:
                    results.append(child.submit(measure_alone, settings.model_dump(mode="json"), workdir, agents,
                                                interval, args.minutes).result())
                print(f"    {results[-1]}", flush=True)
    print(markdown(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
