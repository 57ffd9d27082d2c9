"""YOLOX (Megvii) COCO detector from an ONNX export in the model store.

Input: letterboxed BGR 0..255 float32 (no normalisation), padding value 114, top-left aligned as in
the official demo.  Output (B, A, 85): raw (x, y, log w, log h) grid offsets, objectness and 80 class
scores, decoded here with strides 8/16/32 (vectorized), score = obj * cls, then class-wise NMS.
Weights are never downloaded silently: `YoloxDetector(auto_download=True)` or `anon models pull`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from anon_core.detections import Detections, nms
from anon_core.detectors.base import Detector, ModelUnavailableError, check_frame
from anon_core.detectors.catalog import detector_info
from anon_core.detectors.coco import COCO80
from anon_core.models import store
from anon_core.models.checksums import weight_sha256

INPUT_SIZES = {"nano": 416, "tiny": 416, "s": 640, "m": 640}
STRIDES = (8, 16, 32)
NMS_IOU = 0.45
PAD_VALUE = 114


def weights_present(name: str) -> bool:
    return store.locate(name) is not None


def letterbox(frame: np.ndarray, size: int) -> tuple[np.ndarray, float]:
    """Resize keeping the aspect ratio into a size x size canvas of 114 (top-left) -> (CHW float32, ratio)."""
    h, w = frame.shape[:2]
    r = min(size / h, size / w)
    nh, nw = int(round(h * r)), int(round(w * r))
    canvas = np.full((size, size, 3), PAD_VALUE, np.uint8)
    canvas[:nh, :nw] = cv2.resize(frame, (nw, nh), interpolation=cv2.INTER_LINEAR)
    return canvas.transpose(2, 0, 1).astype(np.float32), r


def grids(size: int) -> tuple[np.ndarray, np.ndarray]:
    """(A, 2) grid cell offsets and (A, 1) strides for a square input, in YOLOX anchor order."""
    cells, strides = [], []
    for s in STRIDES:
        n = size // s
        ys, xs = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
        cells.append(np.stack([xs, ys], axis=2).reshape(-1, 2))
        strides.append(np.full((n * n, 1), s))
    return np.concatenate(cells).astype(np.float32), np.concatenate(strides).astype(np.float32)


def decode(raw: np.ndarray, grid: np.ndarray, stride: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(A, 85) raw output -> (A, 4) xyxy boxes in network pixels, (A, 80) class scores (obj * cls)."""
    xy = (raw[:, :2] + grid) * stride
    wh = np.exp(np.minimum(raw[:, 2:4], 20.0)) * stride  # clamp: exp overflow on garbage rows
    boxes = np.concatenate([xy - wh / 2, xy + wh / 2], axis=1)
    return boxes, raw[:, 4:5] * raw[:, 5:]


def classwise_nms(boxes: np.ndarray, scores: np.ndarray, class_ids: np.ndarray, iou: float) -> np.ndarray:
    """NMS per class via the coordinate-offset trick (boxes of different classes never overlap)."""
    if not len(boxes):
        return np.zeros(0, np.int64)
    offset = class_ids[:, None].astype(np.float32) * (float(boxes.max()) + 1)
    return nms(boxes + offset, scores, iou)


