"""Records in a team's schema: generators, the derived or given Avro schema, encodings."""

from __future__ import annotations

import io
import json
import random

import fastavro
import pytest

from agents.core import field_generators as fg
from agents.core.record_schema import RecordValues, plan

NOW_US = 1_767_225_600_000_000


def avro_decode(record_plan, raw: bytes) -> dict:
    return fastavro.schemaless_reader(io.BytesIO(raw), fastavro.parse_schema(record_plan.avro_schema))


def test_each_generator_makes_what_it_says():
    rng = random.Random(1)
    seq = fg.build("sequence", {"start": 10, "step": 5})
    assert [seq.value(rng, NOW_US, {}) for _ in range(3)] == [10, 15, 20]
    choice = fg.build("choice", {"values": ["a", "b"], "weights": [1, 0]})
    assert {choice.value(rng, NOW_US, {}) for _ in range(50)} == {"a"}
    ints = [fg.build("range", {"low": 3, "high": 5, "integer": True}).value(rng, NOW_US, {}) for _ in range(200)]
    assert set(ints) == {3, 4, 5}
    price = fg.build("range", {"low": 1, "high": 2, "decimals": 2}).value(rng, NOW_US, {})
    assert 1 <= price <= 2 and round(price, 2) == price
    assert fg.build("timestamp", {"unit": "ms"}).value(rng, NOW_US, {}) == NOW_US // 1000
    lagged = [fg.build("timestamp", {"lag_ms": 5}).value(rng, NOW_US, {}) for _ in range(100)]
    assert all(NOW_US - 5000 <= t <= NOW_US for t in lagged) and len(set(lagged)) > 1
    assert fg.build("timestamp", {"unit": "iso"}).value(rng, NOW_US, {}) == "2026-01-01T00:00:00.000000+00:00"
    lots = [fg.build("lognormal", {"median": 200, "lot": 100}).value(rng, NOW_US, {}) for _ in range(100)]
    assert all(q >= 100 and q % 100 == 0 for q in lots)
    assert fg.build("constant", {"value": "x"}).value(rng, NOW_US, {}) == "x"
    assert len(fg.build("text", {"length": 12}).value(rng, NOW_US, {})) == 12


def test_a_random_walk_moves_a_little_and_walks_once_per_key():
    rng = random.Random(2)
    walk = fg.build("random_walk", {"start": 100, "volatility": 0.001, "by": "symbol", "decimals": None})
    a = [walk.value(rng, NOW_US, {"symbol": "A"}) for _ in range(100)]
    b = walk.value(rng, NOW_US, {"symbol": "B"})
    assert all(abs(y / x - 1) < 0.01 for x, y in zip(a, a[1:]))  # small steps
    assert len(set(a)) > 90 and b not in a
    with pytest.raises(ValueError, match="must come before"):
        walk.value(rng, NOW_US, {})


@pytest.mark.parametrize("kind, params, message", [
    ("nope", {}, "unknown generator 'nope'"),
    ("range", {"low": 5, "high": 1}, "exceeds high"),
    ("choice", {"values": []}, "at least one value"),
    ("choice", {"values": [1, 2], "weights": [1]}, "2 values but 1 weights"),
    ("timestamp", {"unit": "h"}, "unknown timestamp unit"),
    ("sequence", {"begin": 1}, "unexpected keyword argument 'begin'"),
    ("sequence", {"_next": 1}, "unknown parameter"),
])
def test_bad_generators_are_refused_by_name(kind, params, message):
    with pytest.raises(ValueError, match=message):
        fg.build(kind, params)


def test_the_market_ticks_preset_encodes_in_both_formats_with_the_envelope_in_named_fields():
    envelope = {"producer_id": "src", "seq": "n", "sent_us": "sent", "incarnation": "inc", "partition": "part"}
    for fmt in ("json", "avro"):
        values = RecordValues(plan(fmt, preset="market_ticks", envelope_fields=envelope), 7, "producer-0", 3)
        raws = [values.value(2, seq, NOW_US * 1000 + seq) for seq in range(200)]
        records = [json.loads(r) if fmt == "json" else avro_decode(values.plan, r) for r in raws]
        first = records[0]
        assert set(first) == {"symbol", "price", "quantity", "side", "exchange", "exchange_ts_us",
                              "src", "n", "sent", "inc", "part"}
        assert [r["n"] for r in records] == list(range(200))
        assert {r["src"] for r in records} == {"producer-0"} and {r["inc"] for r in records} == {3}
        assert {r["part"] for r in records} == {2}
        sent = first["sent"] if fmt == "json" else int(first["sent"].timestamp() * 1e6)
        assert sent == NOW_US
        assert len({r["symbol"] for r in records}) > 5  # several symbols trade
        assert len(set(raws)) == len(raws)  # no record is replayed


