import json
from datetime import datetime, timezone

from controller.alerting.alertmanager import EVIDENCE_MAX_BYTES, AlertmanagerPush, alertname, payload, rfc3339
from controller.analysis.alerts import Alert

T0 = 1_714_564_800_250_000_000  # 2024-05-01T12:00:00.250Z


def leak(**changes) -> dict:
    raw = {"kind": "memory_leak", "subject": "producer-0", "summary": "RSS grows 12 MiB/h since 10:00",
           "evidence": {"slope_bytes_per_s": 3495.2, "window_s": 3600}, "first_seen_ns": T0,
           "last_seen_ns": T0, "resolved_ns": None, "id": 7}
    return {**raw, **changes}


def test_labels_name_the_alert_the_run_and_the_workload():
    (item,) = payload([leak()], run_id="run-42", workload="steady")
    assert item["labels"] == {"alertname": "SoakMemoryLeak", "kind": "memory_leak", "subject": "producer-0",
                              "run_id": "run-42", "workload": "steady", "severity": "warning"}
    assert item["annotations"]["summary"] == "RSS grows 12 MiB/h since 10:00"
    assert json.loads(item["annotations"]["evidence"]) == {"slope_bytes_per_s": 3495.2, "window_s": 3600}
    assert " " not in item["annotations"]["evidence"]  # compact
    assert "generatorURL" not in item


def test_alert_names_are_camel_case_of_the_kind():
    assert alertname("memory_leak") == "SoakMemoryLeak"
    assert alertname("fault_not_recovered") == "SoakFaultNotRecovered"
    assert alertname("LAG_growth") == "SoakLagGrowth"
    assert alertname("cross-run regression") == "SoakCrossRunRegression"


def test_times_are_rfc3339_utc_with_z():
    assert rfc3339(T0) == "2024-05-01T12:00:00.250Z"
    assert rfc3339(0) == "1970-01-01T00:00:00.000Z"
    (item,) = payload([leak()], "r", "w")
    parsed = datetime.fromisoformat(item["startsAt"].replace("Z", "+00:00"))
    assert parsed == datetime(2024, 5, 1, 12, 0, 0, 250_000, tzinfo=timezone.utc)


def test_ends_at_only_when_resolved():
    active, resolved = payload([leak(), leak(subject="producer-1", resolved_ns=T0 + 90 * 10**9)], "r", "w")
    assert "endsAt" not in active
    assert resolved["endsAt"] == "2024-05-01T12:01:30.250Z"
    assert resolved["startsAt"] == active["startsAt"]


def test_unknown_first_seen_leaves_the_start_to_alertmanager():
    (item,) = payload([leak(first_seen_ns=0)], "r", "w")
    assert "startsAt" not in item


def test_generator_url_when_given():
    (item,) = payload([leak()], "r", "w", generator_url="http://controller:8080/runs/r")
    assert item["generatorURL"] == "http://controller:8080/runs/r"


def test_evidence_is_truncated_to_2_kb_of_utf8():
    big = {"samples": ["é" * 50] * 200}
    (item,) = payload([leak(evidence=big)], "r", "w")
    text = item["annotations"]["evidence"]
    assert len(text.encode()) <= EVIDENCE_MAX_BYTES
    assert len(text.encode()) > EVIDENCE_MAX_BYTES - 8
    assert text.endswith("…") and text.startswith('{"samples":["éé')


def test_small_or_missing_evidence_is_kept_whole():
    assert payload([leak(evidence=None)], "r", "w")[0]["annotations"]["evidence"] == "{}"
    evidence = {"x": "y" * (EVIDENCE_MAX_BYTES - 8)}  # exactly 2048 bytes as JSON
    assert payload([leak(evidence=evidence)], "r", "w")[0]["annotations"]["evidence"] == json.dumps(
        evidence, separators=(",", ":"))


def test_takes_what_alert_to_json_gives():
    alert = Alert("lag_growth", "consumer-verifier-1", "lag grows", {"rate": 5}, T0, T0 + 1, T0 + 10**9)
    (item,) = payload([alert.to_json()], "r", "w")
    assert item["labels"]["alertname"] == "SoakLagGrowth"
    assert item["endsAt"] == "2024-05-01T12:00:01.250Z"


def test_push_endpoint_and_resend_period():
    push = AlertmanagerPush("http://am:9095/")
    assert push.endpoint == "http://am:9095/api/v2/alerts"
    assert AlertmanagerPush.resend_every_s == 60


def test_nothing_to_push_sends_nothing():
    AlertmanagerPush("http://127.0.0.1:1").push([], "r", "w")  # would fail if it tried
