"""The faults of runs in the store: requests, faults in flight, heals and recoveries."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from controller.store.db import Database
from controller.store.models import FaultRow

REQUESTED, ACTIVE, HEALED, SKIPPED, FAILED = "requested", "active", "healed", "skipped", "failed"
_JSON = ("params", "handle", "baseline", "recovery", "anomalies_before", "integrity")


def _to_dict(row: FaultRow) -> dict:
    out = {c: getattr(row, c) for c in ("id", "run_id", "seq", "kind", "state", "target", "requested_ns",
                                        "started_ns", "heal_due_ns", "healed_ns", "heal_note", "error",
                                        "recovery_s")}
    out["recovery_state"] = row.recovery
    out["skip_heal"] = bool(row.skip_heal)
    for name in _JSON:
        out[name] = json.loads(getattr(row, f"{name}_json") or "null")
    return out


class FaultStore:
    def __init__(self, db: Database):
        self.db = db

    def add(self, run_id: str, kind: str, params: dict, now_ns: int, seq: int | None = None,
            state: str = REQUESTED, skip_heal: bool = False) -> dict:
        with self.db.session() as s:
            row = FaultRow(run_id=run_id, seq=seq, kind=kind, params_json=json.dumps(params), state=state,
                           skip_heal=int(skip_heal), requested_ns=now_ns, handle_json="{}", baseline_json="null",
                           recovery_json="null", anomalies_before_json="{}", integrity_json="null")
            s.add(row)
            s.flush()
            return _to_dict(row)

    def update(self, fault_id: int, **fields) -> dict:
        with self.db.session() as s:
            row = s.get(FaultRow, fault_id)
            for name, value in fields.items():
                if name in _JSON:
                    setattr(row, f"{name}_json", json.dumps(value))
                elif name == "recovery_state":
                    row.recovery = value
                else:
                    setattr(row, name, value)
            return _to_dict(row)

    def get(self, fault_id: int) -> dict:
        with self.db.session() as s:
            return _to_dict(s.get(FaultRow, fault_id))

    def of_run(self, run_id: str, states: tuple[str, ...] | None = None) -> list[dict]:
        with self.db.session() as s:
            query = select(FaultRow).where(FaultRow.run_id == run_id)
            if states:
                query = query.where(FaultRow.state.in_(states))
            return [_to_dict(r) for r in s.scalars(query.order_by(FaultRow.id)).all()]

    def with_recovery(self, run_id: str, recovery_state: str) -> list[dict]:
        """The run's faults whose recovery is in this state (pending, not_recovered, ...)."""
        with self.db.session() as s:
            rows = s.scalars(select(FaultRow).where(FaultRow.run_id == run_id, FaultRow.recovery == recovery_state)
                             .order_by(FaultRow.id)).all()
            return [_to_dict(r) for r in rows]

    def next_seq(self, run_id: str) -> int:
        """How many scheduled faults the run has had (the schedule's next index)."""
        with self.db.session() as s:
            top = s.scalar(select(func.max(FaultRow.seq)).where(FaultRow.run_id == run_id))
            return 0 if top is None else top + 1
