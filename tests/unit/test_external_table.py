"""The `events` view over a team's table: the envelope from their columns, then theirs."""

from __future__ import annotations

import duckdb
import pytest

from agents.lakehouse.external_table import ExternalTableRef, view_sql
from workloads.ingestion import IngestionSpec

COLUMNS = {"run_id": "run", "producer_id": "source", "incarnation": "inc", "partition": "part", "seq": "n",
           "sent_ts": "sent_us"}
TYPES = {"run": "string", "source": "string", "inc": "long", "part": "int", "n": "long", "sent_us": "long",
         "symbol": "string"}


def rows_through(sql_source: str, columns: dict, types: dict, run_id: str = "run-1") -> list[tuple]:
    con = duckdb.connect()
    con.execute(f"CREATE VIEW events AS {view_sql(sql_source, columns, types, run_id)}")
    return con.execute("SELECT run_id, producer_id, incarnation, partition, seq, epoch_us(sent_ts), symbol "
                       "FROM events ORDER BY seq").fetchall()


SOURCE = ("(SELECT * FROM (VALUES ('run-1', 'producer-0', 1, 2, 7, 1767225600000001, 'AAPL'), "
          "('run-0', 'producer-0', 1, 2, 8, 1767225600000002, 'MSFT')) "
          "AS v(run, source, inc, part, n, sent_us, symbol))")


def test_the_view_takes_the_envelope_from_the_mapped_columns_and_keeps_theirs():
    assert rows_through(SOURCE, COLUMNS, TYPES) == [("run-1", "producer-0", 1, 2, 7, 1767225600000001, "AAPL"),
                                                    ("run-0", "producer-0", 1, 2, 8, 1767225600000002, "MSFT")]


def test_without_a_run_column_every_row_is_this_runs_and_without_a_send_time_it_is_null():
    columns = {k: v for k, v in COLUMNS.items() if k not in ("run_id", "sent_ts")}
    rows = rows_through(SOURCE, columns, TYPES, run_id="run-9")
    assert [r[0] for r in rows] == ["run-9", "run-9"] and [r[5] for r in rows] == [None, None]


def test_a_timestamp_send_time_is_taken_as_it_is():
    source = "(SELECT 'r' AS run, 'p' AS source, 1 AS inc, 0 AS part, 5 AS n, TIMESTAMPTZ '2026-01-01 00:00:01+00' " \
             "AS sent_us, 'X' AS symbol)"
    assert rows_through(source, COLUMNS, {**TYPES, "sent_us": "timestamptz"}, "r")[0][5] == 1767225601000000


def test_the_workload_mapping_becomes_the_refs_columns():
    spec = IngestionSpec.model_validate({"mode": "external", "table": {
        "catalog": {"uri": "sqlite:///x.db", "name": "job"}, "identifier": "a.b",
        "columns": {"producer_id": "source", "incarnation": "inc", "partition": "part", "seq": "n",
                    "sent_time": "sent_us"}}})
    ref = ExternalTableRef.from_spec(spec.table)
    assert dict(ref.columns) == {"producer_id": "source", "incarnation": "inc", "partition": "part", "seq": "n",
                                 "sent_ts": "sent_us"}
    assert ref.catalog_name == "job" and ExternalTableRef.from_json(ref.to_json()) == ref


@pytest.mark.parametrize("raw, message", [
    ({"mode": "external"}, "ingestion.table is given with mode `external`, and only then"),
    ({"table": {"catalog": {"uri": "u"}, "identifier": "a.b", "columns": {
        "producer_id": "a", "incarnation": "b", "partition": "c", "seq": "d"}}}, "and only then"),
    ({"mode": "external", "table": {"catalog": {"uri": "u"}, "identifier": "a.b", "columns": {
        "producer_id": "a", "incarnation": "a", "partition": "c", "seq": "d"}}}, "mapped to one column"),
    ({"mode": "external", "table": {"catalog": {"uri": "u"}, "identifier": "nodots", "columns": {
        "producer_id": "a", "incarnation": "b", "partition": "c", "seq": "d"}}}, "should match pattern"),
])
def test_bad_ingestion_settings_are_refused(raw, message):
    with pytest.raises(ValueError, match=message):
        IngestionSpec.model_validate(raw)
