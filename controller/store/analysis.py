"""Reports, alerts and steady-state baselines of runs in the store."""

from __future__ import annotations

import json

from sqlalchemy import select

from controller.analysis.alerts import Alert
from controller.store.db import Database
from controller.store.models import AlertRow, BaselineRow, ReportRow

WHOLE_RUN = -1  # the window number of the whole-run report


def _alert(row: AlertRow) -> Alert:
    return Alert(row.kind, row.subject, row.summary, json.loads(row.evidence_json or "{}"), row.first_seen_ns,
                 row.last_seen_ns, row.resolved_ns, row.id)


class AnalysisStore:
    def __init__(self, db: Database):
        self.db = db

    # -- reports -----------------------------------------------------------------------------------
    def save_report(self, run_id: str, window: int, report: dict, now_ns: int) -> None:
        """Idempotent per (run, window): a resumed controller may write the same window again."""
        w = report["window"]
        with self.db.session() as s:
            row = s.scalar(select(ReportRow).where(ReportRow.run_id == run_id, ReportRow.window == window))
            if row is None:
                row = ReportRow(run_id=run_id, window=window)
                s.add(row)
            row.start_ns, row.end_ns = int(w["start_ns"]), int(w["end_ns"])
            row.verdict = report["verdict"]["level"]
            row.report_json = json.dumps(report, separators=(",", ":"))
            row.created_ns = now_ns

    def report(self, run_id: str, window: int) -> dict | None:
        with self.db.session() as s:
            row = s.scalar(select(ReportRow).where(ReportRow.run_id == run_id, ReportRow.window == window))
            return None if row is None else json.loads(row.report_json)

    def report_windows(self, run_id: str) -> list[dict]:
        """Each stored report's window number, span and verdict, in order."""
        with self.db.session() as s:
            rows = s.execute(select(ReportRow.window, ReportRow.start_ns, ReportRow.end_ns, ReportRow.verdict)
                             .where(ReportRow.run_id == run_id).order_by(ReportRow.window)).all()
            return [{"window": w, "start_ns": a, "end_ns": b, "verdict": v} for w, a, b, v in rows]

    # -- alerts ------------------------------------------------------------------------------------
    def save_alert(self, run_id: str, alert: Alert) -> Alert:
        with self.db.session() as s:
            row = s.get(AlertRow, alert.id) if alert.id is not None else None
            if row is None:
                row = AlertRow(run_id=run_id, kind=alert.kind, subject=alert.subject, first_seen_ns=alert.first_seen_ns)
                s.add(row)
            row.summary = alert.summary[:1024]
            row.evidence_json = json.dumps(alert.evidence, default=float)
            row.last_seen_ns, row.resolved_ns = alert.last_seen_ns, alert.resolved_ns
            s.flush()
            return _alert(row)

    def alerts(self, run_id: str, active_only: bool = False) -> list[Alert]:
        with self.db.session() as s:
            query = select(AlertRow).where(AlertRow.run_id == run_id)
            if active_only:
                query = query.where(AlertRow.resolved_ns.is_(None))
            return [_alert(r) for r in s.scalars(query.order_by(AlertRow.id)).all()]

    # -- baselines across runs --------------------------------------------------------------------------
    def save_baseline(self, run_id: str, workload: str, ended_ns: int, summary: dict) -> None:
        with self.db.session() as s:
            row = s.get(BaselineRow, run_id) or BaselineRow(run_id=run_id)
            row.workload_name, row.ended_ns, row.summary_json = workload, ended_ns, json.dumps(summary)
            s.merge(row)

    def baselines(self, workload: str, limit: int) -> list[tuple[str, dict]]:
        """The newest `limit` summaries of a workload, oldest first."""
        with self.db.session() as s:
            rows = s.execute(select(BaselineRow.run_id, BaselineRow.summary_json)
                             .where(BaselineRow.workload_name == workload)
                             .order_by(BaselineRow.ended_ns.desc()).limit(limit)).all()
            return [(rid, json.loads(raw)) for rid, raw in reversed(rows)]
