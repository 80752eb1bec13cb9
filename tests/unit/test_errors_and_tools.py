import pytest

from controller.cli.common import build_settings
from controller.errors import InfraError, SoakError
from controller.infra.maven import ensure_kafka_jars, jar_dir_for
from controller.infra.tools import ensure_writable_dir, require_program


def test_one_line_folds_whitespace_and_names_the_fix():
    err = SoakError("broker\n  failed", fix="do   this")
    assert err.one_line() == "broker failed; fix: do this"
    assert SoakError("plain").one_line() == "plain"


def test_missing_program_names_the_install_command():
    with pytest.raises(InfraError) as info:
        require_program("java-that-does-not-exist", "tests", "java")
    assert "JDK 17" in info.value.one_line()


def test_writable_dir_refuses_a_path_beneath_a_file(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(InfraError) as info:
        ensure_writable_dir(tmp_path / "f" / "data")
    assert "is not writable" in info.value.one_line() and "--data-dir" in info.value.one_line()
    assert ensure_writable_dir(tmp_path / "ok") == tmp_path / "ok"


def test_missing_pom_is_a_clear_error(tmp_path):
    with pytest.raises(InfraError) as info:
        ensure_kafka_jars(tmp_path / "pom.xml", tmp_path / "cache", "mvn", "java")
    assert "Kafka pom not found" in info.value.one_line()


def test_jar_cache_is_keyed_by_the_pom_content(tmp_path):
    pom = tmp_path / "pom.xml"
    pom.write_text("<project>a</project>")
    first = jar_dir_for(pom, tmp_path)
    pom.write_text("<project>b</project>")
    assert jar_dir_for(pom, tmp_path) != first


def test_completed_jar_cache_is_reused_without_maven(tmp_path):
    pom = tmp_path / "pom.xml"
    pom.write_text("<project/>")
    done = jar_dir_for(pom, tmp_path / "cache")
    done.mkdir(parents=True)
    (done / ".complete").write_text("")
    assert ensure_kafka_jars(pom, tmp_path / "cache", "no-mvn", "no-java") == done


def test_bad_setting_names_the_flag_or_the_variable():
    with pytest.raises(SoakError) as info:
        build_settings(kafka_heap="lots")
    assert "invalid setting kafka_heap" in info.value.one_line() and "--kafka-heap" in info.value.one_line()
