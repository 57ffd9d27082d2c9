"""Ground truth measured by the compositor: boxes where the alpha put pixels, visibility under occlusion."""

from __future__ import annotations

import numpy as np
import pytest

from anon_core.detections import box_iou
from anon_core.synth.people import Sprite, body_sprite
from anon_core.synth.render import Placement, compose, scale_sprite
from anon_core.synth.samples import build_scene
from anon_core.synth.scenes import SceneConfig

MAGENTA = (255, 0, 255)


def _xyxy(box):
    x, y, w, h = box
    return np.array([[x, y, x + w, y + h]], np.float32)


def _opaque(w: int, h: int) -> Sprite:
    return Sprite(np.full((h, w, 3), 90, np.uint8), np.full((h, w), 255, np.uint8), None, None, None, "box")


@pytest.mark.parametrize("kind", ["walkway", "industrial"])
def test_gt_boxes_match_pasted_pixels(kind):
    scene = build_scene(SceneConfig(kind, seconds=2, fps=4, people=3, objects=3, size=(320, 180), seed=5))
    checked = 0
    for i in range(0, len(scene), 2):
        _, truths = scene.render(i)
        by_id = {t.track_id: t for t in truths}
        for p in scene.placements[i]:
            if p.track_id not in by_id:
                continue
            bg = np.empty_like(scene.background)
            bg[:] = MAGENTA
            alone, _ = compose(bg, [p])
            changed = np.abs(alone.astype(int) - bg).max(axis=2) > 60
            ys, xs = np.nonzero(changed)
            assert len(xs), f"track {p.track_id} has a box but changed no pixel"
            painted = np.array([[xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]], np.float32)
            iou = box_iou(painted, _xyxy(by_id[p.track_id].box))[0, 0]
            assert iou > 0.9, (kind, i, p.track_id, iou)
            checked += 1
    assert checked >= 4


def test_visibility_half_covered_by_nearer_object():
    person = scale_sprite(body_sprite("P001"), 200)
    h, w = person.on.shape
    bg = np.full((300, 300, 3), 128, np.uint8)
    behind = Placement(1, 1, person, 100, 50, depth=1.0)
    cover = Placement(2, 100, scale_sprite(_opaque(w // 2, h), h), 100, 50, depth=2.0)
    _, truths = compose(bg, [behind, cover])
    t = {x.track_id: x for x in truths}
    expected = person.on[:, w // 2:].sum() / person.area
    assert t[1].visibility == pytest.approx(expected, abs=1e-6)
    assert 0.4 < t[1].visibility < 0.6
    assert t[2].visibility == 1.0
    cols, rows = np.nonzero(person.on.any(0))[0], np.nonzero(person.on.any(1))[0]
    assert t[1].box == (100 + cols[0], 50 + rows[0], cols[-1] - cols[0] + 1, rows[-1] - rows[0] + 1)  # occlusion-free
    # the same pair with the depths swapped: the person is in front and fully visible
    _, swapped = compose(bg, [Placement(1, 1, person, 100, 50, depth=3.0), cover])
    assert {x.track_id: x.visibility for x in swapped}[1] == 1.0


def test_visibility_person_in_front_of_person_and_frame_edge():
    a = scale_sprite(body_sprite("P002"), 160)
    h, w = a.on.shape
    bg = np.zeros((240, 400, 3), np.uint8)
    shift = w // 2
    _, truths = compose(bg, [Placement(1, 1, a, 150, 40, depth=1.0), Placement(2, 1, a, 150 + shift, 40, depth=2.0)])
    t = {x.track_id: x for x in truths}
    shifted = np.zeros_like(a.on)
    shifted[:, shift:] = a.on[:, :w - shift]
    assert t[1].visibility == pytest.approx((a.on & ~shifted).sum() / a.area, abs=1e-6)
    assert 0.05 < t[1].visibility < 0.95
    assert t[2].visibility == 1.0
    # half outside the left edge: visibility counts what the frame clips away, the box is clipped
    _, edge = compose(bg, [Placement(3, 1, a, -shift, 40, depth=1.0)])
    assert edge[0].visibility == pytest.approx(a.on[:, shift:].sum() / a.area, abs=1e-6)
    assert edge[0].box[0] == 0


def test_face_visibility_and_box_follow_the_paste():
    s = body_sprite("P003")
    assert s.face is not None, "CenterFace found no face on the cut-out"
    a = scale_sprite(s, 200)
    fx, fy, fw, fh = a.face
    bg = np.zeros((260, 200, 3), np.uint8)
    _, (t,) = compose(bg, [Placement(1, 1, a, 30, 20, depth=1.0)])
    assert t.face == pytest.approx((30 + fx, 20 + fy, fw, fh))
    assert t.face_visibility == 1.0
    hood = Placement(2, 100, scale_sprite(_opaque(int(fw) + 20, int(fh) + 20), int(fh) + 20),
                     int(30 + fx) - 10, int(20 + fy) - 10, depth=2.0)
    _, truths = compose(bg, [Placement(1, 1, a, 30, 20, depth=1.0), hood])
    assert {x.track_id: x for x in truths}[1].face_visibility == 0.0
