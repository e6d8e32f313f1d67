"""Shared helpers for the benchmarks: generated trees, timing, peak memory of a command."""
from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def make_tree(root: Path, files: int, per_dir: int = 100, name: str = "data{:06d}.txt",
              content: bytes = b"x") -> Path:
    """``files`` small files spread over nested folders (two levels)."""
    for i in range(files):
        d = root / f"d{i // (per_dir * 50):03d}" / f"e{(i // per_dir) % 50:02d}"
        if i % per_dir == 0:
            d.mkdir(parents=True, exist_ok=True)
        (d / name.format(i)).write_bytes(content)
    return root


def timed(cmd: list[str], **kwargs) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    streams = {"stderr": subprocess.PIPE} if "stdout" in kwargs else {"capture_output": True}
    proc = subprocess.run(cmd, check=False, text=True, errors="replace", **streams, **kwargs)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return elapsed, proc


def peak_rss_mb(cmd: list[str], **kwargs) -> tuple[float, float]:
    """(seconds, peak RSS in MiB) of a command run as a child (children of it not counted)."""
    code = ("import resource,subprocess,sys,time; t=time.perf_counter(); "
            "p=subprocess.run(sys.argv[1:], capture_output=True); "
            "sys.stderr.buffer.write(p.stderr[-2000:]) if p.returncode else None; "
            "print(time.perf_counter()-t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
            "sys.exit(p.returncode)")
    proc = subprocess.run([sys.executable, "-c", code, *cmd], capture_output=True, text=True, **kwargs)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr}")
    seconds, kib = proc.stdout.split()
    return float(seconds), int(kib) / 1024


def shadowscan(*args: str) -> list[str]:
    return [sys.executable, "-m", "shadowscan.cli", *args]


def env() -> dict[str, str]:
    """The environment of a measured command. Bytecode is cached (in a folder outside the
    project) as in any installation: with PYTHONDONTWRITEBYTECODE set, as in some shells, every
    start would compile the sources again and measure that instead of the start-up."""
    clean = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    cache = os.path.join(tempfile.gettempdir(), "pycache-of-shadowscan-benchmarks")
    return {**clean, "PYTHONPATH": str(REPO), "PYTHONPYCACHEPREFIX": cache}


def report(title: str, rows: list[tuple[str, str]]) -> None:
    print(f"\n== {title}")
    for key, value in rows:
        print(f"{key:<44} {value}")


__all__ = ["make_tree", "timed", "peak_rss_mb", "shadowscan", "env", "report", "resource"]
