"""Workload files: the shipped ones load; each kind of mistake is refused in one line."""

import json
from pathlib import Path

import pytest

from workloads.loader import WorkloadError, builtin_names, load_workload
from workloads.model import Workload


def test_default_needs_no_file_and_shipped_workloads_load():
    default = load_workload()
    assert default.name == "default" and default.producers.count == 2
    assert "default" in builtin_names()
    for name in builtin_names():
        assert isinstance(load_workload(name), Workload)


BAD = [
    ("producers:\n  count: -1\n", "producers.count: Input should be greater than or equal to 0 (got -1)"),
    ("topic:\n  partitions: 0\n", "topic.partitions: Input should be greater than or equal to 1 (got 0)"),
    ("topic:\n  name: 'bad topic!'\n", "topic.name: String should match pattern"),
    ("producers:\n  spec:\n    rate: {profile: warp}\n", "producers.spec.rate.profile: Input should be 'max', 'constant'"),
    ("producers:\n  spec:\n    rate: {profile: steps, steps: [[5, 100]]}\n", "steps must start at t=0"),
    ("producers:\n  spec:\n    payload: {size: {low: 500, high: 100}}\n", "size low (500) must not exceed high (100)"),
    ("consumers:\n  count: 8\ntopic:\n  partitions: 3\n", "consumers.count (8) exceeds topic.partitions (3)"),
    ("report_interval_s: 0\n", "report_interval_s: Input should be greater than or equal to 1 (got 0)"),
    ("prodcers:\n  count: 2\n", "prodcers: unknown field (a typo?)"),
    ("faults:\n  mode: every\n", "fault schedule mode 'every' needs at least one entry in kinds"),
    ("faults:\n  mode: random\n  kinds: [agent_kil]\n", "unknown fault kind 'agent_kil'; known kinds: agent_kill"),
    ("faults:\n  params: {agent_pause: {duration_s: -1}}\n", "duration_s"),
    ("faults:\n  params: {network_degraded: {latency_ms: 0, jitter_ms: 0}}\n", "needs latency_ms, jitter_ms or"),
    ("faults:\n  mode: timeline\n", "mode 'timeline' needs at least one entry in timeline"),
    ("faults:\n  mode: timeline\n  timeline: [{at_s: 5, kind: cpu_pressure, params: {workers: 0}}]\n",
     "workers"),
    ("faults:\n  mode: every\n  kinds: [agent_kill]\n  every_s: 10\n  jitter_s: 10\n", "jitter_s (10) must be"),
    ("queries:\n  spec:\n    queries: [{name: 'Bad Name', sql: 'select 1'}]\n", "queries.spec.queries.0.name"),
    ("slo:\n  min_throughput_ratio: 1.5\n", "slo.min_throughput_ratio: Input should be less than or equal to 1"),
    ("table:\n  identifier: events\n", "table.identifier: String should match pattern"),
    ("producers:\n  spec:\n    payload: {mode: record}\n", "payload.record is given with mode `record`, and only then"),
    ("producers:\n  spec:\n    payload: {record: {preset: market_ticks}}\n", "payload.record is given with mode"),
    ("producers:\n  spec:\n    payload: {mode: record, record: {fields: {x: {gen: rnage}}}}\n",
     "producers.spec.payload.record: field x: unknown generator 'rnage'"),
    ("producers:\n  spec:\n    payload: {mode: record, record: {preset: market_ticks, envelope_fields: {offset: o}}}\n",
     "producers.spec.payload.record.envelope_fields.offset"),
    ("producers:\n  spec:\n    payload: {mode: record, record: {schema_file: nope.avsc}}\n",
     "schema_file: "),
    ("producers:\n  spec:\n    payload: {mode: raw}\n",
     "query window_aggregate reads tick columns (price, symbol) that the table of a `raw` payload does not have"),
    ("- just\n- a list\n", "a workload is a mapping of fields, not a list"),
    ("topic: {name: [unclosed\n", "not valid YAML at line"),
]


@pytest.mark.parametrize("text,expected", BAD, ids=[e[:40] for _, e in BAD])
def test_bad_workload_files_name_the_field_in_one_line(tmp_path, text, expected):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(WorkloadError) as info:
        load_workload(str(path))
    line = info.value.one_line()
    assert "\n" not in line
    assert line.startswith(f"{path}: ")
    assert expected in line, line
    assert "fix:" in line


def test_unknown_workload_name_lists_the_shipped_ones():
    with pytest.raises(WorkloadError, match="no workload named 'nope'") as info:
        load_workload("nope")
    assert "default" in info.value.one_line()


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(WorkloadError, match="does not exist"):
        load_workload(str(tmp_path / "missing.yaml"))


def test_a_record_schema_file_is_read_relative_to_the_workload_and_embedded(tmp_path):
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "trade.avsc").write_text(json.dumps({
        "type": "record", "name": "Trade", "fields": [{"name": "id", "type": "long"}, {"name": "src", "type": "string"},
                                                     {"name": "n", "type": "long"}]}))
    path = tmp_path / "team.yaml"
    path.write_text("queries: {count: 0}\nproducers:\n  spec:\n    payload:\n      mode: record\n      record:\n        format: avro\n"
                    "        schema_file: schemas/trade.avsc\n        fields: {id: {gen: sequence, start: 1}}\n"
                    "        envelope_fields: {producer_id: src, seq: n}\n")
    workload = load_workload(str(path))
    record = workload.producers.spec.payload.record
    assert record.avro_schema["name"] == "Trade" and workload.payload_mode == "raw"
    # The embedded schema travels with the workload: agents elsewhere need no file.
    again = Workload.model_validate(workload.model_dump(mode="json"))
    assert again.producers.spec.payload.record.build().avro_schema == record.avro_schema


def test_a_record_schema_file_that_is_not_json_is_named(tmp_path):
    (tmp_path / "bad.avsc").write_text("{not json")
    path = tmp_path / "team.yaml"
    path.write_text("producers:\n  spec:\n    payload: {mode: record, record: {schema_file: bad.avsc}}\n")
    with pytest.raises(WorkloadError, match="bad.avsc is not JSON"):
        load_workload(str(path))


def test_a_relative_sqlite_catalog_of_an_external_table_is_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    workload = load_workload(str(Path(__file__).resolve().parents[2] / "workloads" / "examples" / "external.yaml"))
    assert workload.ingestion.table.catalog.uri == f"sqlite:///{tmp_path / 'ingest-job' / 'catalog.db'}"
    assert workload.payload_mode == "raw" and workload.producers.spec.payload.record.avro_schema["name"] == "Tick"
