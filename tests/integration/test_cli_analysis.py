"""The detectors in real runs: a producer that leaks on purpose is named by a leak alert
(the `background_leaky_soak` fixture runs it on the session's broker and Ray cluster,
beside the suite's compressed soak), and `soak report` shows it."""

from __future__ import annotations

import json

from controller.analysis.alerts import LEAK
from controller.store.analysis import AnalysisStore
from controller.store.db import Database
from controller.store.runs import RunStore
from tests.integration.cli_helpers import run_soak


def test_a_leaking_producer_raises_a_leak_alert_naming_it(background_leaky_soak):
    soak = background_leaky_soak
    result = soak.wait(timeout_s=900)
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert result.returncode == 4, output  # WARN: the leak is a finding, the data are exact

    store = RunStore(Database(f"sqlite:///{soak.data_dir / 'soak.db'}"))
    run = store.latest()
    alerts = AnalysisStore(store.db).alerts(run.id)
    leaks = [a for a in alerts if a.kind == LEAK]
    assert [a.subject for a in leaks] == ["producer-0"], [a.to_json() for a in alerts]
    evidence = leaks[0].evidence
    # 30 MB a minute, retained on purpose: the slope the detector measured is near it.
    assert 900 < evidence["slope_per_h"] < 3600, evidence
    assert evidence["p"] < 1e-3 and evidence["slope_low_per_h"] > evidence["min_slope_per_h"], evidence
    assert leaks[0].resolved_ns is not None  # resolved when the run ended
    assert any("memory_leak on producer-0" in r for r in run.reasons), run.reasons
    check = next(e for e in store.events(run.id) if e["kind"] == "end:checked")["check"]
    assert check["ok"] and check["missing"] == check["duplicates"] == 0, check

    report = json.loads(run_soak(["report", run.id, "--format", "json"], soak.env).stdout)
    assert report["window"]["final"] and report["verdict"]["level"] == "WARN"
    assert [a["subject"] for a in report["alerts"] if a["kind"] == LEAK] == ["producer-0"]
    producer = next(m for m in report["memory"] if m["process"] == "producer-0")
    assert producer["max_bytes"] - producer["start_bytes"] > 100 * 2**20, producer  # 30 MB a minute
    markdown = run_soak(["report", run.id], soak.env).stdout
    assert "memory_leak" in markdown and "producer-0" in markdown
