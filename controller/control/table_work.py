"""The controller's table work, done in a child process: creating the run's table (or, in
external mode, loading the team's), and the final check.

The controller lives as long as the run; pyiceberg (about 30 MiB imported) and the final
check's reading of a day of rows would stay in its RSS for good. A child process takes
both and gives its memory back when it exits. The child is this module:
`python -m controller.control.table_work`, a JSON request on stdin, a JSON answer on stdout.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import asdict

from agents.lakehouse.catalog import TableRef
from agents.lakehouse.external_table import ExternalTableError, ExternalTableRef

CREATE_TIMEOUT_S = 300.0
CHECK_TIMEOUT_S = 3600.0  # a day of rows read back and compared with every ack ledger
KNOWN = "table work: "  # the child's last line for an error it can name


class TableWorkError(RuntimeError):
    """The child failed; the message carries the end of its error output."""


def create_table(table_ref: TableRef) -> None:
    """The run's table, created unless it exists (agents would create it on first use too)."""
    _in_child({"action": "create", "table_ref": asdict(table_ref)}, CREATE_TIMEOUT_S)


def check_table(table_ref: TableRef, topic: str, run_id: str, ack_ledgers: list[dict]) -> dict:
    """agents.lakehouse.final_check.check_table, in a child process."""
    return _in_child({"action": "check", "table_ref": asdict(table_ref), "topic": topic, "run_id": run_id,
                      "ack_ledgers": ack_ledgers}, CHECK_TIMEOUT_S)


def probe_external(ref: ExternalTableRef) -> None:
    """The team's table loads and has the mapped columns (ExternalTableError's message in
    the TableWorkError otherwise)."""
    _in_child({"action": "probe_external", "external": ref.to_json()}, CREATE_TIMEOUT_S)


def check_external(ref: ExternalTableRef, run_id: str, ack_ledgers: list[dict]) -> dict:
    """agents.lakehouse.final_check.check_external, in a child process."""
    return _in_child({"action": "check_external", "external": ref.to_json(), "run_id": run_id,
                      "ack_ledgers": ack_ledgers}, CHECK_TIMEOUT_S)


def _in_child(request: dict, timeout_s: float) -> dict:
    try:
        done = subprocess.run([sys.executable, "-m", __name__], input=json.dumps(request), capture_output=True,
                              text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired as exc:
        raise TableWorkError(f"table {request['action']} did not finish within {timeout_s:.0f} s") from exc
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        if lines and lines[-1].startswith(KNOWN):  # a failure the child could name: its message alone
            raise TableWorkError(lines[-1].removeprefix(KNOWN))
        tail = "\n".join(lines[-5:])
        raise TableWorkError(f"table {request['action']} failed (exit code {done.returncode}): {tail}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _serve(request: dict) -> dict:
    if request["action"] == "probe_external":
        ExternalTableRef.from_json(request["external"]).load()
        return {}
    if request["action"] == "check_external":
        from agents.lakehouse.final_check import check_external as check

        return check(ExternalTableRef.from_json(request["external"]), request["run_id"], request["ack_ledgers"])
    raw = request["table_ref"]
    table_ref = TableRef(**{**raw, "properties": tuple(tuple(p) for p in raw["properties"])})
    if request["action"] == "create":
        table_ref.ensure_local_dirs()
        table_ref.load_or_create()
        return {}
    if request["action"] == "check":
        from agents.lakehouse.final_check import check_table as check

        return check(table_ref, request["topic"], request["run_id"], request["ack_ledgers"])
    raise ValueError(f"unknown table action {request['action']!r}")


if __name__ == "__main__":
    try:
        answer = _serve(json.loads(sys.stdin.read()))
    except ExternalTableError as exc:
        print(f"{KNOWN}{exc}", file=sys.stderr)
        sys.exit(1)
    print(json.dumps(answer, default=str))
