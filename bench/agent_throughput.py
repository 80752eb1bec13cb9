"""Throughput of one producer agent and one consumer-verifier, against Kafka's own tools.

    python -m bench.agent_throughput [--records 300000] [--sizes 100 1024]

Same broker, same machine, same run: for each record size, Kafka's ProducerPerformance
(acks=all, idempotence on, no throttle) and the producer agent (open loop at `max`)
alternate A/B/A/B; then ConsumerPerformance and the verifier read the same topic back,
the verifier first without Iceberg (verification only), then with Iceberg ingestion at a
1 s commit interval. Prints a Markdown table of records/s and ratios to the peer.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import uuid
from pathlib import Path

from agents.consumer import ConsumerVerifierAgent
from agents.lakehouse.catalog import TableRef
from agents.producer import ProducerAgent
from bench.common import CpuMeter, bench_stack, kafka_tool
from confluent_kafka.admin import AdminClient, NewTopic
from workloads.specs import ConsumerSpec, PayloadSpec, ProducerSpec, RateSpec, SizeSpec

PARTITIONS = 3


def new_topic(bootstrap: str) -> str:
    name = f"bench-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(name, num_partitions=PARTITIONS, replication_factor=1)])[name].result(30)
    return name


def peer_produce(settings, bootstrap: str, topic: str, records: int, size: int) -> float:
    out = kafka_tool(settings, "org.apache.kafka.tools.ProducerPerformance", [
        "--topic", topic, "--num-records", str(records), "--record-size", str(size), "--throughput", "-1",
        "--producer-props", f"bootstrap.servers={bootstrap}", "acks=all", "enable.idempotence=true",
        "linger.ms=5"])
    last = [line for line in out.splitlines() if "records sent" in line][-1]
    return float(re.search(r"([\d.]+) records/sec", last).group(1))


def agent_produce(bootstrap: str, topic: str, records: int, size: int) -> tuple[float, float]:
    spec = ProducerSpec(rate=RateSpec(profile="max"), max_records=records,
                        payload=PayloadSpec(mode="raw", size=SizeSpec(distribution="constant", mean=size)))
    agent = ProducerAgent("p-bench", "run-bench", topic, bootstrap, spec)
    with CpuMeter() as m:
        agent.start()
        agent.wait()
    acked = agent.stats()["acked"]
    assert acked == records, f"only {acked} of {records} acknowledged"
    return records / m.seconds, m.cpu_seconds / records * 1e6


def peer_consume(settings, bootstrap: str, topic: str, records: int) -> float:
    out = kafka_tool(settings, "org.apache.kafka.tools.ConsumerPerformance", [
        "--bootstrap-server", bootstrap, "--topic", topic, "--messages", str(records), "--timeout", "60000"])
    header, values = [line for line in out.splitlines() if line.strip()][-2:]
    row = dict(zip([h.strip() for h in header.split(",")], [v.strip() for v in values.split(",")]))
    # nMsg.sec counts the join/rebalance wait too; fetch.nMsg.sec is the reading itself.
    return float(row["fetch.nMsg.sec"])


def agent_consume(bootstrap: str, topic: str, records: int, table: TableRef | None) -> float:
    spec = ConsumerSpec(commit_interval_s=1.0, write_table=table is not None)
    agent = ConsumerVerifierAgent("c-bench", "run-bench", topic, bootstrap, f"g-{uuid.uuid4().hex[:6]}", table, spec)
    agent.start()
    import time

    # Like fetch.nMsg.sec: timed from the first record read to the last one committed.
    while agent.stats()["consumed"] == 0:
        time.sleep(0.01)
    t0 = time.monotonic()
    key = "committed_records" if table is not None else "consumed"
    while agent.stats()[key] < records:
        time.sleep(0.01)
    elapsed = time.monotonic() - t0
    stats = agent.stop()
    assert stats["verdicts"]["in_order"] >= records
    return records / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=300_000)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1024])
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    results = []
    with bench_stack() as (settings, bootstrap, workdir):
        for size in args.sizes:
            peer_rates, agent_rates, cpu_us = [], [], []
            agent_topic = None
            for _ in range(2):  # A/B/A/B
                peer_rates.append(peer_produce(settings, bootstrap, new_topic(bootstrap), args.records, size))
                agent_topic = new_topic(bootstrap)
                rate, cpu = agent_produce(bootstrap, agent_topic, args.records, size)
                agent_rates.append(rate)
                cpu_us.append(cpu)
            peer_read = peer_consume(settings, bootstrap, agent_topic, args.records)
            verify_only = agent_consume(bootstrap, agent_topic, args.records, None)
            table = TableRef(f"sqlite:///{workdir / f'cat-{size}.db'}", (workdir / f"wh-{size}").as_uri(),
                             payload_mode="raw")
            ingest = agent_consume(bootstrap, agent_topic, args.records, table)
            results.append({
                "record_bytes": size, "records": args.records,
                "producer_perf_rps": statistics.median(peer_rates), "producer_agent_rps": statistics.median(agent_rates),
                "producer_agent_cpu_us_per_record": statistics.median(cpu_us),
                "consumer_perf_rps": peer_read, "verifier_rps": verify_only, "verifier_iceberg_1s_rps": ingest,
            })
    print("| record bytes | ProducerPerformance rec/s | producer agent rec/s | ratio | agent CPU us/record "
          "| ConsumerPerformance rec/s | verifier rec/s | ratio | verifier + Iceberg (1 s commits) rec/s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['record_bytes']} | {r['producer_perf_rps']:,.0f} | {r['producer_agent_rps']:,.0f} "
              f"| {r['producer_agent_rps'] / r['producer_perf_rps']:.2f} | {r['producer_agent_cpu_us_per_record']:.1f} "
              f"| {r['consumer_perf_rps']:,.0f} | {r['verifier_rps']:,.0f} | {r['verifier_rps'] / r['consumer_perf_rps']:.2f} "
              f"| {r['verifier_iceberg_1s_rps']:,.0f} |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
