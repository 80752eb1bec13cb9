"""System packages the integration suite needs, installed when missing (idempotent).

A fresh machine of this project's kind has Java, Maven and Go but not Prometheus; as root
the fixtures install it from Debian's packages, otherwise they fail naming the command.
"""

from __future__ import annotations

import os
import shutil
import subprocess

_updated = False


def ensure_debian_package(package: str, binary: str) -> str:
    global _updated
    found = shutil.which(binary)
    if found:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise RuntimeError(f"{binary} is missing: run `apt-get install -y {package}` first")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if not _updated:
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        _updated = True
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", package],
                   check=True, env=env)
    found = shutil.which(binary)
    if not found:
        raise RuntimeError(f"apt-get installed {package} but {binary} is still not on PATH")
    return found
