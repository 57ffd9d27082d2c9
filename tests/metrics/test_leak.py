"""The model-free leak metric on real faces: untouched ~1, anonymized ~0, collateral away from faces."""

import csv

import cv2
import numpy as np
import pytest

from anon_core.anonymize import Blur, Fill, Pixelate
from anon_core.detections import Detections
from anon_core.metrics import LEAK_NCC, detail_nccs, face_detail_ncc, leak_report


@pytest.fixture(scope="module")
def photo(dlib_faces):
    """One PASCAL VOC photo and its labelled faces (xyxy), widths 37-45 px."""
    rows = [r for r in csv.DictReader((dlib_faces / "gt" / "faces.csv").open()) if r["file"] == "2007_007763.jpg"]
    boxes = np.array([[float(r["x"]), float(r["y"]), float(r["x"]) + float(r["w"]), float(r["y"]) + float(r["h"])]
                      for r in rows])
    img = cv2.imread(str(dlib_faces / "images" / "2007_007763.jpg"))
    assert img is not None and len(boxes) >= 4
    return img, boxes


def _dets(boxes):
    return Detections(boxes, np.ones(len(boxes)), np.array(["face"] * len(boxes)))


def test_untouched_faces_score_about_one_and_leak(photo):
    img, boxes = photo
    ncc = detail_nccs(img, img.copy(), boxes)
    assert np.all(ncc > 0.999)
    rep = leak_report(img, img.copy(), boxes)
    assert rep["leaks"] == rep["faces"] == len(boxes)
    assert rep["collateral"] == 0.0


def test_jpeg_reencoding_keeps_the_detail_so_it_still_leaks(photo):
    img, boxes = photo
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 75])
    again = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    assert np.all(detail_nccs(img, again, boxes) > 0.8)


@pytest.mark.parametrize("method", [Blur, Pixelate, Fill])
def test_anonymized_faces_score_about_zero(photo, method):
    img, boxes = photo
    out = method(shape="box", padding=0.15).apply(img, _dets(boxes))
    ncc = detail_nccs(img, out, boxes)
    assert np.all(np.abs(ncc) < 0.2), ncc
    rep = leak_report(img, out, boxes)
    assert rep["leaks"] == 0 and rep["faces"] == len(boxes)
    assert rep["collateral"] < 0.001  # 15 % padding stays inside the half-size margin


def test_a_mild_blur_is_not_enough(photo):
    img, boxes = photo
    out = img.copy()
    for x1, y1, x2, y2 in boxes.astype(int):  # sigma 0.7: the kind of blur that keeps a face recognisable
        out[y1:y2, x1:x2] = cv2.GaussianBlur(img[y1:y2, x1:x2], (0, 0), 0.7)
    assert np.all(detail_nccs(img, out, boxes) > LEAK_NCC)


def test_one_missed_face_is_the_only_leak_and_is_bucketed_by_width(photo):
    img, boxes = photo
    out = Blur(shape="box").apply(img, _dets(boxes[1:]))
    rep = leak_report(img, out, boxes)
    assert rep["leaked"] == [True] + [False] * (len(boxes) - 1)
    assert rep["ncc"][0] > 0.99
    assert rep["buckets"]["32-63"] == {"faces": len(boxes), "leaks": 1}
    assert rep["buckets"]["16-31"]["faces"] == rep["buckets"]["64+"]["faces"] == 0


def test_collateral_counts_changes_away_from_faces_only(photo):
    img, boxes = photo
    whole = cv2.GaussianBlur(img, (0, 0), 8)
    rep = leak_report(img, whole, boxes)
    assert rep["leaks"] == 0 and rep["collateral"] > 0.05  # blurring the whole photo is not an answer
    h, w = img.shape[:2]
    assert rep["collateral_pixels"] < h * w


def test_flat_crops_score_zero():
    flat = np.full((100, 100, 3), 128, np.uint8)
    noisy = np.random.default_rng(0).integers(0, 255, (100, 100, 3), dtype=np.uint8)
    box = [20, 20, 80, 80]
    assert face_detail_ncc(flat, flat, box) == 0.0  # no detail in the input: nothing to leak
    assert face_detail_ncc(noisy, flat, box) == 0.0  # all detail removed
    assert face_detail_ncc(noisy, noisy, [200, 200, 260, 260]) == 0.0  # outside the image
    assert face_detail_ncc(noisy, noisy, box) > 0.999


def test_small_faces_are_not_scored_unless_asked():
    img = np.random.default_rng(1).integers(0, 255, (64, 64), dtype=np.uint8)
    boxes = [[0, 0, 10, 10], [20, 20, 50, 50]]
    rep = leak_report(img, img.copy(), boxes)
    assert rep["faces"] == 1 and np.isnan(rep["ncc"][0])
    assert leak_report(img, img.copy(), boxes, scored=[True, True])["leaks"] == 2
    with pytest.raises(ValueError):
        face_detail_ncc(img, img[:32], [0, 0, 20, 20])
