"""Prepare `.device/` (gitignored) for the GPU check: CenterFace weights, reference frames with the CPU
detector's boxes, and a 1920x1080 H.264 clip.  Runs on the dev machine (needs cv2, onnxruntime, PyAV,
openpeople); the GPU machine then needs only numpy, torch and onnx.

    python -m anon_core.gpu.prepare   # writes .device/gpu_check/: centerface.onnx, reference.npz, clip/warm_1080p.mp4
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import cv2
import numpy as np

from anon_core.gpu.centerface import REPO, find_centerface_onnx

W, H = 1920, 1080
ASSETS = ("studio_portrait", "amateur_selfie", "amateur_posture", "studio_posture")


def _canvas(seed: int) -> np.ndarray:
    """A 2200x1240 scene of several people (faces of ~70-400 px) from the openpeople portraits."""
    import openpeople

    rng = np.random.default_rng(seed)
    people = openpeople.curated.list()
    canvas = np.full((1240, 2200, 3), 90, np.uint8)
    x = 0
    for k in range(6):
        p = people[(seed + k) % len(people)]
        img = cv2.imread(p.asset_path(ASSETS[(seed + k) % len(ASSETS)]))
        h = int(rng.integers(450, 1240))
        img = cv2.resize(img, (int(img.shape[1] * h / img.shape[0]), h), interpolation=cv2.INTER_AREA)
        w = min(img.shape[1], 2200 - x)
        if w < 100:
            break
        canvas[1240 - h:, x:x + w] = img[:, :w]
        x += w
    return canvas


def frames(n: int, seed: int = 0) -> list[np.ndarray]:
    """n frames of a slow pan over the scene (so a tracker or cache has something to follow)."""
    canvas = _canvas(seed)
    out = []
    for i in range(n):
        t = i / max(1, n - 1)
        dx, dy = int(280 * t), int(160 * abs(np.sin(np.pi * t)))
        out.append(np.ascontiguousarray(canvas[dy:dy + H, dx:dx + W]))
    return out


def prepare(dest: Path, clip_frames: int = 600) -> dict:
    from anon_core.detectors.centerface import CenterFace
    from anon_core.media.video import VideoWriter

    dest.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(find_centerface_onnx(), dest / "centerface.onnx")
    ref = [frames(2, seed)[k] for seed in (0, 3) for k in (0, 1)]
    det = CenterFace(input_width=640)
    boxes = det.detect_batch(ref)
    np.savez_compressed(dest / "reference.npz", frames=np.stack(ref),
                        **{f"boxes{i}": d.xyxy for i, d in enumerate(boxes)},
                        **{f"scores{i}": d.scores for i, d in enumerate(boxes)})
    for name, n in (("clip_1080p.mp4", clip_frames), ("warm_1080p.mp4", 48)):
        with VideoWriter(dest / name, 30.0) as writer:
            for f in frames(n, seed=1):
                writer.write(f)
    return {"reference_faces": [len(d) for d in boxes],
            "bytes": {p.name: p.stat().st_size for p in dest.iterdir()}}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dest", type=Path, default=REPO / ".device" / "gpu_check")
    ap.add_argument("--clip-frames", type=int, default=600)
    args = ap.parse_args(argv)
    print(prepare(args.dest, args.clip_frames))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
