"""Records in a team's own schema: which generator fills each field, the Avro schema the
records follow, and their encoding (JSON, or Avro binary without framing).

The Avro schema is the team's (a `.avsc` file) or derived from the generators. A field
the workload gives no generator for is filled from its Avro default, else by its type.
The envelope (run, producer, incarnation, partition, seq, send time) always travels in the
record key and headers; `envelope_fields` also writes it into named fields of the value,
for jobs that only see the value.
"""

from __future__ import annotations

import io
import json
import random
from dataclasses import dataclass

from agents.core.field_generators import (Choice, Constant, Generator, LogNormal, Null, Range, RandomText,
                                          RandomWalk, Sequence, Timestamp, build)

FORMATS = ("json", "avro")

# What each envelope part is, as an Avro type.
ENVELOPE_TYPES = {"run_id": "string", "producer_id": "string", "incarnation": "long", "partition": "int",
                  "seq": "long", "sent_us": {"type": "long", "logicalType": "timestamp-micros"}}

MARKET_TICK_SYMBOLS = ["AAPL", "MSFT", "NVDA", "AMZN", "GOOG", "META", "TSLA", "JPM", "V", "XOM", "ASML", "SAP",
                       "NESN", "SHEL", "TM", "BABA", "TSM", "NVO", "LVMH", "BHP"]
# A realistic tick: a few symbols trade most (Zipf-like weights), each price walks on its
# own, sizes are skewed and in round lots, the exchange time trails the clock a little.
PRESETS = {
    "market_ticks": {
        "symbol": {"gen": "choice", "values": MARKET_TICK_SYMBOLS,
                   "weights": [round(1 / (k + 1), 4) for k in range(len(MARKET_TICK_SYMBOLS))]},
        "price": {"gen": "random_walk", "start": 150.0, "volatility": 0.0005, "by": "symbol", "decimals": 2},
        "quantity": {"gen": "lognormal", "median": 200, "sigma": 1.2, "lot": 100},
        "side": {"gen": "choice", "values": ["B", "S"]},
        "exchange": {"gen": "choice", "values": ["XNAS", "XNYS", "XLON", "XETR", "XTKS"]},
        "exchange_ts_us": {"gen": "timestamp", "unit": "us", "lag_ms": 5},
    },
}


@dataclass
class RecordPlan:
    """Everything needed to make and encode one producer's records."""

    format: str
    avro_schema: dict
    generators: list[tuple[str, object]]  # (field, Generator or a nested RecordPlan's generators)
    envelope_fields: dict[str, str]  # envelope part -> field name

    def make(self, rng: random.Random, now_us: int) -> dict:
        return _make(self.generators, rng, now_us)

    def encoder(self):
        """A function dict -> bytes for this plan's format."""
        if self.format == "json":
            dumps = json.JSONEncoder(separators=(",", ":")).encode
            return lambda record: dumps(record).encode()
        import fastavro  # only producers of Avro records need it
        parsed = fastavro.parse_schema(self.avro_schema)
        write = fastavro.schemaless_writer

        def encode(record: dict) -> bytes:
            out = io.BytesIO()
            write(out, parsed, record)
            return out.getvalue()
        return encode


def _make(generators, rng, now_us) -> dict:
    record: dict = {}
    for name, gen in generators:
        record[name] = _make(gen, rng, now_us) if isinstance(gen, list) else gen.value(rng, now_us, record)
    return record


def plan(fmt: str = "json", fields: dict[str, dict] | None = None, avro_schema: dict | None = None,
         preset: str | None = None, envelope_fields: dict[str, str] | None = None) -> RecordPlan:
    """A fresh plan (generators keep state: one plan per producer). Raises ValueError
    naming the field when something cannot be generated or encoded."""
    args = (fmt, fields, avro_schema, preset, envelope_fields)
    _check_encodes(_build(*args))  # a throw-away plan: making a record moves its generators
    return _build(*args)


def _build(fmt, fields, avro_schema, preset, envelope_fields) -> RecordPlan:
    if fmt not in FORMATS:
        raise ValueError(f"unknown record format {fmt!r} (allowed: {', '.join(FORMATS)})")
    envelope_fields = dict(envelope_fields or {})
    unknown = set(envelope_fields) - set(ENVELOPE_TYPES)
    if unknown:
        raise ValueError(f"envelope_fields: unknown part(s) {', '.join(sorted(unknown))} "
                         f"(allowed: {', '.join(ENVELOPE_TYPES)})")
    if len(set(envelope_fields.values())) != len(envelope_fields):
        raise ValueError("envelope_fields: two parts share one field")
    specs: dict[str, dict] = {}
    if preset is not None:
        if preset not in PRESETS:
            raise ValueError(f"unknown preset {preset!r} (allowed: {', '.join(PRESETS)})")
        specs.update(PRESETS[preset])
    specs.update(fields or {})
    enveloped = set(envelope_fields.values())
    clash = enveloped & set(specs)
    if clash:
        raise ValueError(f"field(s) {', '.join(sorted(clash))} carry the envelope and cannot also have a generator")
    if avro_schema is None:
        if not specs and not envelope_fields:
            raise ValueError("a record needs fields: give `fields`, a `preset` or a schema")
        generators = [(name, _generator(name, spec)) for name, spec in specs.items()]
        avro_schema = {"type": "record", "name": "SoakRecord", "namespace": "soak",
                       "fields": [{"name": n, "type": _avro_type(n, g)} for n, g in generators]
                       + [{"name": f, "type": ENVELOPE_TYPES[part]} for part, f in envelope_fields.items()]}
    else:
        if avro_schema.get("type") != "record":
            raise ValueError("the Avro schema must be a record")
        names = [f["name"] for f in avro_schema.get("fields", [])]
        missing = ({k.split(".", 1)[0] for k in specs} | enveloped) - set(names)
        if missing:
            raise ValueError(f"field(s) {', '.join(sorted(missing))} are not in the Avro schema "
                             f"(it has: {', '.join(names)})")
        generators = _from_schema(avro_schema, specs, enveloped, "")
    return RecordPlan(fmt, avro_schema, generators, envelope_fields)


