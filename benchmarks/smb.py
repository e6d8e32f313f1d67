#!/usr/bin/env python3
"""Benchmark 4: SMB listing vs Samba's own `smbclient -c 'recurse; ls'`, on a loopback share.

Aim: at least half of smbclient's rate. A private Samba server (tests/sambaserver.py, needs
root and Debian's samba + smbclient) serves a generated tree (default 20,000 files in 200
folders, one in ten a candidate); shadowscan's listing (``SmbSource.walk``, a fresh logon
each run, as smbclient logs on each run) and smbclient list it in the same run, best of
three after one untimed run of each. smbprotocol's plain ``scandir`` walk is shown too. Then
a full ``shadowscan crawl`` of the demo share over SMB against the same crawl of the folder.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time

from _common import REPO, env, make_tree, report, shadowscan, timed

sys.path.insert(0, str(REPO / "tests"))
import sambaserver  # noqa: E402
from sambaserver import PASSWORD, USER, Share  # noqa: E402

from shadowscan.sources import Problem, SourceOptions  # noqa: E402
from shadowscan.sources.smb import SmbSource  # noqa: E402


def ours(url: str, options: SourceOptions) -> tuple[float, int]:
    start = time.perf_counter()
    source = SmbSource("127.0.0.1", options)
    found = sum(1 for item in source.walk(url, ()) if not isinstance(item, Problem))
    elapsed = time.perf_counter() - start
    source.close()
    return elapsed, found


def plain_smbprotocol(unc: str, options: SourceOptions) -> tuple[float, int]:
    """The straightforward smbclient.scandir walk with entry.smb_info (the reference in LIBRARY-NOTES)."""
    import smbclient

    cache: dict = {}
    kwargs = {"username": options.username, "password": options.password, "port": options.port,
              "connection_cache": cache}
    start = time.perf_counter()
    smbclient.register_session("127.0.0.1", **kwargs)
    files, stack = 0, [unc]
    while stack:
        for entry in smbclient.scandir(stack.pop(), **kwargs):
            if entry.is_dir():
                stack.append(entry.path)
            else:
                files += 1
                entry.smb_info.end_of_file  # noqa: B018 - size and mtime come with the listing
    elapsed = time.perf_counter() - start
    smbclient.reset_connection_cache(connection_cache=cache)
    return elapsed, files


def samba_client(url: str, port: int) -> tuple[float, int]:
    # the password from the environment, not argv
    seconds, proc = timed(["smbclient", url, "-p", str(port), "-U", USER, "-c", "recurse; ls"],
                          env={**os.environ, "PASSWD": PASSWORD}, stdin=subprocess.DEVNULL, timeout=300)
    return seconds, sum(1 for line in proc.stdout.splitlines() if line.rstrip().endswith(tuple("0123456789"))
                        and (".txt " in line or ".py " in line))


def best(runs: int, fn, *args) -> tuple[float, int]:
    fn(*args)  # warm: page cache, smbd's own caches
    results = [fn(*args) for _ in range(runs)]
    return min(results)[0], results[0][1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop our smbd on the way out
    why = sambaserver.unavailable() or (None if shutil.which("smbclient") else "smbclient not found")
    if why:
        raise SystemExit(f"cannot run the SMB benchmark: {why}")
    base = sambaserver.world_readable_tmpdir("shadowscan-smbbench-")
    try:
        tree, demo, workdir = base / "tree", base / "demo", base / "smbd"
        make_tree(tree, args.files)
        for i, path in enumerate(sorted(tree.rglob("*.txt"))):
            if i % 10 == 0:
                path.rename(path.with_suffix(".py"))  # one in ten is a candidate
        shutil.copytree(REPO / "samples" / "share", demo)
        workdir.mkdir()
        sambaserver.give_to_samba_user(base)
        with sambaserver.serve(Share("bench", tree), Share("demo", demo), workdir=workdir) as server:
            options = SourceOptions(username=USER, password=PASSWORD, port=server.port)
            url = server.url("bench")
            ours_s, ours_n = best(args.runs, ours, url, options)
            theirs_s, theirs_n = best(args.runs, samba_client, url, server.port)
            plain_s, plain_n = best(1, plain_smbprotocol, r"\\127.0.0.1\bench", options)
            assert ours_n == args.files // 10 and theirs_n == args.files == plain_n, (ours_n, theirs_n, plain_n)

            crawl_env = {**env(), "SHADOWSCAN_SMB_PASSWORD": PASSWORD}
            startup = min(timed(["smbclient", url, "-p", str(server.port), "-U", USER, "-c", "exit"],
                                env={**os.environ, "PASSWD": PASSWORD}, stdin=subprocess.DEVNULL)[0] for _ in range(3))
            smb_crawl, proc = timed(shadowscan("--db", str(base / "smb.db"), "crawl", server.url("demo"), "--port",
                                               str(server.port), "-U", USER), env=crawl_env)
            local_crawl = timed(shadowscan("--db", str(base / "local.db"), "crawl", str(demo), "--quiet"),
                                env=env())[0]
            artifacts = proc.stdout.split(" artifacts", 1)[0].rsplit(" ", 1)[-1]
        report(f"SMB listing over loopback ({args.files:,} files, {args.files // 100} folders, signed user session)", [
            ("smbclient -c 'recurse; ls'", f"{theirs_s:.2f} s ({args.files / theirs_s:,.0f} files/s)"),
            ("shadowscan SmbSource.walk", f"{ours_s:.2f} s ({args.files / ours_s:,.0f} files/s)"),
            ("smbprotocol scandir walk (reference)", f"{plain_s:.2f} s ({args.files / plain_s:,.0f} files/s)"),
            ("(smbclient start-up and logon alone)", f"{startup:.2f} s"),
            ("ratio (shadowscan rate / smbclient rate)", f"{theirs_s / ours_s:.2f}  (aim >= 0.5)"),
        ])
        report(f"full crawl of the demo share ({artifacts} artifacts, default --jobs)", [
            ("shadowscan crawl //127.0.0.1/demo", f"{smb_crawl:.2f} s"),
            ("shadowscan crawl <the same folder>", f"{local_crawl:.2f} s"),
        ])
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
