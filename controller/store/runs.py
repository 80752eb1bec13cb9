"""Runs and agent incarnations in the store: every change is recorded as an event."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from controller.errors import SoakError
from controller.runs.states import RunState, transition
from controller.store.db import Database
from controller.store.models import AckLedgerRow, EventRow, IncarnationRow, RunRow


class RunNotFound(SoakError):
    pass


class RunIdTaken(SoakError):
    """Another run has this id (two started within the same second drew the same suffix)."""


@dataclass(frozen=True)
class Run:
    id: str
    workload_name: str
    workload: dict
    hours: float
    report_interval_s: float
    state: RunState
    created_ns: int
    started_ns: int | None
    ended_ns: int | None
    verdict: str | None
    reasons: list[str]
    spec: dict
    stop_requested_ns: int | None
    progress: dict


def new_run_id(now_ns: int, suffix: str | None = None) -> str:
    """Sortable and readable: run-20261121-171700-3f9a."""
    stamp = datetime.fromtimestamp(now_ns / 1e9, tz=timezone.utc).strftime("%Y%m%d-%H%M%S")
    return f"run-{stamp}-{suffix or secrets.token_hex(2)}"


def _to_run(row: RunRow) -> Run:
    return Run(row.id, row.workload_name, json.loads(row.workload_json), row.hours, row.report_interval_s,
               RunState(row.state), row.created_ns, row.started_ns, row.ended_ns, row.verdict,
               json.loads(row.reasons_json), json.loads(row.spec_json or "{}"), row.stop_requested_ns,
               json.loads(row.progress_json or "{}"))


class RunStore:
    def __init__(self, db: Database):
        self.db = db

    def create(self, workload_name: str, workload: dict, hours: float, report_interval_s: float,
               now_ns: int, run_id: str | None = None, spec: dict | None = None) -> Run:
        row = RunRow(id=run_id or new_run_id(now_ns), workload_name=workload_name,
                     workload_json=json.dumps(workload, sort_keys=True), hours=hours,
                     report_interval_s=report_interval_s, state=RunState.PENDING.value, created_ns=now_ns,
                     updated_ns=now_ns, reasons_json="[]", spec_json=json.dumps(spec or {}),
                     progress_json="{}", checkpoint_json="{}")
        try:
            with self.db.session() as s:
                s.add(row)
                s.flush()  # the run row first: events refer to it
                s.add(EventRow(run_id=row.id, ts_ns=now_ns, kind="created", detail_json=json.dumps({"hours": hours})))
        except IntegrityError as exc:
            raise RunIdTaken(f"a run {row.id} exists already") from exc
        return _to_run(row)

    def get(self, run_id: str) -> Run:
        with self.db.session() as s:
            return _to_run(_row(s, run_id))

    def latest(self) -> Run | None:
        runs, _ = self.list(limit=1)
        return runs[0] if runs else None

    def request_stop(self, run_id: str, now_ns: int, reason: str = "asked to stop") -> Run:
        """Ask the run's controller to stop through its end phase (idempotent)."""
        with self.db.session() as s:
            row = _row(s, run_id)
            if row.stop_requested_ns is None and not RunState(row.state).terminal:
                row.stop_requested_ns = now_ns
                s.add(EventRow(run_id=run_id, ts_ns=now_ns, kind="stop_requested",
                               detail_json=json.dumps({"reason": reason})))
            return _to_run(row)

    def save_progress(self, run_id: str, progress: dict, now_ns: int, checkpoint: dict | None = None) -> None:
        with self.db.session() as s:
            row = _row(s, run_id)
            row.progress_json = json.dumps(progress)
            row.updated_ns = now_ns
            if checkpoint is not None:
                row.checkpoint_json = json.dumps(checkpoint)

    def checkpoint(self, run_id: str) -> dict:
        with self.db.session() as s:
            return json.loads(_row(s, run_id).checkpoint_json or "{}")

    def add_event(self, run_id: str, kind: str, now_ns: int, **detail) -> None:
        with self.db.session() as s:
            s.add(EventRow(run_id=run_id, ts_ns=now_ns, kind=kind[:32], detail_json=json.dumps(detail)))

    def save_ack_ledgers(self, run_id: str, ledgers: list[dict], now_ns: int) -> None:
        """Upsert the latest ledger of each producer incarnation."""
        if not ledgers:
            return
        with self.db.session() as s:
            existing = {(r.producer_id, r.incarnation): r for r in s.scalars(
                select(AckLedgerRow).where(AckLedgerRow.run_id == run_id))}
            for ledger in ledgers:
                key = (ledger["producer_id"], int(ledger["incarnation"]))
                acked = sum(hi - lo for pairs in ledger["acked"].values() for lo, hi in pairs)
                row = existing.get(key)
                if row is None:
                    s.add(AckLedgerRow(run_id=run_id, producer_id=key[0], incarnation=key[1], acked=acked,
                                       ledger_json=json.dumps(ledger), updated_ns=now_ns))
                elif acked >= row.acked:  # a ledger only grows: never replace it with an older one
                    row.acked, row.ledger_json, row.updated_ns = acked, json.dumps(ledger), now_ns

    def ack_ledgers(self, run_id: str) -> list[dict]:
        with self.db.session() as s:
            rows = s.scalars(select(AckLedgerRow).where(AckLedgerRow.run_id == run_id)
                             .order_by(AckLedgerRow.producer_id, AckLedgerRow.incarnation)).all()
            return [json.loads(r.ledger_json) for r in rows]

    def list(self, state: RunState | None = None, limit: int = 50, offset: int = 0) -> tuple[list[Run], int]:
        with self.db.session() as s:
            query = select(RunRow)
            count = select(func.count()).select_from(RunRow)
            if state is not None:
                query = query.where(RunRow.state == state.value)
                count = count.where(RunRow.state == state.value)
            rows = s.scalars(query.order_by(RunRow.created_ns.desc()).limit(limit).offset(offset)).all()
            return [_to_run(r) for r in rows], s.scalar(count)

    def set_state(self, run_id: str, target: RunState, now_ns: int, verdict: str | None = None,
                  reasons: list[str] | None = None) -> Run:
        """Move a run on (idempotent when repeated); recorded as an event."""
        with self.db.session() as s:
            row = _row(s, run_id, for_update=True)
            current = RunState(row.state)
            new = transition(current, target)
            if new != current:
                row.state = new.value
                row.updated_ns = now_ns
                if new == RunState.RUNNING and row.started_ns is None:
                    row.started_ns = now_ns
                if new.terminal:
                    row.ended_ns = now_ns
                s.add(EventRow(run_id=run_id, ts_ns=now_ns, kind=f"state:{new.value}",
                               detail_json=json.dumps({"from": current.value})))
            if verdict is not None:
                row.verdict = verdict
            if reasons is not None:
                row.reasons_json = json.dumps(reasons)
            return _to_run(row)

    def record_incarnation(self, run_id: str, agent_id: str, kind: str, incarnation: int, now_ns: int,
                           node: str | None = None, pid: int | None = None) -> bool:
        """Record an agent start; False if it was recorded already (idempotent)."""
        try:
            with self.db.session() as s:
                s.add(IncarnationRow(run_id=run_id, agent_id=agent_id, kind=kind, incarnation=incarnation,
                                     node=node, pid=pid, started_ns=now_ns))
        except IntegrityError:
            return False
        return True

    def end_incarnation(self, run_id: str, agent_id: str, incarnation: int, now_ns: int, reason: str) -> None:
        with self.db.session() as s:
            row = s.scalars(select(IncarnationRow).where(
                IncarnationRow.run_id == run_id, IncarnationRow.agent_id == agent_id,
                IncarnationRow.incarnation == incarnation)).first()
            if row is not None and row.ended_ns is None:
                row.ended_ns = now_ns
                row.end_reason = reason[:256]

    def open_incarnations(self, run_id: str) -> dict[str, dict]:
        """agent id -> its newest incarnation that has not ended (what a resumed controller knows)."""
        return {r["agent_id"]: r for r in self.incarnations(run_id) if r["ended_ns"] is None}

    def incarnations(self, run_id: str) -> list[dict]:
        with self.db.session() as s:
            rows = s.scalars(select(IncarnationRow).where(IncarnationRow.run_id == run_id)
                             .order_by(IncarnationRow.started_ns)).all()
            return [{"agent_id": r.agent_id, "kind": r.kind, "incarnation": r.incarnation, "node": r.node,
                     "pid": r.pid, "started_ns": r.started_ns, "ended_ns": r.ended_ns, "end_reason": r.end_reason}
                    for r in rows]

    def events(self, run_id: str) -> list[dict]:
        with self.db.session() as s:
            query = select(EventRow).where(EventRow.run_id == run_id).order_by(EventRow.ts_ns, EventRow.id)
            rows = s.scalars(query).all()
            return [{"ts_ns": r.ts_ns, "kind": r.kind, **json.loads(r.detail_json)} for r in rows]


def _row(session, run_id: str, for_update: bool = False) -> RunRow:
    row = session.get(RunRow, run_id, with_for_update=for_update)
    if row is None:
        raise RunNotFound(f"no run {run_id!r} in the store", fix="list runs with `soak runs`")
    return row
