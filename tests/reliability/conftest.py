"""Fixtures of the reliability suite: a workspace of inputs."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from media_factory import make_clip


@pytest.fixture()
def workspace(tmp_path) -> Path:
    """clip.mp4 (24 frames), in.png, a MOT sequence seq/ (img1 + gt + seqinfo.ini), an unrelated
    mywork/notes.txt and a plain file note.txt."""
    ws = tmp_path / "ws"
    ws.mkdir()
    make_clip(ws / "clip.mp4", frames=24, size=(160, 120))
    rng = np.random.default_rng(0)
    cv2.imwrite(str(ws / "in.png"), rng.integers(0, 255, (120, 160, 3), np.uint8))
    (ws / "seq" / "img1").mkdir(parents=True)
    (ws / "seq" / "gt").mkdir()
    for i in range(1, 5):
        cv2.imwrite(str(ws / "seq" / "img1" / f"{i:06d}.jpg"), rng.integers(0, 255, (120, 160, 3), np.uint8))
    (ws / "seq" / "gt" / "gt.txt").write_text("1,1,10,10,20,40,1,1,1\n")
    (ws / "seq" / "seqinfo.ini").write_text("[Sequence]\nframeRate=25\n")
    (ws / "mywork").mkdir()
    (ws / "mywork" / "notes.txt").write_text("my unrelated work\n")
    (ws / "note.txt").write_text("a file, not a folder\n")
    return ws

