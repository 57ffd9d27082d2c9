"""Re-detection in crops around tracked faces ("roi" runs of --detect-every auto) must not cut a
newcomer standing beside a tracked face.

On the synthetic deboarding clip (1280x720, seed 0) a 29 px passenger steps out of the door right
beside another's face on frame 26; its motion fell inside that face's zone, so the frame ran a crop
re-detection, and CenterFace's box for the newcomer ended at the crop's edge: 48 % of the face
covered, detail NCC 0.64 (leaked).  A box ending at a crop's inner edge now sends the frame to a
full detection."""

import json

import numpy as np

from anon_core.media.video import VideoReader
from anon_core.metrics.leak import detail_nccs
from anon_core.pipeline import Pipeline, PipelineConfig
from anon_core.synth import ensure_sample

FRAMES = 30


def test_newcomer_beside_a_tracked_face_is_not_cut_by_a_crop():
    sample = ensure_sample("deboarding", size=(1280, 720), seconds=6)
    faces: dict[int, list] = {}
    for line in sample.faces.read_text().splitlines():
        row = json.loads(line)  # frames are 1-based, like MOTChallenge
        if row["box"][2] >= 16 and row["visibility"] >= 0.5:
            faces.setdefault(row["frame"] - 1, []).append(row)
    pipe = Pipeline(PipelineConfig(targets=("face",), detect_every="auto", detect_width=640))
    reader = VideoReader(sample.video)
    leaked, scored = [], 0
    try:
        for i, (_, frame) in enumerate(reader.timed_frames()):
            if i == FRAMES:
                break
            out = pipe.process(frame).frame
            rows = faces.get(i, [])
            if not rows:
                continue
            boxes = np.array([[x, y, x + w, y + h] for x, y, w, h in (r["box"] for r in rows)])
            scored += len(rows)
            leaked += [(i + 1, r["track_id"]) for r, v in zip(rows, detail_nccs(frame, out, boxes)) if v > 0.5]
    finally:
        reader.close()
    assert scored >= 50, scored
    assert pipe.schedule.runs["roi"] >= 5, pipe.schedule.runs  # the clip exercises crop re-detection
    assert not leaked, leaked
