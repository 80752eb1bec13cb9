"""DuckDB connections that can read Iceberg tables offline, on local disk or S3.

The iceberg, avro and httpfs extensions come from the PyPI wheels `duckdb-extension-*`
(pinned to duckdb's version), so no extension is downloaded at run time. A warehouse on S3
is read with the S3 settings of the table's pyiceberg FileIO properties, so DuckDB reaches
the same store as pyiceberg does.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from pathlib import Path

import duckdb

from agents.lakehouse.queries import quote_literal
from controller.errors import SoakError

# avro first: the iceberg extension reads manifests with it.
EXTENSIONS = ("avro", "iceberg", "httpfs")
# pyiceberg's S3 FileIO property -> the DuckDB S3 secret's parameter.
_S3_SECRET = {"s3.access-key-id": "KEY_ID", "s3.secret-access-key": "SECRET", "s3.session-token": "SESSION_TOKEN",
              "s3.region": "REGION"}


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


S3_SCHEMES = ("s3", "s3a")


def _scheme(location: str) -> str:
    return location.split("://", 1)[0] if "://" in location else "file"


def duckdb_reads(location: str) -> bool:
    """Pure: whether DuckDB here reads files under `location` (local disk or S3)."""
    return _scheme(location) in ("file", *S3_SCHEMES)


def s3_secret_sql(properties: Iterable[tuple[str, str]], on_s3: bool) -> str | None:
    """Pure: the DuckDB `CREATE SECRET` statement for the S3 settings among pyiceberg's
    FileIO properties, or None when the table is not on S3 and they name none. Without
    keys, the AWS default credential chain (as pyiceberg's FileIO does). An `s3.endpoint`
    (MinIO, SeaweedFS, a proxy) is addressed path-style unless
    `s3.force-virtual-addressing` says otherwise, as pyiceberg does."""
    props = dict(properties)
    params = {param: props[key] for key, param in _S3_SECRET.items() if props.get(key)}
    endpoint = props.get("s3.endpoint")
    if endpoint:
        scheme, _, host = endpoint.rpartition("://")
        params["ENDPOINT"] = host.rstrip("/")
        params["USE_SSL"] = "false" if scheme == "http" else "true"
        virtual = props.get("s3.force-virtual-addressing", "false").lower() == "true"
        params["URL_STYLE"] = "vhost" if virtual else "path"
    if not params and not on_s3:
        return None
    parts = ["TYPE s3"] + ([] if "KEY_ID" in params else ["PROVIDER credential_chain"])
    parts += [f"{k} {v}" if k == "USE_SSL" else f"{k} {quote_literal(v)}" for k, v in params.items()]
    return f"CREATE OR REPLACE SECRET soak_s3 ({', '.join(parts)})"


def connect(database: str = ":memory:", properties: Iterable[tuple[str, str]] = (),
            location: str = "") -> duckdb.DuckDBPyConnection:
    """A connection with the extensions loaded and, for a table at an S3 `location` or
    `properties` (pyiceberg's) that name S3 settings, an S3 secret made of them."""
    con = duckdb.connect(database)
    for name in EXTENSIONS:
        con.execute(f"LOAD '{extension_path(name)}'")
    secret = s3_secret_sql(properties, on_s3=_scheme(location) in S3_SCHEMES)
    if secret:
        if "credential_chain" in secret:
            con.execute(f"LOAD '{extension_path('aws')}'")
        con.execute(secret)
    return con
