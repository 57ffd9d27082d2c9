"""Atomic file output: write to a temp file beside the target, then rename it into place."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def temp_beside(path: Path, suffix: str = ".part") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=suffix)
    os.close(fd)
    return Path(tmp)


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def publish(tmp: Path, path: Path) -> None:
    """Move a finished temp file into place with normal permissions (mkstemp makes it 0600)."""
    os.chmod(tmp, 0o666 & ~_umask())
    os.replace(tmp, path)


def publish_dir(tmp: Path, path: Path) -> None:
    """Rename a finished temp folder into place with mkdir's permissions (mkdtemp makes it 0700, so an
    `anon frames`/`anon synth` output folder was unreadable to everyone else, unlike the files in it)."""
    os.chmod(tmp, 0o777 & ~_umask())
    os.rename(tmp, path)