def test_fields_without_a_schema_get_a_derived_avro_schema():
    p = plan("avro", fields={"id": {"gen": "sequence"}, "kind": {"gen": "choice", "values": ["a", "b"]},
                             "score": {"gen": "range", "low": 0, "high": 1}, "ok": {"gen": "constant", "value": True},
                             "at": {"gen": "timestamp", "unit": "ms"}})
    types = {f["name"]: f["type"] for f in p.avro_schema["fields"]}
    assert types == {"id": "long", "kind": "string", "score": "double", "ok": "boolean",
                     "at": {"type": "long", "logicalType": "timestamp-millis"}}
    values = RecordValues(p, 1, "producer-0", 1)
    assert avro_decode(p, values.value(0, 0, NOW_US * 1000))["id"] == 0  # the check at plan time moved no state


TEAM_SCHEMA = {
    "type": "record", "name": "Trade", "namespace": "team",
    "fields": [
        {"name": "trade_id", "type": "long"},
        {"name": "venue", "type": {"type": "enum", "name": "Venue", "symbols": ["LSE", "NYSE"]}},
        {"name": "note", "type": ["null", "string"]},
        {"name": "version", "type": "int", "default": 2},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-micros"}},
        {"name": "leg", "type": {"type": "record", "name": "Leg", "fields": [
            {"name": "px", "type": "double"}, {"name": "qty", "type": "int"}]}},
        {"name": "producer", "type": "string"},
        {"name": "sequence", "type": "long"},
    ],
}


def test_a_teams_avro_schema_is_filled_by_type_default_and_override():
    p = plan("avro", fields={"trade_id": {"gen": "sequence", "start": 100}, "leg.qty": {"gen": "constant", "value": 7}},
             avro_schema=TEAM_SCHEMA, envelope_fields={"producer_id": "producer", "seq": "sequence"})
    values = RecordValues(p, 3, "producer-1", 1)
    records = [avro_decode(p, values.value(0, s, NOW_US * 1000)) for s in range(20)]
    assert [r["trade_id"] for r in records] == list(range(100, 120))
    assert {r["venue"] for r in records} == {"LSE", "NYSE"}
    assert {r["version"] for r in records} == {2}  # the schema's default
    assert all(isinstance(r["note"], str) for r in records)
    assert {r["leg"]["qty"] for r in records} == {7} and all(isinstance(r["leg"]["px"], float) for r in records)
    assert [r["sequence"] for r in records] == list(range(20)) and {r["producer"] for r in records} == {"producer-1"}


@pytest.mark.parametrize("kwargs, message", [
    ({"fmt": "xml", "preset": "market_ticks"}, "unknown record format"),
    ({}, "a record needs fields"),
    ({"preset": "bonds"}, "unknown preset"),
    ({"preset": "market_ticks", "envelope_fields": {"offset": "o"}}, "unknown part"),
    ({"preset": "market_ticks", "envelope_fields": {"seq": "x", "incarnation": "x"}}, "share one field"),
    ({"preset": "market_ticks", "envelope_fields": {"seq": "price"}}, "price carry the envelope"),
    ({"fields": {"x": {"values": [1]}}}, "field x: no `gen`"),
    ({"fields": {"x": {"gen": "choice", "values": [1, "a"]}}}, "field x: values of mixed types"),
    ({"fmt": "avro", "avro_schema": TEAM_SCHEMA, "fields": {"missing": {"gen": "sequence"}}},
     "missing are not in the Avro schema"),
    ({"fmt": "avro", "avro_schema": TEAM_SCHEMA, "fields": {"trade_id": {"gen": "text"}}},
     "does not fit the avro schema"),
    ({"fmt": "avro", "avro_schema": {"type": "record", "name": "R", "fields": [
        {"name": "tags", "type": {"type": "array", "items": "string"}}]}}, "field tags: no default generator"),
])
def test_plans_that_cannot_work_are_refused_naming_the_field(kwargs, message):
    fmt = kwargs.pop("fmt", "json")
    with pytest.raises(ValueError, match=message):
        plan(fmt, **kwargs)
