"""Where a consumer-verifier's time goes: a bare librdkafka consumer with the verifier's
settings, the same reading what the verifier reads of each record (key, value, partition,
offset), then also its headers (where the envelope was read from before it was in the
key), then the verifier itself; with the verifier's 10 ms fetch pause and with
librdkafka's default 1 s.

    python -m bench.verifier_cost [--records 1000000] [--json FILE]

Same broker, same topic (100-byte records written by the producer agent), same run; the
peer is Kafka's ConsumerPerformance on that topic, run first and last (the faster counts).
Records/s from the first record read to the last, CPU seconds per million records of this
process (librdkafka's threads included) over the same span.
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from pathlib import Path

import psutil
from confluent_kafka import Consumer

from agents.kafka.clients import consumer_config
from bench.agent_throughput import agent_consume, agent_produce, new_topic, peer_consume
from bench.common import bench_stack

BATCH = 5_000
STEPS = ("consume only", "+ key(), value(), partition(), offset()", "+ headers() too")
PAUSES_MS = (None, 1000)  # None: the verifier's own settings (a 10 ms pause)


def bare(bootstrap: str, topic: str, records: int, step: int, kafka: dict) -> dict:
    conf = consumer_config(bootstrap, f"g-{uuid.uuid4().hex[:6]}", None, 10_000, kafka)
    consumer = Consumer(conf)
    consumer.subscribe([topic])
    proc, n, started, cpu0 = psutil.Process(), 0, None, 0.0
    while n < records:
        msgs = consumer.consume(num_messages=BATCH, timeout=0.5)
        if not msgs:
            continue
        if started is None:
            started, cpu0 = time.monotonic(), sum(proc.cpu_times()[:2])
        if step >= 1:
            [(m.key(), m.value(), m.partition(), m.offset()) for m in msgs]
        if step >= 2:
            [m.headers() for m in msgs]
        n += len(msgs)
    seconds, cpu = time.monotonic() - started, sum(proc.cpu_times()[:2]) - cpu0
    consumer.close()
    return {"rps": records / seconds, "cpu_us_per_record": cpu / records * 1e6}


def run(records: int) -> dict:
    with bench_stack() as (settings, bootstrap, _):
        topic = new_topic(bootstrap)
        agent_produce(bootstrap, topic, records, 100)
        peers = [peer_consume(settings, bootstrap, topic, records, 100)["rps"]]
        rows = []
        for pause in PAUSES_MS:
            kafka = {} if pause is None else {"fetch.queue.backoff.ms": pause}
            for step, name in enumerate(STEPS):
                rows.append({"pause_ms": pause, "what": name, **bare(bootstrap, topic, records, step, kafka)})
            verifier = agent_consume(bootstrap, topic, records, 100, None, kafka=kafka)
            rows.append({"pause_ms": pause, "what": "verifier (no Iceberg)", "rps": verifier["rps"],
                         "cpu_us_per_record": verifier["cpu_s_per_m"]})
        peers.append(peer_consume(settings, bootstrap, topic, records, 100)["rps"])
    # The faster of the peer's two runs (first and last): its JVM warms up within each.
    return {"records": records, "consumer_perf_rps": max(peers), "consumer_perf_runs": peers, "rows": rows}


def markdown(result: dict) -> str:
    peer = result["consumer_perf_rps"]
    runs = " and ".join(f"{r:,.0f}" for r in result["consumer_perf_runs"])
    lines = [f"ConsumerPerformance: {peer:,.0f} rec/s, the faster of its runs before and after ({runs}; "
             f"{result['records']:,} records of 100 bytes)", "",
             "| fetch pause | reading | rec/s | vs ConsumerPerformance | CPU us per record |", "|---|---|---|---|---|"]
    for r in result["rows"]:
        pause = "10 ms (the verifier's)" if r["pause_ms"] is None else f"{r['pause_ms']} ms (librdkafka's default)"
        lines.append(f"| {pause} | {r['what']} | {r['rps']:,.0f} | {r['rps'] / peer:.2f} | {r['cpu_us_per_record']:.1f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    result = run(args.records)
    print(markdown(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
