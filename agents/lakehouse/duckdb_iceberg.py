"""DuckDB connections that can read Iceberg tables offline.

The iceberg and avro extensions come from the PyPI wheels `duckdb-extension-iceberg` and
`duckdb-extension-avro` (pinned to duckdb's version), so no extension is downloaded at
run time.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import duckdb

from controller.errors import SoakError

# avro first: the iceberg extension reads manifests with it.
EXTENSIONS = ("avro", "iceberg")


def extension_path(name: str) -> Path:
    try:
        module = importlib.import_module(f"duckdb_extension_{name}")
    except ImportError as exc:
        raise SoakError(f"the DuckDB {name} extension wheel is not installed",
                        fix=f"pip install duckdb-extension-{name}=={duckdb.__version__}") from exc
    folder = Path(module.__file__).parent / "extensions" / f"v{duckdb.__version__}"
    path = folder / f"{name}.duckdb_extension"
    if not path.is_file():
        raise SoakError(f"the DuckDB {name} extension wheel does not match duckdb {duckdb.__version__}",
                        fix=f"pip install duckdb-extension-{name}=={duckdb.__version__}")
    return path


def connect(database: str = ":memory:") -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(database)
    for name in EXTENSIONS:
        con.execute(f"LOAD '{extension_path(name)}'")
    return con
