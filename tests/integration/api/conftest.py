"""The API over a fresh store: SQLite, and PostgreSQL (a database of the session's server)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from controller.store.db import Database
from tests.api_seed import ADMIN, READER, app_for, seed, settings_for


class Api:
    def __init__(self, app, seeded, settings, db):
        self.app, self.seeded, self.settings, self.db = app, seeded, settings, db
        self.client = TestClient(app)

    def call(self, method: str, path: str, role: str = "read", **kw):
        token = {"read": READER, "admin": ADMIN}[role]
        return self.client.request(method, path, headers={"Authorization": f"Bearer {token}", **kw.pop("headers", {})},
                                   **kw)


@pytest.fixture(params=["sqlite", "postgresql"])
def api(request, tmp_path) -> Api:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'soak.db'}"
    else:
        url = request.getfixturevalue("postgres").new_database()
    settings = settings_for(tmp_path / "data", url)
    db = Database(url)
    seeded = seed(db, settings)
    return Api(app_for(settings, db), seeded, settings, db)
