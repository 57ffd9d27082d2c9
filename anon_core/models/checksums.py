"""Weight-file checksums for audit reports (cached per path, size and mtime)."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


@lru_cache(maxsize=64)
def _cached(path: str, size: int, mtime: float) -> str:
    return sha256_file(path)


def weight_sha256(path: str | Path) -> str:
    st = Path(path).stat()
    return _cached(str(path), st.st_size, st.st_mtime)
