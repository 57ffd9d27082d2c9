"""torchvision COCO detectors: Faster R-CNN v2, RetinaNet v2, FCOS, SSDlite, Mask R-CNN v2, Keypoint R-CNN.

Weights use torchvision's own weights API (`<Model>_Weights.DEFAULT`) and its cache
(`torch.hub.get_dir()/checkpoints`).  Nothing is downloaded while detecting: a missing file raises
ModelUnavailableError naming `anon models pull <name>` unless the detector was built with
`auto_download=True`.  `pretrained=False` builds the architecture with random weights (plumbing tests).

Frames are converted BGR uint8 -> RGB float [0, 1] tensors at the boundary; the model's own transform
normalises and resizes (`min_size` overrides its 800 px default for speed).  Mask R-CNN's soft masks are
thresholded at 0.5 into frame-sized bool masks; Keypoint R-CNN's 17 COCO keypoints go to `landmarks`
(their scores in `data["keypoint_scores"]`).
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from anon_core.detections import Detections
from anon_core.detectors.base import Detector, ModelUnavailableError, check_frame
from anon_core.detectors.catalog import detector_info
from anon_core.detectors.coco import COCO91
from anon_core.models.checksums import weight_sha256

MASK_THRESHOLD = 0.5
KEYPOINT_NAMES = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee",
    "right_knee", "left_ankle", "right_ankle",
)


@dataclass(frozen=True)
class Variant:
    builder: str  # function in torchvision.models.detection
    weights: str  # weights enum in torchvision.models.detection
    family: str  # "rcnn" (roi_heads), "dense" (RetinaNet/FCOS/SSD: model.score_thresh)
    # file name of `<weights>.DEFAULT.url`, kept here so that listing availability does not import torch
    # (a test checks it against torchvision's enum)
    filename: str


VARIANTS = {
    "fasterrcnn-v2": Variant("fasterrcnn_resnet50_fpn_v2", "FasterRCNN_ResNet50_FPN_V2_Weights", "rcnn",
                             "fasterrcnn_resnet50_fpn_v2_coco-dd69338a.pth"),
    "retinanet-v2": Variant("retinanet_resnet50_fpn_v2", "RetinaNet_ResNet50_FPN_V2_Weights", "dense",
                            "retinanet_resnet50_fpn_v2_coco-5905b1c5.pth"),
    "fcos": Variant("fcos_resnet50_fpn", "FCOS_ResNet50_FPN_Weights", "dense", "fcos_resnet50_fpn_coco-99b0c9b7.pth"),
    "ssdlite": Variant("ssdlite320_mobilenet_v3_large", "SSDLite320_MobileNet_V3_Large_Weights", "dense",
                       "ssdlite320_mobilenet_v3_large_coco-a79551df.pth"),
    "maskrcnn-v2": Variant("maskrcnn_resnet50_fpn_v2", "MaskRCNN_ResNet50_FPN_V2_Weights", "rcnn",
                           "maskrcnn_resnet50_fpn_v2_coco-73cbd019.pth"),
    "keypointrcnn": Variant("keypointrcnn_resnet50_fpn", "KeypointRCNN_ResNet50_FPN_Weights", "rcnn",
                            "keypointrcnn_resnet50_fpn_coco-fc266e95.pth"),
}


def _variant(name: str) -> Variant:
    try:
        return VARIANTS[name]
    except KeyError:
        raise ValueError(f"unknown torchvision detector {name!r}; choose one of {', '.join(VARIANTS)}") from None


def default_weights(name: str):
    """The torchvision Weights enum member (`.DEFAULT`) of a variant."""
    detection = importlib.import_module("torchvision.models.detection")
    return getattr(detection, _variant(name).weights).DEFAULT


def hub_dir() -> Path:
    """torch.hub.get_dir(), without importing torch when it is not loaded yet (same rule as torch.hub:
    $TORCH_HOME/hub, else $XDG_CACHE_HOME/torch/hub, else ~/.cache/torch/hub)."""
    if "torch" in sys.modules:
        return Path(sys.modules["torch"].hub.get_dir())
    home = os.environ.get("TORCH_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.join("~", ".cache")), "torch")
    return Path(os.path.expanduser(home)) / "hub"


def weights_file(name: str) -> Path:
    """Where torchvision caches the DEFAULT weights of a variant (it may not exist yet)."""
    return hub_dir() / "checkpoints" / _variant(name).filename


def weights_present(name: str) -> bool:
    return weights_file(name).is_file()


def download_weights(name: str, progress: bool = True) -> Path:
    """Download the DEFAULT weights into torchvision's cache (what `anon models pull <name>` does)."""
    try:
        default_weights(name).get_state_dict(progress=progress, check_hash=True)
    except Exception as exc:  # urllib / hash errors from torch.hub
        raise ModelUnavailableError(
            f"could not download the {name} weights ({exc}); check the internet connection, or copy "
            f"{weights_file(name).name} into {weights_file(name).parent}") from exc
    return weights_file(name)


