"""`anon bench speed`: end-to-end face anonymization throughput of a video (decode, detect,
anonymize, encode) for our engine and for `deface --scale 640x360` on the same clip, in one run,
plus each tool's face recall measured the same way on its output video.

Recall: share of ground-truth face boxes (per frame) of which at least 90 % of the pixels are
anonymized.  Our regions come from the pipeline (JobOptions.on_frame) drawn with the pipeline's
shape and padding; deface's from deface's own detector and box scaling run in-process on the same
decoded frames (not timed), drawn as the ellipses deface blurs.

`target="person"`: whole persons on the synthetic 1080p crowd (`anon synth crowd`) with the default
person detector and `--detect-every auto`, no deface; recall = coverage of the people at least half
visible (gt/gt.txt).  Both modes also report the process CPU time of the run (all threads), and the
frame rate that CPU time would allow on `cores` free cores: a figure that other jobs sharing the
machine distort far less than the wall-clock one.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from anon_core.bench.methods import DefaceMethod, deface_regions
from anon_core.bench.runner import hardware
from anon_core.bench.video_leak import LEAK_HEADER, leak_columns, video_leaks
from anon_core.groundtruth import load_mot
from anon_core.jobs import JobOptions, anonymize_video
from anon_core.media.video import VideoReader, probe
from anon_core.metrics import covered_fraction, region_mask
from anon_core.pipeline import Pipeline, PipelineConfig
from anon_core.synth import ensure_sample, load_faces


@dataclass
class SpeedConfig:
    clip: Path | None = None  # a video; face GT from faces.jsonl beside it (synthetic samples) if present
    synth: str | None = "webcam"  # used when clip is None: ensure_sample(kind, size=size, seconds=seconds)
    size: tuple[int, int] = (1280, 720)
    seconds: float = 10.0
    detect_every: str | int = "auto"
    face_detector: str = "centerface"
    detect_width: int | None = 640  # the same detector input scale as deface's --scale 640x360
    deface_scale: str = "640x360"
    deface: bool = True
    recall: bool = True
    target: str = "face"  # face | person (whole persons on the synthetic crowd; no deface)
    people: int | None = None  # synthetic scenes: how many people (e.g. `--synth faces --people 6`)
    leak: bool = True  # model-free leak rate per face-frame of each output (anon_core.bench.video_leak)


def _clip_and_gt(cfg: SpeedConfig):
    if cfg.clip is not None:
        clip = Path(cfg.clip)
        faces = clip.parent / "faces.jsonl"
        return clip, faces if faces.is_file() else None

    extra = {} if cfg.people is None else {"people": cfg.people}
    sample = ensure_sample(cfg.synth, size=tuple(cfg.size), seconds=cfg.seconds, **extra)
    return Path(sample.video), Path(sample.gt if cfg.target == "person" else sample.faces)


def person_coverage(regions, gt_path: Path, size: tuple[int, int], shape: str, padding: float,
                    min_visibility: float = 0.5) -> dict:
    """Coverage of the ground-truth persons at least `min_visibility` visible, from per-frame regions."""
    gt = load_mot(gt_path)
    covered = total = 0
    w, h = size
    for i, reg in enumerate(regions):
        people = gt.at(i + 1)
        boxes = people.xyxy[people.data["visibility"] >= min_visibility]
        if len(boxes):
            frac = covered_fraction(boxes, region_mask(reg, (h, w), shape, padding))
            covered += int(np.count_nonzero(frac >= 0.9 - 1e-9))
            total += len(boxes)
    return {"recall90": covered / total if total else None, "persons": total, "min_visibility": min_visibility}


def face_recall(regions, faces_path: Path, size: tuple[int, int], shape: str, padding: float) -> dict:
    """Covered recall of the GT faces given each frame's anonymized regions (Detections)."""
    faces = load_faces(faces_path)
    covered = total = frames = 0
    w, h = size
    for i, reg in enumerate(regions):
        frames += 1
        gt = faces.at(i + 1).xyxy
        if not len(gt):
            continue
        frac = covered_fraction(gt, region_mask(reg, (h, w), shape, padding))
        covered += int(np.count_nonzero(frac >= 0.9 - 1e-9))
        total += len(gt)
    return {"recall90": covered / total if total else None, "faces": total, "frames_scored": frames}


def run_ours(cfg: SpeedConfig, clip: Path, out: Path) -> tuple[dict, list]:
    if cfg.target == "person":  # the default person settings (anon video --targets person)
        pipe = Pipeline(PipelineConfig(targets=("person",), detect_every=cfg.detect_every))
    else:
        pipe = Pipeline(PipelineConfig(targets=("face",), face_detector=cfg.face_detector,
                                       detect_every=cfg.detect_every, detect_width=cfg.detect_width))
    regions: list = []
    c0, t0 = time.process_time(), time.perf_counter()
    report = anonymize_video(clip, out, pipe, JobOptions(progress=False, on_frame=lambda r: regions.append(r.regions)))
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    frames = _frames(report, out)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    row = {"tool": "anon", "seconds": seconds, "frames": frames, "fps": frames / seconds,
           "cpu_seconds": cpu, "cpu_ms_per_frame": 1000 * cpu / frames if frames else None, "cores": cores,
           "fps_from_cpu": frames / (cpu / cores) if cpu > 0 else None,
           "detector_runs": report.summary().get("detector_runs"),
           "runs_by_kind": dict(pipe.schedule.runs),  # full frame (both views) / re-detection (roi)
           "threads": os.environ.get("ANON_THREADS", "all cores"),  # onnxruntime intra-op threads
           "settings": {"detect_every": cfg.detect_every, "target": cfg.target,
                        "detector": pipe.config.person_detector if cfg.target == "person" else cfg.face_detector,
                        "detect_width": cfg.detect_width,
                        **pipe.config.region(cfg.target)},
           "note": "wall time of anonymize_video (decode, detect, track, anonymize, H.264 encode); model loaded before"}
    return row, regions


