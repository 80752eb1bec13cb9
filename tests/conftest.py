"""Markers by folder: tests/integration and tests/soak need real services."""

import pytest


def pytest_collection_modifyitems(items):
    # Tests marked run_last wait on something started early (a long steady run that
    # overlaps the rest of the suite), so they go to the very end.
    items.sort(key=lambda item: item.get_closest_marker("run_last") is not None)
    for item in items:
        path = str(item.fspath)
        if "/tests/integration/" in path:
            item.add_marker(pytest.mark.integration)
        elif "/tests/soak/" in path:
            item.add_marker(pytest.mark.soak)
