"""Region anonymization on the device: blur / pixelate / fill over boxes or ellipses, for a batch.

Mirrors anon_core.anonymize.regions (padding, ellipse of the unclipped box, ~12 px blur basis,
~8 mosaic blocks) with pooling + interpolation, so frames never leave the GPU between detection
and download.  `anonymize_batch(frames, boxes)` returns a new tensor (the input is not modified).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class GpuStyle:
    method: str = "blur"  # blur | pixelate | fill
    shape: str = "ellipse"  # box | ellipse
    padding: float = 0.15
    strength: float = 1.0

    def __post_init__(self):
        if self.method not in ("blur", "pixelate", "fill"):
            raise ValueError(f"GPU anonymization supports blur, pixelate and fill, not {self.method!r}")
        if self.shape not in ("box", "ellipse"):
            raise ValueError(f"shape must be box or ellipse, not {self.shape!r}")


def _gauss3(x: torch.Tensor) -> torch.Tensor:
    k = torch.tensor([0.25, 0.5, 0.25], dtype=x.dtype, device=x.device)
    k2 = (k[:, None] * k[None, :]).expand(x.shape[1], 1, 3, 3)
    return F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), k2, groups=x.shape[1])


def _obscure(roi: torch.Tensor, style: GpuStyle) -> torch.Tensor:
    """roi (1, 3, h, w) float -> obscured roi of the same size."""
    h, w = roi.shape[2:]
    if style.method == "fill":
        return torch.zeros_like(roi)
    side = max(2, int(round((12 if style.method == "blur" else 8) / style.strength)))
    f = side / max(h, w)
    small = F.interpolate(roi, size=(max(1, round(h * f)), max(1, round(w * f))), mode="area")
    if style.method == "pixelate":
        return F.interpolate(small, size=(h, w), mode="nearest")
    small = _gauss3(_gauss3(small))
    return F.interpolate(small, size=(h, w), mode="bilinear", align_corners=False)


def anonymize_batch(frames: torch.Tensor, boxes: Sequence[np.ndarray], style: GpuStyle = GpuStyle()) -> torch.Tensor:
    """frames (B, H, W, 3) uint8 on the device; boxes[i] (N_i, 4) xyxy numpy -> anonymized copy."""
    out = frames.clone()
    _, h, w, _ = frames.shape
    for i, bx in enumerate(boxes):
        bx = np.asarray(bx, np.float32).reshape(-1, 4)
        if not len(bx):
            continue
        c = (bx[:, :2] + bx[:, 2:]) / 2
        half = (bx[:, 2:] - bx[:, :2]) * (1 + style.padding) / 2
        padded = np.concatenate([c - half, c + half], 1)
        ints = np.round(padded).astype(int)
        ints[:, [0, 2]] = ints[:, [0, 2]].clip(0, w)
        ints[:, [1, 3]] = ints[:, [1, 3]].clip(0, h)
        for (x1, y1, x2, y2), (fx1, fy1, fx2, fy2) in zip(ints, padded):
            if x2 <= x1 or y2 <= y1:
                continue
            roi = out[i, y1:y2, x1:x2].permute(2, 0, 1)[None].float()
            obscured = _obscure(roi, style)
            if style.shape == "ellipse":
                ys = torch.arange(y1, y2, device=frames.device, dtype=torch.float32)[:, None] + 0.5
                xs = torch.arange(x1, x2, device=frames.device, dtype=torch.float32)[None, :] + 0.5
                ax, ay = max(0.5, (fx2 - fx1) / 2), max(0.5, (fy2 - fy1) / 2)
                inside = ((xs - (fx1 + fx2) / 2) / ax) ** 2 + ((ys - (fy1 + fy2) / 2) / ay) ** 2 <= 1
                obscured = torch.where(inside, obscured, roi)
            out[i, y1:y2, x1:x2] = obscured[0].permute(1, 2, 0).round().clamp(0, 255).to(torch.uint8)
    return out
