"""Opening the Iceberg catalog and the soak table (created on first use)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from agents.lakehouse.schema import TABLE_PROPERTIES, iceberg_schema, partition_spec

if TYPE_CHECKING:  # imported on use: a TableRef travels through the controller, pyiceberg need not
    from pyiceberg.catalog import Catalog
    from pyiceberg.table import Table


# PostgreSQL's answer to a CREATE TABLE that another session made first (SQLSTATE 42P07).
_DUPLICATE_TABLE = "42P07"


def is_creation_race(exc: BaseException) -> bool:
    """Whether `exc` is what losing a creation race looks like: pyiceberg's 'already
    exists', a unique constraint, a locked SQLite file, or PostgreSQL refusing a catalog
    table (`iceberg_tables`, made by every SqlCatalog on first use) that another agent has
    just created. Other SQL errors are not retried."""
    import sqlalchemy.exc
    from pyiceberg.exceptions import NamespaceAlreadyExistsError, TableAlreadyExistsError

    if isinstance(exc, (NamespaceAlreadyExistsError, TableAlreadyExistsError, sqlalchemy.exc.IntegrityError,
                        sqlalchemy.exc.OperationalError)):
        return True
    orig = getattr(exc, "orig", None)
    code = getattr(orig, "pgcode", None) or getattr(orig, "sqlstate", None)  # psycopg2 / psycopg 3
    return isinstance(exc, sqlalchemy.exc.ProgrammingError) and code == _DUPLICATE_TABLE


@dataclass(frozen=True)
class TableRef:
    """Where the soak table lives: picklable, so it travels to Ray actors."""

    catalog_uri: str
    warehouse: str
    identifier: str = "soak.events"
    catalog_name: str = "soak"
    payload_mode: str = "ticks"
    partition_granularity: str = "hour"
    properties: tuple[tuple[str, str], ...] = ()  # pyiceberg catalog/FileIO properties (s3.endpoint, ...)

    def ensure_local_dirs(self) -> None:
        """Create the folders of a local SQLite catalog and a file:// warehouse."""
        if self.catalog_uri.startswith("sqlite:///"):
            Path(self.catalog_uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        if self.warehouse.startswith("file://"):
            Path(urlparse(self.warehouse).path).mkdir(parents=True, exist_ok=True)

    def catalog(self) -> Catalog:
        from pyiceberg.catalog.sql import SqlCatalog

        return SqlCatalog(self.catalog_name, **dict(self.properties), uri=self.catalog_uri, warehouse=self.warehouse)

    def load_or_create(self) -> Table:
        """The table, created on first use. Agents start together, so creation races are
        normal, down to the catalog's own tables: whoever loses (`is_creation_race`) tries
        again and loads what the winner made."""
        from pyiceberg.exceptions import NoSuchTableError

        for attempt in Retrying(retry=retry_if_exception(is_creation_race), reraise=True,
                                wait=wait_random_exponential(multiplier=0.05, max=1.0), stop=stop_after_attempt(10)):
            with attempt:
                catalog = self.catalog()
                try:
                    return catalog.load_table(self.identifier)
                except NoSuchTableError:
                    return self._create(catalog)
        raise AssertionError("unreachable")

    def _create(self, catalog: Catalog) -> Table:
        from pyiceberg.exceptions import NamespaceAlreadyExistsError

        namespace = self.identifier.rsplit(".", 1)[0]
        try:
            catalog.create_namespace(namespace)
        except NamespaceAlreadyExistsError:
            pass
        schema = iceberg_schema(self.payload_mode)
        return catalog.create_table(self.identifier, schema=schema,
                                    partition_spec=partition_spec(schema, self.partition_granularity),
                                    properties=TABLE_PROPERTIES)
