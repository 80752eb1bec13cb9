"""A team's own Iceberg table, read (never written) through a column mapping.

The `events` view over it has the soak table's envelope columns (run_id, producer_id,
incarnation, partition, seq, sent_ts) taken from the team's columns (or decoded from the
record key, when their job keeps it in a column), then the team's other columns as they
are, so the final check, the freshness probe and a workload's own queries read it as they
read the soak table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from agents.core.record_key import KeyVerdict, read_key, run_tag
from agents.lakehouse.queries import data_file_count, quote_literal

if TYPE_CHECKING:
    import duckdb
    from pyiceberg.catalog import Catalog
    from pyiceberg.table import Table

ENVELOPE = ("run_id", "producer_id", "incarnation", "partition", "seq", "sent_ts")
_CASTS = {"producer_id": "VARCHAR", "incarnation": "BIGINT", "partition": "INTEGER", "seq": "BIGINT"}
_TIMESTAMP_TYPES = ("timestamp", "timestamptz", "timestamp_ns", "timestamptz_ns")


class ExternalTableError(Exception):
    """The team's table cannot be read as configured (message says what and where)."""


@dataclass(frozen=True)
class ExternalTableRef:
    """Where the team's table is and how to read the envelope from it: picklable, so it
    travels to Ray actors and to the controller's table child."""

    catalog_type: str
    catalog_uri: str
    identifier: str
    columns: tuple[tuple[str, str], ...]  # envelope part -> their column (parts mapped only)
    warehouse: str | None = None
    properties: tuple[tuple[str, str], ...] = ()
    catalog_name: str = "default"

    @classmethod
    def from_spec(cls, spec) -> "ExternalTableRef":
        """From a workloads.ingestion.ExternalTableSpec."""
        columns = tuple(("sent_ts" if part == "sent_time" else part, col)  # the view's name for it
                        for part, col in spec.columns.model_dump().items() if col is not None)
        return cls(spec.catalog.type, spec.catalog.uri, spec.identifier, columns, spec.catalog.warehouse,
                   tuple(sorted(spec.catalog.properties.items())), spec.catalog.name)

    def to_json(self) -> dict:
        return {"catalog_type": self.catalog_type, "catalog_uri": self.catalog_uri, "identifier": self.identifier,
                "columns": [list(c) for c in self.columns], "warehouse": self.warehouse,
                "properties": [list(p) for p in self.properties], "catalog_name": self.catalog_name}

    @classmethod
    def from_json(cls, raw: dict) -> "ExternalTableRef":
        return cls(**{**raw, "columns": tuple(tuple(c) for c in raw["columns"]),
                      "properties": tuple(tuple(p) for p in raw["properties"])})

    def catalog(self) -> Catalog:
        from pyiceberg.catalog import load_catalog

        props = {"type": self.catalog_type, "uri": self.catalog_uri, **dict(self.properties)}
        if self.warehouse:
            props["warehouse"] = self.warehouse
        return load_catalog(self.catalog_name, **props)

    def load(self) -> Table:
        from pyiceberg.exceptions import NoSuchNamespaceError, NoSuchTableError

        try:
            table = self.catalog().load_table(self.identifier)
        except (NoSuchTableError, NoSuchNamespaceError) as exc:
            raise ExternalTableError(f"the external table {self.identifier} is not in the {self.catalog_type} "
                                     f"catalog {self.catalog_name!r} at {self.catalog_uri}") from exc
        missing = [col for _, col in self.columns if col not in column_types(table)]
        if missing:
            raise ExternalTableError(f"the external table {self.identifier} has no column(s) {', '.join(missing)} "
                                     f"(it has: {', '.join(column_types(table))})")
        return table


def column_types(table: Table) -> dict[str, str]:
    """Top-level column -> Iceberg type name (e.g. long, timestamptz, string)."""
    return {f.name: str(f.field_type) for f in table.schema().fields}


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def view_sql(source: str, columns: dict[str, str], types: dict[str, str], run_id: str) -> str:
    """The `events` view over `source` (a FROM item): the envelope from the mapped columns,
    then every other column of theirs. Pure."""
    exprs = []
    for part in ENVELOPE:
        col = columns.get(part)
        if part == "run_id":
            exprs.append(f"CAST(t.{_quote_ident(col)} AS VARCHAR) AS run_id" if col
                         else f"{quote_literal(run_id)} AS run_id")
        elif part == "sent_ts":
            if col is None:
                exprs.append("CAST(NULL AS TIMESTAMPTZ) AS sent_ts")
            elif types.get(col) in _TIMESTAMP_TYPES:
                exprs.append(f"CAST(t.{_quote_ident(col)} AS TIMESTAMPTZ) AS sent_ts")
            else:  # microseconds since the epoch, as our envelope carries it
                exprs.append(f"to_timestamp(0) + to_microseconds(CAST(t.{_quote_ident(col)} AS BIGINT)) AS sent_ts")
        else:
            exprs.append(f"CAST(t.{_quote_ident(col)} AS {_CASTS[part]}) AS {part}")
    rest = [c for c in types if c not in ENVELOPE]
    exprs += [f"t.{_quote_ident(c)}" for c in rest]
    return f"SELECT {', '.join(exprs)} FROM {source} AS t"


