"""Zones (--zone always=/never=, policy `zones:`) on real photos and TUD-Campus frames."""

import json

import cv2
import numpy as np
import pytest

from anon_core.anonymize import Policy, PolicyError
from anon_core.cli.main import main
from anon_core.detections import Detections
from anon_core.media import read_image
from anon_core.pipeline import Pipeline, PipelineConfig
from anon_core.zones import NEVER_INSIDE, ZoneError, parse_zone

PHOTO = "images/2007_007763.jpg"  # 500x375, 7 faces: 4 in the left half, 3 in the right half


def detail(img: np.ndarray, box) -> float:
    """High-pass energy (Laplacian) inside a box: what anonymization must remove."""
    x1, y1, x2, y2 = (int(round(v)) for v in box)
    gray = cv2.cvtColor(np.ascontiguousarray(img[y1:y2, x1:x2]), cv2.COLOR_BGR2GRAY)
    return float(np.abs(cv2.Laplacian(gray, cv2.CV_32F)).mean())


def test_parse_pixels_fractions_and_bad_specs():
    z = parse_zone("always=0.5,0,1,0,1,0.5")
    assert z.relative and z.polygon(200, 100).tolist() == [[100, 0], [200, 0], [200, 50]]
    z = parse_zone("never=10,20,200,20,200,300")
    assert not z.relative and z.polygon(640, 480)[2].tolist() == [200, 300]
    for bad in ("sometimes=0,0,1,0,1,1", "always=0,0,1,0", "always=0,0,1,0,1", "always=a,b,c,d,e,f", "0,0,1,1"):
        with pytest.raises(ZoneError):
            parse_zone(bad)


def test_always_zone_obscured_on_tud_frames_even_when_no_face_is_found(tud_short):
    """TUD-Campus, 12 real frames, a detector threshold nothing reaches: the zone is still obscured
    on every frame, and every pixel outside it is untouched."""
    frames = [read_image(p) for p in sorted((tud_short / "img1").iterdir())]
    h, w = frames[0].shape[:2]
    zone = "always=0.25,0.1,0.75,0.1,0.75,0.9,0.25,0.9"
    pipe = Pipeline(PipelineConfig(threshold=0.999, detect_width=320, zones=(zone,)))
    box = (0.25 * w, 0.1 * h, 0.75 * w, 0.9 * h)
    outside = np.ones((h, w), bool)
    outside[int(0.1 * h):int(0.9 * h) + 1, int(0.25 * w):int(0.75 * w) + 1] = False  # fillPoly includes edges
    for frame in frames:
        res = pipe.process(frame)
        assert res.error is None and not len(res.regions)
        assert detail(res.frame, box) < 0.1 * detail(frame, box)
        assert np.array_equal(res.frame[outside], frame[outside])


