"""Which errors of a table creation mean another agent got there first (and are retried)."""

import sqlalchemy.exc
from pyiceberg.exceptions import TableAlreadyExistsError

from agents.lakehouse.catalog import is_creation_race


class PostgresError(Exception):
    def __init__(self, pgcode: str):
        super().__init__(pgcode)
        self.pgcode = pgcode


def programming_error(pgcode: str) -> sqlalchemy.exc.ProgrammingError:
    return sqlalchemy.exc.ProgrammingError("CREATE TABLE iceberg_tables (...)", {}, PostgresError(pgcode))


def test_losing_a_creation_race_is_retried_and_other_sql_errors_are_not():
    assert is_creation_race(TableAlreadyExistsError("soak.events"))
    assert is_creation_race(sqlalchemy.exc.IntegrityError("INSERT", {}, PostgresError("23505")))
    assert is_creation_race(programming_error("42P07"))  # duplicate table
    assert not is_creation_race(programming_error("42601"))  # a syntax error
    assert not is_creation_race(programming_error("42501"))  # no privilege on the catalog
    assert not is_creation_race(ValueError("bad identifier"))
