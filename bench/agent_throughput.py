"""Throughput of one producer agent and one consumer-verifier, against Kafka's own tools.

    python -m bench.agent_throughput [--records 1000000] [--sizes 100 1024] [--json FILE]

Same broker, same machine, same run: for each record size, Kafka's ProducerPerformance
(acks=all, idempotence on, no throttle), the producer agent (open loop at `max`) and the
agent without envelope headers (the envelope in the key only) alternate A/B/C/A/B/C; then ConsumerPerformance and the verifier read the same topic back,
the verifier without Iceberg (verification only), then with Iceberg ingestion at 1 s and
10 s commit intervals. Prints a Markdown table: records/s, payload MiB/s, p99 ack
latency, CPU seconds per million records (of the whole process, client threads and JVM
included) and the ratios to the peers. A million records each by default: the peers'
JVMs warm up within the first few hundred thousand.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
import uuid
from pathlib import Path

from agents.consumer import ConsumerVerifierAgent
from agents.core.histogram import LatencyHistogram
from agents.lakehouse.catalog import TableRef
from agents.producer import ProducerAgent
from bench.common import CpuMeter, bench_stack, kafka_tool
from confluent_kafka.admin import AdminClient, NewTopic
from workloads.specs import ConsumerSpec, PayloadSpec, ProducerSpec, RateSpec, SizeSpec

PARTITIONS = 3
COMMIT_INTERVALS_S = (1.0, 10.0)


def new_topic(bootstrap: str) -> str:
    name = f"bench-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(name, num_partitions=PARTITIONS, replication_factor=1)])[name].result(30)
    return name


def _measure(records: int, size: int, seconds: float, cpu_seconds: float, **extra) -> dict:
    rps = records / seconds
    return {"rps": rps, "mib_s": rps * size / 2**20, "cpu_s_per_m": cpu_seconds / records * 1e6, **extra}


def peer_produce(settings, bootstrap: str, topic: str, records: int, size: int) -> dict:
    with CpuMeter() as m:  # the JVM is a waited child: its CPU counts, start-up included
        out = kafka_tool(settings, "org.apache.kafka.tools.ProducerPerformance", [
            "--topic", topic, "--num-records", str(records), "--record-size", str(size), "--throughput", "-1",
            "--producer-props", f"bootstrap.servers={bootstrap}", "acks=all", "enable.idempotence=true",
            "linger.ms=5"])
    last = [line for line in out.splitlines() if "records sent" in line][-1]
    rps = float(re.search(r"([\d.]+) records/sec", last).group(1))
    p99 = float(re.search(r"([\d.]+) ms 99th", last).group(1))
    return _measure(records, size, records / rps, m.cpu_seconds, p99_ack_ms=p99)


def agent_produce(bootstrap: str, topic: str, records: int, size: int, envelope_headers: bool = True) -> dict:
    spec = ProducerSpec(rate=RateSpec(profile="max"), max_records=records, envelope_headers=envelope_headers,
                        payload=PayloadSpec(mode="raw", size=SizeSpec(distribution="constant", mean=size)))
    agent = ProducerAgent("p-bench", "run-bench", topic, bootstrap, spec)
    with CpuMeter() as m:
        agent.start()
        agent.wait()
    stats = agent.stats()
    assert stats["acked"] == records, f"only {stats['acked']} of {records} acknowledged"
    p99 = LatencyHistogram.from_json(stats["ack_latency"]).percentile(99) / 1000
    return _measure(records, size, m.seconds, m.cpu_seconds, p99_ack_ms=p99)


def peer_consume(settings, bootstrap: str, topic: str, records: int, size: int) -> dict:
    with CpuMeter() as m:
        out = kafka_tool(settings, "org.apache.kafka.tools.ConsumerPerformance", [
            "--bootstrap-server", bootstrap, "--topic", topic, "--messages", str(records), "--timeout", "60000"])
    header, values = [line for line in out.splitlines() if line.strip()][-2:]
    row = dict(zip([h.strip() for h in header.split(",")], [v.strip() for v in values.split(",")]))
    # nMsg.sec counts the join/rebalance wait too; fetch.nMsg.sec is the reading itself.
    rps = float(row["fetch.nMsg.sec"])
    return _measure(records, size, records / rps, m.cpu_seconds)


def agent_consume(bootstrap: str, topic: str, records: int, size: int, table: TableRef | None,
                  commit_interval_s: float = 1.0, kafka: dict | None = None) -> dict:
    spec = ConsumerSpec(commit_interval_s=commit_interval_s, write_table=table is not None, kafka=kafka or {})
    agent = ConsumerVerifierAgent("c-bench", "run-bench", topic, bootstrap, f"g-{uuid.uuid4().hex[:6]}", table, spec)
    key = "committed_records" if table is not None else "consumed"
    with CpuMeter() as cpu:  # its whole life, as the peer's CPU is the JVM's
        agent.start()
        # Like fetch.nMsg.sec: timed from the first record read to the last one committed.
        while agent.stats()["consumed"] == 0:
            time.sleep(0.01)
        started = time.monotonic()
        while agent.stats()[key] < records:
            time.sleep(0.01)
        seconds = time.monotonic() - started
        stats = agent.stop()
    assert stats["verdicts"]["in_order"] >= records, stats["verdicts"]
    return _measure(records, size, seconds, cpu.cpu_seconds)


def run(records: int, sizes: list[int], rounds: int = 2) -> list[dict]:
    results = []
    with bench_stack() as (settings, bootstrap, workdir):
        for size in sizes:
            peers, agents, key_only = [], [], []
            topic = None
            for _ in range(rounds):  # A/B/C/A/B/C
                peers.append(peer_produce(settings, bootstrap, new_topic(bootstrap), records, size))
                topic = new_topic(bootstrap)
                agents.append(agent_produce(bootstrap, topic, records, size))
                key_only.append(agent_produce(bootstrap, new_topic(bootstrap), records, size, envelope_headers=False))
            reads, verifies = [], []
            for _ in range(rounds):  # the same topic, read A/B/A/B
                reads.append(peer_consume(settings, bootstrap, topic, records, size))
                verifies.append(agent_consume(bootstrap, topic, records, size, None))
            ingest = {}
            for interval in COMMIT_INTERVALS_S:
                table = TableRef(f"sqlite:///{workdir / f'cat-{size}-{interval:g}.db'}",
                                 (workdir / f"wh-{size}-{interval:g}").as_uri(), payload_mode="raw")
                ingest[f"{interval:g}"] = agent_consume(bootstrap, topic, records, size, table, interval)
            results.append({"record_bytes": size, "records": records,
                            "producer_perf": _median(peers), "producer_agent": _median(agents),
                            "producer_agent_key_only": _median(key_only),
                            "consumer_perf": _median(reads), "verifier": _median(verifies),
                            "verifier_iceberg": ingest})
    return results


def _median(measures: list[dict]) -> dict:
    return {k: statistics.median(m[k] for m in measures) for k in measures[0]}


def markdown(results: list[dict]) -> str:
    lines = ["| record bytes | ProducerPerformance rec/s | producer agent rec/s | ratio | MiB/s (peer / agent) "
             "| p99 ack ms (peer / agent) | CPU s per M records (peer / agent) | agent, key only (no headers) rec/s "
             "| ratio |", "|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        peer, agent, bare = r["producer_perf"], r["producer_agent"], r["producer_agent_key_only"]
        lines.append(f"| {r['record_bytes']} | {peer['rps']:,.0f} | {agent['rps']:,.0f} | {agent['rps'] / peer['rps']:.2f} "
                     f"| {peer['mib_s']:.1f} / {agent['mib_s']:.1f} | {peer['p99_ack_ms']:,.0f} / {agent['p99_ack_ms']:,.0f} "
                     f"| {peer['cpu_s_per_m']:.1f} / {agent['cpu_s_per_m']:.1f} | {bare['rps']:,.0f} "
                     f"| {bare['rps'] / peer['rps']:.2f} |")
    lines += ["", "| record bytes | ConsumerPerformance rec/s | verifier rec/s | ratio | CPU s per M records "
              "(peer / verifier) | verifier + Iceberg, 1 s commits, rec/s | 10 s commits, rec/s |",
              "|---|---|---|---|---|---|---|"]
    for r in results:
        peer, agent, ice = r["consumer_perf"], r["verifier"], r["verifier_iceberg"]
        lines.append(f"| {r['record_bytes']} | {peer['rps']:,.0f} | {agent['rps']:,.0f} | {agent['rps'] / peer['rps']:.2f} "
                     f"| {peer['cpu_s_per_m']:.1f} / {agent['cpu_s_per_m']:.1f} | {ice['1']['rps']:,.0f} "
                     f"| {ice['10']['rps']:,.0f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1024])
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    results = run(args.records, args.sizes)
    print(markdown(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
