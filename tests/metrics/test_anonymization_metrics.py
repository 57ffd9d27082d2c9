"""Metric functions on constructed boxes whose answers can be worked out by hand."""

import cv2
import numpy as np
import pytest

from anon_core.detections import Detections
from anon_core.metrics import (
    AnonymizationScore,
    boxes_mask,
    changed_mask,
    count_bias,
    count_mae,
    count_rmse,
    covered_fraction,
    covered_recall,
    iou_per_box,
    iou_per_coverage,
    region_mask,
)


def test_iou_per_box_matches_one_to_one_and_scores_unmatched_zero():
    gt = [[0, 0, 10, 10], [20, 0, 30, 10], [100, 100, 110, 110]]
    regions = [[0, 0, 10, 20], [20, 0, 30, 10]]  # first: IoU 100/200 = 0.5; second: exact
    np.testing.assert_allclose(iou_per_box(gt, regions), [0.5, 1.0, 0.0])


def test_iou_per_box_one_region_over_two_people_counts_once():
    gt = [[0, 0, 10, 10], [10, 0, 20, 10]]
    big = [[0, 0, 20, 10]]  # IoU 0.5 with each, but may only be matched to one of them
    np.testing.assert_allclose(sorted(iou_per_box(gt, big)), [0.0, 0.5])
    assert iou_per_box([], big).shape == (0,)
    np.testing.assert_allclose(iou_per_box(gt, np.zeros((0, 4))), [0, 0])


def test_boxes_mask_is_the_union_of_integer_boxes():
    m = boxes_mask([[1, 1, 4, 3], [2, 2, 6, 5], [-5, -5, 1, 1]], (8, 8))
    expected = np.zeros((8, 8), bool)
    expected[1:3, 1:4] = True
    expected[2:5, 2:6] = True
    expected[0:1, 0:1] = True
    np.testing.assert_array_equal(m, expected)


def test_iou_per_coverage_pixel_iou_with_union_of_gt():
    mask = np.zeros((10, 20), bool)
    mask[0:10, 0:10] = True  # 100 px
    gt = [[5, 0, 15, 10]]  # 100 px, overlap 50 -> 50 / 150
    assert iou_per_coverage(mask, gt) == pytest.approx(1 / 3)
    assert iou_per_coverage(np.zeros((10, 20), bool), gt) == 0.0
    assert iou_per_coverage(np.zeros((10, 20), bool), np.zeros((0, 4))) == 1.0
    assert iou_per_coverage(mask, np.zeros((0, 4))) == 0.0


def test_covered_fraction_and_recall_at_90_percent():
    mask = np.zeros((20, 40), bool)
    mask[0:10, 0:9] = True  # box A (10x10) 90 % covered; box B 50 %; box C 0 %
    mask[0:10, 20:25] = True
    gt = [[0, 0, 10, 10], [20, 0, 30, 10], [30, 10, 40, 20]]
    np.testing.assert_allclose(covered_fraction(gt, mask), [0.9, 0.5, 0.0])
    assert covered_recall(gt, mask) == (1, 3)
    assert covered_recall(gt, mask, min_cover=0.5) == (2, 3)


def test_count_errors():
    pred, gt = [3, 5, 4, 4], [4, 4, 4, 4]
    assert count_rmse(pred, gt) == pytest.approx(np.sqrt(2 / 4))
    assert count_mae(pred, gt) == pytest.approx(0.5)
    assert count_bias(pred, gt) == pytest.approx(0.0)
    assert count_bias([6, 6], [4, 4]) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="length"):
        count_rmse([1], [1, 2])


def test_region_mask_follows_shape_padding_and_instance_masks():
    dets = Detections([[10, 10, 30, 30]], [1.0], ["person"])
    box = region_mask(dets, (50, 50), "box", padding=0.5)  # 20 px box grown to 30 px
    assert box.sum() == 30 * 30 and box[5, 5] and not box[4, 4]
    ellipse = region_mask(dets, (50, 50), "ellipse")
    assert abs(ellipse.sum() - np.pi * 10 * 10) < 40 and not ellipse[10, 10] and ellipse[20, 20]
    inst = np.zeros((1, 50, 50), bool)
    inst[0, 12:14, 12:14] = True
    assert region_mask(dets.with_(masks=inst), (50, 50), "box").sum() == 4


def test_changed_mask_recovers_a_blurred_region_through_codec_noise():
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:120, 0:160]
    texture = 128 + 60 * np.sin(xx / 2.0) * np.cos(yy / 3.0)  # fine detail, as in a face
    raw = np.repeat(texture[:, :, None], 3, axis=2).astype(np.uint8)
    out = raw.copy()
    out[30:90, 40:100] = cv2.blur(raw[30:90, 40:100], (31, 31))
    noisy = np.clip(out.astype(int) + rng.integers(-4, 5, out.shape), 0, 255).astype(np.uint8)
    m = changed_mask(raw, noisy)
    assert covered_fraction([[40, 30, 100, 90]], m)[0] > 0.9
    assert m.sum() < 1.15 * 60 * 60  # the unchanged part of the frame is not counted


def test_score_summary_for_perfect_and_null_methods():
    gt = [np.array([[0, 0, 10, 10], [20, 20, 40, 40]]), np.array([[5, 5, 15, 15]])]
    perfect, null = AnonymizationScore(), AnonymizationScore()
    for g in gt:
        perfect.add(g, g, boxes_mask(g, (50, 50)))
        null.add(g, np.zeros((0, 4)), np.zeros((50, 50), bool))
    p, n = perfect.summary(), null.summary()
    assert (p["iou_pb"], p["iou_pc"], p["recall90"], p["count_rmse"]) == (1.0, 1.0, 1.0, 0.0)
    assert (n["iou_pb"], n["iou_pc"], n["recall90"]) == (0.0, 0.0, 0.0)
    assert n["count_rmse"] == pytest.approx(np.sqrt((4 + 1) / 2))
    assert p["gt_boxes"] == 3 and p["frames"] == 2