def _frames(report, out: Path) -> int:
    n = probe(out).frame_count
    return int(n) if n else 0


def run_deface(cfg: SpeedConfig, clip: Path, out: Path) -> dict:
    cmd = [*DefaceMethod.command(), "--scale", cfg.deface_scale, "-o", str(out), str(clip)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"deface failed ({proc.returncode}): {proc.stderr.strip()[-400:]}")
    frames = _frames(None, out)
    return {"tool": "deface", "command": " ".join(["deface", *cmd[-5:]]), "seconds": seconds, "frames": frames,
            "fps": frames / seconds, "note": "subprocess wall time incl. interpreter start-up and model load"}


def _load() -> float | None:
    return round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None


def run_speed(cfg: SpeedConfig, keep_dir: Path | None = None) -> dict:
    clip, faces = _clip_and_gt(cfg)

    info = probe(clip)
    result: dict = {"clip": str(clip), "size": [info.width, info.height], "fps_in": info.fps,
                    "frames": info.frame_count, "hardware": hardware("cpu"),
                    "load_average_1min": {"start": _load()}}  # other jobs on the machine distort wall FPS
    with tempfile.TemporaryDirectory(prefix="anon-speed-") as tmp:
        work = Path(keep_dir) if keep_dir else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        ours_out, deface_out = work / "anon.mp4", work / "deface.mp4"
        result["ours"], regions = run_ours(cfg, clip, ours_out)
        if cfg.deface:
            result["deface"] = run_deface(cfg, clip, deface_out)
        if cfg.leak and faces is not None and cfg.target == "face":  # before the temp outputs go away
            result["ours"]["leak"] = video_leaks(clip, ours_out, faces)
            if cfg.deface:
                result["deface"]["leak"] = video_leaks(clip, deface_out, faces)
    result["load_average_1min"]["end"] = _load()
    size = (info.width, info.height)
    if cfg.recall and faces is not None and cfg.target == "person":
        st = result["ours"]["settings"]
        result["ours"].update(person_coverage(regions, faces, size, st["shape"], st["padding"]))
    elif cfg.recall and faces is not None:
        st = result["ours"]["settings"]
        result["ours"].update(face_recall(regions, faces, size, st["shape"], st["padding"]))
        if cfg.deface:
            scale = tuple(int(v) for v in cfg.deface_scale.split("x"))
            with VideoReader(clip) as reader:
                dregions = deface_regions(reader.frames(), in_shape=scale)
            result["deface"].update(face_recall(dregions, faces, size, "ellipse", 0.0))
    ours, ref = result["ours"], result.get("deface")
    goals = {"fps_at_least_30": ours["fps"] >= 30} if cfg.target == "face" else {
        "fps_at_least_10": ours["fps"] >= 10, "fps_from_cpu_at_least_10": (ours["fps_from_cpu"] or 0) >= 10}
    if ours.get("leak") and ours["leak"]["visible"]["leak_rate"] is not None:  # issue #13: <= 1 % as for photos
        goals["leak_at_most_1pct_visible_faces"] = ours["leak"]["visible"]["leak_rate"] <= 0.01
    if ref:
        result["speedup_vs_deface"] = ours["fps"] / ref["fps"]
        goals["speedup_at_least_4x"] = result["speedup_vs_deface"] >= 4
        if ours.get("recall90") is not None and ref.get("recall90") is not None:
            goals["recall_not_below_deface"] = ours["recall90"] >= ref["recall90"]
    result["goals"] = goals
    return result


def speed_markdown(result: dict) -> str:
    rows = [result["ours"]] + ([result["deface"]] if result.get("deface") else [])
    lines = [f"### anon bench speed: {Path(result['clip']).name} ({result['size'][0]}x{result['size'][1]}, "
             f"{result['frames']} frames)", "",
             "| Tool | FPS end to end | seconds | CPU seconds | CPU ms/frame | FPS on free cores (from CPU time) "
             "| detector runs (full/roi) | recall@90% |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        rec, cpu, fc = r.get("recall90"), r.get("cpu_seconds"), r.get("fps_from_cpu")
        ms, kinds = r.get("cpu_ms_per_frame"), r.get("runs_by_kind")
        runs = "–" if not kinds else f"{kinds.get('full', 0)}/{kinds.get('roi', 0)}"
        lines.append(f"| {r['tool']} | {r['fps']:.1f} | {r['seconds']:.1f} | {'–' if cpu is None else f'{cpu:.1f}'} | "
                     f"{'–' if ms is None else f'{ms:.1f}'} | {'–' if fc is None else f'{fc:.1f}'} | {runs} | "
                     f"{'–' if rec is None else f'{rec:.3f}'} |")
    if any(r.get("leak") for r in rows):
        lines += ["", "Model-free leak rate (detail NCC > 0.5 of the inner 60 % of every GT face box, every frame; "
                  "faces < 16 px not scored):", "", f"| Tool | {LEAK_HEADER} |", "|---|---:|---:|---|"]
        lines += [f"| {r['tool']} |{leak_columns(r.get('leak'))}" for r in rows]
    if "speedup_vs_deface" in result:
        lines += ["", f"Speed-up vs deface: {result['speedup_vs_deface']:.2f}x"]
    lines += ["", "Goals: " + ", ".join(f"{k}: {'yes' if v else 'NO'}" for k, v in result["goals"].items()),
              f"Hardware: {result['hardware'].get('cpu')} ({result['hardware'].get('affinity')} cores usable); "
              f"1-min load average {result.get('load_average_1min')}"]
    return "\n".join(lines) + "\n"
