"""Detector plug-ins over the torch ports: same contract as anon_core.detectors (`detector(frame) ->
Detections`, `detect_batch(frames)`, and `detect_tensor(frames)` for batches already on the device),
running on a torch `device`.  Built through the registry, which loads this module by name:

    create_detector("centerface", device="cuda")      # fp16 on CUDA; device="cpu-torch": fp32 on the CPU
    create_detector("yolox-nano", device="cuda", classes=("person",))
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from anon_core.detections import Detections
from anon_core.detectors.base import Detector, check_frame
from anon_core.detectors.catalog import detector_info
from anon_core.detectors.coco import COCO80


class _TorchDetector(Detector):
    """Shared plumbing: batches of same-size frames go to `self.model.detect`, mixed sizes one by one."""

    model = None

    def describe(self) -> dict:
        return {**super().describe(), "backend": "torch", "device": str(self.model.device), "fp16": self.model.half,
                "weights": str(self.model.path)}

    def detect(self, frame: np.ndarray) -> Detections:
        return self.detect_batch([frame])[0]

    def detect_batch(self, frames: Sequence[np.ndarray]) -> list[Detections]:
        if not len(frames):
            return []
        shape = check_frame(frames[0]).shape
        if any(check_frame(f).shape != shape for f in frames):
            return [d for f in frames for d in self.detect_batch([f])]
        return [self._detections(out) for out in self.model.detect(frames)]

    def detect_tensor(self, frames) -> list[Detections]:
        """(B, H, W, 3) BGR uint8 already on the model's device (the video job's batches): no host copy."""
        return [self._detections(out) for out in self.model.detect(frames)]

    def _detections(self, out) -> Detections:
        raise NotImplementedError


class TorchCenterFaceDetector(_TorchDetector):
    info = detector_info("centerface")

    def __init__(self, threshold: float | None = None, input_width: int | None = 640, device: str | None = None,
                 half: bool | None = None, path=None):
        super().__init__(threshold)
        from anon_core.gpu.centerface import TorchCenterFace

        self.model = TorchCenterFace(path, device=device, half=half, input_width=input_width,
                                     threshold=self.threshold)

    def describe(self) -> dict:
        return {**super().describe(), "input_width": self.model.input_width}

    def _detections(self, out) -> Detections:
        boxes, scores, landmarks = out
        return Detections(boxes, scores, np.full(len(boxes), "face"), landmarks=landmarks)


class TorchYoloxDetector(_TorchDetector):
    def __init__(self, variant: str = "nano", threshold: float | None = None, classes: Sequence[str] | None = None,
                 device: str | None = None, half: bool | None = None, path=None, input_size: int | None = None,
                 name: str | None = None):
        self.info = detector_info(name or f"yolox-{variant}")
        super().__init__(threshold)
        from anon_core.gpu.yolox import TorchYolox

        if path is None:
            from anon_core.models import store

            path = store.require(f"yolox-{variant}")
        ids = tuple(COCO80.index(c) for c in classes) if classes else None
        self.model = TorchYolox(path, device=device, half=half, threshold=self.threshold, class_ids=ids,
                                input_size=input_size)

    @property
    def costly(self) -> bool:
        return self.model.input_size is not None

    def describe(self) -> dict:
        return {**super().describe(), "input_size": self.model.input_size or self.model.size}

    def _detections(self, out) -> Detections:
        boxes, scores, class_ids = out
        names = np.array(COCO80)[class_ids] if len(class_ids) else np.zeros(0, str)
        return Detections(boxes, scores, names, data={"class_id": class_ids})


def create_torch_detector(name: str, device: str | None = None, **options) -> Detector:
    """A torch-backed detector by registry name (centerface, yolox-nano/tiny/s/m, their -hd and -tiled)."""
    if name == "centerface":
        return TorchCenterFaceDetector(device=device, **options)
    if name.endswith("-tiled"):  # equal-size tiles run as one batch through the torch port
        from anon_core.detectors.tiling import TiledDetector, tiled_spec

        base, grid, base_options = tiled_spec(name, **options)
        return TiledDetector(create_torch_detector(base, device=device, **base_options), grid, info=detector_info(name))
    if name.endswith("-hd"):
        from anon_core.detectors.catalog import HD_INPUT

        variant = name.removeprefix("yolox-").removesuffix("-hd")
        return TorchYoloxDetector(variant=variant, device=device, input_size=HD_INPUT, name=name, **options)
    if name.startswith("yolox-"):
        return TorchYoloxDetector(variant=name.split("-", 1)[1], device=device, **options)
    raise ValueError(f"no torch port of {name!r}; torch ports exist for centerface and yolox-nano/tiny/s/m")
