"""Appending verified records to Iceberg with the consumer state in the same commit."""

from __future__ import annotations

import logging

import pyarrow as pa
import sqlalchemy.exc
from pyiceberg.exceptions import CommitFailedException
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential
from pyiceberg.table import Table
from pyiceberg.table.snapshots import ancestors_of

from agents.lakehouse.catalog import TableRef
from agents.lakehouse.schema import COMMIT_RETRIES
from agents.lakehouse.sink_state import STATE_KEY, PartitionState, SinkState, check_fence

# Failures worth retrying on the next commit; anything else fails the agent loudly.
TRANSIENT_COMMIT_ERRORS = (OSError, CommitFailedException, sqlalchemy.exc.OperationalError)

log = logging.getLogger(__name__)


def state_of(table: Table, topic: str) -> SinkState:
    """The newest soak state along the current snapshot's ancestry (maintenance snapshots
    may carry none); empty when nothing was ever committed."""
    for snapshot in ancestors_of(table.current_snapshot(), table.metadata):
        if snapshot.summary is not None and snapshot.summary[STATE_KEY] is not None:
            return SinkState.from_summary({STATE_KEY: snapshot.summary[STATE_KEY]}, topic)
    return SinkState(topic)


def ensure_no_commit_rebase(table: Table) -> Table:
    """Tables made before the property existed get it now (idempotent)."""
    if table.properties.get(COMMIT_RETRIES) != "0":
        with table.transaction() as tx:
            tx.set_properties({COMMIT_RETRIES: "0"})
        table.refresh()
    return table


class IcebergSink:
    def __init__(self, ref: TableRef, topic: str, max_attempts: int = 20):
        self.ref = ref
        self.topic = topic
        self.table = ensure_no_commit_rebase(ref.load_or_create())
        self.max_attempts = max_attempts
        self.commits = 0
        self.conflicts = 0

    def load_state(self) -> SinkState:
        self.table.refresh()
        return state_of(self.table, self.topic)

    def commit(self, rows: pa.Table, expected: dict[int, int | None],
               updates: dict[int, PartitionState]) -> SinkState:
        """Append `rows` and the partitions' new state atomically.

        Raises `Fenced` when the table moved on under us (another owner committed those
        partitions): the caller must drop its batch and re-read from the table's state.
        Concurrent commits of *other* partitions only cause a retry.
        """
        # Another writer committing first is a conflict, not an error: rebase and retry.
        retrying = Retrying(retry=retry_if_exception_type(CommitFailedException),
                            wait=wait_random_exponential(multiplier=0.02, max=1.0),
                            stop=stop_after_attempt(self.max_attempts), reraise=True)
        for attempt in retrying:
            with attempt:
                if attempt.retry_state.attempt_number > 1:
                    self.conflicts += 1
                current = self.load_state()
                check_fence(current, expected)
                new_state = current.with_updates(updates)
                self.table.append(rows, snapshot_properties=new_state.to_summary())
        self.commits += 1
        return new_state
