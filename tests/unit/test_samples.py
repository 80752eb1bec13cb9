import subprocess
import sys

import pyarrow.parquet as pq

from controller.store.samples import HOUR_NS, SampleBuffer, SampleFiles

T0 = 1_795_000_000 * 10**9 // HOUR_NS * HOUR_NS  # an hour boundary


def test_buffer_flushes_to_hourly_files_and_queries_downsample(tmp_path):
    buf = SampleBuffer(max_rows=50_000)
    for i in range(7200):  # two hours, one sample per second per agent
        ts = T0 + i * 10**9
        buf.add(ts, "process.rss_bytes", "producer-0", 100 + i)
        buf.add(ts, "process.rss_bytes", "verifier-0", 500.0)
        buf.add(ts, "producer.acked_total", "producer-0", i * 10)
    files = SampleFiles(tmp_path, "run-1")
    written = files.write(buf.drain())
    assert len(buf) == 0 and len(written) == 2
    assert {p.parent.name for p in written} == {f"hour={T0 // HOUR_NS}", f"hour={T0 // HOUR_NS + 1}"}
    assert sum(pq.read_metadata(p).num_rows for p in written) == 3 * 7200

    points = files.query("process.rss_bytes", step_s=3600, agent_id="producer-0")
    assert [(p.ts_ns, p.min, p.max, p.last) for p in points] == [(T0, 100, 3699, 3699),
                                                                  (T0 + HOUR_NS, 3700, 7299, 7299)]
    window = files.query("process.rss_bytes", from_ns=T0 + 60 * 10**9, to_ns=T0 + 120 * 10**9, step_s=60)
    assert {(p.agent_id, p.min, p.max) for p in window} == {("producer-0", 160, 219), ("verifier-0", 500, 500)}
    assert files.query("no.such.series") == []


def test_buffer_is_bounded_when_flushes_keep_failing():
    buf = SampleBuffer(max_rows=100)
    for i in range(250):
        buf.add(i, "s", "a", i)
    assert buf.full and len(buf) == 200 and buf.dropped == 50


def test_an_empty_run_has_no_points(tmp_path):
    files = SampleFiles(tmp_path, "run-empty")
    assert files.write(SampleBuffer().drain()) == []
    assert files.query("x") == []


def test_closed_hours_are_compacted_into_one_file_and_nothing_counts_twice(tmp_path):
    files = SampleFiles(tmp_path, "run-c")
    for flush in range(5):  # five flushes spread over two hours
        buf = SampleBuffer()
        for i in range(10):
            buf.add(T0 + (flush * 900 + i) * 10**9, "lag", "run", flush * 10 + i)
        files.write(buf.drain(), now_ns=T0 + flush * 900 * 10**9 + 10**10)
    assert len(files.files()) == 5
    assert files.compact(before_ns=T0 + HOUR_NS + 10**9) == 1  # only the first hour is over
    first_hour = [f for f in files.files() if f.parent.name == f"hour={T0 // HOUR_NS}"]
    assert len(first_hour) == 1 and first_hour[0].name.startswith("compacted-upto-")
    assert len(files.files()) == 2
    points = files.query("lag", step_s=10**6)
    assert sum(pq.read_metadata(f).num_rows for f in files.files()) == 50
    assert min(p.min for p in points) == 0 and max(p.max for p in points) == 49
    # A file that arrives late for a compacted hour is still read, and compacted next time.
    buf = SampleBuffer()
    buf.add(T0 + 5 * 10**9, "lag", "run", 99)
    files.write(buf.drain(), now_ns=T0 + 2 * HOUR_NS)
    assert sum(pq.read_metadata(f).num_rows for f in files.files()) == 51
    assert files.compact(before_ns=T0 + 3 * HOUR_NS) == 1  # the second hour has one file only
    assert len(files.files()) == 2 and sum(pq.read_metadata(f).num_rows for f in files.files()) == 51


def test_the_control_loop_stores_and_reads_samples_without_pyarrow(tmp_path):
    """pyarrow would add about 50 MB to the controller's RSS (issue: under 300 MB at 50 agents)."""
    code = f"""
import sys
from pathlib import Path
import controller.control.loop
from controller.store.samples import SampleBuffer, SampleFiles
files, buf = SampleFiles(Path({str(tmp_path)!r}), "run"), SampleBuffer()
buf.add({T0}, "rss_bytes", "producer-0", 1.0)
files.write(buf.drain())
files.compact(before_ns={T0 + 2 * HOUR_NS})
assert files.query("rss_bytes")[0].max == 1.0
assert "pyarrow" not in sys.modules, sorted(m for m in sys.modules if m.startswith("pyarrow"))[:5]
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def test_module_lookups_while_writing_samples_do_not_grow_with_rows(tmp_path):
    """DuckDB scanning object arrays of str tries `import pandas` for values it looks at, each
    try a search of sys.path where pandas is not installed: the loop's CPU went there (16 per
    row). DuckDB still tries once per scanned chunk; once per row is the regression."""
    import importlib.abc

    class CountingFinder(importlib.abc.MetaPathFinder):
        def __init__(self):
            self.lookups: list[str] = []

        def find_spec(self, name, path, target=None):
            self.lookups.append(name)
            return None

    buf = SampleBuffer()
    files = SampleFiles(tmp_path, "run-1")
    start = 0

    def lookups_writing(rows: int) -> list[str]:
        nonlocal start
        for i in range(start, start + rows):
            buf.add(T0 + i * 10**9, "process.rss_bytes", f"producer-{i % 7}", float(i))
        start += rows
        finder = CountingFinder()
        sys.meta_path.insert(0, finder)
        try:
            files.write(buf.drain())
        finally:
            sys.meta_path.remove(finder)
        return finder.lookups

    lookups_writing(100)  # the first write may import what DuckDB needs once
    few, many = lookups_writing(1_000), lookups_writing(10_000)
    assert len(few) < 1_000 / 100 and len(many) < 10_000 / 100, (len(few), len(many), set(many))
    assert len(files.query("process.rss_bytes", step_s=1)) == 11_100
