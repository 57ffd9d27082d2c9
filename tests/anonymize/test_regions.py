"""Region anonymizers: golden images per method and shape, plus properties that must hold."""

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from anon_core.anonymize import ANONYMIZERS, Blur, Fill, Pixelate, RegionStyle, obscure_frame
from anon_core.detections import Detections

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
METHODS = ["blur", "pixelate", "fill"]


def pattern(h=120, w=160) -> np.ndarray:
    """Deterministic high-detail test card: checkerboard, gradient and text."""
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.zeros((h, w, 3), np.uint8)
    img[..., 0] = (xx * 255 // w).astype(np.uint8)
    img[..., 1] = (((xx // 4 + yy // 4) % 2) * 200).astype(np.uint8)
    img[..., 2] = (yy * 255 // h).astype(np.uint8)
    cv2.putText(img, "ID 42", (40, 70), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (255, 255, 255), 2)
    return img


BOX = Detections([[40, 30, 120, 100]], [0.9], "face")


def sharpness(img):
    return cv2.Laplacian(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var()


@pytest.mark.parametrize("shape", ["box", "ellipse"])
@pytest.mark.parametrize("method", METHODS)
def test_golden_image(method, shape):
    anonymizer = ANONYMIZERS.create(method, shape=shape, padding=0.0)
    out = anonymizer.apply(pattern(), BOX)
    golden = GOLDEN / f"anonymize_{method}_{shape}.png"
    if os.environ.get("UPDATE_GOLDEN"):  # UPDATE_GOLDEN=1 pytest ... rewrites them after a deliberate change
        cv2.imwrite(str(golden), out)
    assert golden.exists(), f"missing {golden}; create it with UPDATE_GOLDEN=1"
    expected = cv2.imread(str(golden))
    diff = np.abs(out.astype(int) - expected.astype(int))
    assert diff.mean() < 0.5 and diff.max() <= 12, f"{golden.name} changed (mean {diff.mean():.2f})"


@pytest.mark.parametrize("method", METHODS)
def test_input_untouched_outside_changed_inside_and_detail_destroyed(method):
    img = pattern()
    before = img.copy()
    out = ANONYMIZERS.create(method, shape="box", padding=0.0).apply(img, BOX)
    assert np.array_equal(img, before), "apply() must not modify its input"
    outside = np.ones(img.shape[:2], bool)
    outside[30:100, 40:120] = False
    assert np.array_equal(out[outside], img[outside])
    roi_in, roi_out = img[30:100, 40:120], out[30:100, 40:120]
    assert sharpness(roi_out) < 0.05 * sharpness(roi_in)


def test_ellipse_keeps_box_corners_and_covers_centre():
    img = pattern()
    out = Pixelate(shape="ellipse", padding=0.0).apply(img, BOX)
    assert np.array_equal(out[31, 41], img[31, 41])  # corner of the box, outside the ellipse
    assert not np.array_equal(out[60:70, 75:85], img[60:70, 75:85])


def test_fill_uses_colour_and_padding_grows_region():
    img = pattern()
    out = Fill(RegionStyle(shape="box", padding=0.5, colour=(0, 0, 255))).apply(img, BOX)
    # padding 0.5 grows the 80x70 box by 20 px / 17.5 px on each side
    assert (out[14:116, 20:140] == [0, 0, 255]).all()
    assert np.array_equal(out[:12], img[:12])


def test_mask_is_used_when_present_and_box_is_fallback():
    img = pattern()
    mask = np.zeros((1,) + img.shape[:2], bool)
    mask[0, 40:60, 50:70] = True
    dets = BOX.with_(masks=mask)
    out = Fill(shape="box", padding=0.0).apply(img, dets)
    assert (out[40:60, 50:70] == 0).all()
    assert np.array_equal(out[90:99, 100:119], img[90:99, 100:119])  # inside the box, outside the mask
    empty = BOX.with_(masks=np.zeros_like(mask))
    assert (Fill(shape="box", padding=0.0).apply(img, empty)[30:100, 40:120] == 0).all()


def test_region_at_frame_border_is_covered():
    img = pattern()
    dets = Detections([[-30, -20, 30, 40]], [1], "face")
    out = Fill(shape="ellipse", padding=0.0).apply(img, dets)
    assert (out[5:15, 0:10] == 0).all()


def test_obscure_frame_removes_all_content():
    img = pattern()
    out = obscure_frame(img)
    assert out.shape == img.shape
    assert np.corrcoef(out[..., 1].ravel().astype(float), img[..., 1].ravel().astype(float))[0, 1] < 0.2


@pytest.mark.parametrize("cls,kw", [(Blur, {"strength": 0}), (Pixelate, {"shape": "circle"}), (Fill, {"padding": 9})])
def test_bad_style_is_rejected(cls, kw):
    with pytest.raises(ValueError):
        cls(**kw)
