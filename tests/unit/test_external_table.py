"""The `events` view over a team's table: the envelope from their columns, then theirs."""

from __future__ import annotations

import duckdb
import pytest

from agents.lakehouse.external_table import ExternalTableRef, bind_external_view, keys_to_envelopes, view_sql
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
    ({"mode": "external", "table": {"catalog": {"uri": "u"}, "identifier": "a.b", "columns": {
        "partition": "c", "seq": "d"}}}, "needs producer_id, incarnation and seq, or envelope"),
    ({"mode": "external", "table": {"catalog": {"uri": "u"}, "identifier": "a.b", "columns": {
        "partition": "c", "envelope": "k", "seq": "d"}}}, "give only partition besides"),
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


def test_keys_of_this_run_are_decoded_and_others_left_out():
    from agents.core.envelope import EnvelopeWriter, run_tag

    mine, other = EnvelopeWriter("run-1", "producer-0", 7), EnvelopeWriter("run-0", "producer-0", 7)
    keys = [mine.key(5, 1_767_225_600_000_001_000, 99), other.key(6, 0, 0), None, b"not ours",
            mine.key(6, 1_767_225_600_000_002_000, 98)]
    kept, env = keys_to_envelopes(keys, run_tag("run-1"))
    assert kept == [0, 4]
    assert env == {"producer_id": ["producer-0", "producer-0"], "incarnation": [7, 7], "seq": [5, 6],
                   "sent_us": [1_767_225_600_000_001, 1_767_225_600_000_002]}


def test_a_table_that_keeps_the_record_key_is_checked_from_it(tmp_path):
    """A real (local) Iceberg table whose job copied our Kafka keys into a binary column."""
    import pyarrow as pa
    from pyiceberg.catalog import load_catalog

    from agents.core.ack_ledger import AckLedger
    from agents.core.envelope import EnvelopeWriter
    from agents.lakehouse.final_check import check_external

    uri = f"sqlite:///{tmp_path / 'catalog.db'}"
    catalog = load_catalog("job", type="sql", uri=uri, warehouse=(tmp_path / "wh").as_uri())
    catalog.create_namespace("team")
    table = catalog.create_table("team.trades", schema=pa.schema([("kafka_key", pa.binary()), ("part", pa.int32()),
                                                                   ("symbol", pa.string())]))
    writer, earlier = EnvelopeWriter("run-1", "producer-0", 1), EnvelopeWriter("run-0", "producer-0", 1)
    seqs = [0, 1, 2, 2, 4]  # seq 3 lost, seq 2 twice
    table.append(pa.table({"kafka_key": [writer.key(s, 1_767_225_600_000_000_000 + s, 0) for s in seqs]
                           + [earlier.key(0, 0, 0)], "part": pa.array([0] * 6, pa.int32()),
                           "symbol": ["A"] * 6}))
    acks = AckLedger("producer-0", 1)
    for s in range(5):
        acks.ack(0, s)
    spec = IngestionSpec.model_validate({"mode": "external", "table": {
        "catalog": {"uri": uri, "name": "job"}, "identifier": "team.trades",
        "columns": {"envelope": "kafka_key", "partition": "part"}}})
    check = check_external(ExternalTableRef.from_spec(spec.table), "run-1", [acks.to_json()])
    assert (check["missing"], check["duplicates"], check["table_rows"], check["acked"]) == (1, 1, 5, 5), check
    assert check["examples"]["missing"] == [["producer-0|1|0", 3, 4]]
    assert check["examples"]["duplicated_keys"] == [["producer-0|1|0", 2, 2]]


def test_a_table_whose_schema_evolved_is_read_whole(tmp_path):
    """A sink that adds a column keeps its older files without it: every file is read, by name,
    whichever the plan lists first."""
    import pyarrow as pa
    from pyiceberg.catalog import load_catalog
    from pyiceberg.types import StringType

    from agents.core.ack_ledger import AckLedger
    from agents.lakehouse.final_check import check_external

    uri = f"sqlite:///{tmp_path / 'catalog.db'}"
    catalog = load_catalog("job", type="sql", uri=uri, warehouse=(tmp_path / "wh").as_uri())
    catalog.create_namespace("team")
    table = catalog.create_table("team.trades", schema=pa.schema([("source", pa.string()), ("inc", pa.int64()),
                                                                   ("part", pa.int32()), ("n", pa.int64())]))

    def rows(seqs, **extra):
        return pa.table({"source": ["producer-0"] * len(seqs), "inc": pa.array([1] * len(seqs), pa.int64()),
                         "part": pa.array([0] * len(seqs), pa.int32()), "n": pa.array(seqs, pa.int64()), **extra})

    table.append(rows([0, 1, 2]))
    with table.update_schema() as update:
        update.add_column("venue", StringType())
    table = catalog.load_table("team.trades")
    table.append(rows([3, 4], venue=pa.array(["X", "Y"], pa.string())))
    acks = AckLedger("producer-0", 1)
    for s in range(5):
        acks.ack(0, s)
    spec = IngestionSpec.model_validate({"mode": "external", "table": {
        "catalog": {"uri": uri, "name": "job"}, "identifier": "team.trades",
        "columns": {"producer_id": "source", "incarnation": "inc", "partition": "part", "seq": "n"}}})
    ref = ExternalTableRef.from_spec(spec.table)
    check = check_external(ref, "run-1", [acks.to_json()])
    assert (check["missing"], check["duplicates"], check["table_rows"]) == (0, 0, 5), check
    con = duckdb.connect()  # as a query agent reads it: every column, whichever file comes first
    assert bind_external_view(con, ref, ref.load(), "run-1", engine="plan") == 2
    assert con.execute("SELECT count(*), count(venue), max(seq) FROM events").fetchone() == (5, 2, 4)
    with table.update_schema() as update:  # a column no file has yet
        update.add_column("note", StringType())
    bind_external_view(con, ref, ref.load(), "run-1", engine="plan")
    assert con.execute("SELECT count(*), count(note) FROM events").fetchone() == (5, 0)
