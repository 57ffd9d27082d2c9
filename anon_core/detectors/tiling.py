"""Tiled ("sliced") inference around any detector, as SAHI does for small objects.

`TiledDetector(base, TileGrid(cols=2, rows=2, overlap=0.2))` runs `base` on overlapping tiles of
the frame (each tile is enlarged to the detector's input, so small people get more network pixels)
plus, by default, once on the whole frame (large people that no tile holds entirely), shifts the
tile boxes back into frame pixels and merges everything into one set:

1. boxes that do not touch an inner tile border go through class-wise NMS (torchvision
   `batched_nms`, IoU 0.45 as YOLOX itself);
2. boxes that touch an inner tile border may be a person cut in two by it: each is merged into the
   kept box it lies mostly inside (intersection over the smaller box >= 0.6), the kept box growing
   to their union; a cut box inside no kept box is kept itself (fail safe: it still gets anonymized),
   and later halves of the same person merge into it.

So a person seen whole in one tile and cut in its neighbour is reported once, with the whole box;
a person larger than the overlap, cut in every tile, comes out as the union of its halves (or as the
whole-frame box).  Registered per base model in anon_core.detectors.catalog ("yolox-nano-tiled").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torchvision.ops import batched_nms

from anon_core.detections import Detections
from anon_core.detectors.base import Detector, DetectorInfo, check_frame
from anon_core.detectors.catalog import TILED, availability, create_detector, detector_info

NMS_IOU = 0.45
MERGE_IOS = 0.6  # a cut box at least this much inside a kept box is part of it
EDGE_PX = 3.0  # a box side within this many pixels of an inner tile border touches it


@dataclass(frozen=True)
class TileGrid:
    """cols x rows tiles overlapping by `overlap` of a tile side, plus the whole frame if `full_frame`."""

    cols: int = 2
    rows: int = 2
    overlap: float = 0.2
    full_frame: bool = True

    def __post_init__(self):
        if self.cols < 1 or self.rows < 1:
            raise ValueError(f"a tile grid needs at least 1x1 tiles, got {self.cols}x{self.rows}")
        if not 0 <= self.overlap < 0.5:
            raise ValueError(f"tile overlap must be in [0, 0.5), got {self.overlap}")

    def windows(self, hw: tuple[int, int]) -> np.ndarray:
        """(K, 4) int xyxy tile windows covering a frame of size hw, all of one size."""
        h, w = hw
        xs, tw = _axis(w, self.cols, self.overlap)
        ys, th = _axis(h, self.rows, self.overlap)
        gx, gy = np.meshgrid(xs, ys)
        x1, y1 = gx.ravel(), gy.ravel()
        return np.stack([x1, y1, x1 + tw, y1 + th], axis=1).astype(np.int64)


def _axis(length: int, n: int, overlap: float) -> tuple[np.ndarray, int]:
    """Starts and size of n tiles of equal size along one axis, neighbours sharing `overlap` of a tile."""
    size = min(length, int(np.ceil(length / (n - (n - 1) * overlap))))
    starts = np.round(np.linspace(0, length - size, n)).astype(np.int64) if n > 1 else np.zeros(1, np.int64)
    return starts, size


def _cut(xyxy: np.ndarray, window: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    """Which boxes (frame pixels) touch an inner border of their tile (a border that is not the frame's)."""
    h, w = hw
    x1, y1, x2, y2 = window
    inner = [(0, x1, x1 > 0), (1, y1, y1 > 0), (2, x2, x2 < w), (3, y2, y2 < h)]
    cut = np.zeros(len(xyxy), bool)
    for col, edge, is_inner in inner:
        if is_inner:
            cut |= np.abs(xyxy[:, col] - edge) <= EDGE_PX
    return cut


def _ios(box: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Intersection of `box` with each of `others` over the smaller of the two areas."""
    ix = np.clip(np.minimum(box[2], others[:, 2]) - np.maximum(box[0], others[:, 0]), 0, None)
    iy = np.clip(np.minimum(box[3], others[:, 3]) - np.maximum(box[1], others[:, 1]), 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (others[:, 2] - others[:, 0]) * (others[:, 3] - others[:, 1])
    return ix * iy / np.maximum(np.minimum(area, areas), 1e-6)


def merge_tiles(dets: Detections, cut: np.ndarray, nms_iou: float = NMS_IOU,
                merge_ios: float = MERGE_IOS) -> Detections:
    """One set from the shifted boxes of all tiles (see the module docstring); `cut` flags the boxes
    that touch an inner tile border."""
    if not len(dets):
        return dets
    _, codes = np.unique(dets.labels, return_inverse=True)
    whole = np.nonzero(~cut)[0]
    keep = whole[batched_nms(torch.from_numpy(dets.xyxy[whole]), torch.from_numpy(dets.scores[whole]),
                             torch.from_numpy(codes[whole]), nms_iou).numpy()]
    kept = [int(i) for i in keep]
    boxes = {i: dets.xyxy[i].copy() for i in kept}
    scores = {i: float(dets.scores[i]) for i in kept}
    for i in sorted(np.nonzero(cut)[0], key=lambda k: -dets.scores[k]):
        same = [k for k in kept if codes[k] == codes[i]]
        if same:
            ios = _ios(dets.xyxy[i], np.stack([boxes[k] for k in same]))
            j = int(np.argmax(ios))
            if ios[j] >= merge_ios:
                k = same[j]
                b = boxes[k]
                boxes[k] = np.concatenate([np.minimum(b[:2], dets.xyxy[i, :2]), np.maximum(b[2:], dets.xyxy[i, 2:])])
                scores[k] = max(scores[k], float(dets.scores[i]))
                continue
        kept.append(int(i))
        boxes[int(i)], scores[int(i)] = dets.xyxy[i].copy(), float(dets.scores[i])
    out = dets[np.asarray(kept, np.int64)]
    order = np.argsort([-scores[k] for k in kept], kind="stable")
    out = out.with_(xyxy=np.stack([boxes[k] for k in kept]), scores=np.asarray([scores[k] for k in kept], np.float32))
    return out[order]


class TiledDetector(Detector):
    """`TiledDetector(base, grid=TileGrid())`: `base` on overlapping tiles (+ the whole frame), merged.

    Same verbs as any detector; the threshold is the base detector's.  `info` defaults to the base's
    (the catalog passes the tiled entry's own)."""

    costly = True  # several network runs per frame: `--detect-every auto` lets the tracker carry more

    def __init__(self, base: Detector, grid: TileGrid | None = None, info: DetectorInfo | None = None,
                 nms_iou: float = NMS_IOU, merge_ios: float = MERGE_IOS):
        self.base = base
        self.info = info or base.info
        self.grid = grid or TileGrid()
        self.nms_iou, self.merge_ios = nms_iou, merge_ios

    @property
    def threshold(self) -> float:
        return self.base.threshold

    @threshold.setter
    def threshold(self, value: float) -> None:
        self.base.threshold = value

    def describe(self) -> dict:
        return {**self.base.describe(), "name": self.info.name, "tiles": asdict(self.grid),
                "merge": {"nms_iou": self.nms_iou, "merge_ios": self.merge_ios}}

    def detect(self, frame: np.ndarray) -> Detections:
        return self.detect_batch([frame])[0]

    def detect_batch(self, frames: Sequence[np.ndarray]) -> list[Detections]:
        if not len(frames):
            return []
        windows = [self.grid.windows(check_frame(f).shape[:2]) for f in frames]
        crops = [np.ascontiguousarray(f[y1:y2, x1:x2]) for f, wins in zip(frames, windows) for x1, y1, x2, y2 in wins]
        found = iter(self.base.detect_batch(crops))  # equal-size tiles: one batch where the base batches
        whole = self.base.detect_batch(list(frames)) if self.grid.full_frame else [None] * len(frames)
        out = []
        for frame, wins, full in zip(frames, windows, whole):
            hw = frame.shape[:2]
            parts, cut = [], []
            for win in wins:
                dets = next(found).shifted(float(win[0]), float(win[1]))
                parts.append(dets)
                cut.append(_cut(dets.xyxy, win, hw))
            if full is not None:
                parts.append(full)
                cut.append(np.zeros(len(full), bool))
            out.append(merge_tiles(Detections.concat(parts), np.concatenate(cut), self.nms_iou, self.merge_ios))
        return out


def weights_present(name: str) -> bool:
    """A tiled entry runs offline when its base model does."""
    return availability(TILED[name]["base"]) != "missing"


GRID_OPTIONS = ("cols", "rows", "overlap", "full_frame")


def tiled_spec(name: str, threshold: float | None = None, **options) -> tuple[str, TileGrid, dict]:
    """(base detector name, tile grid, base options) of tiled catalog entry `name`; grid options
    (cols, rows, overlap, full_frame) override the entry's, the rest go to the base detector."""
    spec = TILED[name]
    base_options = {k: v for k, v in options.items() if k not in GRID_OPTIONS}
    grid = TileGrid(**{**spec["grid"], **{k: v for k, v in options.items() if k in GRID_OPTIONS}})
    base_options["threshold"] = detector_info(name).default_threshold if threshold is None else threshold
    return spec["base"], grid, base_options


def create_tiled(name: str, threshold: float | None = None, auto_download: bool = False, **options) -> TiledDetector:
    """The catalog factory: the ONNX base model of tiled entry `name` on the CPU, wrapped (the torch
    port for `--device cuda`: create_detector(name, device="cuda"))."""
    base, grid, base_options = tiled_spec(name, threshold, **options)
    if auto_download:
        base_options["auto_download"] = True
    return TiledDetector(create_detector(base, **base_options), grid, info=detector_info(name))
