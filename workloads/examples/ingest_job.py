"""A stand-in for a team's own ingestion job: Avro market ticks from Kafka into an Iceberg
table, with its own batching, its own offsets and switches for the bugs such jobs have.
`workloads/examples/external.yaml` soaks it (see workloads/examples/README.md).

    python workloads/examples/ingest_job.py --bootstrap HOST:PORT --topic ticks \\
        --catalog-uri sqlite:///job/catalog.db --warehouse file:///abs/job/warehouse \\
        [--bug drop-on-rebalance | reappend-after-crash] [--crash-every N] \\
        [--restart-every-s S] [--leak-mb-per-hour MB]

Clean, it is exactly-once: every append carries the consumed offsets in its snapshot
summary, and a worker that (re)starts resumes from them; before it gives partitions up
(a restart, a rebalance) it appends what it holds. The bug switches break that:

- `drop-on-rebalance`: partitions given up drop the open batch, and the offsets read so
  far are committed to Kafka, where the job resumes from: rows lost.
- `reappend-after-crash`: the job resumes from Kafka's committed offsets, which it
  commits after each append; a crash between the two appends the batch again: duplicates.

`--crash-every N` kills the worker (os._exit) right after every Nth append, `--restart-
every-s` restarts it cleanly (as a deploy would); the supervisor (this script without
`worker`) starts a new worker each time, as systemd would. `--leak-mb-per-hour` keeps that
much memory per hour, for proving the leak detector on a team's process.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

OFFSETS_KEY = "ingest-job.offsets"
BUGS = ("none", "drop-on-rebalance", "reappend-after-crash")


def parse_args(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--group", default="ingest-job")
    ap.add_argument("--catalog-uri", required=True, help="a SQLAlchemy URL of the SQL catalog")
    ap.add_argument("--catalog-name", default="default")
    ap.add_argument("--warehouse", required=True, help="file:///... or s3://...")
    ap.add_argument("--catalog-property", action="append", default=[], metavar="KEY=VALUE",
                    help="more catalog/FileIO properties (e.g. s3.endpoint=http://127.0.0.1:8333)")
    ap.add_argument("--table", default="trading.ticks")
    ap.add_argument("--schema", default=str(Path(__file__).with_name("ticks.avsc")))
    ap.add_argument("--batch-records", type=int, default=5000)
    ap.add_argument("--batch-seconds", type=float, default=2.0)
    ap.add_argument("--bug", choices=BUGS, default="none")
    ap.add_argument("--crash-every", type=int, default=0, help="crash after every Nth append (0: never)")
    ap.add_argument("--restart-every-s", type=float, default=0.0, help="restart cleanly this often (0: never)")
    ap.add_argument("--leak-mb-per-hour", type=float, default=0.0)
    ap.add_argument("--events", help="append a JSON line here for each batch dropped or about to be appended "
                                     "twice, with its rows per soak run (what a soak should find)")
    return ap.parse_args(argv)


# -- the supervisor: restarts the worker, as systemd would -----------------------------------------
def supervise(argv: list[str]) -> int:
    stopping = False
    worker: subprocess.Popen | None = None

    def stop(signum, _frame):
        nonlocal stopping
        stopping = True
        if worker is not None and worker.poll() is None:
            worker.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while not stopping:
        worker = subprocess.Popen([sys.executable, __file__, "worker", *argv])
        code = worker.wait()
        if not stopping:
            print(f"ingest-job: worker exited with {code}; starting another", file=sys.stderr, flush=True)
            time.sleep(0.5 if code == 0 else 1.0)
    return 0


# -- the worker ---------------------------------------------------------------------------------
class Worker:
    def __init__(self, args: argparse.Namespace):
        import fastavro
        import pyarrow as pa
        from confluent_kafka import Consumer

        self.args = args
        self.pa = pa
        self.schema = fastavro.parse_schema(json.loads(Path(args.schema).read_text()))
        self.read = fastavro.schemaless_reader
        self.table = self._table()
        self.consumer = Consumer({"bootstrap.servers": args.bootstrap, "group.id": args.group,
                                  "enable.auto.commit": False, "auto.offset.reset": "earliest",
                                  "session.timeout.ms": 10_000})
        self.rows: list[dict] = []
        self.appended: list[dict] = []  # the last batch appended
        self.next_offsets: dict[int, int] = {}  # partition -> next offset to read (what the batch reached)
        self.appends = 0
        self.stopping = False
        self.leaked: list[bytearray] = []

    def _table(self):
        from pyiceberg.catalog import load_catalog
        from pyiceberg.exceptions import NamespaceAlreadyExistsError, NoSuchTableError, TableAlreadyExistsError

        props = dict(p.split("=", 1) for p in self.args.catalog_property)
        if self.args.catalog_uri.startswith("sqlite:///"):  # SQLite makes the file, not its folder
            Path(self.args.catalog_uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        catalog = load_catalog(self.args.catalog_name, type="sql", uri=self.args.catalog_uri,
                               warehouse=self.args.warehouse, **props)
        try:
            return catalog.load_table(self.args.table)
        except NoSuchTableError:
            try:
                catalog.create_namespace(self.args.table.rsplit(".", 1)[0])
            except NamespaceAlreadyExistsError:
                pass
            try:
                return catalog.create_table(self.args.table, schema=self._arrow_schema())
            except TableAlreadyExistsError:
                return catalog.load_table(self.args.table)

    def _arrow_schema(self):
        pa = self.pa
        ts = pa.timestamp("us", tz="UTC")
        return pa.schema([("run", pa.string()), ("source", pa.string()), ("inc", pa.int64()), ("part", pa.int32()),
                          ("seq", pa.int64()), ("sent_us", ts), ("symbol", pa.string()), ("price", pa.float64()),
                          ("quantity", pa.int64()), ("side", pa.string()), ("exchange", pa.string()),
                          ("exchange_ts_us", ts), ("ingested_at", ts)])

    # offsets: the table's (clean) or Kafka's (both bugs)
    def _table_offsets(self) -> dict[int, int]:
        self.table.refresh()
        snapshot = self.table.current_snapshot()
        raw = snapshot.summary[OFFSETS_KEY] if snapshot is not None and snapshot.summary is not None else None
        return {int(p): o for p, o in json.loads(raw).items()} if raw else {}

    def on_assign(self, consumer, partitions) -> None:
        if self.args.bug == "none":
            stored = self._table_offsets()
            for tp in partitions:
                if tp.partition in stored:
                    tp.offset = stored[tp.partition]
        consumer.assign(partitions)

    def on_revoke(self, consumer, partitions) -> None:
        if self.args.bug == "drop-on-rebalance":
            self._event("dropped")
            self.rows = []  # the bug: the open batch is dropped, its offsets committed anyway
            self._commit_kafka(consumer)
        else:
            self.flush()
        gone = {tp.partition for tp in partitions}
        self.next_offsets = {p: o for p, o in self.next_offsets.items() if p not in gone}

    def _event(self, kind: str) -> None:
        rows = self.rows if kind == "dropped" else self.appended
        if self.args.events and rows:
            runs: dict[str, int] = {}
            for row in rows:
                runs[row["run"]] = runs.get(row["run"], 0) + 1
            with open(self.args.events, "a") as out:
                out.write(json.dumps({"event": kind, "runs": runs}) + "\n")

    def _commit_kafka(self, consumer) -> None:
        """Offsets to Kafka too (for lag dashboards). The clean job resumes from its table and
        does not wait for it; the buggy ones resume from Kafka, so they wait for the commit."""
        from confluent_kafka import TopicPartition

        if self.next_offsets:
            consumer.commit(offsets=[TopicPartition(self.args.topic, p, o) for p, o in self.next_offsets.items()],
                            asynchronous=self.args.bug == "none")

    def flush(self) -> None:
        if not self.rows:
            return
        now = self.pa.scalar(time.time_ns() // 1000, self.pa.int64()).cast(self.pa.timestamp("us", tz="UTC"))
        for row in self.rows:
            row["ingested_at"] = now.as_py()
        batch = self.pa.Table.from_pylist(self.rows, schema=self._arrow_schema())
        offsets = {**self._table_offsets(), **self.next_offsets}
        self.table.append(batch, snapshot_properties={OFFSETS_KEY: json.dumps({str(p): o for p, o in offsets.items()})})
        self.appended, self.rows = self.rows, []
        self.appends += 1
        if self.args.crash_every and self.appends % self.args.crash_every == 0:
            if self.args.bug == "reappend-after-crash":
                self._event("appended_twice")  # the next worker reads this batch again from Kafka
            os._exit(3)  # a crash after the append, before Kafka hears of it
        self._commit_kafka(self.consumer)

    def run(self) -> None:
        signal.signal(signal.SIGTERM, lambda *_: setattr(self, "stopping", True))
        args = self.args
        self.consumer.subscribe([args.topic], on_assign=self.on_assign, on_revoke=self.on_revoke)
        print(f"ingest-job: reading {args.topic} into {args.table} (bug: {args.bug})", file=sys.stderr, flush=True)
        started = last_flush = last_leak = time.monotonic()
        try:
            while not self.stopping:
                for msg in self.consumer.consume(500, 0.5):
                    if msg.error():
                        continue
                    try:
                        row = self.read(io.BytesIO(msg.value()), self.schema)
                    except Exception:  # not a tick: a team's job skips what it cannot read
                        continue
                    self.rows.append(row)
                    self.next_offsets[msg.partition()] = msg.offset() + 1
                if self.stopping:
                    break  # straight to close(): what is open goes through on_revoke
                now = time.monotonic()
                if len(self.rows) >= args.batch_records or now - last_flush >= args.batch_seconds:
                    self.flush()
                    last_flush = now
                if args.leak_mb_per_hour and now - last_leak >= 1.0:
                    self.leaked.append(bytearray(b"\x01") * int(args.leak_mb_per_hour * 2**20 * (now - last_leak)
                                                                 / 3600))
                    last_leak = now
                if args.restart_every_s and now - started >= args.restart_every_s:
                    break  # a planned restart: close() gives the partitions up
        finally:
            self.consumer.close()  # on_revoke: flush (clean) or drop (the bug)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["worker"]:
        Worker(parse_args(argv[1:])).run()
        return 0
    parse_args(argv)  # usage errors before anything starts
    return supervise(argv)


if __name__ == "__main__":
    sys.exit(main())
