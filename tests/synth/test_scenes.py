"""Scenes on disk: determinism, PyAV playback, faces file vs bodies, emotion sheet grid, CLI, cache."""

from __future__ import annotations

import json

import av
import cv2
import numpy as np
import pytest

from anon_core.cli.main import main
from anon_core.groundtruth import load_mot
from anon_core.synth.emotions import EMOTIONS, locate_cells
from anon_core.synth.people import load_people
from anon_core.synth.samples import build_scene
from anon_core.synth.scenes import SceneConfig
from anon_core.synth.writer import load_faces, write_scene

SMALL = dict(seconds=1.0, fps=6, size=(256, 144))


def _frames_and_truth(cfg):
    scene = build_scene(cfg)
    out = [scene.render(i) for i in range(len(scene))]
    return [f.tobytes() for f, _ in out], [[(t.track_id, t.box, t.visibility, t.face) for t in ts] for _, ts in out]


@pytest.mark.parametrize("kind", ["walkway", "industrial", "webcam"])
def test_same_seed_same_frames_other_seed_differs(kind):
    a = _frames_and_truth(SceneConfig(kind, people=2, seed=11, **SMALL))
    b = _frames_and_truth(SceneConfig(kind, people=2, seed=11, **SMALL))
    c = _frames_and_truth(SceneConfig(kind, people=2, seed=12, **SMALL))
    assert a == b
    assert a[0] != c[0] and a[1] != c[1]
    assert any(len(ts) for ts in a[1]), "nobody in the scene"


def test_written_scene_plays_back_and_is_reproducible(tmp_path):
    cfg = SceneConfig("walkway", seconds=1.5, fps=12, people=3, size=(320, 180), seed=2)
    s1 = write_scene(build_scene(cfg), tmp_path / "a", frames=True)
    s2 = write_scene(build_scene(cfg), tmp_path / "b")
    assert s1.gt.read_bytes() == s2.gt.read_bytes()
    assert s1.faces.read_bytes() == s2.faces.read_bytes()
    assert s1.video.read_bytes() == s2.video.read_bytes()
    with av.open(str(s1.video)) as c:
        stream = c.streams.video[0]
        assert float(stream.average_rate) == pytest.approx(12)
        decoded = [f.to_ndarray(format="bgr24") for f in c.decode(stream)]
    assert len(decoded) == 18 == json.loads(s1.meta.read_text())["frames"]
    assert decoded[0].shape == (180, 320, 3)
    png = cv2.imread(str(s1.frames_dir / "000001.png"))
    mse = np.mean((decoded[0].astype(float) - png) ** 2)
    assert 10 * np.log10(255**2 / max(mse, 1e-9)) > 30  # the video shows the lossless frame
    gt = load_mot(s1.root)
    assert gt.num_frames <= 18 and set(gt.label) == {"person"}
    assert ((gt.visibility >= 0) & (gt.visibility <= 1)).all()


def test_faces_inside_bodies_with_metadata(tmp_path):
    cfg = SceneConfig("industrial", seconds=1.0, fps=8, people=3, objects=3, size=(480, 270), seed=4)
    sample = write_scene(build_scene(cfg), tmp_path, video=False, frames=False)
    gt = load_mot(sample.gt)
    assert {"person", "box", "pallet", "cart"} <= set(gt.label)
    faces = load_faces(sample.faces)
    people = {p.identity: p for p in load_people()}
    assert faces.rows
    for r in faces.rows:
        body = gt.at(r["frame"])
        row = np.nonzero(body.track_ids == r["track_id"])[0]
        assert len(row) == 1, "a face without a person box"
        x1, y1, x2, y2 = body.xyxy[row[0]]
        fx, fy, fw, fh = r["box"]
        assert x1 - 1 <= fx and y1 - 1 <= fy and fx + fw <= x2 + 1 and fy + fh <= y2 + 1
        assert (r["sex"], r["age_range"]) == (people[r["identity"]].sex, people[r["identity"]].age_range)
        assert r["emotion"] is None and 0 <= r["visibility"] <= 1
    dets = faces.at(1)
    assert set(dets.labels) <= {"face"} and set(dets.data["identity"]) <= set(people)


