"""The KubeRay manifest, the Ray cluster launcher config and the Dockerfile agree with each
other and with the settings: image, Ray version, ports, env names, commands."""

from __future__ import annotations

import re
import tomllib

import yaml

from controller.settings import REPO_ROOT, SoakSettings

DEPLOY = REPO_ROOT / "deploy"
DOCKERFILE = (DEPLOY / "docker" / "Dockerfile").read_text()
KUBERAY = list(yaml.safe_load_all((DEPLOY / "kuberay" / "raycluster.yaml").read_text()))
LAUNCHER = yaml.safe_load((DEPLOY / "ray-cluster" / "cluster.yaml").read_text())
SETTINGS_ENV = {f"SOAK_{name.upper()}" for name in SoakSettings.model_fields}


def ray_version() -> str:
    return re.search(r"^ARG RAY_VERSION=(\S+)$", DOCKERFILE, re.M).group(1)


def containers() -> list[dict]:
    cluster = KUBERAY[0]["spec"]
    pods = [cluster["headGroupSpec"]["template"]] + [g["template"] for g in cluster["workerGroupSpecs"]]
    return [c for pod in pods for c in pod["spec"]["containers"]]


def test_the_dockerfile_copies_what_the_code_reads_and_its_entry_point_exists():
    for folder in ("controller", "agents", "workloads", "dashboards", "deploy"):
        assert f"COPY {folder} ./{folder}" in DOCKERFILE
        assert (REPO_ROOT / folder).is_dir()
    assert "pip install --no-cache-dir -e ." in DOCKERFILE  # REPO_ROOT is the checkout, as the code expects
    scripts = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["soak"] == "controller.cli:main"


def test_kuberay_runs_one_ray_version_one_image_and_the_settings_ports():
    cluster = KUBERAY[0]
    assert cluster["apiVersion"] == "ray.io/v1" and cluster["kind"] == "RayCluster"
    assert cluster["spec"]["rayVersion"] == ray_version()
    assert {c["image"] for c in containers()} == {"soak-fleet:latest"}
    d = SoakSettings()
    head = cluster["spec"]["headGroupSpec"]["template"]["spec"]["containers"]
    ports = {p["containerPort"] for c in head for p in c.get("ports", [])}
    assert {d.ray_port, d.metrics_port, d.api_port} <= ports
    api = next(c for c in head if c["name"] == "soak-api")
    assert api["command"][:2] == ["soak", "serve"] and api["command"][api["command"].index("--port") + 1] == str(
        d.api_port)
    assert api["readinessProbe"]["httpGet"]["path"] == "/readyz"
    service = next(doc for doc in KUBERAY if doc["kind"] == "Service")
    assert {p["port"] for p in service["spec"]["ports"]} == {d.api_port, d.metrics_port}
    # The API container shares the head's /tmp/ray: a driver needs its raylet's sockets.
    mounts = {c["name"]: {m["mountPath"] for m in c["volumeMounts"]} for c in head}
    assert all("/tmp/ray" in paths for paths in mounts.values())


def test_every_env_var_is_a_setting_and_secrets_come_from_a_secret():
    for container in containers():
        for var in container.get("env", []):
            assert var["name"] in SETTINGS_ENV, var["name"]
            if var["name"].endswith(("TOKEN", "TOKENS", "DATABASE_URL")):
                assert "secretKeyRef" in var.get("valueFrom", {}), var["name"]


def test_the_vm_launcher_installs_the_same_ray_and_starts_the_api():
    assert LAUNCHER["provider"]["type"] == "local"
    assert any(f'"ray[default]=={ray_version()}"' in cmd for cmd in LAUNCHER["setup_commands"])
    assert any("soak serve" in cmd for cmd in LAUNCHER["head_start_ray_commands"])
    assert any(f"--port={SoakSettings().ray_port}" in cmd for cmd in LAUNCHER["head_start_ray_commands"])
