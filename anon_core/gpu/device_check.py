"""GPU check: validate the torch CenterFace on CUDA and measure 1920x1080 face anonymization frames/s.

Needs numpy, torch and onnx plus the repo and `.device/gpu_check/` (made on the dev machine by
`python -m anon_core.gpu.prepare`: centerface.onnx, reference.npz, clip/warm_1080p.mp4); with PyAV
(and filterpy, platformdirs) importable it first measures the product path, `anon video --device
cuda` (gpu.job_check).  Then it measures the detect + anonymize step alone on frames already in
pinned memory (no codec), at several batch sizes.

    python -m anon_core.gpu.device_check --out $OUT        # ~2-3 minutes on an H200
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import traceback
from pathlib import Path

import numpy as np
import torch

from anon_core.detections import box_iou
from anon_core.gpu.anonymize import DeviceRegion, anonymize_batch
from anon_core.gpu.centerface import TorchCenterFace
from anon_core.gpu.check_data import DATA


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
    """Detect + anonymize a pinned (B, H, W, 3) uint8 host batch on the GPU into a pinned output
    buffer that is reused between batches."""

    def __init__(self, model: TorchCenterFace, style: DeviceRegion):
        self.model, self.style = model, style
        self.cuda = model.device.type == "cuda"
        self._out: torch.Tensor | None = None

    def pinned(self, shape) -> torch.Tensor:
        return torch.empty(shape, dtype=torch.uint8, pin_memory=self.cuda)

    def __call__(self, host: torch.Tensor) -> tuple[np.ndarray, int]:
        """host: (B, H, W, 3) uint8 CPU tensor (pinned on CUDA) -> (anonymized numpy view, faces).

        The returned array is this engine's output buffer: valid until the next call."""
        if self._out is None or self._out.shape[1:] != host.shape[1:] or len(self._out) < len(host):
            self._out = self.pinned(tuple(host.shape))
        out_buf = self._out[: len(host)]
        with torch.inference_mode():
            frames = host.to(self.model.device, non_blocking=True)
            dets = self.model.detect(frames)
            out = anonymize_batch(frames, [d[0] for d in dets], self.style)
            out_buf.copy_(out, non_blocking=True)
            if self.cuda:
                torch.cuda.current_stream(self.model.device).synchronize()
        return out_buf.numpy(), sum(len(d[0]) for d in dets)


def gpu_only(model: TorchCenterFace, frames: np.ndarray, batch: int, seconds: float = 8.0) -> dict:
    """Frames/s of upload + detect + anonymize + download, frames already in (pinned) host memory."""
    engine = Engine(model, DeviceRegion())
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


def _product(report: dict, out: Path, save) -> None:
    """`anon video --device cuda`'s own path (needs PyAV, carried as a wheel to bare images)."""
    clip, warm = DATA / "clip_1080p.mp4", DATA / "warm_1080p.mp4"
    try:
        from anon_core.gpu import job_check
    except ImportError as exc:
        report["notes"].append(f"product path not measured: {exc}")
        return
    steps = [("region_stage_host", job_check.region_stage_cost),
             ("codec_ceiling_1080p", lambda: job_check.codec_ceiling(clip, out)),
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
    save()
    print(json.dumps({k: report[k] for k in report if k != "env"} | {"env": report["env"]}, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