def test_faces_scene_cycles_labelled_emotions(tmp_path):
    cfg = SceneConfig("faces", seconds=2.0, fps=8, people=1, size=(320, 240), seed=1)
    sample = write_scene(build_scene(cfg), tmp_path, video=False)
    faces = load_faces(sample.faces)
    emotions = [r["emotion"] for r in faces.rows]
    assert len(faces.rows) == 16 and set(emotions) <= set(EMOTIONS)
    assert len(set(emotions)) >= 2  # 2 s / 16 expressions per 2 s = a new one every 1/8 s
    assert all(r["visibility"] > 0.9 and r["box"][2] > 40 for r in faces.rows)


def test_emotion_sheets_are_a_4x4_grid(people):
    for person in people:
        cells = locate_cells(cv2.imread(person.asset_path("emotions_sheet")))
        assert len(cells) == 16
        ys = np.array([c[1] for c in cells]).reshape(4, 4)
        xs = np.array([c[0] for c in cells]).reshape(4, 4)
        assert (np.diff(ys[:, 0]) > 200).all() and (np.ptp(ys, axis=1) < 20).all()
        assert (np.diff(xs, axis=1) > 300).all()


def test_cli_writes_the_files(tmp_path, capsys):
    out = tmp_path / "cam"
    rc = main(["synth", "webcam", "-o", str(out), "--seconds", "1", "--fps", "5", "--size", "160x120", "--seed", "3"])
    assert rc == 0
    for name in ("video.mp4", "gt/gt.txt", "faces.jsonl", "meta.json"):
        assert (out / name).stat().st_size > 0, name
    gt = load_mot(out)
    assert list(gt.frames) == [1, 2, 3, 4, 5]
    assert main(["synth", "walkway", "-o", str(out), "--size", "161x90"]) == 2
    assert "even" in capsys.readouterr().err


def test_ensure_sample_generates_once(tmp_path, monkeypatch):
    from anon_core.synth import ensure_sample

    monkeypatch.setenv("ANON_CACHE_DIR", str(tmp_path))
    first = ensure_sample("walkway", seed=1, seconds=0.5, fps=4, people=1, size=(128, 72))
    stamp = first.gt.stat().st_mtime_ns
    again = ensure_sample("walkway", seed=1, seconds=0.5, fps=4, people=1, size=(128, 72))
    assert again.root == first.root and again.gt.stat().st_mtime_ns == stamp
    assert first.video.exists() and first.load_meta()["frames"] == 2
    other = ensure_sample("walkway", seed=2, seconds=0.5, fps=4, people=1, size=(128, 72))
    assert other.root != first.root


def test_crowd_scene_is_1080p_with_30_to_60_small_people_most_in_view():
    scene = build_scene(SceneConfig("crowd", seconds=0.4, fps=10))  # defaults: 1920x1080, 45 people
    assert scene.config.size == (1920, 1080) and len(scene) == 4
    for i in (0, len(scene) - 1):
        frame, truths = scene.render(i)
        assert frame.shape == (1080, 1920, 3)
        people = [t for t in truths if t.cls == 1 and t.box is not None]
        assert 30 <= len(people) <= 60
        heights = np.array([t.box[3] for t in people if t.visibility >= 0.9])
        assert len(heights) >= 10 and heights.min() >= 30 and heights.max() <= 160
        assert any(t.visibility < 0.9 for t in people), "people occlude each other"


@pytest.mark.parametrize("seconds", ["0", "-1"])
def test_cli_refuses_a_duration_that_is_not_positive(tmp_path, capsys, seconds):
    """`--seconds 0` used to be taken as "not given" and write the default 6 s clip."""
    out = tmp_path / "cam"
    assert main(["synth", "webcam", "-o", str(out), "--seconds", seconds]) == 2
    assert "must be positive" in capsys.readouterr().err and not out.exists()
