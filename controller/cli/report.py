"""`soak report`: a run's stability report, per report window or for the whole run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from controller.analysis.render_html import render_html
from controller.analysis.render_markdown import render_markdown
from controller.cli.common import DataDirOption, console
from controller.cli.runs import ApiOption, DatabaseOption, RunArg, TokenOption, _run, _source, _when
from controller.errors import SoakError
from controller.store.analysis import WHOLE_RUN

RENDER = {"md": render_markdown, "html": render_html,
          "json": lambda report: json.dumps(report, indent=2)}


def report(run_id: RunArg = None,
           hour: Annotated[int | None, typer.Option(
               "--hour", min=1, help="Report window N (1 = the first; a window is --report-interval long, 1 h "
                                     "by default). Default: the whole run, or the newest window while it runs")] = None,
           fmt: Annotated[str, typer.Option("--format", "-f", help="md, html or json")] = "md",
           output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file")] = None,
           list_windows: Annotated[bool, typer.Option("--list", help="List the run's reports and verdicts")] = False,
           data_dir: DataDirOption = None, database_url: DatabaseOption = None, api: ApiOption = None,
           token: TokenOption = None) -> None:
    """Show a run's stability report, per report window or for the whole run.

    Throughput, latency percentiles, lag, freshness, memory, restarts, faults and their
    recoveries, integrity, errors, alerts, and a verdict with its reasons. The HTML page is
    self-contained, with plots (fault windows shaded)."""
    if fmt not in RENDER:
        raise SoakError(f"unknown --format {fmt!r}", fix="use md, html or json")
    reports = _source(data_dir, database_url, api, token)
    run = _run(reports, run_id)
    windows = reports.report_windows(run.id)
    if list_windows:
        for w in windows:
            name = "whole run" if w["window"] == WHOLE_RUN else f"window {w['window'] + 1}"
            console.print(f"{name:>10}  {_when(w['start_ns'])} .. {_when(w['end_ns'])}  {w['verdict']}",
                          highlight=False)
        if not windows:
            console.print(f"run {run.id} has no report yet (the first comes when its first window closes)")
        return
    if hour is not None:
        index = hour - 1
    elif any(w["window"] == WHOLE_RUN for w in windows):
        index = WHOLE_RUN
    elif windows:
        index = windows[-1]["window"]
    else:
        raise SoakError(f"run {run.id} has no report yet",
                        fix="the first is written when its first report window closes (`soak status` shows progress)")
    found = reports.report(run.id, index)
    if found is None:
        have = ", ".join(str(w["window"] + 1) for w in windows if w["window"] != WHOLE_RUN) or "none"
        raise SoakError(f"run {run.id} has no report for window {hour}", fix=f"windows with a report: {have}")
    text = RENDER[fmt](found)
    if output is None:
        print(text)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text)
    console.print(f"wrote {output} ({found['verdict']['level']})", highlight=False)
