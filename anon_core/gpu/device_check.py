"""GPU check: validate the torch CenterFace on CUDA and measure 1920x1080 face anonymization frames/s.

Needs numpy, torch and onnx plus the repo and `.device/gpu_check/` (made on the dev machine by
`python -m anon_core.gpu.prepare`: centerface.onnx, reference.npz, clip/warm_1080p.mp4); with PyAV
(and filterpy, platformdirs) importable it first measures the product path, `anon video --device
cuda` (gpu.job_check).  Uses cv2 for
decode/encode when the machine has it (several segment workers, each with its own reader, CUDA
stream and writer); without cv2 it measures on in-memory frames and says so.

    python -m anon_core.gpu.device_check --out $OUT        # ~2-3 minutes on an H200
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import queue
import threading
import time
import traceback
from pathlib import Path

import numpy as np
import torch

from anon_core.detections import box_iou
from anon_core.gpu.anonymize import GpuStyle, anonymize_batch
from anon_core.gpu.centerface import REPO, TorchCenterFace

DATA = REPO / ".device" / "gpu_check"


def _env() -> dict:
    info = {"python": platform.python_version(), "torch": torch.__version__, "cuda": torch.version.cuda,
            "cpu_count": os.cpu_count(), "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}
    for mod in ("cv2", "onnxruntime", "av"):
        try:
            info[mod] = __import__(mod).__version__
        except Exception:  # absent on the bare image is expected
            info[mod] = None
    return info


def validate(device: str, ref: dict) -> dict:
    """GPU fp16/fp32 boxes vs the CPU onnxruntime detector's boxes stored in reference.npz."""
    frames = ref["frames"]
    out = {}
    for half in (False, True):
        model = TorchCenterFace(DATA / "centerface.onnx", device=device, half=half)
        dets = model.detect(frames)
        ious, dscore, counts = [], [], []
        for i, (boxes, scores, _) in enumerate(dets):
            exp_b, exp_s = ref[f"boxes{i}"], ref[f"scores{i}"]
            counts.append((len(exp_b), len(boxes)))
            if len(exp_b) and len(boxes):
                iou = box_iou(exp_b, boxes)
                j = iou.argmax(1)
                ious += iou.max(1).tolist()
                dscore += np.abs(exp_s - scores[j]).tolist()
        out["fp16" if half else "fp32"] = {"faces_cpu_vs_gpu": counts, "min_iou": min(ious) if ious else None,
                                           "max_score_diff": max(dscore) if dscore else None}
    from anon_core.gpu.onnx_torch import load  # raw maps: device port vs the CPU fp32 port (tested == ORT)

    model = TorchCenterFace(DATA / "centerface.onnx", device=device, half=True)
    x, _ = model.preprocess(torch.from_numpy(frames[:1]).to(device))
    with torch.inference_mode():
        a = load(DATA / "centerface.onnx")(x.float().cpu())[0].numpy()
        b = model.net(x)[0].float().cpu().numpy()
    out["heatmap_max_abs_diff_fp16_vs_cpu_fp32"] = float(np.abs(a - b).max())
    return out


