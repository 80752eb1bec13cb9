"""The controller's process keeps pyiceberg out: its table work runs in a child process
(controller/control/table_work.py), and the agent classes it imports load pyiceberg only
in their own processes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from agents.lakehouse.catalog import TableRef
from controller.control import table_work


def test_the_controller_and_the_agent_classes_it_imports_leave_pyiceberg_unloaded():
    code = ("import sys, controller.control.actor, controller.fleet.agent_factory, controller.cli; "
            "print([m for m in sys.modules if m.split('.')[0] in ('pyiceberg', 'fastavro')])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out.strip().replace("'", '"')) == []


def test_a_failing_child_says_why(tmp_path):
    # A catalog URI no SQL engine knows: the child fails and its error comes back.
    ref = TableRef(catalog_uri="nosuchdb:///x", warehouse=(tmp_path / "wh").as_uri())
    with pytest.raises(table_work.TableWorkError, match="table create failed"):
        table_work.create_table(ref)


def test_a_missing_external_table_is_named_in_one_line(tmp_path):
    from agents.lakehouse.external_table import ExternalTableRef

    ref = ExternalTableRef("sql", f"sqlite:///{tmp_path / 'catalog.db'}", "team.trades",
                           (("producer_id", "source"), ("incarnation", "inc"), ("partition", "part"), ("seq", "n")),
                           warehouse=(tmp_path / "wh").as_uri(), catalog_name="job")
    with pytest.raises(table_work.TableWorkError) as info:
        table_work.probe_external(ref)
    assert str(info.value) == (f"the external table team.trades is not in the sql catalog 'job' at "
                               f"sqlite:///{tmp_path / 'catalog.db'}")
