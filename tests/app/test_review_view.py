"""Review view (ui/review.py) with AppTest: tracks listed, residual check flags a missed face, a region
added on one frame is carried through the clip and anonymized after re-rendering, false-positive mark."""

from __future__ import annotations

import json

import pytest
from conftest import load_person_image
from controls.clips import FRAMES, clip_nccs, moving_face_clip

from anon_core.metrics.leak import LEAK_NCC

STATE = "_anon_review_home"


@pytest.fixture(scope="module")
def clip(tmp_path_factory, people):
    path = tmp_path_factory.mktemp("review-app") / "walk.mp4"
    boxes = moving_face_clip(path, load_person_image(people[3], "studio_portrait", max_side=300))
    return path, boxes


def _run(at):
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at




def test_review_adds_a_missed_region_and_rerenders(new_app, clip):
    path, boxes = clip
    at = _run(new_app())
    at.sidebar.toggle(key="anon_w_custom_threshold").set_value(True)
    _run(at)
    at.sidebar.slider(key="anon_w_threshold").set_value(0.95)  # CenterFace scores this face 0.87-0.92: missed
    _run(at)
    at.file_uploader(key="home_upload").set_value(("walk.mp4", path.read_bytes(), "video/mp4"))
    _run(at)
    assert "Anonymized tracks**: 0" in "\n".join(m.value for m in at.markdown)

    at.button(key="home_audit").click()
    _run(at)
    assert any("A face may be visible on frames 0-19" in e.value for e in at.error)

    x1, y1, x2, y2 = (int(v) for v in boxes[8])
    for name, value in (("frame", 8), ("x1", x1), ("y1", y1), ("x2", x2), ("y2", y2)):
        at.number_input(key=f"home_add_{name}").set_value(value)
    _run(at)
    at.button(key="home_add").click()
    _run(at)
    edits = at.session_state[STATE]["edits"]
    assert len(edits.changes) == 1 and edits.changes[0].frames == list(range(FRAMES))

    at.button(key="home_rerender").click()
    _run(at)
    reviewed = at.session_state[STATE]["reviewed"]
    assert max(clip_nccs(path, reviewed["output"], boxes)) < LEAK_NCC
    report = json.loads(reviewed["report"].read_text())
    assert report["pipeline"]["controls"]["review"]["changes"][0]["who"] == "reviewer"
    assert "Reviewed file" in [b.label for b in at.get("download_button")]


def test_review_lists_tracks_and_marks_a_false_positive(new_app, clip):
    path, boxes = clip
    at = _run(new_app())
    at.file_uploader(key="home_upload").set_value(("walk.mp4", path.read_bytes(), "video/mp4"))
    _run(at)
    tracks = at.dataframe[0].value  # the tracks table (the first dataframe of the review)
    assert len(tracks) >= 1 and tracks["count"].max() >= FRAMES - 1
    # anonymized preview, the frame to add on, >= 1 track thumbnail (the raw preview is embedded, not an image)
    assert len(at.get("image")) >= 3
    at.button(key="home_fp").click()
    _run(at)
    at.button(key="home_rerender").click()
    _run(at)
    reviewed = at.session_state[STATE]["reviewed"]
    assert sum(v > LEAK_NCC for v in clip_nccs(path, reviewed["output"], boxes)) >= FRAMES - 2
