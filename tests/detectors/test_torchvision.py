"""torchvision detectors with random weights (pretrained=False): plumbing, masks, keypoints, errors.

COCO weights are not downloaded in tests (no internet); the accuracy of the pretrained models is
torchvision's.  These tests check what our adapter adds: BGR -> RGB tensors, threshold, labels, masks at
frame size, keypoints as landmarks, the missing-weights error."""

import sys
from pathlib import Path

import numpy as np
import pytest

from anon_core.detections import Detections
from anon_core.detectors import ModelUnavailableError, availability, create_detector
from anon_core.detectors import torchvision_models as tv
from anon_core.detectors.coco import COCO80

H, W = 96, 128


@pytest.fixture(scope="module")
def frames():
    rng = np.random.default_rng(0)
    return [rng.integers(0, 256, (H, W, 3), dtype=np.uint8) for _ in range(2)]


def build(variant, **options):
    import torch

    torch.manual_seed(0)  # random weights, but the same ones every run (an unlucky draw detects nothing)
    det = create_detector(variant, pretrained=False, threshold=0.0, min_size=96, **options)
    if hasattr(det.model, "roi_heads"):  # keep the R-CNN heads cheap on CPU: 50 proposals, 5 detections
        det.model.rpn._pre_nms_top_n["testing"] = det.model.rpn._post_nms_top_n["testing"] = 50
        det.model.roi_heads.detections_per_img = 5
    else:
        det.model.detections_per_img = 5
    return det


def check(dets, n_max=5):
    assert isinstance(dets, Detections) and 0 < len(dets) <= n_max
    assert dets.xyxy.shape == (len(dets), 4) and (dets.xyxy >= 0).all()
    assert (dets.xyxy[:, 2] <= W).all() and (dets.xyxy[:, 3] <= H).all()
    assert ((dets.scores >= 0) & (dets.scores <= 1)).all()
    assert set(dets.labels) <= set(COCO80)  # no "N/A", no background


@pytest.mark.parametrize("variant", ["ssdlite", "fcos"])
def test_dense_detectors_return_valid_detections(variant, frames):
    det = build(variant)
    batch = det.detect_batch(frames)
    assert len(batch) == 2
    for d in batch:
        check(d)
        assert d.masks is None and d.landmarks is None
    assert det.describe()["weights"].startswith("random")


def test_maskrcnn_gives_frame_sized_bool_masks(frames):
    dets = build("maskrcnn-v2")(frames[0])
    check(dets)
    assert dets.masks.shape == (len(dets), H, W) and dets.masks.dtype == bool


def test_keypointrcnn_gives_17_keypoints_per_person(frames):
    dets = build("keypointrcnn")(frames[0])
    check(dets)
    assert (dets.labels == "person").all()
    assert dets.landmarks.shape == (len(dets), 17, 2)
    assert dets.data["keypoint_scores"].shape == (len(dets), 17)


def test_threshold_filters(frames):
    det = build("fcos")
    scores = det(frames[0]).scores
    det.threshold = float(np.median(scores))
    assert (det(frames[0]).scores >= det.threshold).all()


def test_missing_weights_say_how_to_get_them(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))  # an empty torch hub cache
    assert not tv.weights_present("fasterrcnn-v2")
    assert tv.weights_file("fasterrcnn-v2").parent == tmp_path / "hub" / "checkpoints"
    assert availability("fasterrcnn-v2") == "missing"
    with pytest.raises(ModelUnavailableError, match="anon models pull fasterrcnn-v2"):
        create_detector("fasterrcnn-v2")


def test_pretrained_loads_from_torch_hub_cache(monkeypatch, tmp_path, frames):
    """A weights file in torch hub's cache is used without any download (here: random weights saved under
    the DEFAULT file name, as `anon models pull ssdlite` would leave the real ones)."""
    import torch

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    random = build("ssdlite")
    path = tv.weights_file("ssdlite")
    path.parent.mkdir(parents=True)
    torch.save(random.model.state_dict(), path)
    assert availability("ssdlite") == "downloaded"
    loaded = create_detector("ssdlite", threshold=0.0)
    loaded.model.detections_per_img = 5
    assert loaded.describe()["weights"] == str(path) and len(loaded.describe()["sha256"]) == 64
    a, b = random(frames[0]), loaded(frames[0])
    np.testing.assert_allclose(a.xyxy, b.xyxy, atol=1e-3)  # same weights -> same detections
    assert a.labels.tolist() == b.labels.tolist()


def test_weight_file_names_match_torchvision(monkeypatch, tmp_path):
    import torch

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    for name in tv.VARIANTS:
        assert tv.default_weights(name).url.endswith("/" + tv.VARIANTS[name].filename)
        assert tv.weights_file(name).parent == Path(torch.hub.get_dir()) / "checkpoints"
    monkeypatch.delitem(sys.modules, "torch")  # the rule used before torch is imported gives the same dir
    assert tv.hub_dir() == Path(torch.hub.get_dir()) == tmp_path / "hub"


def test_unknown_variant():
    with pytest.raises(ValueError, match="choose one of"):
        tv.TorchvisionDetector(variant="yolo-v99")
