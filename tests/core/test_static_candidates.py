"""`--detect-every auto` and low-score face candidates (below the tracker's 0.5, so no track).

Before: every such candidate made the detector run again on the next frame, for as long as it stayed,
so one static look-alike (or a small, far face) kept CenterFace running both views on every frame.
Now a candidate found at the same place by two consecutive runs is carried as it is until the next
scheduled run, while no pixel around it changes; any change there re-detects at once.
"""

import cv2
import numpy as np
import pytest
from conftest import load_person_image

from anon_core.detectors import create_detector
from anon_core.metrics import covered_fraction, region_mask
from anon_core.pipeline import Pipeline, PipelineConfig

AT = np.array([300, 200, 300, 200])


def frame_with(small, x, y):
    frame = np.full((720, 1280, 3), 120, np.uint8)
    frame[y:y + small.shape[0], x:x + small.shape[1]] = small
    return frame


@pytest.fixture(scope="module")
def small_face(people):
    """A real face on a grey 1280x720 frame, shrunk until CenterFace at 640 px sees it only as a
    low-score candidate (a 13-16 px face: 0.2-0.5, measured), and its box."""
    img = load_person_image(people[0], "studio_portrait", max_side=1280)
    det = create_detector("centerface", input_width=640)
    found = det(img)
    box = found.xyxy[found.scores.argmax()]
    for px in (16, 15, 14, 13, 12):
        s = px / (box[2] - box[0])
        small = cv2.resize(img, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)
        seen = det(frame_with(small, *AT[:2]))
        if len(seen) and 0.15 <= seen.scores.max() < 0.45:
            return small, box * s
    pytest.fail("no face size gave a low-score candidate")


def test_static_low_score_face_is_carried_and_covered_not_detected_every_frame(small_face):
    small, box = small_face
    pipe = Pipeline(PipelineConfig(targets=("face",), detect_every="auto", detect_width=640))
    still = frame_with(small, *AT[:2])
    moved = frame_with(small, *AT[:2] + (40, 30))
    results = [pipe.process(f) for f in [still] * 12 + [moved] * 3]
    shape = pipe.config.region("face")
    for i, r in enumerate(results):
        at = box + AT + (np.array([40, 30, 40, 30]) if i >= 12 else 0)
        assert len(r.regions) and r.regions.scores.max() < 0.5, (i, r.regions.to_records())
        mask = region_mask(r.regions, (720, 1280), shape["shape"], shape["padding"])
        assert covered_fraction(at[None], mask)[0] >= 0.9, (i, r.regions.to_records())
    runs = [r.detected for r in results]
    # runs on frames 0 and 1 (the same place twice: carried), then at the 8-frame cap (9, 10)
    assert sum(runs[:12]) <= 4, runs
    assert runs[12], "the face moved: it is looked for again on that frame"


def test_newcomer_beside_a_carried_candidate_is_detected_at_once(small_face, people):
    """The zone around a carried candidate hides no newcomer: a face appearing right below it (where
    a tracked face's body would be) makes the detector run on that frame."""
    small, box = small_face
    img = load_person_image(people[1], "studio_portrait", max_side=1280)
    found = create_detector("centerface")(img)
    big = found.xyxy[found.scores.argmax()]
    s = 40 / (big[2] - big[0])
    fx1, fy1 = (int(v) - 10 for v in big[:2] * s)  # a 64 px patch around the 40 px face
    newcomer = cv2.resize(img, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)[fy1:fy1 + 64, fx1:fx1 + 64]
    still = frame_with(small, *AT[:2])
    joined = still.copy()
    y, x = AT[1] + 70, AT[0]  # below the candidate, inside the zone where a face's body would move
    joined[y:y + newcomer.shape[0], x:x + newcomer.shape[1]] = newcomer
    new_box = big * s + np.array([x - fx1, y - fy1, x - fx1, y - fy1])
    pipe = Pipeline(PipelineConfig(targets=("face",), detect_every="auto", detect_width=640))
    results = [pipe.process(f) for f in [still] * 5 + [joined] * 2]
    assert not any(r.detected for r in results[2:5]), "the candidate is carried"
    assert results[5].detected
    shape = pipe.config.region("face")
    for r in results[5:]:
        mask = region_mask(r.regions, (720, 1280), shape["shape"], shape["padding"])
        assert covered_fraction(new_box[None], mask)[0] >= 0.9, r.regions.to_records()


def _covered_every_frame(pipe, frames, box, moved_from=None, shift=(0, 0)):
    shape = pipe.config.region("face")
    results = [pipe.process(f) for f in frames]
    for i, r in enumerate(results):
        at = box + AT + (np.array([*shift, *shift]) if moved_from is not None and i >= moved_from else 0)
        mask = region_mask(r.regions, (720, 1280), shape["shape"], shape["padding"])
        assert covered_fraction(at[None], mask)[0] >= 0.9, (i, [r.detected for r in results], r.regions.to_records())
    return results


def test_fixed_every_n_covers_a_low_score_face_between_runs(small_face):
    """--detect-every 5: a low-score candidate is carried to the next run (it was covered only on the
    frames the detector ran: 4 of every 5 frames raw), and moving it makes the detector run at once."""
    small, box = small_face
    pipe = Pipeline(PipelineConfig(targets=("face",), detect_every=5, detect_width=640))
    still = frame_with(small, *AT[:2])
    moved = frame_with(small, *AT[:2] + (40, 30))
    results = _covered_every_frame(pipe, [still] * 11 + [moved] * 3, box, moved_from=11, shift=(40, 30))
    assert [r.detected for r in results[:11]] == [True, False, False, False, False] * 2 + [True]
    assert results[11].detected, "the face moved: it is looked for again on that frame"


def test_carried_candidate_survives_re_detections_around_a_moving_tracked_face(small_face, people):
    """A re-detection in crops around a tracked face that moves does not look at the carried
    candidate elsewhere in the frame, so it must not drop it."""
    small, box = small_face
    img = load_person_image(people[1], "studio_portrait", max_side=1280)
    found = create_detector("centerface")(img)
    big = found.xyxy[found.scores.argmax()]
    s = 120 / (big[2] - big[0])
    face = cv2.resize(img, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)
    fx1, fy1 = (int(v) - 40 for v in big[:2] * s)
    face = face[fy1:fy1 + 200, fx1:fx1 + 200]
    frames = []
    for k in range(14):
        f = frame_with(small, *AT[:2])
        x = 800 + 6 * k  # the tracked face drifts right: re-detected in a crop, not a full run
        f[300:300 + face.shape[0], x:x + face.shape[1]] = face
        frames.append(f)
    pipe = Pipeline(PipelineConfig(targets=("face",), detect_every="auto", detect_width=640))
    _covered_every_frame(pipe, frames, box)
    assert pipe.schedule.runs["roi"] >= 1, pipe.schedule.runs
