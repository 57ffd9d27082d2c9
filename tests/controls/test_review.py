"""Review: a region the reviewer adds is carried through the frames and anonymized; a false positive
mark leaves a region visible along its track; the report records every change."""

import json

import pytest
from conftest import load_person_image
from controls.clips import clip_nccs, moving_face_clip

from anon_core.jobs import JobOptions, anonymize_video
from anon_core.metrics.leak import LEAK_NCC
from anon_core.pipeline import Pipeline, PipelineConfig
from anon_core.review import ReviewEdits, propagate, region_thumbnails, track_summary

FRAMES = 20


@pytest.fixture(scope="module")
def clip(tmp_path_factory, people):
    path = tmp_path_factory.mktemp("review") / "clip.mp4"
    boxes = moving_face_clip(path, load_person_image(people[2], "studio_portrait", max_side=300))
    assert all(b is not None for b in boxes), "the raw clip must show a detectable face in every frame"
    return path, boxes




def test_propagation_follows_the_face_both_ways(clip):
    path, boxes = clip
    got = propagate(path, 8, boxes[8])
    assert sorted(got) == list(range(FRAMES))  # the face is on screen the whole clip
    for f, box in got.items():
        assert abs(box[0] - boxes[f][0]) < 6 and abs(box[1] - boxes[f][1]) < 6, (f, box, boxes[f])


def test_propagation_follows_a_face_out_of_the_frame(tmp_path, people):
    """The face slides out over the right edge: the region follows it until it is gone."""
    path = tmp_path / "exit.mp4"
    boxes = moving_face_clip(path, load_person_image(people[2], "studio_portrait", max_side=300), step=24)
    got = propagate(path, 2, boxes[2])
    visible = [f for f in range(FRAMES) if 20 + 24 * f < 480]  # the pasted portrait still shows something
    for f, box in boxes_by_frame(boxes).items():
        assert f in got and got[f][0] <= box[0] + 6 and got[f][2] >= box[2] - 6, (f, got.get(f), box)
    assert max(got) >= max(f for f in visible if boxes[f] is not None)


def boxes_by_frame(boxes):
    return {f: b for f, b in enumerate(boxes) if b is not None}


def test_added_region_is_anonymized_on_the_following_frames(clip, tmp_path):
    """Threshold 0.99: the detector misses the face; one reviewer box on frame 8 anonymizes it on every
    frame; the report records who, what, when and which frames."""
    path, boxes = clip
    config = PipelineConfig(threshold=0.99)
    missed = tmp_path / "missed.mp4"
    anonymize_video(path, missed, Pipeline(config))
    assert min(clip_nccs(path, missed, boxes)) > LEAK_NCC  # really missed

    edits = ReviewEdits()
    change = edits.add_region(path, 8, boxes[8])
    assert change.who == "reviewer" and change.frames == list(range(FRAMES))
    out, rep = tmp_path / "reviewed.mp4", tmp_path / "r.json"
    anonymize_video(path, out, Pipeline(config, controls=[edits.control()]), JobOptions(report_path=rep))
    after = clip_nccs(path, out, boxes)
    assert max(after) < LEAK_NCC, after
    data = json.loads(rep.read_text())
    logged = data["pipeline"]["controls"]["review"]["changes"]
    assert len(logged) == 1 and logged[0]["what"] == "add-region" and logged[0]["who"] == "reviewer"
    assert logged[0]["when"].endswith("Z") and logged[0]["frame"] == 8
    assert all(r["origin"] == "manual" for f in data["frames"] for r in f["regions"])
    assert sum(len(f["regions"]) for f in data["frames"]) == FRAMES


def test_false_positive_mark_follows_the_track_and_zones_still_win(clip, tmp_path):
    path, boxes = clip
    config = PipelineConfig()
    first, rep = tmp_path / "first.mp4", tmp_path / "first.json"
    anonymize_video(path, first, Pipeline(config), JobOptions(report_path=rep))
    assert max(clip_nccs(path, first, boxes)) < LEAK_NCC
    tracks = track_summary(rep)
    main_track = max(tracks, key=lambda t: t["frames"])
    assert main_track["frames"] >= FRAMES - 1 and main_track["mean_score"] > 0.5
    thumbs = region_thumbnails(first, {t["track_id"]: (t["first"], t["boxes"][t["first"]]) for t in tracks})
    assert set(thumbs) == {t["track_id"] for t in tracks}

    edits = ReviewEdits()
    change = edits.mark_false_positive(rep, 5, boxes[5])
    assert len(change.frames) >= FRAMES - 1
    out, rep2 = tmp_path / "fp.mp4", tmp_path / "fp.json"
    anonymize_video(path, out, Pipeline(config, controls=[edits.control()]), JobOptions(report_path=rep2))
    visible = clip_nccs(path, out, boxes)
    assert sum(v > LEAK_NCC for v in visible) >= FRAMES - 2, visible
    data = json.loads(rep2.read_text())
    assert {t["reason"] for t in data["kept_tracks"]} == {"false-positive"}

    zoned = tmp_path / "zoned.mp4"
    zone_config = PipelineConfig(zones=("always=0,0,1,0,1,1,0,1",))
    anonymize_video(path, zoned, Pipeline(zone_config, controls=[edits.control()]))
    assert max(clip_nccs(path, zoned, boxes)) < LEAK_NCC
