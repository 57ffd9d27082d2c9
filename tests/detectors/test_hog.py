"""OpenCV HOG pedestrian detector on TUD-Campus (weak baseline: assert what it really does)."""

import cv2
import numpy as np
import pytest

from anon_core.detectors import create_detector
from anon_core.detectors.hog import margin_to_score
from anon_core.groundtruth import load_mot
from anon_core.metrics.anonymization import iou_per_box

FRAMES = range(1, 72, 7)  # 11 frames, 55 persons


@pytest.fixture(scope="module")
def hog():
    return create_detector("hog")


def test_finds_some_persons_on_tud_campus(hog, tud_campus):
    gt = load_mot(tud_campus)
    ious, extra = [], 0
    for f in FRAMES:
        img = cv2.imread(str(tud_campus / "img1" / f"{f:06d}.jpg"))
        dets = hog(img)
        assert (dets.labels == "person").all()
        assert ((dets.scores >= hog.threshold) & (dets.scores <= 1)).all()
        assert (dets.xyxy >= 0).all() and (dets.xyxy[:, 2] <= 640).all() and (dets.xyxy[:, 3] <= 480).all()
        iou = iou_per_box(gt.at(f).clip(640, 480).xyxy, dets.xyxy)
        ious.append(iou)
        extra += len(dets) - int((iou >= 0.5).sum())
    recall = float((np.concatenate(ious) >= 0.5).mean())
    # measured: 26/55 = 0.47 at IoU 0.5, 3 unmatched detections (weak by design, flagged in the catalog)
    assert recall >= 0.38
    assert extra <= 8


def test_nothing_on_a_blank_frame(hog):
    assert len(hog(np.full((480, 640, 3), 128, np.uint8))) == 0


def test_scores_are_monotonic_in_margin():
    s = margin_to_score(np.array([-1.0, 0.0, 0.3, 1.0, 3.0]))
    assert s[0] == 0 and s[1] == 0 and (np.diff(s[1:]) > 0).all() and s[-1] < 1


def test_an_opencv_build_without_the_people_svm_gets_a_clear_error(monkeypatch):
    from anon_core.bench.runner import _detector
    from anon_core.detectors import ModelUnavailableError, availability
    from anon_core.detectors.hog import HogPersonDetector

    monkeypatch.delattr(cv2, "HOGDescriptor_getDefaultPeopleDetector", raising=False)
    monkeypatch.delattr(cv2.HOGDescriptor, "getDefaultPeopleDetector", raising=False)
    assert availability("hog") == "missing"
    with pytest.raises(ModelUnavailableError, match="opencv-python-headless<5"):
        HogPersonDetector()
    with pytest.raises(FileNotFoundError, match="requirements.txt"):
        _detector("hog", "person", "cpu")
