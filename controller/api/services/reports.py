"""A run's reports (JSON, HTML or Markdown) and alerts."""

from __future__ import annotations

from controller.analysis.render_html import render_html
from controller.analysis.render_markdown import render_markdown
from controller.api.problems import ApiProblem
from controller.api.schemas import AlertOut, ReportRef, when
from controller.store.analysis import WHOLE_RUN, AnalysisStore
from controller.store.runs import RunStore

WHOLE = "run"
RENDERERS = {"html": render_html, "md": render_markdown}


def window_name(window: int) -> str:
    return WHOLE if window == WHOLE_RUN else str(window + 1)


class ReportService:
    def __init__(self, runs: RunStore, analysis: AnalysisStore):
        self.runs, self.analysis = runs, analysis

    def list(self, run_id: str) -> list[ReportRef]:
        self.runs.get(run_id)  # 404 for an unknown run
        return [ReportRef(window=None if w["window"] == WHOLE_RUN else w["window"] + 1, name=window_name(w["window"]),
                          start=when(w["start_ns"]), end=when(w["end_ns"]), verdict=w["verdict"])
                for w in self.analysis.report_windows(run_id)]

    def get(self, run_id: str, name: str) -> dict:
        """Report `name`: a window number (1 = the first) or `run` (the whole run)."""
        self.runs.get(run_id)
        index = WHOLE_RUN if name == WHOLE else int(name) - 1
        found = self.analysis.report(run_id, index)
        if found is None:
            have = [window_name(w["window"]) for w in self.analysis.report_windows(run_id)]
            raise ApiProblem(404, f"run {run_id} has no report {name!r}; it has: {', '.join(have) or 'none yet'} "
                                  f"(a window's report is written when the window closes)")
        return found

    def alerts(self, run_id: str, active_only: bool) -> list[AlertOut]:
        self.runs.get(run_id)
        return [AlertOut(id=a.id, kind=a.kind, subject=a.subject, summary=a.summary, evidence=a.evidence,
                         first_seen=when(a.first_seen_ns), last_seen=when(a.last_seen_ns),
                         resolved_at=when(a.resolved_ns), active=a.resolved_ns is None)
                for a in self.analysis.alerts(run_id, active_only=active_only)]
