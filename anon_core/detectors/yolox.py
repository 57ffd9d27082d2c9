"""YOLOX (Megvii) COCO detector from an ONNX export in the model store.

Input: letterboxed BGR 0..255 float32 (no normalisation), padding value 114, top-left aligned as in
the official demo.  Output (B, A, 85): raw (x, y, log w, log h) grid offsets, objectness and 80 class
scores, decoded here with strides 8/16/32 (vectorized), score = obj * cls, then class-wise NMS.
Weights are never downloaded silently: `YoloxDetector(auto_download=True)` or `anon models pull`.

The exported graphs are fully convolutional (reshapes to (1, 85, -1), resizes by scale), so the
fixed 416x416 of the Nano export is only declared, not needed: `input_size=1920` rewrites the
declared input and output shapes as dynamic and runs a rectangular letterbox whose long side is
1920 px (sides rounded up to multiples of 32).  On 1080p street footage the fixed 416 input shrinks
the frame 4.6x and people under ~120 px tall vanish (MOT17-02: 22 of 43 covered); at the native
1920 px most are found (see README "Persons in crowded street footage").
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from anon_core.detections import Detections, nms
from anon_core.detectors.base import Detector, ModelUnavailableError, check_frame
from anon_core.detectors.catalog import detector_info, weights_name
from anon_core.detectors.coco import COCO80
from anon_core.models import store
from anon_core.models.checksums import weight_sha256

INPUT_SIZES = {"nano": 416, "tiny": 416, "s": 640, "m": 640}
STRIDES = (8, 16, 32)
NMS_IOU = 0.45
PAD_VALUE = 114


def weights_present(name: str) -> bool:
    return store.locate(weights_name(name)) is not None  # "-hd" entries run their base's weights


def input_shape(hw: tuple[int, int], long_side: int) -> tuple[int, int]:
    """(H, W) network input for a frame of size hw whose long side is scaled to `long_side` px,
    both sides rounded up to a multiple of the largest stride (32)."""
    h, w = hw
    r = long_side / max(h, w)
    return tuple(int(np.ceil(v * r / STRIDES[-1]) * STRIDES[-1]) for v in (h, w))


def network_shape(hw: tuple[int, int], size: int, input_size: int | None) -> tuple[int, int]:
    """(H, W) network input: the export's square `size`, or with `input_size` (the -hd detectors) the
    frame's long side scaled to input_size, never above the frame's own resolution, never below `size`."""
    if input_size is None:
        return size, size
    return input_shape(hw, max(size, min(input_size, max(hw))))


def letterbox(frame: np.ndarray, size: int | tuple[int, int]) -> tuple[np.ndarray, float]:
    """Resize keeping the aspect ratio into a canvas of 114 (top-left) -> (CHW float32, ratio).

    size: a square side, or (H, W) of a rectangular input."""
    ch, cw = (size, size) if isinstance(size, int) else size
    h, w = frame.shape[:2]
    r = min(ch / h, cw / w)
    nh, nw = min(ch, int(round(h * r))), min(cw, int(round(w * r)))
    canvas = np.full((ch, cw, 3), PAD_VALUE, np.uint8)
    canvas[:nh, :nw] = cv2.resize(frame, (nw, nh), interpolation=cv2.INTER_LINEAR)
    return canvas.transpose(2, 0, 1).astype(np.float32), r


def grids(size: int | tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(A, 2) grid cell offsets and (A, 1) strides for a square (or (H, W)) input, in YOLOX anchor order."""
    h, w = (size, size) if isinstance(size, int) else size
    cells, strides = [], []
    for s in STRIDES:
        ys, xs = np.meshgrid(np.arange(h // s), np.arange(w // s), indexing="ij")
        cells.append(np.stack([xs, ys], axis=2).reshape(-1, 2))
        strides.append(np.full((xs.size, 1), s))
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
    False so detection never touches the network on its own), input_size (None: the export's own
    square input; N: a rectangular input whose long side is N px, e.g. 1920 for 1080p at full
    resolution), name (the catalog entry this instance serves, e.g. "yolox-nano-hd").
    """

    def __init__(self, variant: str = "nano", threshold: float | None = None,
                 classes: Sequence[str] | None = None, nms_iou: float = NMS_IOU,
                 path: str | Path | None = None, auto_download: bool = False,
                 input_size: int | None = None, name: str | None = None):
        if variant not in INPUT_SIZES:
            raise ValueError(f"unknown YOLOX variant {variant!r}; choose one of {', '.join(INPUT_SIZES)}")
        if input_size is not None and (int(input_size) < 64 or int(input_size) % STRIDES[-1]):
            raise ValueError(f"YOLOX input_size must be a multiple of 32 and at least 64, got {input_size}")
        self.info = detector_info(name or f"yolox-{variant}")
        self.input_size = None if input_size is None else int(input_size)
        super().__init__(threshold)
        self.variant = variant
        self.classes = tuple(classes) if classes else None
        unknown = set(self.classes or ()) - set(COCO80)
        if unknown:
            raise ValueError(f"classes {sorted(unknown)} are not COCO classes; use names such as 'person', 'car'")
        self._class_mask = None if not self.classes else np.isin(np.array(COCO80), self.classes)
        self.nms_iou = nms_iou
        self.path = Path(path) if path else self._weights(auto_download)
        self._sess, self._input, self.size, self.batch_dynamic = _session(self.path, self.input_size is not None)
        expected = INPUT_SIZES[variant]
        if self.size != expected:
            raise ModelUnavailableError(
                f"{self.path} takes {self.size}x{self.size} input, but yolox-{variant} takes {expected}; "
                f"is it the right file? Replace it with `anon models pull yolox-{variant}`")
        self._grids: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}

    @property
    def costly(self) -> bool:
        """A 1920 px input costs ~12x the 416 px one: `--detect-every auto` lets the tracker carry more."""
        return self.input_size is not None

    def _input_shape(self, hw: tuple[int, int]) -> tuple[int, int]:
        return network_shape(hw, self.size, self.input_size)

    def _grid(self, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        if shape not in self._grids:
            self._grids[shape] = grids(shape)
        return self._grids[shape]

    def _weights(self, auto_download: bool) -> Path:
        name = f"yolox-{self.variant}"
        if auto_download and store.locate(name) is None:
            store.fetch(name)
        return store.require(name)

    def describe(self) -> dict:
        weights = f"yolox-{self.variant}"
        prov = store.provenance(weights) if self.path == store.locate(weights) else {}
        return {**super().describe(), "version": f"yolox-{self.variant}", "weights": str(self.path),
                "sha256": weight_sha256(self.path), "checksum_verified": bool(prov.get("verified")),
                "input_size": self.input_size or self.size, "classes": list(self.classes) if self.classes else None}

    def detect(self, frame: np.ndarray) -> Detections:
        return self.detect_batch([frame])[0]

    def detect_batch(self, frames: Sequence[np.ndarray]) -> list[Detections]:
        if not len(frames):
            return []
        shapes = [self._input_shape(check_frame(f).shape[:2]) for f in frames]
        blobs, ratios = zip(*(letterbox(f, s) for f, s in zip(frames, shapes)))
        if self.batch_dynamic and len(set(shapes)) == 1:
            outputs = self._sess.run(None, {self._input: np.stack(blobs)})[0]
        else:
            outputs = [self._sess.run(None, {self._input: b[None]})[0][0] for b in blobs]
        return [self._postprocess(out, r, f.shape[:2], s) for out, r, f, s in zip(outputs, ratios, frames, shapes)]

    def _postprocess(self, raw: np.ndarray, ratio: float, hw: tuple[int, int], shape: tuple[int, int]) -> Detections:
        # Cheap pre-filter on objectness before decoding: score = obj * cls <= obj.
        rows = np.nonzero(raw[:, 4] >= self.threshold)[0]
        grid, stride = self._grid(shape)
        boxes, cls_scores = decode(raw[rows], grid[rows], stride[rows])
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


def _dynamic_hw(path: Path) -> tuple[bytes, int]:
    """The model with its declared input height/width and anchor count made symbolic (the graph
    itself is size-agnostic; see the module docstring), and the declared square size."""
    import onnx

    model = onnx.load(str(path))
    declared = model.graph.input[0].type.tensor_type.shape.dim[2].dim_value
    for dim, name in zip(model.graph.input[0].type.tensor_type.shape.dim[2:], ("height", "width")):
        dim.ClearField("dim_value")
        dim.dim_param = name
    for out in model.graph.output:
        dims = out.type.tensor_type.shape.dim
        if len(dims) == 3:
            dims[1].ClearField("dim_value")
            dims[1].dim_param = "anchors"
    del model.graph.value_info[:]  # inferred intermediate shapes of the fixed size
    return model.SerializeToString(), int(declared)


def _session(path: Path, dynamic: bool = False):
    from anon_core.ort_runtime import onnxruntime

    ort = onnxruntime()

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = int(os.environ.get("ANON_THREADS", os.cpu_count() or 1))
    opts.log_severity_level = 3
    # Idle intra-op threads would spin waiting for work: on the shared 2-core CPU a 1920 px run took
    # 0.51 CPU-s with spinning and 0.33 without, at the same wall time (0.64 s, load ~13).
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        source, declared = _dynamic_hw(path) if dynamic else (str(path), None)
        sess = ort.InferenceSession(source, opts, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own exception types for bad files
        raise ModelUnavailableError(
            f"cannot load {path} as an ONNX model ({exc}); delete it and run `anon models pull`") from exc
    inp = sess.get_inputs()[0]
    size = declared or (inp.shape[2] if isinstance(inp.shape[2], int) else None)
    if size is None:
        raise ModelUnavailableError(f"{path} has a dynamic input size; export YOLOX with a fixed square input")
    return sess, inp.name, int(size), not isinstance(inp.shape[0], int)
