from pathlib import Path

import pytest
from pydantic import ValidationError

from controller.settings import SoakSettings


def test_embedded_defaults_need_no_configuration(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    s = SoakSettings()
    assert s.data_dir == tmp_path / "soak-data"
    assert s.effective_bootstrap_servers == "127.0.0.1:9092"
    assert s.uses_local_broker
    assert s.effective_database_url == f"sqlite:///{tmp_path / 'soak-data' / 'soak.db'}"
    assert s.effective_catalog_uri == f"sqlite:///{tmp_path / 'soak-data' / 'catalog.db'}"
    assert s.effective_warehouse == (tmp_path / "soak-data" / "warehouse").as_uri()
    assert s.ray_address is None


def test_environment_with_soak_prefix(monkeypatch, tmp_path):
    monkeypatch.setenv("SOAK_DATA_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("SOAK_BOOTSTRAP_SERVERS", "kafka-1:9092,kafka-2:9092")
    monkeypatch.setenv("SOAK_KAFKA_PORT", "19092")
    s = SoakSettings()
    assert s.data_dir == tmp_path / "elsewhere"
    assert s.effective_bootstrap_servers == "kafka-1:9092,kafka-2:9092"
    assert not s.uses_local_broker
    assert s.kafka_port == 19092


def test_catalog_properties_reach_the_run_s_table_ref(monkeypatch, tmp_path):
    from controller.runs.spec import RunSpec
    from workloads.loader import load_workload

    monkeypatch.setenv("SOAK_WAREHOUSE", "s3://bucket/wh")
    monkeypatch.setenv("SOAK_CATALOG_PROPERTIES", '{"s3.endpoint": "http://minio:9000", "s3.region": "eu-west-1"}')
    s = SoakSettings(data_dir=tmp_path)
    ref = RunSpec.build("r-1", load_workload(None), 0.1, s).table_ref
    assert (ref.warehouse, ref.properties) == ("s3://bucket/wh", (("s3.endpoint", "http://minio:9000"),
                                                                  ("s3.region", "eu-west-1")))


def test_explicit_values_win_over_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SOAK_DATA_DIR", "/from/env")
    assert SoakSettings(data_dir=tmp_path).data_dir == tmp_path


def test_relative_data_dir_is_made_absolute(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert SoakSettings(data_dir=Path("x/y")).data_dir == tmp_path / "x" / "y"


@pytest.mark.parametrize("field,value", [("kafka_port", 0), ("kafka_port", 70000),
                                         ("kafka_heap", "lots"), ("kafka_ready_timeout_s", 0),
                                         ("alertmanager_port", 0), ("alertmanager_port", 70000),
                                         ("alertmanager_url", "alertmanager:9093"),
                                         ("no_such_setting", 1)])
def test_bad_values_are_refused(field, value):
    with pytest.raises(ValidationError) as info:
        SoakSettings(**{field: value})
    assert field in str(info.value)


def test_alerts_are_pushed_only_when_an_alertmanager_is_known(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    s = SoakSettings()
    assert s.effective_alertmanager_url is None and not s.alertmanager_enabled
    # Not 9093 by default: that is the local broker's controller port.
    assert s.alertmanager_port == 9095 != s.kafka_controller_port
    assert SoakSettings(alertmanager_enabled=True).effective_alertmanager_url == "http://127.0.0.1:9095"
    assert SoakSettings(alertmanager_enabled=True, alertmanager_port=19095).effective_alertmanager_url == \
        "http://127.0.0.1:19095"
    monkeypatch.setenv("SOAK_ALERTMANAGER_URL", "https://alerts.staging:9093/")
    explicit = SoakSettings(alertmanager_enabled=True)
    assert explicit.effective_alertmanager_url == "https://alerts.staging:9093"
