"""One pipeline, the device a setting: the same clip through the CPU pipeline (onnxruntime, numpy frames)
and through the batched device job with the torch port on the CPU ("cpu-torch") gives the same regions,
held the same way while the face is occluded; what the device cannot do is refused in one line."""

import json

import cv2
import numpy as np
import pytest
from conftest import load_person_image

from anon_core.detections import box_iou
from anon_core.devices import device_support
from anon_core.gpu.video_job import anonymize_video_on_device
from anon_core.jobs import JobOptions, anonymize_video
from anon_core.media import VideoWriter
from anon_core.pipeline import Pipeline, PipelineConfig

FRAMES = 18
OCCLUDED = range(7, 11)  # a grey card covers the face on these frames: the detector misses it


def occluded_face_clip(path, portrait):
    """A portrait (face ~100 px) sliding right over a textured background; a flat card hides it on OCCLUDED."""
    rng = np.random.default_rng(0)
    bg = rng.normal(110, 12, (240, 320, 3)).clip(0, 255).astype(np.uint8)
    face = cv2.resize(portrait, (150, 150 * portrait.shape[0] // portrait.shape[1]), interpolation=cv2.INTER_AREA)[:200]
    with VideoWriter(path, 10.0) as w:
        for i in range(FRAMES):
            f = bg.copy()
            x = 20 + 6 * i
            f[20:20 + face.shape[0], x:x + face.shape[1]] = face
            if i in OCCLUDED:
                f[10:230, x - 10:x + 160] = 128
            w.write(f)
    return path


def matched_iou(ra: list[dict], rb: list[dict]) -> np.ndarray:
    """IoU of each region of frame report `ra` with its partner in `rb` (one to one, same label and origin;
    the two detectors may list equal regions in another order)."""
    from scipy.optimize import linear_sum_assignment

    assert sorted((r["label"], r["origin"]) for r in ra) == sorted((r["label"], r["origin"]) for r in rb)
    if not ra:
        return np.ones(0)
    iou = box_iou(np.array([r["box"] for r in ra]), np.array([r["box"] for r in rb]))
    iou *= np.array([[(a["label"], a["origin"]) == (b["label"], b["origin"]) for b in rb] for a in ra])
    rows, cols = linear_sum_assignment(-iou)
    return iou[rows, cols]


@pytest.fixture(scope="module")
def reports(people, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("one")
    clip = occluded_face_clip(tmp / "clip.mp4", load_person_image(people[0], "studio_portrait", max_side=400))
    config = dict(detect_width=320, threshold=0.3, hold_frames=3)
    cpu = anonymize_video(clip, tmp / "cpu.mp4", Pipeline(PipelineConfig(**config)),
                          JobOptions(report_path=tmp / "cpu.json"))
    dev = anonymize_video_on_device(clip, tmp / "dev.mp4", Pipeline(PipelineConfig(device="cpu-torch", **config)),
                                    JobOptions(report_path=tmp / "dev.json"), batch=4)
    return [json.loads((tmp / f"{name}.json").read_text()) for name in ("cpu", "dev")] + [cpu, dev]


def test_cpu_pipeline_and_torch_port_give_the_same_regions_and_hold(reports):
    cpu, dev, *_ = reports
    assert len(cpu["frames"]) == len(dev["frames"]) == FRAMES
    origins = []
    for a, b in zip(cpu["frames"], dev["frames"]):
        ra, rb = a["regions"], b["regions"]
        assert len(ra) == len(rb), (a["frame"], ra, rb)
        assert matched_iou(ra, rb).min(initial=1.0) >= 0.9, a["frame"]
        origins.append([r["origin"] for r in ra])
    # the hold is what the occlusion exercises: held (and grown) for hold_frames=3 frames, then gone
    assert origins[6] == ["detected"] and origins[7:10] == [["held"]] * 3 and origins[10] == []
    assert origins[11] == ["detected"]


def test_the_device_report_describes_the_same_pipeline(reports):
    cpu, dev, *_ = reports
    assert dev["pipeline"]["engine"] == "gpu-i420" and dev["pipeline"]["detectors"]["face"]["backend"] == "torch"
    assert dev["pipeline"]["config"]["device"] == "cpu-torch"
    for key in ("hold_frames", "detect_every", "policy", "threshold"):
        assert dev["pipeline"]["config"][key] == cpu["pipeline"]["config"][key]
    assert dev["pipeline"]["tracker"] == cpu["pipeline"]["tracker"]


@pytest.mark.parametrize("change, words", [
    ({"targets": ("face", "person"), "person_detector": "yolox-nano-tiled"}, "--person-detector yolox-nano|"),
    ({"face_detector": "dlib-hog"}, "--face-detector centerface"),
    ({"detect_every": 3}, "--detect-every 1"),
])
def test_what_the_device_cannot_do_is_refused_in_one_place(change, words):
    settings = {"device": "cuda"} | change
    config = PipelineConfig.__new__(PipelineConfig)  # the check itself, without building anything
    config.__dict__.update(PipelineConfig().__dict__ | settings)
    problem = device_support(config)
    assert problem and words in problem and "\n" not in problem
    with pytest.raises(ValueError, match="--device cuda"):
        PipelineConfig(**settings)
    assert device_support(PipelineConfig(**change)) is None  # the CPU runs all of them


def test_persons_and_faces_on_the_device_match_the_cpu_pipeline(model_dir, tmp_path):
    """--targets face,person on the device: YOLOX's torch port and CenterFace's, each on the whole batch,
    then the same region stage and the policy's per-target styles (persons box, faces ellipse on top)."""
    from anon_core.synth import ensure_sample

    clip = ensure_sample("walkway", seed=2, seconds=0.6, size=(384, 224)).video
    config = dict(targets=("face", "person"), detect_width=384, threshold=0.3)  # no candidates at the 0.1 edge
    anonymize_video(clip, tmp_path / "cpu.mp4", Pipeline(PipelineConfig(**config)),
                    JobOptions(report_path=tmp_path / "cpu.json"))
    anonymize_video_on_device(clip, tmp_path / "dev.mp4", Pipeline(PipelineConfig(device="cpu-torch", **config)),
                              JobOptions(report_path=tmp_path / "dev.json"), batch=4)
    cpu, dev = (json.loads((tmp_path / f"{name}.json").read_text()) for name in ("cpu", "dev"))
    labels = set()
    for a, b in zip(cpu["frames"], dev["frames"], strict=True):
        ra, rb = a["regions"], b["regions"]
        assert matched_iou(ra, rb).min(initial=1.0) >= 0.9, a["frame"]
        labels |= {r["label"] for r in ra}
    assert labels == {"face", "person"}
    assert set(dev["pipeline"]["anonymizers"]) == {"face", "person"}
    assert dev["pipeline"]["anonymizers"]["person"]["shape"] == "box"


def test_frames_reach_the_host_only_when_a_control_or_analyzer_reads_pixels(tmp_path):
    """An analyzer (or the consent list) reads pixels: the device job hands it the decoded frame itself;
    zones read only the frame's shape, so without such a reader nothing is downloaded (a blank view)."""
    from media_factory import make_clip

    from anon_core.media import VideoReader

    clip = make_clip(tmp_path / "in.mp4", frames=6, size=(160, 120))
    seen = []

    def analyzer(frame, dets):
        seen.append(frame.copy())
        return len(dets)

    zones_only = Pipeline(PipelineConfig(device="cpu-torch", zones=("never=0,0,0.5,0,0.5,1,0,1",)))
    assert not zones_only.needs_pixels
    results = []
    report = anonymize_video_on_device(clip, tmp_path / "out.mp4", zones_only,
                                       JobOptions(analyzers={"faces": analyzer}, on_frame=results.append), batch=4)
    assert report.frame_count == 6 and [r.index for r in results] == list(range(6))
    assert all("faces" in r.analytics for r in results)
    with VideoReader(clip) as r:
        raw = list(r.frames())
    assert len(seen) == 6 and all(np.abs(s.astype(int) - f).mean() < 3 for s, f in zip(seen, raw))
    assert not zones_only.needs_pixels  # the job's analyzer was removed again
    given, follow = [], zones_only.follow
    zones_only.follow = lambda frame, dets: (given.append(frame), follow(frame, dets))[1]
    anonymize_video_on_device(clip, tmp_path / "out2.mp4", zones_only, batch=4)
    assert len(given) == 6 and all(f.shape == (120, 160, 3) and f.strides[:2] == (0, 0) for f in given)  # no copy
