"""The deboarding scene: passengers come out of the door one after another, grow as they walk towards
the camera, and each changes expression once on the way (so the emotion mix over time moves)."""

from __future__ import annotations

from collections import defaultdict

from anon_core.synth import ensure_sample, load_faces


def test_passengers_walk_towards_the_camera_and_change_expression():
    sample = ensure_sample("deboarding", seed=0, seconds=3.0)
    meta = sample.load_meta()
    assert meta["kind"] == "deboarding" and (meta["width"], meta["height"]) == (640, 360)
    rows = load_faces(sample.faces).rows
    heights, emotions, first_seen = defaultdict(list), defaultdict(list), {}
    for r in sorted(rows, key=lambda r: r["frame"]):
        heights[r["track_id"]].append(r["box"][3])
        emotions[r["track_id"]].append(r["emotion"])
        first_seen.setdefault(r["track_id"], r["frame"])
    assert len(heights) >= 3
    order = sorted(first_seen, key=first_seen.get)
    assert len(set(first_seen.values())) == len(first_seen), "one after another, not all at once"
    for tid in order:
        h = heights[tid]
        assert len(h) >= 5 and h[-1] >= 3 * h[0], (tid, h[0], h[-1])  # grows while approaching
    changed = [tid for tid in order if len(set(emotions[tid]) - {None, ""}) >= 2]
    assert len(changed) >= len(order) - 1, emotions  # the last one may leave the clip before half-way
