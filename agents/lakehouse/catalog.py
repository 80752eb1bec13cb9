"""Opening the Iceberg catalog and the soak table (created on first use)."""

from __future__ import annotations

from dataclasses import dataclass

from pyiceberg.catalog import Catalog
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.exceptions import NamespaceAlreadyExistsError, NoSuchTableError, TableAlreadyExistsError
from pyiceberg.table import Table

from agents.lakehouse.schema import TABLE_PROPERTIES, iceberg_schema, partition_spec


@dataclass(frozen=True)
class TableRef:
    """Where the soak table lives: picklable, so it travels to Ray actors."""

    catalog_uri: str
    warehouse: str
    identifier: str = "soak.events"
    catalog_name: str = "soak"
    payload_mode: str = "ticks"
    partition_granularity: str = "hour"

    def catalog(self) -> Catalog:
        return SqlCatalog(self.catalog_name, uri=self.catalog_uri, warehouse=self.warehouse)

    def load_or_create(self) -> Table:
        catalog = self.catalog()
        try:
            return catalog.load_table(self.identifier)
        except NoSuchTableError:
            pass
        namespace = self.identifier.rsplit(".", 1)[0]
        try:
            catalog.create_namespace(namespace)
        except NamespaceAlreadyExistsError:
            pass
        schema = iceberg_schema(self.payload_mode)
        try:
            return catalog.create_table(self.identifier, schema=schema,
                                        partition_spec=partition_spec(schema, self.partition_granularity),
                                        properties=TABLE_PROPERTIES)
        except TableAlreadyExistsError:  # another verifier won the race
            return catalog.load_table(self.identifier)
