"""LiveAnonymizer (the webrtc callback): never returns a raw frame, hands results out through a queue,
fails closed, swaps pipelines on new settings, side-by-side raw only when asked."""

from __future__ import annotations

import gc
import time

import av
import numpy as np
import pytest
from conftest import load_person_image

from anon_core.anonymize import obscure_frame
from anon_core.detectors import create_detector
from anon_core.pipeline import Pipeline, PipelineConfig
from ui.webcam import WAITING, LiveAnonymizer


@pytest.fixture(scope="module")
def centerface():
    return create_detector("centerface")


@pytest.fixture(scope="module")
def face_frame(people):
    img = load_person_image(people[1], "studio_portrait", max_side=400)
    h, w = (s - s % 2 for s in img.shape[:2])
    return np.ascontiguousarray(img[:h, :w])


def _pipeline(centerface, **kw) -> Pipeline:
    return Pipeline(PipelineConfig(**kw), detectors={"face": centerface})


def _wait_processed(live: LiveAnonymizer, img: np.ndarray, n: int = 1, timeout: float = 60) -> np.ndarray:
    """Feed `img` like a camera stream until n frames were processed; return what the browser would get."""
    deadline = time.monotonic() + timeout
    while live.frames_out < n:
        assert time.monotonic() < deadline, "no processed frame arrived"
        live.submit(img)
        time.sleep(0.05)
    return live.submit(img)


def test_first_frame_is_masked_then_only_anonymized_frames(centerface, face_frame):
    assert len(centerface(face_frame)) >= 1
    live = LiveAnonymizer(_pipeline(centerface))
    first = live.submit(face_frame)
    np.testing.assert_array_equal(first, obscure_frame(np.zeros_like(face_frame), WAITING))
    out = _wait_processed(live, face_frame)
    assert out.shape == face_frame.shape and not np.array_equal(out, face_frame)
    assert len(centerface(out)) == 0
    record = live.results.get(timeout=10)
    assert record["regions"] >= 1 and record["error"] is None and record["detected"]


def test_callback_wraps_av_frames(centerface, face_frame):
    live = LiveAnonymizer(_pipeline(centerface))
    frame = av.VideoFrame.from_ndarray(face_frame, format="bgr24")
    out = live(frame).to_ndarray(format="bgr24")
    assert out.shape == face_frame.shape
    assert float(np.abs(out.astype(int) - face_frame).mean()) > 30  # masked, not (almost) the raw frame
    _wait_processed(live, face_frame)
    out = live(frame).to_ndarray(format="bgr24")
    assert len(centerface(out)) == 0


class _Broken:
    """A detector that raises: the pipeline must fail closed and the stream must show an obscured frame."""

    def __call__(self, frame):
        raise RuntimeError("model crashed")


def test_errors_give_fully_obscured_frames(face_frame):
    live = LiveAnonymizer(Pipeline(PipelineConfig(), detectors={"face": _Broken()}))
    out = _wait_processed(live, face_frame)
    np.testing.assert_array_equal(out, obscure_frame(np.zeros_like(face_frame)))
    assert "model crashed" in live.results.get(timeout=10)["error"]


def test_show_raw_is_side_by_side_and_settings_swap(centerface, face_frame):
    live = LiveAnonymizer(_pipeline(centerface), show_raw=True)
    out = _wait_processed(live, face_frame)
    h, w = face_frame.shape[:2]
    assert out.shape == (h, 2 * w, 3)
    np.testing.assert_array_equal(out[:, :w], face_frame)
    assert len(centerface(out[:, w:])) == 0
    blurred = out[:, w:]
    live.show_raw = False
    live.set_pipeline(_pipeline(centerface, method="fill"))  # new settings: the next outputs use them
    out = _wait_processed(live, face_frame, n=live.frames_out + 2)
    assert out.shape == face_frame.shape and len(centerface(out)) == 0
    assert not np.array_equal(out, blurred)


def test_instances_share_no_state(centerface, face_frame):
    a, b = LiveAnonymizer(_pipeline(centerface)), LiveAnonymizer(_pipeline(centerface))
    _wait_processed(a, face_frame)
    assert b.frames_out == 0 and b.results.empty() and b.submit(face_frame) is not a.submit(face_frame)
    del a, b
    gc.collect()
