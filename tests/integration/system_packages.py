"""System packages the integration suite needs, installed when missing (idempotent).

A fresh machine of this project's kind has Java, Maven and Go but not Prometheus; as root
the fixtures install it from Debian's packages, otherwise they fail naming the command.
"""

from __future__ import annotations

import os
import shutil
import subprocess

_updated = False


def ensure_debian_package(package: str, binary: str, locate=shutil.which) -> str:
    """The path of `binary`, installing `package` first when `locate` cannot find it."""
    global _updated
    found = locate(binary)
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
    found = locate(binary)
    if not found:
        raise RuntimeError(f"apt-get installed {package} but {binary} is still not found")
    return found
