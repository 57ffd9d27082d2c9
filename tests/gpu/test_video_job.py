"""The GPU video job (`anon video --device cuda`), run here with torch on the CPU: same frames out,
faces gone, the rest untouched, rotation and odd sizes handled, failures fail closed."""

import json

import av
import numpy as np
import pytest
import torch
from conftest import facial_detail as detail
from media_factory import make_clip, marker_frame, with_rotation

from anon_core.anonymize import Policy
from anon_core.anonymize.regions import RegionStyle
from anon_core.detections import Detections
from anon_core.gpu.anonymize import DeviceRegion, obscure_planes
from anon_core.gpu.video_job import GpuVideoJob
from anon_core.gpu.yuv import i420_to_bgr, split_i420, yuv_fill
from anon_core.jobs import JobOptions
from anon_core.media import MediaError, VideoReader
from anon_core.metrics import covered_recall, region_mask
from anon_core.pipeline import Pipeline, PipelineConfig
from anon_core.synth import ensure_sample, load_faces


@pytest.fixture(scope="module")
def job():
    return GpuVideoJob(Pipeline(PipelineConfig(device="cpu-torch")), batch=8)


@pytest.fixture(scope="module")
def webcam():
    return ensure_sample("webcam", seed=1, seconds=2.0, size=(640, 480))


@pytest.fixture(scope="module")
def webcam_out(job, webcam, tmp_path_factory):
    out = tmp_path_factory.mktemp("gpu") / "anon.mp4"
    report = job.run(webcam.video, out, JobOptions(report_path=out.with_suffix(".json")))
    return out, report


def test_faces_are_covered_and_their_detail_is_gone(webcam, webcam_out):
    out, report = webcam_out
    faces = load_faces(webcam.faces)
    entries = json.loads(out.with_suffix(".json").read_text())["frames"]
    covered = total = 0
    raw_detail = anon_detail = 0.0
    with VideoReader(webcam.video) as a, VideoReader(out) as b:
        for i, (raw, anon) in enumerate(zip(a.frames(), b.frames())):
            regions = Detections(np.array([r["box"] for r in entries[i]["regions"]]).reshape(-1, 4),
                                 np.ones(len(entries[i]["regions"])), "face")
            gt = faces.at(i + 1, min_visibility=0.5)
            hit, n = covered_recall(gt.xyxy, region_mask(regions, raw.shape[:2], "ellipse", 0.3))
            covered, total = covered + hit, total + n
            raw_detail += detail(raw, gt.xyxy)
            anon_detail += detail(anon, gt.xyxy)
            outside = ~region_mask(regions, raw.shape[:2], "box", 0.35)
            # pixels outside the regions only went through one more lossy encode
            assert np.abs(raw.astype(int) - anon.astype(int))[outside].mean() < 2.0
    assert total > 0 and covered / total >= 0.95
    assert anon_detail < 0.15 * raw_detail
    assert report.frame_count == i + 1 == 30 and report.failed_frames == 0


def test_frames_timestamps_and_report_match_the_input(webcam, webcam_out):
    out, report = webcam_out
    with VideoReader(webcam.video) as a, VideoReader(out) as b:
        ta = [t for t, _ in a.timed_frames()]
        tb = [t for t, _ in b.timed_frames()]
        assert (a.info.width, a.info.height) == (b.info.width, b.info.height)
    np.testing.assert_allclose(ta, tb, atol=1e-3)
    doc = json.loads(out.with_suffix(".json").read_text())
    assert doc["pipeline"]["engine"] == "gpu-i420" and doc["pipeline"]["detectors"]["face"]["backend"] == "torch"
    assert doc["output"]["sha256"] and len(doc["frames"]) == 30


