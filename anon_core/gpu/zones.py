"""Zones on the GPU path (`anon video --device cuda --zone ...`), same rules as anon_core/zones.py.

Never-zones drop detected boxes on the host (the boxes are there anyway); always-zones are obscured
on the device after the faces: the zone's bounding box is obscured in the Y and UV planes with the
job's method, and only the polygon's pixels take the obscured values (polygon masks at full and half
resolution, made once per frame size).
"""

from __future__ import annotations

import numpy as np
import torch

from anon_core.detections import Detections
from anon_core.gpu.anonymize import GpuStyle, obscure_planes
from anon_core.gpu.yuv import UV_NEUTRAL, Y_BLACK
from anon_core.zones import Zone, ZoneControl


class GpuZones:
    def __init__(self, zones: list[Zone], style: GpuStyle):
        self.control = ZoneControl(zones)
        self.style = GpuStyle(style.method, "box", padding=0.0, strength=style.strength)
        self._masks: dict = {}

    def describe(self) -> dict:
        return self.control.describe() | {"anonymizer": self.style.to_dict()}

    def select(self, regions: list[Detections], height: int, width: int) -> tuple[list[Detections], list[list]]:
        """Per frame: the regions left to anonymize, and notes on those kept by a never-zone."""
        blank = np.zeros((1, 1, 3), np.uint8)
        frame = np.broadcast_to(blank, (height, width, 3))  # ZoneControl only reads the frame's shape
        out = [self.control.select(frame, 0, r) for r in regions]
        return [r for r, _ in out], [n for _, n in out]

    def cover(self, y: torch.Tensor, uv: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if not self.control.always:
            return y, uv
        n, _, h, w = y.shape
        key = (h, w, y.device)
        if key not in self._masks:
            full = self.control._mask("always", w, h)
            ys, xs = np.nonzero(full)
            box = np.array([[xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]], np.float32) if len(xs) else None
            half = full[::2, ::2][: h // 2, : w // 2]
            self._masks[key] = (box, torch.from_numpy(full.astype(bool)).to(y.device),
                                torch.from_numpy(np.ascontiguousarray(half, dtype=bool)).to(y.device))
        box, mask_y, mask_uv = self._masks[key]
        if box is None:
            return y, uv
        zy = obscure_planes(y, [box] * n, self.style, fill=(Y_BLACK,))
        zuv = obscure_planes(uv, [box / 2] * n, self.style, fill=(UV_NEUTRAL, UV_NEUTRAL))
        return torch.where(mask_y, zy, y), torch.where(mask_uv, zuv, uv)
