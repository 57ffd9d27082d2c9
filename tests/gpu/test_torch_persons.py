"""The person path of `--device cuda` (torch YOLOX at a 1920 px input, and tiled) run here on CPU torch:
same people as the onnxruntime detectors on a crowded 1080p MOT17-02 frame."""

import cv2
import pytest

from anon_core.detections import box_iou
from anon_core.detectors import create_detector
from anon_core.detectors.tiling import TiledDetector
from anon_core.gpu.detectors import TorchYoloxDetector


@pytest.fixture(scope="module")
def street(mot17_02):
    return cv2.imread(str(mot17_02 / "img1" / "000001.jpg"))


def _persons(det, frame):
    d = det(frame)
    return d[d.labels == "person"]


@pytest.mark.parametrize("name", ["yolox-nano-hd", "yolox-nano-tiled"])
def test_torch_person_path_finds_the_same_people_as_onnxruntime(name, street, model_dir):
    cpu = _persons(create_detector(name), street)
    torch_det = create_detector(name, device="cpu-torch")
    assert torch_det.info.name == name and torch_det.costly
    if name.endswith("-tiled"):
        assert isinstance(torch_det, TiledDetector) and isinstance(torch_det.base, TorchYoloxDetector)
    got = _persons(torch_det, street)
    # measured: the same boxes (fp32 both), 29 (hd) / 21 (tiled) persons on this frame
    assert len(cpu) >= 15, "a crowded frame: the comparison covers many people"
    assert abs(len(got) - len(cpu)) <= 1
    assert (box_iou(cpu.xyxy, got.xyxy).max(axis=1) >= 0.9).mean() >= 0.95
    assert got.xyxy[:, 2].max() > 1000, "boxes in 1920x1080 frame pixels"


def test_torch_hd_input_follows_the_frame(model_dir):
    det = create_detector("yolox-nano-hd", device="cpu-torch")
    assert det.model.input_shape((1080, 1920)) == (1088, 1920)
    assert det.model.input_shape((480, 640)) == (480, 640)  # never upscaled past the frame
    assert det.model.input_shape((200, 300)) == (288, 416)  # never below the export's own 416
    assert det.describe()["input_size"] == 1920
