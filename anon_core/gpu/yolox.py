"""YOLOX in torch (from the ONNX initializers): batched letterbox, fp16 network and decode on the device.

Same maths as anon_core.detectors.yolox: top-left letterbox into a square of 114 (or, with
`input_size`, a rectangle whose long side is that many pixels: the graph is fully convolutional),
raw grid offsets decoded with strides 8/16/32, score = objectness * class score, class-wise NMS.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from anon_core.detections import nms
from anon_core.gpu.centerface import resolve_device, to_device_batch
from anon_core.gpu.onnx_torch import load

STRIDES = (8, 16, 32)
PAD_VALUE = 114.0
NMS_IOU = 0.45


class TorchYolox:
    """`TorchYolox(path, device="cuda")`; `detect(frames_u8)` -> list of (boxes, scores, class_ids) numpy."""

    def __init__(self, path: str | Path, device: str | torch.device | None = "cpu", half: bool | None = None,
                 threshold: float = 0.35, class_ids: tuple[int, ...] | None = None, nms_iou: float = NMS_IOU,
                 input_size: int | None = None):
        self.device = resolve_device(device)
        self.half = (self.device.type == "cuda") if half is None else bool(half)
        self.dtype = torch.float16 if self.half else torch.float32
        self.path = Path(path)
        self.net = load(self.path).to(self.device, self.dtype)
        import onnx

        dims = onnx.load(str(self.path), load_external_data=False).graph.input[0].type.tensor_type.shape.dim
        self.size = int(dims[2].dim_value) or 640
        self.threshold, self.nms_iou = float(threshold), nms_iou
        self.class_ids = class_ids
        self.input_size = input_size
        self._grids: dict[tuple[int, int], tuple[torch.Tensor, torch.Tensor]] = {}

    def input_shape(self, hw: tuple[int, int]) -> tuple[int, int]:
        """(H, W) of the network input for frames of size hw (see anon_core.detectors.yolox)."""
        from anon_core.detectors.yolox import network_shape

        return network_shape(hw, self.size, self.input_size)

    def grid(self, shape: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor]:
        if shape not in self._grids:
            from anon_core.detectors.yolox import grids

            cells, strides = grids(shape)
            self._grids[shape] = (torch.from_numpy(cells).to(self.device), torch.from_numpy(strides).to(self.device))
        return self._grids[shape]

    def preprocess(self, frames: torch.Tensor) -> tuple[torch.Tensor, float]:
        b, h, w, _ = frames.shape
        ch, cw = self.input_shape((h, w))
        r = min(ch / h, cw / w)
        nh, nw = min(ch, int(round(h * r))), min(cw, int(round(w * r)))
        x = frames.permute(0, 3, 1, 2).to(self.dtype)
        x = F.interpolate(x, size=(nh, nw), mode="bilinear", align_corners=False)
        x = F.pad(x, (0, cw - nw, 0, ch - nh), value=PAD_VALUE)
        return x.contiguous(), r

    @torch.inference_mode()
    def detect(self, frames) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        frames = to_device_batch(frames, self.device)
        h, w = frames.shape[1:3]
        x, ratio = self.preprocess(frames)
        raw = self.net(x)[0].float()  # (B, A, 85)
        grid, stride = self.grid(tuple(x.shape[2:]))
        xy = (raw[..., :2] + grid) * stride
        wh = torch.exp(raw[..., 2:4].clamp(max=20.0)) * stride
        boxes = torch.cat([xy - wh / 2, xy + wh / 2], -1) / ratio
        cls = raw[..., 4:5] * raw[..., 5:]
        if self.class_ids is not None:
            keep_cls = torch.zeros(cls.shape[-1], dtype=torch.bool, device=cls.device)
            keep_cls[list(self.class_ids)] = True
            cls = cls.masked_fill(~keep_cls, 0)
        scores, ids = cls.max(-1)
        bi, ai = torch.nonzero(scores >= self.threshold, as_tuple=True)
        packed = torch.cat([boxes[bi, ai], scores[bi, ai, None], ids[bi, ai, None].float(), bi[:, None].float()], 1)
        packed = packed.cpu().numpy()
        out = []
        for i in range(frames.shape[0]):
            rows = packed[packed[:, 6] == i]
            if len(rows):
                offset = rows[:, 5:6] * (float(rows[:, :4].max()) + 1)
                rows = rows[nms(rows[:, :4] + offset, rows[:, 4], self.nms_iou)]
            bx = rows[:, :4].copy()
            bx[:, [0, 2]] = bx[:, [0, 2]].clip(0, w)
            bx[:, [1, 3]] = bx[:, [1, 3]].clip(0, h)
            ok = (bx[:, 2] > bx[:, 0]) & (bx[:, 3] > bx[:, 1])
            out.append((bx[ok].astype(np.float32), rows[ok, 4].astype(np.float32), rows[ok, 5].astype(np.int64)))
        return out