@pytest.mark.parametrize("method, shape", [("blur", "ellipse"), ("pixelate", "box"), ("fill", "ellipse")])
def test_device_step_changes_only_the_regions(webcam, method, shape):
    with VideoReader(webcam.video) as r:
        planes = [p for _, (_, p) in zip(range(4), r.timed_i420())]
    host = torch.from_numpy(np.stack(planes))
    pipeline = Pipeline(PipelineConfig(device="cpu-torch", method=method, shape=shape, detect_width=640))
    job = GpuVideoJob(pipeline, batch=4)
    face = job.regions["face"]
    assert (face.method, face.style.shape, face.style.padding) == (method, shape, 0.3)
    out, results = job._device_step(host, 0)
    out = out.numpy()
    h = host.shape[1] * 2 // 3
    for k in range(4):
        regions = results[k].regions
        assert len(regions) >= 1 and results[k].index == k
        changed = out[k, :h] != planes[k][:h]
        inside = region_mask(regions, (h, host.shape[2]), "box", job.regions["face"].style.padding + 0.01)
        assert changed.any() and not changed[~inside].any()  # Y plane bit-identical outside the regions
        if method == "fill":
            x1, y1, x2, y2 = regions.xyxy[0].round().astype(int)
            cy, cx = (y1 + y2) // 2, (x1 + x2) // 2
            y, uv = split_i420(torch.from_numpy(out[k : k + 1]))
            assert y[0, 0, cy, cx] == 16 and (uv[0, :, cy // 2, cx // 2] == 128).all()  # limited-range black


def test_chunked_windows_give_the_same_result(monkeypatch):
    rng = np.random.default_rng(0)
    planes = torch.from_numpy(rng.integers(0, 256, (2, 3, 120, 160), np.uint8))
    boxes = [np.array([[10, 10, 60, 70], [40, 30, 150, 110], [0, 0, 20, 20]], np.float32),
             np.array([[100, 50, 159, 119]], np.float32)]
    whole = obscure_planes(planes, boxes, DeviceRegion("blur", RegionStyle("ellipse")))
    monkeypatch.setattr("anon_core.gpu.anonymize.WINDOW_ELEMENTS", 500)
    chunked = obscure_planes(planes, boxes, DeviceRegion("blur", RegionStyle("ellipse")))
    assert torch.equal(whole, chunked) and not torch.equal(whole, planes)


def test_the_device_anonymizer_takes_the_policy_settings_and_their_floors():
    """Strength, padding and shape come from the policy's RegionStyle (one place for the floors)."""
    strong = GpuVideoJob(Pipeline(PipelineConfig(device="cpu-torch", method="pixelate", strength=2.0, padding=0.5)))
    assert (strong.regions["face"].cells, strong.regions["face"].style.padding) == (4, 0.5)  # 8 blocks / strength 2
    with pytest.raises(ValueError, match="below its floor"):
        Pipeline(PipelineConfig(device="cpu-torch", method="pixelate", strength=0.5))
    policy = Policy.from_dict({"face": {"method": "fill", "shape": "box", "colour": [0, 0, 255]}})
    filled = GpuVideoJob(Pipeline(PipelineConfig(device="cpu-torch", policy=policy)))  # a policy file's rule wins
    face = filled.regions["face"]
    assert (face.method, face.style.shape, face.style.padding) == ("fill", "box", 0.3)
    y, u, v = yuv_fill(face.style.colour)  # red in limited-range YUV, as i420_to_bgr shows it
    bgr = i420_to_bgr(torch.full((1, 1, 2, 2), round(y), dtype=torch.uint8),
                      torch.tensor([round(u), round(v)], dtype=torch.uint8).view(1, 2, 1, 1))
    assert np.abs(bgr[0, 0, 0].numpy().astype(int) - [0, 0, 255]).max() <= 3


def test_rotation_metadata_is_applied(job, tmp_path):
    rotated = with_rotation(make_clip(tmp_path / "in.mp4", frames=6, size=(160, 120)), tmp_path / "rot.mp4", 90)
    report = job.run(rotated, tmp_path / "out.mp4")
    with VideoReader(rotated) as a, VideoReader(tmp_path / "out.mp4") as b:
        raw, out = list(a.frames()), list(b.frames())
    assert len(out) == len(raw) == 6 == report.frame_count
    assert out[0].shape == raw[0].shape == (160, 120, 3)  # upright, as the CPU reader shows it
    assert np.abs(out[3].astype(int) - raw[3]).mean() < 3  # same orientation and content


def test_odd_sized_4_4_4_input_is_padded_to_even(job, tmp_path):
    src = tmp_path / "odd.mkv"
    with av.open(str(src), "w") as c:
        s = c.add_stream("ffv1", rate=25)
        s.width, s.height, s.pix_fmt = 161, 121, "yuv444p"
        for i in range(5):
            for p in s.encode(av.VideoFrame.from_ndarray(marker_frame(i, (161, 121)), format="bgr24")):
                c.mux(p)
        for p in s.encode(None):
            c.mux(p)
    job.run(src, tmp_path / "out.mp4")
    with VideoReader(src) as a, VideoReader(tmp_path / "out.mp4") as b:
        raw, out = list(a.frames()), list(b.frames())
    assert len(out) == 5 and out[0].shape == (122, 162, 3)
    assert np.abs(out[2][:121, :161].astype(int) - raw[2]).mean() < 3


def test_a_failing_device_step_leaves_grey_frames(job, tmp_path, monkeypatch):
    clip = make_clip(tmp_path / "in.mp4", frames=10, size=(160, 120))

    def boom(frames):
        raise RuntimeError("CUDA error: simulated")

    monkeypatch.setattr(job.model, "detect", boom)
    report = job.run(clip, tmp_path / "out.mp4")
    assert report.failed_frames == 10 and "simulated" in report.failures[0]["error"]
    with VideoReader(tmp_path / "out.mp4") as r:
        frames = list(r.frames())
    assert len(frames) == 10 and all(f.std() < 2 for f in frames)


def test_bad_input_gets_a_clear_error_and_no_output(job, tmp_path):
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video at all" * 100)
    with pytest.raises(MediaError, match="not a readable video"):
        job.run(junk, tmp_path / "out.mp4")
    with pytest.raises(MediaError, match=r"\*\.mp4"):
        job.run(junk, tmp_path / "out.avi")
    assert not list(tmp_path.glob("out*"))


def test_audio_is_kept_on_request_and_the_gil_interval_is_restored(job, tmp_path):
    import sys

    before = sys.getswitchinterval()
    clip = make_clip(tmp_path / "in.mp4", frames=10, audio=True)
    report = job.run(clip, tmp_path / "out.mp4", JobOptions(keep_audio=True))
    with av.open(str(tmp_path / "out.mp4")) as c:
        assert len(c.streams.audio) == 1 and len(c.streams.video) == 1
    assert report.frame_count == 10 and sys.getswitchinterval() == before