def test_always_zone_is_obscured_when_detection_fails(dlib_faces):
    """Fail closed: a detector that raises leaves the whole frame obscured, zone included."""

    def broken(frame):
        raise RuntimeError("detector crashed")

    img = read_image(dlib_faces / PHOTO)
    pipe = Pipeline(PipelineConfig(zones=("always=0,0,0.5,0,0.5,0.5,0,0.5",)), detectors={"face": broken})
    res = pipe.process(img)
    assert res.error and "crashed" in res.error
    h, w = img.shape[:2]
    zone = res.frame[: h // 2, : w // 2]
    assert (zone == zone[0, 0]).mean() > 0.9  # uniform grey but for the notice: no image content left


def test_never_zone_keeps_faces_inside_it_and_the_cli_warns(dlib_faces, tmp_path, capsys):
    """Right half never anonymized: the 3 faces there stay as they were, the 4 on the left are
    anonymized, stderr and the report say so."""
    src, out, rep = dlib_faces / PHOTO, tmp_path / "out.png", tmp_path / "r.json"
    rc = main(["image", str(src), "-o", str(out), "--report", str(rep), "--zone", "never=0.5,0,1,0,1,1,0.5,1",
               "--threshold", "0.4"])  # counted regions: confident faces only (the default 0.1 adds candidates)
    assert rc == 0
    assert "never-zone never=0.5,0,1,0,1,1,0.5,1" in capsys.readouterr().err
    data = json.loads(rep.read_text())
    frame = data["frames"][0]
    assert len(frame["kept"]) == 3 and len(frame["regions"]) == 4
    assert all(k["reason"] == "never-zone" and k["inside"] >= NEVER_INSIDE for k in frame["kept"])
    assert data["pipeline"]["controls"]["zones"]["warnings"]
    assert {t["reason"] for t in data["kept_tracks"]} == {"never-zone"}
    raw, anon = read_image(src), read_image(out)
    for k in frame["kept"]:
        assert detail(anon, k["box"]) == pytest.approx(detail(raw, k["box"]), rel=0.02)
    for r in frame["regions"]:
        assert detail(anon, r["box"]) < 0.35 * detail(raw, r["box"])


def test_a_face_only_brushing_a_never_zone_stays_anonymized(dlib_faces):
    img = read_image(dlib_faces / PHOTO)
    pipe = Pipeline(PipelineConfig(zones=("never=0,0,250,0,250,375,0,375",)))
    face = Detections(np.array([[230, 100, 270, 150]], np.float32), np.array([0.9]), "face")  # half inside
    inside = Detections(np.array([[100, 100, 140, 150]], np.float32), np.array([0.9]), "face")
    both = Detections.concat([face, inside])
    kept, notes = pipe.controls[0].select(img, 0, both)
    assert len(kept) == 1 and kept.xyxy[0, 0] == 230 and len(notes) == 1


def test_always_wins_over_never_and_policy_file_zones(dlib_faces, tmp_path):
    policy = tmp_path / "policy.yaml"
    policy.write_text("face: {method: pixelate}\nzones:\n  - never=0,0,1,0,1,1,0,1\n"
                      "  - {always: [0, 0, 250, 0, 250, 375, 0, 375]}\n")
    out = tmp_path / "out.png"
    assert main(["image", str(dlib_faces / PHOTO), "-o", str(out), "--policy", str(policy)]) == 0
    raw, anon = read_image(dlib_faces / PHOTO), read_image(out)
    assert detail(anon, (0, 0, 250, 375)) < 0.15 * detail(raw, (0, 0, 250, 375))  # the always half, pixelated
    assert detail(anon, (250, 0, 500, 375)) == pytest.approx(detail(raw, (250, 0, 500, 375)), rel=0.02)
    p = Policy.from_file(policy)
    assert [z.kind for z in p.zones] == ["never", "always"] and p.to_dict()["zones"][1].startswith("always=0,0,250")
    with pytest.raises(PolicyError):
        Policy.from_text("face: blur\nzones: [\"always=1,2\"]\n")


def test_bad_zone_is_one_line_and_exit_2(dlib_faces, tmp_path, capsys):
    out = tmp_path / "o.png"
    assert main(["image", str(dlib_faces / PHOTO), "-o", str(out), "--zone", "always=0,0,1"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "zone" in err and not out.exists()


def test_gpu_path_zones_with_cpu_torch(dlib_faces, tmp_path):
    """The device job (torch on the CPU) on a 6-frame clip of a real photo: an always-zone over the left
    15 % is obscured on every frame; the 3 faces inside a never-zone over the right half stay as they
    were, the 4 on the left are anonymized; the report lists the never-zone."""
    pytest.importorskip("torch")
    from anon_core.detectors import create_detector
    from anon_core.gpu.video_job import GpuVideoJob
    from anon_core.jobs import JobOptions
    from anon_core.media import VideoReader, VideoWriter
    from anon_core.metrics.leak import LEAK_NCC, detail_nccs

    photo = read_image(dlib_faces / PHOTO)[:374]  # even height for I420
    clip = tmp_path / "photo.mp4"
    with VideoWriter(clip, 5.0) as w:
        for _ in range(6):
            w.write(photo)
    with VideoReader(clip) as r:
        raw = next(iter(r.frames()))
    faces = create_detector("centerface", threshold=0.4)(raw).xyxy  # confident faces (default 0.1 adds candidates)
    right, left = faces[faces[:, 0] >= 250], faces[faces[:, 2] <= 250]
    assert len(right) == 3 and len(left) == 4
    zones = ("always=0,0,0.15,0,0.15,1,0,1", "never=0.5,0,1,0,1,1,0.5,1")
    job = GpuVideoJob(Pipeline(PipelineConfig(device="cpu-torch", detect_width=640, zones=zones)), batch=4)
    out, rep = tmp_path / "gpu.mp4", tmp_path / "gpu.json"
    job.run(clip, out, JobOptions(report_path=rep))
    zone_box = (0, 0, 0.15 * 500 - 2, 374)
    with VideoReader(clip) as a, VideoReader(out) as b:
        for raw, anon in zip(a.frames(), b.frames()):
            assert detail(anon, zone_box) < 0.2 * detail(raw, zone_box)
            assert detail_nccs(raw, anon, [zone_box])[0] < 0.2  # the zone's fine detail is gone
            assert detail_nccs(raw, anon, right).min() > LEAK_NCC  # never-zone: untouched
            assert detail_nccs(raw, anon, left).max() < LEAK_NCC  # everyone else anonymized
    data = json.loads(rep.read_text())
    assert data["pipeline"]["controls"]["zones"]["warnings"]
    assert all(len(f.get("kept", [])) == 3 for f in data["frames"])
