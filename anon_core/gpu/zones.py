"""Zones on the device job (`anon video --device cuda --zone ...`): the pipeline's own ZoneControl.

Never-zones drop regions in `ZoneControl.select`, run by the shared region stage (Pipeline.follow) as
on the CPU; always-zones are obscured here, on the device, after the faces: the zone's bounding box is
obscured in the Y and UV planes with the control's anonymizer (its method and strength over the exact
box, as ZoneControl.cover does), and only the polygon's pixels take the obscured values (polygon masks
at full and half resolution, made once per frame size).
"""

from __future__ import annotations

import numpy as np
import torch

from anon_core.gpu.anonymize import DeviceRegion, obscure_planes
from anon_core.gpu.yuv import yuv_fill
from anon_core.zones import ZoneControl


class DeviceZones:
    def __init__(self, control: ZoneControl):
        self.control = control
        self.region = DeviceRegion.of(control.anonymizer).whole_box()
        self._masks: dict = {}

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
        fy, fu, fv = yuv_fill(self.region.style.colour)
        zy = obscure_planes(y, [box] * n, self.region, fill=(fy,))
        zuv = obscure_planes(uv, [box / 2] * n, self.region, fill=(fu, fv))
        return torch.where(mask_y, zy, y), torch.where(mask_uv, zuv, uv)
