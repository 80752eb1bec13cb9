"""Kafka's jars from Maven Central, resolved once into the cache and reused.

The cache folder is keyed by a hash of the pom, so a Kafka version bump resolves anew
while an unchanged pom never touches the network again.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Callable

from controller.errors import InfraError
from controller.infra.processes import tail
from controller.infra.tools import require_program

DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies"
COMPLETE_MARKER = ".complete"


def jar_dir_for(pom: Path, cache_root: Path) -> Path:
    digest = hashlib.sha256(pom.read_bytes()).hexdigest()[:12]
    return cache_root / digest


def ensure_kafka_jars(pom: Path, cache_root: Path, maven: str, java: str,
                      report: Callable[[str], None] = lambda _: None,
                      timeout_s: float = 900.0) -> Path:
    """The folder holding every runtime jar of the pom; resolves it on first use."""
    if not pom.is_file():
        raise InfraError(f"Kafka pom not found at {pom}",
                         fix="run soak from a checkout of the repository, or set SOAK_KAFKA_POM")
    target = jar_dir_for(pom, cache_root)
    if (target / COMPLETE_MARKER).exists():
        return target
    require_program(java, "Maven and the Kafka broker", "java")
    mvn = require_program(maven, "resolving Kafka's jars", "mvn")
    report(f"resolving Kafka jars from Maven Central into {target} (first run only)")
    cache_root.mkdir(parents=True, exist_ok=True)
    # Resolve into a scratch folder and rename: an interrupted download never looks complete.
    scratch = Path(tempfile.mkdtemp(prefix="resolving-", dir=cache_root))
    log = scratch.with_suffix(".log")
    argv = [mvn, "-B", "-q", "-f", str(pom), DEPENDENCY_PLUGIN,
            f"-DoutputDirectory={scratch}", "-DincludeScope=runtime"]
    try:
        with open(log, "wb") as out:
            result = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, timeout=timeout_s)
    except subprocess.TimeoutExpired as exc:
        shutil.rmtree(scratch, ignore_errors=True)
        raise InfraError(f"Maven did not finish resolving Kafka's jars within {timeout_s:.0f} s",
                         fix="check access to Maven Central, then run `soak infra up` again",
                         details=tail(log)) from exc
    if result.returncode != 0 or not any(scratch.glob("kafka_2.13-*.jar")):
        shutil.rmtree(scratch, ignore_errors=True)
        raise InfraError(
            "Maven could not resolve Kafka's jars (offline, or Maven Central unreachable?)",
            fix=f"check access to Maven Central (see {log}), or copy a resolved jar folder to {target}",
            details=tail(log))
    (scratch / COMPLETE_MARKER).write_text(" ".join(argv) + "\n")
    if target.exists():
        shutil.rmtree(target)
    scratch.rename(target)
    log.unlink(missing_ok=True)
    return target
