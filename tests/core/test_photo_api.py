"""The photo API is stateless: two unrelated photos in a row never share a region, while a stream
(Pipeline.process without still) carries regions between frames on purpose (temporal hold)."""

import numpy as np
import pytest
from conftest import facial_detail, load_person_image

from anon_core import anonymize_image
from anon_core.pipeline import Pipeline, PipelineConfig

SIZE = (480, 720)  # h, w


def _photo(face: np.ndarray, x: int) -> np.ndarray:
    canvas = np.full((*SIZE, 3), 118, np.uint8)
    h, w = face.shape[:2]
    canvas[40:40 + h, x:x + w] = face
    return canvas


@pytest.fixture(scope="module")
def photos(people):
    left = _photo(load_person_image(people[0], "studio_portrait", max_side=300), 20)
    right = _photo(load_person_image(people[1], "studio_portrait", max_side=300), 400)
    return left, right


@pytest.fixture(scope="module")
def pipeline():
    return Pipeline(PipelineConfig(targets=("face",), method="fill", shape="box", hold_frames=8))


def _x_centres(regions) -> np.ndarray:
    return (regions.xyxy[:, 0] + regions.xyxy[:, 2]) / 2


def test_a_stream_holds_the_first_photos_face_on_the_second(photos, pipeline):
    """The hazard still mode removes: as frames of one stream, photo 1's face is held onto photo 2."""
    left, right = photos
    pipeline.reset()
    first = pipeline.process(left)
    assert len(first.regions) == 1 and _x_centres(first.regions)[0] < 360
    second = pipeline.process(right)
    held = second.regions[second.regions.origin == "held"]
    assert len(held) == 1 and _x_centres(held)[0] < 360


def test_still_photos_in_a_row_share_no_region(photos, pipeline):
    left, right = photos
    first = pipeline.process(left, still=True)
    second = pipeline.process(right, still=True)
    assert len(first.regions) == 1 and _x_centres(first.regions)[0] < 360
    assert len(second.regions) == 1 and _x_centres(second.regions)[0] > 360
    assert set(second.regions.origin) == {"detected"}
    # the left half of photo 2 (no face there) leaves untouched, its face is filled
    assert np.array_equal(second.frame[:, :360], right[:, :360])
    assert facial_detail(second.frame, second.regions.xyxy) < 0.05 * facial_detail(right, second.regions.xyxy)
    # and a photo gives the same result whatever came before it
    again = pipeline.process(right, still=True)
    assert np.array_equal(again.frame, second.frame)


def test_anonymize_image_reuses_a_pipeline_without_carrying_state(photos, pipeline):
    left, right = photos
    pipeline.process(left)  # a stream frame leaves state behind: anonymize_image must ignore it
    out = anonymize_image(right, pipeline=pipeline)
    assert np.array_equal(out[:, :360], right[:, :360])
    assert not np.array_equal(out[:, 360:], right[:, 360:])
    assert out.dtype == np.uint8 and out.shape == right.shape


def test_what_is_not_a_bgr_photo_is_refused_not_returned_grey(photos, pipeline, tmp_path):
    """anonymize_image(cv2.imread("missing.jpg")) (None) and a grayscale array used to return a grey
    640x360 image with no error, which the README's one-liner then wrote to disk as the result."""
    import cv2

    left, _ = photos
    with pytest.raises(ValueError, match="cv2.imread returns None"):
        anonymize_image(cv2.imread(str(tmp_path / "missing.jpg")), pipeline=pipeline)
    with pytest.raises(ValueError, match="to_bgr8"):
        anonymize_image(cv2.cvtColor(left, cv2.COLOR_BGR2GRAY), pipeline=pipeline)
    assert anonymize_image(left, pipeline=pipeline).shape == left.shape
