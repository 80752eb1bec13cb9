"""The Prometheus configuration and alert rules, checked by Prometheus's own promtool."""

from __future__ import annotations

import shutil
import subprocess

from controller.infra.prometheus import RULES_DIR, prometheus_config
from controller.settings import REPO_ROOT
from tests.integration.system_packages import ensure_debian_package

PROMETHEUS_DIR = REPO_ROOT / "deploy" / "prometheus"


def promtool(*args: str, cwd=PROMETHEUS_DIR) -> subprocess.CompletedProcess:
    ensure_debian_package("prometheus", "promtool")
    return subprocess.run([shutil.which("promtool"), *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_the_compose_config_and_the_local_one_are_valid_and_load_the_rules(tmp_path):
    checked = promtool("check", "config", "prometheus.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "7 rules found" in checked.stdout
    local = tmp_path / "prometheus.yml"
    local.write_text(prometheus_config("127.0.0.1", 9090, 9464, 5.0))
    checked = promtool("check", "config", str(local))
    assert checked.returncode == 0 and "7 rules found" in checked.stdout, checked.stdout + checked.stderr


def test_every_alert_rule_fires_in_one_case_and_not_in_another():
    result = promtool("test", "rules", "tests/soak-alerts.test.yml")
    assert result.returncode == 0 and "SUCCESS" in result.stdout, result.stdout + result.stderr
    rules = {line.split(":", 1)[1].strip() for line in (RULES_DIR / "soak-alerts.yml").read_text().splitlines()
             if line.strip().startswith("- alert:")}
    tests = (PROMETHEUS_DIR / "tests" / "soak-alerts.test.yml").read_text()
    for rule in rules:
        # a case where it fires (exp_alerts with labels) and one where it does not (empty)
        assert f"alertname: {rule}\n        exp_alerts:\n          - exp_labels" in tests, rule
        assert f"alertname: {rule}\n        exp_alerts: []" in tests, rule
