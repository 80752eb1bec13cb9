"""Markers by folder: tests/integration and tests/soak need real services."""

import pytest


def pytest_collection_modifyitems(items):
    for item in items:
        path = str(item.fspath)
        if "/tests/integration/" in path:
            item.add_marker(pytest.mark.integration)
        elif "/tests/soak/" in path:
            item.add_marker(pytest.mark.soak)
