"""DuckDB over the soak table: the `events` view, timed named queries, islands per stream."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import duckdb

from agents.core.sequence_ledger import StreamKey

if TYPE_CHECKING:
    from pyiceberg.table import Table

ISLANDS_SQL = """
WITH per_seq AS (
    SELECT producer_id, incarnation, partition, seq, count(*) AS n
    FROM events WHERE run_id = $run_id GROUP BY ALL
), grouped AS (
    SELECT *, seq - row_number() OVER (PARTITION BY producer_id, incarnation, partition ORDER BY seq) AS grp
    FROM per_seq
)
SELECT producer_id, incarnation, partition, min(seq) AS lo, max(seq) + 1 AS hi, sum(n) AS rows
FROM grouped GROUP BY producer_id, incarnation, partition, grp
"""
DUPLICATED_SQL = """
SELECT producer_id, incarnation, partition, seq, count(*) AS n FROM events WHERE run_id = $run_id
GROUP BY ALL HAVING count(*) > 1 ORDER BY producer_id, incarnation, partition, seq LIMIT $limit
"""
NEWEST_SQL = "SELECT producer_id, seq, epoch_us(sent_ts) FROM events ORDER BY sent_ts DESC LIMIT 1"
_PARAM = re.compile(r"\$([a-z_][a-z0-9_]*)")


def quote_literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def data_file_count(table: Table) -> int:
    """The data files of the table's current snapshot, from its summary."""
    snapshot = table.current_snapshot()
    return int(snapshot.summary["total-data-files"] or 0) if snapshot and snapshot.summary else 0


def bind_events_view(con: duckdb.DuckDBPyConnection, table: Table, engine: str) -> int:
    """(Re)define `events` over the table's current snapshot; returns the data file count."""
    if engine == "arrow":  # pyiceberg reads every row: any warehouse its FileIO reaches
        con.register("soak_rows", table.scan().to_arrow())
        con.execute("CREATE OR REPLACE VIEW events AS SELECT * FROM soak_rows")
        return data_file_count(table)
    if engine == "extension":
        scan = f"iceberg_scan({quote_literal(table.metadata_location)})"
        con.execute(f"CREATE OR REPLACE VIEW events AS SELECT * FROM {scan}")
        return data_file_count(table)
    files = [task.file.file_path for task in table.scan().plan_files()]
    if not files:
        con.execute("CREATE OR REPLACE VIEW events AS SELECT * FROM (SELECT NULL::VARCHAR AS run_id, "
                    "NULL::VARCHAR AS producer_id, NULL::BIGINT AS incarnation, NULL::INTEGER AS partition, "
                    "NULL::BIGINT AS seq, NULL::TIMESTAMPTZ AS sent_ts) WHERE false")
        return 0
    listing = ", ".join(quote_literal(f) for f in files)
    con.execute(f"CREATE OR REPLACE VIEW events AS SELECT * FROM read_parquet([{listing}])")
    return len(files)


def run_named(con: duckdb.DuckDBPyConnection, sql: str, params: dict) -> int:
    """Run a named query, binding only the `$parameters` it mentions; returns its row count."""
    wanted = {name: params[name] for name in _PARAM.findall(sql) if name in params}
    missing = set(_PARAM.findall(sql)) - set(params)
    if missing:
        raise ValueError(f"query needs parameters {sorted(missing)}; available: {sorted(params)}")
    # Arrow, as an analytics client would take it: no Python object per value.
    return con.execute(sql, wanted).to_arrow_table().num_rows


def islands(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[StreamKey, list[tuple[int, int, int]]]:
    out: dict[StreamKey, list[tuple[int, int, int]]] = {}
    for producer_id, incarnation, partition, lo, hi, rows in con.execute(ISLANDS_SQL, {"run_id": run_id}).fetchall():
        out.setdefault((producer_id, int(incarnation), int(partition)), []).append((int(lo), int(hi), int(rows)))
    return out


def duplicated_keys(con: duckdb.DuckDBPyConnection, run_id: str, limit: int = 10) -> list[list]:
    """Sample keys held more than once: [producer|incarnation|partition, seq, rows]."""
    return [[f"{p}|{i}|{part}", int(seq), int(n)]
            for p, i, part, seq, n in con.execute(DUPLICATED_SQL, {"run_id": run_id, "limit": limit}).fetchall()]
