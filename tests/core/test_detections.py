import numpy as np
import pytest

from anon_core.detections import Detections, box_iou, nms


def make(n=3, **kw):
    xyxy = np.array([[10, 10, 50, 60], [100, 20, 140, 90], [0, 0, 5, 5]], np.float32)[:n]
    return Detections(xyxy, np.array([0.9, 0.4, 0.7], np.float32)[:n], np.array(["face", "person", "face"])[:n], **kw)


def test_boolean_mask_filters_every_field():
    d = make(landmarks=np.arange(30, dtype=np.float32).reshape(3, 5, 2), track_ids=[1, -1, 3])
    faces = d[d.labels == "face"]
    assert len(faces) == 2
    assert faces.track_ids.tolist() == [1, 3]
    assert faces.landmarks.shape == (2, 5, 2)
    assert faces.landmarks[1, 0].tolist() == [20, 21]
    assert len(d[d.scores > 0.95]) == 0


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"xyxy": [[10, 10, 5, 20]]}, "x2 >= x1"),
        ({"xyxy": [[0, 0, np.nan, 1]]}, "NaN"),
        ({"scores": [0.5, 0.5]}, "scores"),
        ({"track_ids": [1, 2]}, "track_ids"),
        ({"origin": ["seen"]}, "origin"),
    ],
)
def test_validation_rejects_bad_rows(kwargs, message):
    base = {"xyxy": [[0, 0, 10, 10]], "scores": [0.5], "labels": ["face"]}
    with pytest.raises(ValueError, match=message):
        Detections(**(base | kwargs))


def test_concat_keeps_optional_fields_and_fills_missing():
    a = make(1, landmarks=np.ones((1, 5, 2)), track_ids=[4])
    b = make(2)
    c = Detections.concat([a, b])
    assert len(c) == 3
    assert c.track_ids.tolist() == [4, -1, -1]
    assert np.isnan(c.landmarks[1:]).all() and (c.landmarks[0] == 1).all()
    assert Detections.concat([]).xyxy.shape == (0, 4)


def test_clip_scale_pad():
    d = Detections([[-10, -10, 20, 20], [700, 10, 800, 50]], [1, 1], "face")
    clipped = d.clip(640, 480)
    assert len(clipped) == 1 and clipped.xyxy[0].tolist() == [0, 0, 20, 20]
    assert d.scaled(2).xyxy[0].tolist() == [-20, -20, 40, 40]
    padded = Detections([[0, 0, 10, 20]], [1], "face").padded(0.5)
    assert padded.xyxy[0].tolist() == [-2.5, -5, 12.5, 25]


def test_box_iou_and_nms_on_known_boxes():
    a = np.array([[0, 0, 10, 10]])
    b = np.array([[0, 0, 10, 10], [5, 0, 15, 10], [20, 20, 30, 30]])
    assert np.allclose(box_iou(a, b), [[1.0, 50 / 150, 0.0]])
    keep = nms(np.array([[0, 0, 10, 10], [1, 0, 11, 10], [20, 20, 30, 30]]), np.array([0.5, 0.9, 0.7]), 0.5)
    assert keep.tolist() == [1, 2]
