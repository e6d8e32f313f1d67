"""A private Samba server on 127.0.0.1 for the SMB tests and the SMB benchmark.

``smbd`` runs in the foreground with a config, state and passdb of its own under a
temporary folder, at a free high port, bound to the loopback interface only. It serves
folders as shares, each either for guests (read-only, mapped to ``nobody``) or for the
Samba user only (writable, so that a scan that wrote anything would succeed and be
seen). The Samba user ``scanner`` maps to the existing account ``daemon``: no account is
created. It needs root (smbd becomes the connecting user) and Debian's ``samba``
package; :func:`unavailable` says why it cannot run here.
"""
from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

SMBD = shutil.which("smbd") or "/usr/sbin/smbd"
SMBPASSWD = shutil.which("smbpasswd") or "/usr/bin/smbpasswd"
USER = "scanner"            # the name a client logs in with
UNIX_USER = "daemon"        # the existing unprivileged account it maps to (no account is created)
PASSWORD = "Sm8-t3st!pass"  # test-only; tests check it never shows up anywhere


def unavailable() -> str | None:
    """Why a private Samba server cannot run here, or None."""
    if not os.path.exists(SMBD):
        return "smbd not found (install Debian's samba package: apt-get install samba smbclient)"
    if not os.path.exists(SMBPASSWD):
        return "smbpasswd not found (install Debian's samba-common-bin package)"
    if os.geteuid() != 0:
        return "smbd must run as root to serve files as the connecting user"
    try:
        pwd.getpwnam(UNIX_USER)
        pwd.getpwnam("nobody")
    except KeyError:
        return f"the accounts {UNIX_USER!r} and 'nobody' are needed for the Samba users"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def world_readable_tmpdir(prefix: str) -> Path:
    """A temporary folder the Samba users can traverse (pytest's own are 0700 below root's)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


@dataclass(frozen=True)
class Share:
    name: str
    path: Path
    guest: bool = False  # guests (nobody) may read it; else only the Samba user, who may also write


@dataclass
class Samba:
    """A running smbd; :meth:`stop` ends it by its PID."""

    workdir: Path
    shares: tuple[Share, ...]
    port: int
    process: subprocess.Popen | None = None
    user: str = USER
    password: str = field(default=PASSWORD, repr=False)

    @property
    def log(self) -> str:
        return "".join(p.read_text(errors="replace") for p in sorted(self.workdir.glob("*.out")))

    def logs(self) -> bytes:
        """Everything smbd wrote (its output and per-client log files)."""
        return b"".join(p.read_bytes() for p in sorted(self.workdir.glob("log.*")) + sorted(self.workdir.glob("*.out")))

    def url(self, share: str, sub: str = "") -> str:
        return f"//127.0.0.1/{share}" + (f"/{sub}" if sub else "")

    def config(self) -> Path:
        w = self.workdir
        text = f"""
[global]
    server role = standalone server
    smb ports = {self.port}
    interfaces = lo
    bind interfaces only = yes
    disable netbios = yes
    private dir = {w}/private
    lock directory = {w}/lock
    state directory = {w}/state
    cache directory = {w}/cache
    pid directory = {w}/pid
    ncalrpc dir = {w}/ncalrpc
    binddns dir = {w}/binddns
    usershare path = {w}/usershares
    log file = {w}/log.%m
    log level = 1
    passdb backend = tdbsam:{w}/private/passdb.tdb
    username map = {w}/users.map
    map to guest = Bad User
    guest account = nobody
    disable spoolss = yes
    load printers = no
    printing = bsd
    printcap name = /dev/null
    server min protocol = SMB2_10
"""
        for share in self.shares:
            text += f"\n[{share.name}]\n    path = {share.path}\n" + (
                "    guest ok = yes\n    read only = yes\n" if share.guest else
                f"    valid users = {UNIX_USER}\n    read only = no\n")
        conf = w / "smb.conf"
        conf.write_text(text)
        (w / "users.map").write_text(f"{UNIX_USER} = {USER}\n")
        for sub in ("private", "lock", "state", "cache", "pid", "ncalrpc", "binddns", "usershares"):
            (w / sub).mkdir(exist_ok=True)
        return conf

    def start(self, timeout: float = 20.0) -> Samba:
        conf = self.config()
        subprocess.run([SMBPASSWD, "-c", str(conf), "-a", "-s", UNIX_USER],
                       input=f"{self.password}\n{self.password}\n", text=True, check=True, capture_output=True)
        out = open(self.workdir / "smbd.out", "wb")  # noqa: SIM115 - smbd writes to it while it runs
        self.process = subprocess.Popen([SMBD, "--foreground", "--no-process-group", "--debug-stdout",
                                         "-s", str(conf)], stdout=out, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL,
                                        start_new_session=True)  # smbd signals its whole process group on exit
        out.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"smbd exited with {self.process.returncode}:\n{self.log[-3000:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"smbd did not listen on port {self.port} within {timeout:g} s:\n{self.log[-3000:]}")

    def connection_pids(self) -> dict[int, int]:
        """{client port: PID of the smbd process serving that connection}, from smbstatus."""
        import re

        out = subprocess.run([shutil.which("smbstatus") or "/usr/bin/smbstatus", "-s", str(self.workdir / "smb.conf"),
                              "-p"], capture_output=True, text=True).stdout
        return {int(port): int(pid) for pid, port in re.findall(r"^(\d+)\s.*?:127\.0\.0\.1:(\d+)\)", out, re.M)}

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # smbd ends its own children on TERM
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)  # the group this server was started in: stragglers

    def __enter__(self) -> Samba:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(*shares: Share, workdir: Path | None = None) -> Samba:
    """A :class:`Samba` (not started) serving ``shares``; start it with ``.start()`` or ``with``."""
    workdir = workdir or world_readable_tmpdir("shadowscan-smbd-")
    return Samba(workdir=workdir, shares=shares, port=free_port())


def give_to_samba_user(root: Path, keep: tuple[Path, ...] = ()) -> None:
    """chown the tree to the Samba user (so the ``private`` share could write to it), except ``keep``."""
    entry = pwd.getpwnam(UNIX_USER)
    kept = {p.resolve() for p in keep}
    for dirpath, dirnames, filenames in os.walk(root):
        if Path(dirpath).resolve() in kept:
            dirnames[:] = []
            continue
        os.chown(dirpath, entry.pw_uid, entry.pw_gid)
        for name in filenames:
            os.chown(os.path.join(dirpath, name), entry.pw_uid, entry.pw_gid)


__all__ = ["Samba", "Share", "serve", "unavailable", "free_port", "world_readable_tmpdir", "give_to_samba_user",
           "USER", "PASSWORD"]
