"""dlib HOG and CNN face detectors on dlib's PASCAL VOC face set (9 photos, 43 faces)."""

import csv

import cv2
import numpy as np
import pytest

from anon_core.detectors import create_detector
from anon_core.detectors.dlib_faces import margin_to_score, score_to_margin
from anon_core.metrics.anonymization import iou_per_box


def face_set(root, names=None):
    rows = list(csv.DictReader(open(root / "gt" / "faces.csv", encoding="utf-8")))
    for name in names or sorted({r["file"] for r in rows}):
        gt = np.array([[float(r["x"]), float(r["y"]), float(r["x"]) + float(r["w"]), float(r["y"]) + float(r["h"])]
                       for r in rows if r["file"] == name and r["ignore"] == "0"], np.float32)
        yield name, cv2.imread(str(root / "images" / name)), gt


@pytest.fixture(scope="module")
def hog():
    return create_detector("dlib-hog")


def check_faces(dets, img):
    assert (dets.labels == "face").all()
    assert ((dets.scores >= 0) & (dets.scores <= 1)).all()
    assert (dets.xyxy >= 0).all()
    assert (dets.xyxy[:, 2] <= img.shape[1]).all() and (dets.xyxy[:, 3] <= img.shape[0]).all()
    # 5 landmarks in CenterFace order, inside the (slightly grown) box
    assert dets.landmarks.shape == (len(dets), 5, 2)
    grown = dets.padded(0.3).xyxy[:, None, :]
    assert ((dets.landmarks >= grown[..., :2]) & (dets.landmarks <= grown[..., 2:])).all()
    eyes_y = dets.landmarks[:, :2, 1].max(axis=1)
    mouth_y = dets.landmarks[:, 3:, 1].min(axis=1)
    assert (dets.landmarks[:, 0, 0] < dets.landmarks[:, 1, 0]).all() and (eyes_y < mouth_y).all()


def test_hog_recall_on_face_set(hog, dlib_faces):
    ious, extra = [], 0
    for _, img, gt in face_set(dlib_faces):
        dets = hog(img)
        check_faces(dets, img)
        iou = iou_per_box(gt, dets.xyxy)
        ious.append(iou)
        extra += len(dets) - int((iou >= 0.3).sum())
    recall = float((np.concatenate(ious) >= 0.3).mean())
    assert recall >= 0.93  # measured 43/43 (upsample=1), 0 extra detections
    assert extra <= 3


def test_hog_threshold_and_score_mapping(dlib_faces):
    _, img, gt = next(face_set(dlib_faces, ["2007_007763.jpg"]))
    loose, strict = create_detector("dlib-hog", threshold=0.2)(img), create_detector("dlib-hog", threshold=0.95)(img)
    assert len(strict) < len(gt) <= len(loose)
    assert (strict.scores >= 0.95).all()
    assert margin_to_score(0.0) == pytest.approx(0.5)
    assert score_to_margin(float(margin_to_score(1.2))) == pytest.approx(1.2, abs=1e-4)


def test_hog_max_side_maps_back_to_frame_pixels(hog, dlib_faces):
    _, img, _ = next(face_set(dlib_faces, ["2008_002470.jpg"]))
    big = cv2.resize(img, None, fx=2, fy=2, interpolation=cv2.INTER_LINEAR)
    small = hog(img)
    shrunk = create_detector("dlib-hog", max_side=max(img.shape[:2]))(big)
    assert len(shrunk) == len(small) > 0
    best = iou_per_box(small.scaled(2).xyxy, shrunk.xyxy)
    assert (best > 0.8).all()


def test_cnn_finds_faces_on_two_photos(dlib_faces):
    cnn = create_detector("dlib-cnn", upsample=0)  # ~4 s per photo on one core; upsample=1 is ~5x slower
    for _, img, gt in face_set(dlib_faces, ["2008_001322.jpg", "2009_004587.jpg"]):
        dets = cnn(img)
        check_faces(dets, img)
        assert (iou_per_box(gt, dets.xyxy) >= 0.4).all()  # measured: 5/5 faces, 0 extra
        assert len(dets) == len(gt)
    d = cnn.describe()
    assert d["sha256"] and len(d["sha256"]) == 64 and d["weights"].endswith("mmod_human_face_detector.dat")
