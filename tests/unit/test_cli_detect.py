"""`soak detect`: CSV in, one JSON object out, clear errors for bad input."""

from __future__ import annotations

import json
import math

from typer.testing import CliRunner

from controller.cli import app

runner = CliRunner()


def write(path, rows) -> str:
    path.write_text("t_seconds,value\n" + "".join(f"{t},{v}\n" for t, v in rows))
    return str(path)


def rss(hours: float, leak_mb_per_h: float):
    for i in range(int(hours * 3600 / 30)):
        t = i * 30
        yield t, int((200 + 10 * ((t % 90) / 90) + 0.3 * math.sin(i * 0.7) + leak_mb_per_h * t / 3600) * 2**20)


def test_leak_prints_the_detection_as_json(tmp_path):
    result = runner.invoke(app, ["detect", "leak", "--input", write(tmp_path / "rss.csv", rss(8, 2.0)),
                                 "--unit", "bytes"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["alert"] is True and 0 < out["detected_at_seconds"] < 5 * 3600
    assert 1.7 < out["slope_mb_per_hour"] < 2.3 and out["p_value"] < 1e-3


def test_no_leak_is_no_alert(tmp_path):
    out = json.loads(runner.invoke(app, ["detect", "leak", "-i", write(tmp_path / "flat.csv", rss(8, 0.0)),
                                         "--unit", "bytes"]).stdout)
    assert out["alert"] is False and out["detected_at_seconds"] is None


def test_regression_against_a_baseline_file(tmp_path):
    earlier = [(t, 50 + math.sin(t / 70)) for t in range(0, 4 * 3600, 10)]
    slower = [(t, 65 + math.sin(t / 70)) for t in range(0, 4 * 3600, 10)]
    result = runner.invoke(app, ["detect", "regression", "-i", write(tmp_path / "now.csv", slower),
                                 "--baseline", write(tmp_path / "before.csv", earlier)])
    out = json.loads(result.stdout)
    assert out["alert"] is True and abs(out["effect"] - 0.3) < 0.05 and out["p_value"] < 1e-3


def test_bad_input_names_the_line(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("t_seconds,value\n0,1\n10,abc\n")
    result = runner.invoke(app, ["detect", "leak", "-i", str(bad)])
    assert result.exit_code != 0 and "bad.csv:3" in str(result.exception)
    missing = runner.invoke(app, ["detect", "regression", "-i", str(tmp_path / "nope.csv")])
    assert missing.exit_code != 0 and "no such file" in str(missing.exception)
