"""Small pure pieces of the command line: durations and the progress line."""

import pytest

from controller.cli.durations import parse_duration
from controller.cli.progress_line import progress_line
from controller.errors import SoakError
from controller.runs.spec import run_key


def test_durations():
    assert [parse_duration(t, "--x") for t in ("90", "90s", "15m", "1.5h", "1d")] == [90, 90, 900, 5400, 86400]
    for bad in ("", "abc", "-5s", "0", "5w"):
        with pytest.raises(SoakError, match="--x"):
            parse_duration(bad, "--x")


def test_progress_line_shows_what_a_soak_operator_watches():
    line = progress_line("running", {
        "elapsed_s": 3725, "duration_s": 86400, "rates": {"acked_per_s": 2000.4, "committed_records_per_s": 1999},
        "latency_us": {"ack_latency": {"p99_us": 12_400}, "e2e_latency": {"p99_us": 850_000}}, "lag": 1203,
        "agents": {"up": {"producer": 2, "consumer": 1}, "known": {"producer": 2, "consumer": 2}, "restarts": 1},
        "memory": {"agents_rss_bytes": 3 * 1024**3, "targets_rss_bytes": {"kafka-broker": 650 * 1024**2}},
        "anomalies": {"duplicate": 0}, "faults": {"active": 1}, "alerts": 2, "step_errors": {"lag": 3}})
    assert line == ("1:02:05 / 24:00:00 | running | acked 2,000/s | ingested 1,999/s | p99 ack 12 ms | "
                    "p99 e2e 850 ms | lag 1,203 | agents 3/4 up | restarts 1 | agents rss 3.0 GiB | "
                    "kafka-broker 650 MiB | anomalies 0 | faults 1 | alerts 2 | step errors 3")
    assert progress_line("pending", {}).startswith("0:00:00 / 0:00:00 | pending")
    # The end phase is named beside the state, once.
    assert " | finished (checked) | " in progress_line("finished", {"end_phase": "checked"})
    assert " | draining | " in progress_line("draining", {"end_phase": "draining"})


def test_run_keys_are_identifier_safe():
    assert run_key("run-20261121-195424-903d") == "run_20261121_195424_903d"
