"""Foreground mode: live progress until the run ends; Ctrl-C stops it through the end phase.
On a terminal the progress is one line redrawn in place; elsewhere (a log file, nohup, CI)
a line a minute and one at each change of state (`progress_pace`)."""

from __future__ import annotations

import time
from contextlib import contextmanager

from rich.live import Live
from rich.text import Text

from controller.cli.common import console, err_console
from controller.cli.progress_line import progress_line
from controller.cli.progress_pace import ProgressPace
from controller.store.runs import Run, RunStore

EXIT_CODES = {"PASS": 0, "WARN": 4, "FAIL": 5}
POLL_S = 2.0


def watch(store: RunStore, run_id: str, clock_ns) -> Run:
    """Show progress until the run is over. The first Ctrl-C asks the controller to stop
    (producers stop, lag drains, final checks run, a verdict is given); a second one
    leaves this command and lets the run finish in the background."""
    stop_asked = False
    with _display() as show:
        while True:
            try:
                run = store.get(run_id)
                show(run.state.value, progress_line(run.state.value, run.progress))
                if run.state.terminal:
                    return run
                time.sleep(POLL_S)
            except KeyboardInterrupt:
                if stop_asked:
                    err_console.print(f"left the run {run_id} draining in the background; "
                                      f"`soak status {run_id}` shows it", soft_wrap=True)
                    raise SystemExit(130)
                stop_asked = True
                store.request_stop(run_id, clock_ns(), reason="Ctrl-C")
                err_console.print("stopping: producers stop, the consumers drain, the final checks run "
                                  "(Ctrl-C again to leave it running in the background)", soft_wrap=True)


@contextmanager
def _display():
    """A `show(state, line)` for this stderr: a redrawn line on a terminal, paced lines elsewhere.
    The end of a run is a change of state, so its line is always printed."""
    if not err_console.is_terminal:
        pace = ProgressPace()

        def show_plain(state: str, line: str) -> None:
            if pace.due(time.monotonic(), state):
                err_console.print(line, soft_wrap=True, highlight=False)

        yield show_plain
        return
    with Live(Text("starting ..."), console=err_console, refresh_per_second=2, transient=False) as live:
        yield lambda state, line: live.update(Text(line))
    err_console.print()  # a run that ended: its last line stays, the verdict below it


def print_verdict(run: Run) -> int:
    colour = {"PASS": "green", "WARN": "yellow", "FAIL": "red"}.get(run.verdict or "", "white")
    console.print(f"run {run.id} {run.state.value}: [bold {colour}]{run.verdict or 'no verdict'}[/]")
    for reason in run.reasons:
        console.print(f"  - {reason}", highlight=False, soft_wrap=True)
    return EXIT_CODES.get(run.verdict or "FAIL", 5)
