"""Agents that start together all get the one table, whoever creates it, in either catalog."""

from concurrent.futures import ThreadPoolExecutor

from agents.lakehouse.catalog import TableRef


def test_concurrent_load_or_create_yields_one_table(any_catalog_ref):
    ref = any_catalog_ref
    for round_ in range(5):
        r = TableRef(ref.catalog_uri, ref.warehouse, identifier=f"race{round_}.events")
        with ThreadPoolExecutor(8) as pool:
            tables = list(pool.map(lambda _: r.load_or_create(), range(8)))
        assert len({t.metadata.table_uuid for t in tables}) == 1