def _planned_files(con: duckdb.DuckDBPyConnection, files: list[str], types: dict[str, str]) -> str:
    """A FROM item over a table's Parquet files with every column of its schema. Files written
    before a column was added lack it: they are read by column name, and a column no file has
    yet is NULL. (Columns are matched by name: a renamed column needs the `extension` engine.)"""
    if not files:  # no rows yet: an empty relation of their columns
        return "(SELECT " + ", ".join(f"NULL AS {_quote_ident(c)}" for c in types) + " WHERE false)"
    scan = f"read_parquet([{', '.join(quote_literal(f) for f in files)}], union_by_name = true)"
    present = {row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()}
    absent = [f"NULL AS {_quote_ident(c)}" for c in types if c not in present]
    return f"(SELECT *, {', '.join(absent)} FROM {scan})" if absent else scan


def keys_to_envelopes(keys: list, tag: bytes) -> tuple[list[int], dict[str, list]]:
    """Pure: the rows whose key is an intact one of this run's (agents/core/record_key.py), and
    their producer_id, incarnation, seq and sent_us columns. Keys of other runs, foreign keys,
    nulls and damaged keys are left out: a damaged key's row is not the record it claims to be."""
    kept: list[int] = []
    out: dict[str, list] = {"producer_id": [], "incarnation": [], "seq": [], "sent_us": []}
    for i, key in enumerate(keys):
        verdict, fields, _repaired = read_key(key, tag)
        if verdict is not KeyVerdict.OURS:
            continue
        kept.append(i)
        out["producer_id"].append(fields.producer_id)
        out["incarnation"].append(fields.incarnation)
        out["seq"].append(fields.seq)
        out["sent_us"].append(fields.sent_ns // 1000)
    return kept, out


def _decoded_rows(ref: ExternalTableRef, table: Table, run_id: str, only_mapped: bool):
    """The team's rows with the envelope decoded from the key column (this run's only),
    as an Arrow table whose envelope columns have our names, and its column types."""
    import pyarrow as pa

    columns = dict(ref.columns)
    key_col, part_col = columns["envelope"], columns["partition"]
    types = column_types(table)
    wanted = (key_col, part_col) if only_mapped else tuple(types)
    rows = table.scan(selected_fields=wanted).to_arrow()
    kept, env = keys_to_envelopes(rows.column(key_col).to_pylist(), run_tag(run_id))
    rows = rows.take(pa.array(kept, pa.int64()))
    decoded = pa.table({"producer_id": pa.array(env["producer_id"], pa.string()),
                        "incarnation": pa.array(env["incarnation"], pa.int64()),
                        "seq": pa.array(env["seq"], pa.int64()), "sent_us": pa.array(env["sent_us"], pa.int64())})
    for name in rows.column_names:
        if name not in decoded.column_names and name != key_col:
            decoded = decoded.append_column(name, rows.column(name))
    decoded_types = {**{c: types[c] for c in decoded.column_names if c in types},
                     "producer_id": "string", "incarnation": "long", "seq": "long", "sent_us": "long"}
    return decoded, decoded_types


def bind_external_view(con: duckdb.DuckDBPyConnection, ref: ExternalTableRef, table: Table, run_id: str,
                       engine: str = "arrow", only_mapped: bool = False) -> int:
    """(Re)define `events` over the team's table's current snapshot; returns its data file
    count. `arrow`: pyiceberg reads the rows (any warehouse its FileIO reaches, S3
    included; only the mapped columns if `only_mapped`) and DuckDB queries them; `plan`:
    DuckDB reads the planned Parquet files (a local warehouse); `extension`: iceberg_scan."""
    types = column_types(table)
    count = data_file_count(table)
    columns = dict(ref.columns)
    if "envelope" in columns:  # decoded in Python from the key column, whatever the engine
        rows, types = _decoded_rows(ref, table, run_id, only_mapped)
        con.register("their_rows", rows)
        mapped = {"producer_id": "producer_id", "incarnation": "incarnation", "seq": "seq", "sent_ts": "sent_us",
                  "partition": columns["partition"]}
        con.execute(f"CREATE OR REPLACE VIEW events AS {view_sql('their_rows', mapped, types, run_id)}")
        return count
    if engine == "arrow":
        if only_mapped:
            mapped = {col for _, col in ref.columns}
            types = {c: t for c, t in types.items() if c in mapped}
        con.register("their_rows", table.scan(selected_fields=tuple(types)).to_arrow())
        source = "their_rows"
    elif engine == "extension":
        source = f"iceberg_scan({quote_literal(table.metadata_location)})"
    elif engine == "plan":
        files = [task.file.file_path for task in table.scan().plan_files()]
        count = len(files)
        source = _planned_files(con, files, types)
    else:
        raise ValueError(f"unknown engine {engine!r} (allowed: arrow, plan, extension)")
    con.execute(f"CREATE OR REPLACE VIEW events AS {view_sql(source, dict(ref.columns), types, run_id)}")
    return count
