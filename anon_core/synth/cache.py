"""Where generated sprites and sample scenes live: $ANON_CACHE_DIR, else the user cache dir."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def cache_dir() -> Path:
    """The cache root (created on demand); override with the environment variable ANON_CACHE_DIR."""
    env = os.environ.get("ANON_CACHE_DIR")
    path = Path(env) if env else Path(platformdirs.user_cache_dir("anonymize-first"))
    path.mkdir(parents=True, exist_ok=True)
    return path