class YoloxDetector(Detector):
    """`YoloxDetector(variant="nano", classes=("person",))`: COCO-80 boxes in frame pixels.

    Options: threshold (score = objectness * class), classes (keep only these labels), nms_iou,
    path (an explicit .onnx file instead of the model store), auto_download (fetch if missing; default
    False so detection never touches the network on its own).
    """

    def __init__(self, variant: str = "nano", threshold: float | None = None,
                 classes: Sequence[str] | None = None, nms_iou: float = NMS_IOU,
                 path: str | Path | None = None, auto_download: bool = False):
        if variant not in INPUT_SIZES:
            raise ValueError(f"unknown YOLOX variant {variant!r}; choose one of {', '.join(INPUT_SIZES)}")
        self.info = detector_info(f"yolox-{variant}")
        super().__init__(threshold)
        self.variant = variant
        self.classes = tuple(classes) if classes else None
        unknown = set(self.classes or ()) - set(COCO80)
        if unknown:
            raise ValueError(f"classes {sorted(unknown)} are not COCO classes; use names such as 'person', 'car'")
        self._class_mask = None if not self.classes else np.isin(np.array(COCO80), self.classes)
        self.nms_iou = nms_iou
        self.path = Path(path) if path else self._weights(auto_download)
        self._sess, self._input, self.size, self.batch_dynamic = _session(self.path)
        expected = INPUT_SIZES[variant]
        if self.size != expected:
            raise ModelUnavailableError(
                f"{self.path} takes {self.size}x{self.size} input, but yolox-{variant} takes {expected}; "
                f"is it the right file? Replace it with `anon models pull yolox-{variant}`")
        self._grid, self._stride = grids(self.size)

    def _weights(self, auto_download: bool) -> Path:
        name = f"yolox-{self.variant}"
        if auto_download and store.locate(name) is None:
            store.fetch(name)
        return store.require(name)

    def describe(self) -> dict:
        prov = store.provenance(self.info.name) if self.path == store.locate(self.info.name) else {}
        return {**super().describe(), "version": f"yolox-{self.variant}", "weights": str(self.path),
                "sha256": weight_sha256(self.path), "checksum_verified": bool(prov.get("verified")),
                "input_size": self.size, "classes": list(self.classes) if self.classes else None}

    def detect(self, frame: np.ndarray) -> Detections:
        return self.detect_batch([frame])[0]

    def detect_batch(self, frames: Sequence[np.ndarray]) -> list[Detections]:
        if not len(frames):
            return []
        blobs, ratios = zip(*(letterbox(check_frame(f), self.size) for f in frames))
        if self.batch_dynamic:
            outputs = self._sess.run(None, {self._input: np.stack(blobs)})[0]
        else:
            outputs = [self._sess.run(None, {self._input: b[None]})[0][0] for b in blobs]
        return [self._postprocess(out, r, f.shape[:2]) for out, r, f in zip(outputs, ratios, frames)]

    def _postprocess(self, raw: np.ndarray, ratio: float, hw: tuple[int, int]) -> Detections:
        # Cheap pre-filter on objectness before decoding: score = obj * cls <= obj.
        rows = np.nonzero(raw[:, 4] >= self.threshold)[0]
        boxes, cls_scores = decode(raw[rows], self._grid[rows], self._stride[rows])
        if self._class_mask is not None:
            cls_scores = np.where(self._class_mask, cls_scores, 0)
        class_ids = cls_scores.argmax(axis=1)
        scores = cls_scores[np.arange(len(rows)), class_ids]
        keep = scores >= self.threshold
        boxes, scores, class_ids = boxes[keep], scores[keep], class_ids[keep]
        order = classwise_nms(boxes, scores, class_ids, self.nms_iou)
        boxes, scores, class_ids = boxes[order] / ratio, scores[order], class_ids[order]
        labels = np.array(COCO80, dtype=object)[class_ids].astype(str) if len(order) else np.zeros(0, str)
        dets = Detections(boxes.astype(np.float32), scores.astype(np.float32), labels,
                          data={"class_id": class_ids.astype(np.int64)})
        return dets.clip(hw[1], hw[0])


def _session(path: Path):
    from anon_core.ort_runtime import onnxruntime

    ort = onnxruntime()

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = int(os.environ.get("ANON_THREADS", os.cpu_count() or 1))
    opts.log_severity_level = 3
    try:
        sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own exception types for bad files
        raise ModelUnavailableError(
            f"cannot load {path} as an ONNX model ({exc}); delete it and run `anon models pull`") from exc
    inp = sess.get_inputs()[0]
    size = inp.shape[2] if isinstance(inp.shape[2], int) else None
    if size is None:
        raise ModelUnavailableError(f"{path} has a dynamic input size; export YOLOX with a fixed square input")
    return sess, inp.name, int(size), not isinstance(inp.shape[0], int)
