"""A real PostgreSQL server for the tests: initdb in a temporary folder, ``postgres`` on
127.0.0.1 at a free high port (its unix socket in the same folder), stopped by PID.

PostgreSQL refuses to run as root: as root the server runs as the unprivileged ``nobody``
account (through ``setpriv``). Where it cannot start (no binaries, no such account), the
caller skips with the reason."""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path


class Unavailable(Exception):
    """PostgreSQL cannot be started here; the message says why."""


def _bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    which = shutil.which("postgres")
    if which:
        return Path(which).parent
    raise Unavailable("PostgreSQL is not installed (apt-get install postgresql)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """``with PostgresServer() as pg: pg.url`` (database ``postgres``, user ``shadowscan``)."""

    def __init__(self) -> None:
        self.bindir = _bindir()
        self.tmp = Path(tempfile.mkdtemp(prefix="shadowscan-pg-"))
        self.data = self.tmp / "data"
        self.port = _free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.prefix: list[str] = []
        if os.geteuid() == 0:
            try:
                user = pwd.getpwnam("nobody")
            except KeyError as exc:
                raise Unavailable("running as root and no 'nobody' account to run PostgreSQL as") from exc
            if not shutil.which("setpriv"):
                raise Unavailable("running as root and no setpriv to drop to an unprivileged account")
            self.prefix = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups",
                           "--reset-env"]
            os.chmod(self.tmp, 0o700)
            os.chown(self.tmp, user.pw_uid, user.pw_gid)

    @property
    def url(self) -> str:
        return f"postgresql://shadowscan@127.0.0.1:{self.port}/postgres"

    def dsn(self, dbname: str) -> str:
        return f"postgresql://shadowscan@127.0.0.1:{self.port}/{dbname}"

    def start(self) -> PostgresServer:
        env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8", "HOME": str(self.tmp)}
        init = subprocess.run([*self.prefix, str(self.bindir / "initdb"), "-D", str(self.data), "-U", "shadowscan",
                               "--auth=trust", "-E", "UTF8", "--no-sync"], env=env, capture_output=True, text=True)
        if init.returncode:
            raise Unavailable(f"initdb failed: {(init.stderr or init.stdout).strip().splitlines()[-1:]}")
        with open(self.tmp / "postgres.log", "wb") as log:
            self.proc = subprocess.Popen(
                [*self.prefix, str(self.bindir / "postgres"), "-D", str(self.data), "-h", "127.0.0.1",
                 "-p", str(self.port), "-k", str(self.tmp), "-c", "fsync=off", "-c", "synchronous_commit=off",
                 "-c", "full_page_writes=off", "-c", "max_connections=200", "-c", "shared_buffers=64MB"],
                env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise Unavailable("postgres exited at start: "
                                  + (self.tmp / "postgres.log").read_text(errors="replace").strip()[-300:])
            ready = subprocess.run([str(self.bindir / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                                   capture_output=True)
            if ready.returncode == 0:
                return self
            time.sleep(0.2)
        self.stop()
        raise Unavailable("postgres did not accept connections within 30 s")

    def create_database(self, name: str) -> str:
        """A fresh database on this server; returns its URL."""
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.dsn(name)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGQUIT)  # immediate shutdown: a throwaway cluster, nothing to keep
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
