"""Markers by folder (tests/integration and tests/soak need real services) and the
suite's order.

The suite runs in stages. The compressed soak (`background_soak`) runs beside the last
tests only: a Ray head or a broker started next to it on two cores starved its broker
restart past the recovery limit, and the soak starved those starts past Ray's fixed
30 s raylet deadline.
"""

import pytest

EVERYTHING_ELSE, AFTER_THE_REST, BESIDE_SOAK, LAST = range(4)


def stage(item) -> int:
    if item.get_closest_marker("run_last"):
        return LAST  # reads the outcome of the compressed soak
    if "background_soak" in item.fixturenames:
        return BESIDE_SOAK  # the first of these starts the compressed soak
    if item.get_closest_marker("after_the_rest"):
        return AFTER_THE_REST  # reads work that ran in the background since early on
    return EVERYTHING_ELSE


def pytest_collection_modifyitems(items):
    items.sort(key=stage)  # stable: the files' order within a stage
    for item in items:
        path = str(item.fspath)
        if "/tests/integration/" in path:
            item.add_marker(pytest.mark.integration)
        elif "/tests/soak/" in path:
            item.add_marker(pytest.mark.soak)