class TorchvisionDetector(Detector):
    """`TorchvisionDetector(variant="fasterrcnn-v2", device="cpu", pretrained=True)`.

    Options: threshold, device ("cpu" | "cuda"), pretrained (False = random weights, no files needed),
    auto_download (fetch missing weights into torchvision's cache; default False), min_size (input
    short side for the R-CNN/RetinaNet/FCOS transform; default the model's 800).
    """

    def __init__(self, variant: str = "fasterrcnn-v2", threshold: float | None = None, device: str = "cpu",
                 pretrained: bool = True, auto_download: bool = False, min_size: int | None = None):
        spec = _variant(variant)
        self.info = detector_info(variant)
        super().__init__(threshold)
        import torch
        import torchvision.models.detection as detection

        if device.startswith("cuda") and not torch.cuda.is_available():
            raise ModelUnavailableError(f"device {device!r} asked for, but torch sees no CUDA GPU; use device='cpu'")
        self.variant, self.device, self.pretrained = variant, torch.device(device), pretrained
        weights = default_weights(variant) if pretrained else None
        if pretrained and not weights_present(variant):
            if not auto_download:
                raise ModelUnavailableError(
                    f"{variant} weights are not in {weights_file(variant).parent}; run `anon models pull "
                    f"{variant}` (needs internet) or copy {weights_file(variant).name} there")
            download_weights(variant)
        kwargs = {} if pretrained else {"weights_backbone": None}
        model = getattr(detection, spec.builder)(weights=weights, **kwargs)
        self._set_internal_threshold(model, spec.family)
        if min_size and variant != "ssdlite":  # SSDlite always runs at 320x320
            model.transform.min_size = (int(min_size),)
        self.model = model.eval().to(self.device)
        self._labels = ("__background__", "person") if variant == "keypointrcnn" else COCO91

    def _set_internal_threshold(self, model, family: str) -> None:
        """Let the model keep candidates down to our threshold (its own defaults are 0.05 / 0.2 / 0.001)."""
        if family == "rcnn":
            model.roi_heads.score_thresh = min(model.roi_heads.score_thresh, self.threshold)
        else:
            model.score_thresh = min(model.score_thresh, self.threshold)

    def describe(self) -> dict:
        import torchvision

        out = {**super().describe(), "version": f"torchvision {torchvision.__version__}",
               "device": str(self.device), "pretrained": self.pretrained}
        if self.pretrained:
            path = weights_file(self.variant)
            out.update(weights=str(path), weights_enum=str(default_weights(self.variant)),
                       sha256=weight_sha256(path))
        else:
            out.update(weights="random (pretrained=False)", sha256=None)
        return out

    def detect(self, frame: np.ndarray) -> Detections:
        return self.detect_batch([frame])[0]

    def detect_batch(self, frames: Sequence[np.ndarray]) -> list[Detections]:
        import torch

        if not len(frames):
            return []
        tensors = [torch.from_numpy(np.ascontiguousarray(check_frame(f)[:, :, ::-1].transpose(2, 0, 1)))
                   .to(self.device).float().div_(255) for f in frames]  # BGR -> RGB, CHW, [0, 1]
        with torch.inference_mode():
            outputs = self.model(tensors)
        return [self._to_detections(o, f.shape[:2]) for o, f in zip(outputs, frames)]

    def _to_detections(self, out: dict, hw: tuple[int, int]) -> Detections:
        scores = out["scores"].cpu().numpy()
        label_ids = out["labels"].cpu().numpy().astype(np.int64)
        names = np.array(self._labels, dtype=object)[label_ids].astype(str) if len(label_ids) else np.zeros(0, str)
        keep = (scores >= self.threshold) & (names != "N/A") & (names != "__background__")
        idx = np.nonzero(keep)[0]
        masks = landmarks = None
        data = {"class_id": label_ids[idx]}
        if "masks" in out:
            masks = out["masks"][idx, 0].cpu().numpy() > MASK_THRESHOLD  # (N, H, W) at frame size
            masks = masks.reshape(len(idx), *hw)
        if "keypoints" in out:
            kp = out["keypoints"][idx].cpu().numpy()
            landmarks = kp[:, :, :2].reshape(len(idx), len(KEYPOINT_NAMES), 2)
            data["keypoint_scores"] = out["keypoints_scores"][idx].cpu().numpy().astype(np.float32)
        dets = Detections(out["boxes"][idx].cpu().numpy(), scores[idx], names[idx], landmarks=landmarks,
                          masks=masks, data=data)
        return dets.clip(hw[1], hw[0])
