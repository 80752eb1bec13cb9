"""Progress where stderr is not a terminal: a line a minute, and one at each change of state."""

from controller.cli.progress_pace import ProgressPace


def test_a_line_a_minute_while_the_state_holds():
    pace = ProgressPace(every_s=60)
    printed = [t for t in range(0, 301, 2) if pace.due(float(t), "running")]
    assert printed == [0, 60, 120, 180, 240, 300]


def test_each_change_of_state_is_printed_at_once():
    pace = ProgressPace(every_s=60)
    seen = [(t, state) for t, state in [(0, "pending"), (2, "running"), (4, "running"), (30, "draining"),
                                         (32, "draining"), (34, "finished")] if pace.due(float(t), state)]
    assert seen == [(0, "pending"), (2, "running"), (30, "draining"), (34, "finished")]


def test_the_minute_counts_from_the_last_line_printed():
    pace = ProgressPace(every_s=60)
    assert pace.due(0.0, "running")
    assert pace.due(50.0, "draining")  # a change of state
    assert not pace.due(100.0, "draining")  # 50 s after it
    assert pace.due(110.0, "draining")
