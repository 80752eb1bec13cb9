"""How DuckDB's reads of an S3 warehouse are configured from pyiceberg's FileIO properties."""

from __future__ import annotations

from agents.lakehouse.duckdb_iceberg import duckdb_reads, s3_secret_sql

SEAWEED = {"s3.endpoint": "http://127.0.0.1:8333", "s3.access-key-id": "soak", "s3.secret-access-key": "it's",
           "s3.region": "us-east-1"}


def test_keys_endpoint_and_region_become_one_secret_path_style_without_tls():
    assert s3_secret_sql(SEAWEED.items(), on_s3=True) == (
        "CREATE OR REPLACE SECRET soak_s3 (TYPE s3, KEY_ID 'soak', SECRET 'it''s', REGION 'us-east-1', "
        "ENDPOINT '127.0.0.1:8333', USE_SSL false, URL_STYLE 'path')")


def test_an_https_endpoint_with_virtual_addressing_keeps_tls_and_vhost():
    props = {"s3.endpoint": "https://minio.internal:9000/", "s3.force-virtual-addressing": "true",
             "s3.access-key-id": "k", "s3.secret-access-key": "s", "s3.session-token": "t"}
    assert s3_secret_sql(props.items(), on_s3=True) == (
        "CREATE OR REPLACE SECRET soak_s3 (TYPE s3, KEY_ID 'k', SECRET 's', SESSION_TOKEN 't', "
        "ENDPOINT 'minio.internal:9000', USE_SSL true, URL_STYLE 'vhost')")


def test_without_keys_the_aws_default_chain_is_used_as_pyiceberg_does():
    assert s3_secret_sql((), on_s3=True) == "CREATE OR REPLACE SECRET soak_s3 (TYPE s3, PROVIDER credential_chain)"
    assert s3_secret_sql({"s3.region": "eu-west-1"}.items(), on_s3=True) == (
        "CREATE OR REPLACE SECRET soak_s3 (TYPE s3, PROVIDER credential_chain, REGION 'eu-west-1')")


def test_a_local_table_needs_no_secret():
    assert s3_secret_sql((), on_s3=False) is None
    assert s3_secret_sql({"uri": "sqlite:///c.db", "py-io-impl": "x"}.items(), on_s3=False) is None


def test_duckdb_reads_local_and_s3_locations_only():
    assert duckdb_reads("file:///data/wh/soak/events") and duckdb_reads("/data/wh") and duckdb_reads("s3://b/wh")
    assert duckdb_reads("s3a://b/wh")
    assert not duckdb_reads("gs://b/wh") and not duckdb_reads("abfss://c@a.dfs.core.windows.net/wh")