class Engine:
    """Detect + anonymize a pinned (B, H, W, 3) uint8 host batch on the GPU; one per worker (own CUDA
    stream, own pinned output buffer, reused between batches)."""

    def __init__(self, model: TorchCenterFace, style: GpuStyle):
        self.model, self.style = model, style
        self.cuda = model.device.type == "cuda"
        self.stream = torch.cuda.Stream() if self.cuda else None
        self._out: torch.Tensor | None = None

    def pinned(self, shape) -> torch.Tensor:
        return torch.empty(shape, dtype=torch.uint8, pin_memory=self.cuda)

    def __call__(self, host: torch.Tensor) -> tuple[np.ndarray, int]:
        """host: (B, H, W, 3) uint8 CPU tensor (pinned on CUDA) -> (anonymized numpy view, faces).

        The returned array is this engine's output buffer: valid until the next call."""
        if self._out is None or self._out.shape[1:] != host.shape[1:] or len(self._out) < len(host):
            self._out = self.pinned(tuple(host.shape))
        out_buf = self._out[: len(host)]
        ctx = torch.cuda.stream(self.stream) if self.stream is not None else _null()
        with ctx, torch.inference_mode():
            frames = host.to(self.model.device, non_blocking=True)
            dets = self.model.detect(frames)
            out = anonymize_batch(frames, [d[0] for d in dets], self.style)
            out_buf.copy_(out, non_blocking=True)
            if self.stream is not None:
                self.stream.synchronize()
        return out_buf.numpy(), sum(len(d[0]) for d in dets)


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def gpu_only(model: TorchCenterFace, frames: np.ndarray, batch: int, seconds: float = 8.0) -> dict:
    """Frames/s of upload + detect + anonymize + download, frames already in (pinned) host memory."""
    engine = Engine(model, GpuStyle())
    reps = np.concatenate([frames] * (batch // len(frames) + 1))[:batch]
    host = engine.pinned(reps.shape)
    host.numpy()[:] = reps
    engine(host)  # warm-up (cudnn autotune)
    n, faces, t0 = 0, 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        _, f = engine(host)
        n += len(reps)
        faces += f
    dt = time.perf_counter() - t0
    return {"fps": n / dt, "frames": n, "faces_per_frame": faces / max(n, 1), "batch": batch}


def _segment_worker(args) -> tuple[int, int]:
    """Reader thread decodes straight into a pool of pinned batch buffers; this thread runs the GPU
    step and encodes."""
    import cv2

    clip, start, stop, out_path, engine, batch = args
    cap = cv2.VideoCapture(str(clip))
    cap.set(cv2.CAP_PROP_POS_FRAMES, start)
    fps = cap.get(cv2.CAP_PROP_FPS) or 30
    w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    writer = cv2.VideoWriter(str(out_path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    pool = [engine.pinned((batch, h, w, 3)) for _ in range(3)]
    free: queue.Queue = queue.Queue()
    for k in range(len(pool)):
        free.put(k)
    full: queue.Queue = queue.Queue()

    def read():
        i = start
        while i < stop:
            k = free.get()
            view = pool[k].numpy()
            n = 0
            while n < batch and i < stop:
                ok, img = cap.read(view[n])
                if not ok:
                    i = stop
                    break
                if img is not view[n] and img.base is not view[n].base:
                    view[n] = img
                n += 1
                i += 1
            if n:
                full.put((k, n))
            else:
                free.put(k)
        full.put(None)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    done = faces = 0
    while (item := full.get()) is not None:
        k, n = item
        out, f = engine(pool[k][:n])
        free.put(k)
        faces += f
        for frame in out:
            writer.write(frame)
        done += n
    writer.release()
    cap.release()
    return done, faces


def codec_only(clip: Path, out_dir: Path, max_frames: int = 240) -> dict:
    """Single-thread cv2 decode and mp4v encode frames/s of the clip, to see where the time goes."""
    import cv2

    cap = cv2.VideoCapture(str(clip))
    frames, t0 = [], time.perf_counter()
    while len(frames) < max_frames:
        ok, f = cap.read()
        if not ok:
            break
        frames.append(f)
    dec = len(frames) / (time.perf_counter() - t0)
    h, w = frames[0].shape[:2]
    path = out_dir / "codec_only.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30, (w, h))
    t0 = time.perf_counter()
    for f in frames:
        writer.write(f)
    writer.release()
    enc = len(frames) / (time.perf_counter() - t0)
    path.unlink(missing_ok=True)
    return {"decode_fps_1thread": dec, "encode_mp4v_fps_1thread": enc, "frames": len(frames)}


def end_to_end(model: TorchCenterFace, clip: Path, out_dir: Path, workers: int, batch: int, repeat: int,
               max_frames: int | None = None) -> dict:
    """Decode (cv2) -> GPU -> encode (cv2 mp4v), `workers` segments in parallel, the clip `repeat` times."""
    from concurrent.futures import ThreadPoolExecutor

    import cv2

    cap = cv2.VideoCapture(str(clip))
    total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    total = min(total, max_frames) if max_frames else total
    size = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    cap.release()
    bounds = np.linspace(0, total, workers + 1).astype(int)
    jobs = [(clip, int(a), int(b), out_dir / f"seg{k}_{r}.mp4", Engine(model, GpuStyle()), batch)
            for r in range(repeat) for k, (a, b) in enumerate(zip(bounds[:-1], bounds[1:]))]
    t0 = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(_segment_worker, jobs))
    dt = time.perf_counter() - t0
    frames = sum(r[0] for r in results)
    for j in jobs:
        j[3].unlink(missing_ok=True)
    return {"workers": workers, "frames": frames, "seconds": dt, "fps": frames / dt, "size": size,
            "faces_per_frame": sum(r[1] for r in results) / max(frames, 1), "codec_out": "mp4v (cv2)"}


def _product(report: dict, out: Path, save) -> None:
    """`anon video --device cuda`'s own path (needs PyAV, carried as a wheel to bare images)."""
    clip, warm = DATA / "clip_1080p.mp4", DATA / "warm_1080p.mp4"
    try:
        from anon_core.gpu import job_check
    except ImportError as exc:
        report["notes"].append(f"product path not measured: {exc}")
        return
    steps = [("codec_ceiling_1080p", lambda: job_check.codec_ceiling(clip, out)),
             ("product_1080p", lambda: job_check.product_runs(clip, warm, out)),
             ("product_parallel_2", lambda: job_check.parallel_runs(clip, warm, out, 2)),
             ("product_cli", lambda: job_check.cli_run(clip, out))]
    for key, step in steps:
        try:
            report[key] = step()
        except Exception:
            report.setdefault("errors", []).append(f"{key}: {traceback.format_exc()}")
        print(json.dumps({key: report.get(key)}, default=str), flush=True)
        save()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path(os.environ.get("OUT", "device_check_out")))
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--workers", default="8", help="segment workers to try for end-to-end, e.g. 1,4,8")
    ap.add_argument("--repeat", type=int, default=1, help="process the clip this many times per end-to-end run")
    ap.add_argument("--max-frames", type=int, default=None, help="use only the first N frames of the clip")
    ap.add_argument("--gpu-seconds", type=float, default=6.0, help="seconds per in-memory throughput run")
    ap.add_argument("--product-only", action="store_true", help="only validation and the anon video path")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    report: dict = {"env": _env(), "notes": []}
    path = args.out / "device_check.json"

    def save():
        path.write_text(json.dumps(report, indent=2, default=str))

    device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cpu":
        report["notes"].append("no CUDA device: figures are CPU figures")
    torch.backends.cudnn.benchmark = True
    ref = dict(np.load(DATA / "reference.npz"))
    try:
        report["validation"] = validate(device, ref)
    except Exception:
        report["validation_error"] = traceback.format_exc()
    save()
    if device == "cuda":
        _product(report, args.out, save)
    if args.product_only:
        save()
        return 0
    model = TorchCenterFace(DATA / "centerface.onnx", device=device, half=device == "cuda")
    for b in sorted({1, 8, args.batch, 32} if device == "cuda" else {args.batch}):
        try:
            report.setdefault("gpu_only_1080p", []).append(gpu_only(model, ref["frames"], b, args.gpu_seconds))
        except Exception:
            report.setdefault("errors", []).append(traceback.format_exc())
        save()
        print(json.dumps(report.get("gpu_only_1080p", [])[-1:]), flush=True)
    if report["env"]["cv2"] and (DATA / "clip_1080p.mp4").is_file():
        try:
            report["codec_only_1080p"] = codec_only(DATA / "clip_1080p.mp4", args.out, args.max_frames or 240)
        except Exception:
            report.setdefault("errors", []).append(traceback.format_exc())
        for w in [int(x) for x in args.workers.split(",")]:
            try:
                r = end_to_end(model, DATA / "clip_1080p.mp4", args.out, w, args.batch, args.repeat,
                               args.max_frames)
                report.setdefault("end_to_end_1080p", []).append(r)
                print(json.dumps(r), flush=True)
            except Exception:
                report.setdefault("errors", []).append(traceback.format_exc())
            save()
    else:
        report["notes"].append("cv2 (or the prepared clip) missing: no decode/encode measured, "
                               "only in-memory frames (gpu_only_1080p)")
    save()
    print(json.dumps({k: report[k] for k in report if k != "env"} | {"env": report["env"]}, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
