"""The run store's tests again, against a real PostgreSQL (Debian's package)."""

import pytest

from controller.store.db import Database
from controller.store.runs import RunStore
from tests.unit.test_run_store import (  # noqa: F401  (collected here, with the PostgreSQL store)
    test_incarnations_are_recorded_once_each,
    test_lifecycle_is_recorded,
    test_listing_filters_and_pages,
    test_stop_requests_progress_checkpoints_and_ack_ledgers,
    test_unknown_run_is_a_clear_error,
)


@pytest.fixture
def store(postgres):
    db = Database(postgres.new_database())
    db.create_schema()
    assert db.engine.dialect.name == "postgresql"
    yield RunStore(db)
    db.engine.dispose()
