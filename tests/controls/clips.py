"""Clips for the review tests (engine, AppTest, browser)."""

import numpy as np

from anon_core.detectors import create_detector
from anon_core.media import VideoReader, VideoWriter
from anon_core.metrics.leak import detail_nccs

FRAMES = 20


def moving_face_clip(path, person_img, frames=FRAMES, step=10):
    """A studio portrait (face ~90 px) sliding right over a textured grey background; returns per-frame
    face boxes (xyxy) measured with CenterFace on the raw frames."""
    rng = np.random.default_rng(0)
    bg = (rng.normal(110, 12, (360, 480, 3))).clip(0, 255).astype(np.uint8)
    face = person_img[:220, :200]
    # confident boxes only (the default 0.1 also finds a sliver of the face at the frame edge)
    det = create_detector("centerface", threshold=0.4)
    boxes = []
    with VideoWriter(path, 10.0) as w:
        for i in range(frames):
            f = bg.copy()
            x = 20 + step * i
            if x < 480:  # the portrait slides out over the right edge
                f[60:280, x:x + 200] = face[:, : min(200, 480 - x)]
            w.write(f)
            found = det(f)
            boxes.append(found.xyxy[int(np.argmax(found.scores))] if len(found) else None)
    return boxes


def clip_nccs(raw_path, out_path, boxes) -> list[float]:
    """Detail NCC (anon_core/metrics/leak.py) of one face box per frame, raw clip vs output."""
    with VideoReader(raw_path) as a, VideoReader(out_path) as b:
        return [float(detail_nccs(r, o, [box])[0]) for r, o, box in zip(a.frames(), b.frames(), boxes)]
