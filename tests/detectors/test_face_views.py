"""Mirrored-view merging and the large-box score gate of the face detectors (worked out by hand)."""

import numpy as np

from anon_core.detectors.face_views import LARGE_FACE_PX, LARGE_FACE_SCORE, merge_views, mirror, size_gate


def test_mirror_maps_boxes_back_and_swaps_left_and_right_landmarks():
    boxes = np.array([[10, 5, 30, 25]], np.float32)
    lm = np.array([[[12, 10], [28, 10], [20, 15], [14, 20], [26, 20]]], np.float32)
    b, m = mirror(boxes, lm, 100)
    np.testing.assert_allclose(b, [[70, 5, 90, 25]])
    # the mirrored "left eye" (x 88) is the right eye of the original: after the swap, left is left
    np.testing.assert_allclose(m[0, :, 0], [72, 88, 80, 74, 86])
    np.testing.assert_allclose(m[0, :, 1], [10, 10, 15, 20, 20])


def test_merge_keeps_the_plain_view_and_adds_only_new_faces():
    plain = (np.array([[0, 0, 10, 10]], np.float32), np.array([0.3], np.float32), None)
    mirrored = (np.array([[1, 1, 11, 11], [50, 50, 60, 60]], np.float32), np.array([0.9, 0.2], np.float32), None)
    boxes, scores, lms = merge_views([plain, mirrored])
    np.testing.assert_allclose(boxes, [[0, 0, 10, 10], [50, 50, 60, 60]])
    np.testing.assert_allclose(scores, [0.3, 0.2])
    assert lms is None
    empty = (np.zeros((0, 4), np.float32), np.zeros(0, np.float32), None)
    assert len(merge_views([empty, mirrored])[0]) == 2 and len(merge_views([plain, empty])[0]) == 1


def test_large_low_score_boxes_are_gated():
    w = LARGE_FACE_PX
    boxes = np.array([[0, 0, w - 1, w], [0, 0, w, w], [0, 0, w, w]], np.float32)
    scores = np.array([0.11, 0.11, LARGE_FACE_SCORE], np.float32)
    assert size_gate(boxes, scores, 0.1).tolist() == [True, False, True]
    assert size_gate(boxes, scores, 0.5).tolist() == [False, False, False]  # a higher user threshold rules
