"""`python -m bench all`: which benchmarks a mode runs, with which arguments, and what of
their output goes into results.md."""

from __future__ import annotations

import json
import sys

import pytest

from bench.__main__ import BENCHES, command, main, markdown_part, selected, write


def test_quick_leaves_out_the_hour_long_benchmarks_and_full_runs_them_all():
    quick = [b.name for b in selected("quick", None)]
    assert "controller_overhead" not in quick and "infra_startup" not in quick
    assert "agent_throughput" in quick and "controller_scale" in quick
    assert [b.name for b in selected("full", None)] == [b.name for b in BENCHES]
    assert [b.name for b in selected("full", ["query_latency"])] == ["query_latency"]
    with pytest.raises(SystemExit, match="unknown benchmark"):
        selected("quick", ["nope"])


def test_the_command_is_the_module_with_the_mode_arguments_and_the_json_file(tmp_path):
    bench = next(b for b in BENCHES if b.name == "agent_throughput")
    argv = command(bench, "quick", tmp_path / "a.json")
    assert argv[:3] == [sys.executable, "-m", "bench.agent_throughput"]
    assert argv[3:] == [*bench.quick, "--json", str(tmp_path / "a.json")]
    assert command(bench, "full", None)[3:] == list(bench.full)


def test_results_keep_tables_and_captions_not_progress():
    out = "[infra] kafka: ready\n  table of 1,000,000 rows\n    12 commits, 3 s\n" \
          "Leak detector, 24 h:\n\n| a | b |\n|---|---|\n| 1 | 2 |\n(12 s)\n"
    assert markdown_part(out) == "Leak detector, 24 h:\n\n| a | b |\n|---|---|\n| 1 | 2 |\n(12 s)"
    assert markdown_part("| a |\n\n\n\n| b |\n") == "| a |\n\n| b |"
    # librdkafka's own log lines are progress too
    assert markdown_part("%6|1795408824.798|BGQUEUE|rdkafka#producer-4| [thrd:background]: Purging\n"
                         "GETPID [rdkafka#producer-6] [thrd:main]: Failed to acquire\n| a |\n") == "| a |"


def test_results_files_hold_every_benchmark_and_name_failures(tmp_path):
    results = [{"name": "a", "command": "python -m bench.a", "exit_code": 0, "seconds": 3.0, "markdown": "| x |"},
               {"name": "b", "command": "python -m bench.b", "exit_code": 2, "seconds": 1.0, "markdown": ""}]
    json_file, md_file = write(results, "quick", tmp_path)
    assert json.loads(json_file.read_text())["results"] == results
    text = md_file.read_text()
    assert "## a\n\n`python -m bench.a` (3 s)\n\n| x |" in text and "## b - FAILED (exit code 2)" in text


def test_list_names_every_benchmark(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert all(b.name in out for b in BENCHES)
