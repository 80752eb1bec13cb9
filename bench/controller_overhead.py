"""The controller's own cost: CPU share and RSS with 20 agents at 5 s sampling, and its
RSS growth over a long run.

    python -m bench.controller_overhead --minutes 30

Starts a throw-away broker and local Ray head, runs a soak of 20 agents (8 producers,
8 consumer-verifiers, 2 query agents, table maintenance, a node agent) through the real
launcher, then reads the controller's own samples (RSS and CPU seconds, which it records
every tick like any agent's) back from the run's sample files. The peer figure is the
fleet itself: the controller's CPU as a share of all the agents' CPU in the same run.
"""

from __future__ import annotations

import argparse
import time

from agents.clock import SystemClock
from bench.common import bench_stack
from controller.control import launcher
from controller.infra.stack import LocalStack
from controller.infra.ports import free_ports
from controller.store.samples import SampleFiles
from workloads.model import Workload

AGENTS = {"producers": 8, "consumers": 8, "queries": 2}  # + maintenance + one node agent = 20


def workload(broker_config: str) -> Workload:
    return Workload.model_validate({
        "name": "bench-controller", "topic": {"partitions": 16},
        "producers": {"count": AGENTS["producers"], "spec": {"rate": {"profile": "constant", "per_second": 100}}},
        "consumers": {"count": AGENTS["consumers"], "spec": {"commit_interval_s": 5}},
        "queries": {"count": AGENTS["queries"], "spec": {"interval_s": 30}},
        "node": {"interval_s": 5, "targets": {"kafka-broker": broker_config}}})


def series(files: SampleFiles, name: str, agent_id: str | None = None) -> list:
    return files.query(name, step_s=5, agent_id=agent_id)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    args = parser.parse_args()
    with bench_stack() as (settings, bootstrap, workdir):
        settings = settings.model_copy(update={"ray_port": free_ports(1)[0], "metrics_port": free_ports(1)[0],
                                               "sample_interval_s": 5.0})
        LocalStack(settings, report=lambda m: print(f"[infra] {m}", flush=True)).up(
            kafka=False, prometheus=False, toxiproxy=False, ray=True)
        try:
            launcher.connect_ray(settings.local_ray_address, local_head=True)
            store = launcher.open_store(settings.effective_database_url)
            spec = launcher.create_run(store, workload(str(workdir / "kafka" / "server.properties")),
                                       args.minutes / 60, settings, SystemClock())
            launcher.start_controller(spec)
            print(f"run {spec.run_id}: 20 agents for {args.minutes:g} min", flush=True)
            while not (run := store.get(spec.run_id)).state.terminal:
                time.sleep(30)
                print(f"  {run.progress.get('elapsed_s', 0) / 60:5.1f} min, controller RSS "
                      f"{run.progress.get('memory', {}).get('controller_rss_bytes', 0) / 2**20:.0f} MiB", flush=True)
            report(SampleFiles(settings.samples_dir, spec.run_id), run, store.incarnations(spec.run_id))
        finally:
            import ray

            ray.shutdown()
            LocalStack(settings).ray.stop()


def report(files: SampleFiles, run, incarnations) -> None:
    agents = {r["agent_id"] for r in incarnations}
    rss = [(p.ts_ns, p.last) for p in series(files, "rss_bytes", "controller")]
    cpu = [(p.ts_ns, p.last) for p in series(files, "cpu_seconds", "controller")]
    t0, t_end = rss[0][0], rss[-1][0]
    warm = [v for t, v in rss if t >= t0 + 300e9]  # after five minutes
    hours = (t_end - (t0 + 300e9)) / 3600e9
    span_s = (cpu[-1][0] - cpu[0][0]) / 1e9
    controller_cpu = cpu[-1][1] - cpu[0][1]
    fleet_cpu = 0.0
    for agent in agents:
        points = series(files, "cpu_seconds", agent)
        if points:
            fleet_cpu += points[-1].last - points[0].last
    print(f"\nverdict {run.verdict}: {'; '.join(run.reasons)}")
    print(f"agents: {len(agents)} ({', '.join(sorted(agents))})")
    print("| measure | value |\n|---|---|")
    print(f"| controller CPU, share of one core | {100 * controller_cpu / span_s:.1f} % |")
    print(f"| controller CPU / the 20 agents' CPU | {controller_cpu / fleet_cpu:.3f} |")
    print(f"| controller RSS after 5 min | {warm[0] / 2**20:.0f} MiB |")
    print(f"| controller RSS at the end ({(t_end - t0) / 60e9:.0f} min) | {rss[-1][1] / 2**20:.0f} MiB |")
    print(f"| controller RSS growth after warm-up | {(warm[-1] - warm[0]) / 2**20 / hours:+.1f} MiB/h "
          f"(min {min(warm) / 2**20:.0f}, max {max(warm) / 2**20:.0f} MiB) |")


if __name__ == "__main__":
    main()
