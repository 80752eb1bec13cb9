"""A throw-away PostgreSQL server (Debian's package) for the run-store tests."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import uuid
from pathlib import Path

import sqlalchemy

from tests.integration.system_packages import ensure_debian_package


def _server_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


class PostgresServer:
    """initdb + pg_ctl in a directory of ours, trust auth on 127.0.0.1 only."""

    def __init__(self, workdir: Path, port: int):
        ensure_debian_package("postgresql", "initdb", locate=_server_bin)
        self.bin = Path(_server_bin("initdb")).parent
        self.data = workdir / "pgdata"
        self.port = port
        self.log = workdir / "postgres.log"
        # PostgreSQL refuses to run as root: run its tools as the `postgres` user then.
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if os.geteuid() == 0:
            pg = pwd.getpwnam("postgres")
            workdir.chmod(0o755)
            self.data.mkdir(mode=0o700)
            os.chown(self.data, pg.pw_uid, pg.pw_gid)
            self.log.touch()
            os.chown(self.log, pg.pw_uid, pg.pw_gid)

    def _run(self, *argv: str) -> None:
        done = subprocess.run([*self.as_user, *argv], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")

    def start(self) -> "PostgresServer":
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "--auth=trust", "--username=postgres", "-E", "UTF8")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-o",
                  f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1", "start")
        return self

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def new_database(self) -> str:
        """A fresh, empty database; returns its SQLAlchemy URL."""
        name = f"soak_{uuid.uuid4().hex[:10]}"
        admin = sqlalchemy.create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return self.url(name)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/{database}"