def _generator(name: str, spec: dict) -> Generator:
    spec = dict(spec)
    kind = spec.pop("gen", None)
    if kind is None:
        raise ValueError(f"field {name}: no `gen` (the generator's name)")
    try:
        return build(kind, spec)
    except ValueError as exc:
        raise ValueError(f"field {name}: {exc}") from None


def _avro_type(name: str, gen: Generator):
    """The Avro type of a generator's values, when no schema is given."""
    if isinstance(gen, (Sequence, RandomText)):
        return "long" if isinstance(gen, Sequence) else "string"
    if isinstance(gen, Range):
        return "long" if gen.integer else "double"
    if isinstance(gen, Timestamp):
        return {"us": {"type": "long", "logicalType": "timestamp-micros"},
                "ms": {"type": "long", "logicalType": "timestamp-millis"}, "s": "long", "iso": "string"}[gen.unit]
    if isinstance(gen, RandomWalk):
        return "double"
    if isinstance(gen, LogNormal):
        return "long" if gen.lot else "double"
    if isinstance(gen, Null):
        return "null"
    values = gen.values if isinstance(gen, Choice) else [gen.value_]
    kinds = {_avro_of_value(v) for v in values}
    if len(kinds) != 1:
        raise ValueError(f"field {name}: values of mixed types ({', '.join(sorted(kinds))}); give a schema")
    return kinds.pop()


def _avro_of_value(v) -> str:
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "long"
    if isinstance(v, float):
        return "double"
    if isinstance(v, str):
        return "string"
    if v is None:
        return "null"
    raise ValueError(f"no Avro type for the value {v!r}")


def _from_schema(schema: dict, specs: dict, enveloped: set, prefix: str) -> list:
    generators = []
    for f in schema["fields"]:
        name = f["name"]
        if prefix == "" and name in enveloped:
            continue  # set for each record at send time
        if name in specs:
            generators.append((name, _generator(prefix + name, specs[name])))
        elif "default" in f:
            generators.append((name, Constant(f["default"])))
        else:
            generators.append((name, _by_type(prefix + name, f["type"], specs)))
    return generators


def _by_type(name: str, avro_type, specs: dict):
    """A generator from the field's Avro type alone."""
    if isinstance(avro_type, list):  # a union: fill its first non-null branch
        branches = [t for t in avro_type if t != "null"]
        if not branches:
            return Null()
        return _by_type(name, branches[0], specs)
    if isinstance(avro_type, dict):
        logical, base = avro_type.get("logicalType"), avro_type.get("type")
        if logical in ("timestamp-micros", "local-timestamp-micros"):
            return Timestamp("us")
        if logical in ("timestamp-millis", "local-timestamp-millis"):
            return Timestamp("ms")
        if base == "enum":
            return Choice(list(avro_type["symbols"]))
        if base == "record":
            nested = {k.split(".", 1)[1]: v for k, v in specs.items() if k.startswith(name.rsplit(".", 1)[-1] + ".")}
            return _from_schema(avro_type, nested, set(), name + ".")
        if isinstance(base, str) and logical is None and base not in ("array", "map", "fixed"):
            return _by_type(name, base, specs)
        raise ValueError(f"field {name}: no default generator for {json.dumps(avro_type)}; give it one in `fields`")
    simple = {"string": lambda: RandomText(8), "long": lambda: Range(0, 1_000_000, integer=True),
              "int": lambda: Range(0, 1_000_000, integer=True), "double": lambda: Range(0, 1000, decimals=4),
              "float": lambda: Range(0, 1000, decimals=2), "boolean": lambda: Choice([True, False]),
              "null": Null}
    if avro_type in simple:
        return simple[avro_type]()
    raise ValueError(f"field {name}: no default generator for type {avro_type!r}; give it one in `fields`")


def _check_encodes(p: RecordPlan) -> None:
    """Make and encode one record now, so a schema the values do not fit fails at load time."""
    record = p.make(random.Random(0), 1_767_225_600_000_000)
    for part, name in p.envelope_fields.items():
        record[name] = {"run_id": "r", "producer_id": "p", "incarnation": 1, "partition": 0, "seq": 0,
                        "sent_us": 1_767_225_600_000_000}[part]
    try:
        p.encoder()(record)
    except Exception as exc:  # fastavro raises ValueError/TypeError/its own; json TypeError
        raise ValueError(f"a generated record does not fit the {p.format} schema: {exc}") from None


class RecordValues:
    """One producer's values in a team's schema: a fresh record per send (made records
    are never replayed, so a job that deduplicates on content sees no false duplicates),
    stamped with the envelope fields and encoded."""

    def __init__(self, record_plan: RecordPlan, seed: int, producer_id: str, incarnation: int, run_id: str = ""):
        self.plan = record_plan
        self.rng = random.Random(seed)
        self.encode = record_plan.encoder()
        self.stamp = [(name, part) for part, name in record_plan.envelope_fields.items()]
        self.fixed = {"run_id": run_id, "producer_id": producer_id, "incarnation": incarnation}

    def value(self, partition: int, seq: int, sent_ns: int) -> bytes:
        sent_us = sent_ns // 1000
        record = self.plan.make(self.rng, sent_us)
        if self.stamp:
            parts = {**self.fixed, "partition": partition, "seq": seq, "sent_us": sent_us}
            for name, part in self.stamp:
                record[name] = parts[part]
        return self.encode(record)
