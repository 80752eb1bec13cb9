"""Workload files: the shipped ones load; each kind of mistake is refused in one line."""

import pytest

from workloads.loader import WorkloadError, builtin_names, load_workload
from workloads.model import Workload


def test_default_needs_no_file_and_shipped_workloads_load():
    default = load_workload()
    assert default.name == "default" and default.producers.count == 2
    assert "default" in builtin_names()
    for name in builtin_names():
        assert isinstance(load_workload(name), Workload)


BAD = [
    ("producers:\n  count: -1\n", "producers.count: Input should be greater than or equal to 0 (got -1)"),
    ("topic:\n  partitions: 0\n", "topic.partitions: Input should be greater than or equal to 1 (got 0)"),
    ("topic:\n  name: 'bad topic!'\n", "topic.name: String should match pattern"),
    ("producers:\n  spec:\n    rate: {profile: warp}\n", "producers.spec.rate.profile: Input should be 'max', 'constant'"),
    ("producers:\n  spec:\n    rate: {profile: steps, steps: [[5, 100]]}\n", "steps must start at t=0"),
    ("producers:\n  spec:\n    payload: {size: {low: 500, high: 100}}\n", "size low (500) must not exceed high (100)"),
    ("consumers:\n  count: 8\ntopic:\n  partitions: 3\n", "consumers.count (8) exceeds topic.partitions (3)"),
    ("report_interval_s: 0\n", "report_interval_s: Input should be greater than or equal to 1 (got 0)"),
    ("prodcers:\n  count: 2\n", "prodcers: unknown field (a typo?)"),
    ("faults:\n  mode: every\n", "fault schedule mode 'every' needs at least one entry in kinds"),
    ("faults:\n  mode: random\n  kinds: [agent_kil]\n", "unknown fault kind 'agent_kil'; known kinds: agent_kill"),
    ("faults:\n  params: {agent_pause: {duration_s: -1}}\n", "duration_s"),
    ("faults:\n  params: {network_degraded: {latency_ms: 0, jitter_ms: 0}}\n", "needs latency_ms, jitter_ms or"),
    ("faults:\n  mode: timeline\n", "mode 'timeline' needs at least one entry in timeline"),
    ("faults:\n  mode: timeline\n  timeline: [{at_s: 5, kind: cpu_pressure, params: {workers: 0}}]\n",
     "workers"),
    ("faults:\n  mode: every\n  kinds: [agent_kill]\n  every_s: 10\n  jitter_s: 10\n", "jitter_s (10) must be"),
    ("queries:\n  spec:\n    queries: [{name: 'Bad Name', sql: 'select 1'}]\n", "queries.spec.queries.0.name"),
    ("slo:\n  min_throughput_ratio: 1.5\n", "slo.min_throughput_ratio: Input should be less than or equal to 1"),
    ("table:\n  identifier: events\n", "table.identifier: String should match pattern"),
    ("- just\n- a list\n", "a workload is a mapping of fields, not a list"),
    ("topic: {name: [unclosed\n", "not valid YAML at line"),
]


@pytest.mark.parametrize("text,expected", BAD, ids=[e[:40] for _, e in BAD])
def test_bad_workload_files_name_the_field_in_one_line(tmp_path, text, expected):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(WorkloadError) as info:
        load_workload(str(path))
    line = info.value.one_line()
    assert "\n" not in line
    assert line.startswith(f"{path}: ")
    assert expected in line, line
    assert "fix:" in line


def test_unknown_workload_name_lists_the_shipped_ones():
    with pytest.raises(WorkloadError, match="no workload named 'nope'") as info:
        load_workload("nope")
    assert "default" in info.value.one_line()


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(WorkloadError, match="does not exist"):
        load_workload(str(tmp_path / "missing.yaml"))
