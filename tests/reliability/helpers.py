"""Helpers of the reliability suite: byte snapshots, one-line error checks, `anon` in a subprocess."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def snapshot(root: Path) -> dict[str, str]:
    """relative path -> sha256 of every file below root (symlinks by their target path)."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        if p.is_symlink():
            out[rel] = "link:" + str(p.readlink())
        elif p.is_file():
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
        elif p.is_dir():
            out[rel + "/"] = "dir"
    return out


def error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.strip()]



def run_anon(args: list[str], cwd: Path, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """`anon ARGS` in a subprocess with this checkout first on the path."""
    e = dict(os.environ, PYTHONPATH=str(ROOT), **(env or {}))
    return subprocess.run([sys.executable, "-m", "anon_core.cli.main", *args], cwd=cwd, env=e, capture_output=True,
                          text=True, timeout=timeout)
