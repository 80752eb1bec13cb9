"""Foreground mode: live progress until the run ends; Ctrl-C stops it through the end phase."""

from __future__ import annotations

import time

from rich.live import Live
from rich.text import Text

from controller.cli.common import console, err_console
from controller.cli.progress_line import progress_line
from controller.store.runs import Run, RunStore

EXIT_CODES = {"PASS": 0, "WARN": 4, "FAIL": 5}
POLL_S = 2.0


def watch(store: RunStore, run_id: str, clock_ns) -> Run:
    """Show progress until the run is over. The first Ctrl-C asks the controller to stop
    (producers stop, lag drains, final checks run, a verdict is given); a second one
    leaves this command and lets the run finish in the background."""
    stop_asked = False
    with Live(Text("starting ..."), console=err_console, refresh_per_second=2, transient=False) as live:
        while True:
            try:
                run = store.get(run_id)
                live.update(Text(progress_line(run.state.value, run.progress)))
                if run.state.terminal:
                    live.stop()
                    err_console.print()
                    return run
                time.sleep(POLL_S)
            except KeyboardInterrupt:
                if stop_asked:
                    live.stop()
                    err_console.print(f"left the run {run_id} draining in the background; "
                                      f"`soak status {run_id}` shows it")
                    raise SystemExit(130)
                stop_asked = True
                store.request_stop(run_id, clock_ns(), reason="Ctrl-C")
                err_console.print("stopping: producers stop, the consumers drain, the final checks run "
                                  "(Ctrl-C again to leave it running in the background)")


def print_verdict(run: Run) -> int:
    colour = {"PASS": "green", "WARN": "yellow", "FAIL": "red"}.get(run.verdict or "", "white")
    console.print(f"run {run.id} {run.state.value}: [bold {colour}]{run.verdict or 'no verdict'}[/]")
    for reason in run.reasons:
        console.print(f"  - {reason}", highlight=False)
    return EXIT_CODES.get(run.verdict or "FAIL", 5)
