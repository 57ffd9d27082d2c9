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
from anon_core.detections import Detections
from anon_core.detectors import create_detector
from anon_core.pipeline import Pipeline, PipelineConfig
from ui.webcam import WAITING, LiveAnonymizer, advance, faces_in_view


@pytest.fixture(scope="module")
def centerface():
    """The product default (threshold 0.1, mirrored view): what a user of the live webcam gets."""
    return create_detector("centerface")


@pytest.fixture(scope="module")
def checker():
    """Counts faces left recognisable: confident ones (0.5); at 0.1 CenterFace also fires on blur texture."""
    return create_detector("centerface", threshold=0.5)


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


def test_first_frame_is_masked_then_only_anonymized_frames(centerface, checker, face_frame):
    assert len(centerface(face_frame)) >= 1
    live = LiveAnonymizer(_pipeline(centerface))
    first = live.submit(face_frame)
    np.testing.assert_array_equal(first, obscure_frame(np.zeros_like(face_frame), WAITING))
    out = _wait_processed(live, face_frame)
    assert out.shape == face_frame.shape and not np.array_equal(out, face_frame)
    assert len(checker(out)) == 0
    record = live.results.get(timeout=10)
    assert record["regions"] >= record["faces"] == 1 and record["error"] is None and record["detected"]


def test_callback_wraps_av_frames(centerface, checker, face_frame):
    live = LiveAnonymizer(_pipeline(centerface))
    frame = av.VideoFrame.from_ndarray(face_frame, format="bgr24")
    out = live(frame).to_ndarray(format="bgr24")
    assert out.shape == face_frame.shape
    assert float(np.abs(out.astype(int) - face_frame).mean()) > 30  # masked, not (almost) the raw frame
    _wait_processed(live, face_frame)
    out = live(frame).to_ndarray(format="bgr24")
    assert len(checker(out)) == 0


class _Broken:
    """A detector that raises: the pipeline must fail closed and the stream must show an obscured frame."""

    def __call__(self, frame):
        raise RuntimeError("model crashed")


def test_errors_give_fully_obscured_frames(face_frame):
    live = LiveAnonymizer(Pipeline(PipelineConfig(), detectors={"face": _Broken()}))
    out = _wait_processed(live, face_frame)
    np.testing.assert_array_equal(out, obscure_frame(np.zeros_like(face_frame)))
    assert "model crashed" in live.results.get(timeout=10)["error"]


def test_show_raw_is_side_by_side_and_settings_swap(centerface, checker, face_frame):
    live = LiveAnonymizer(_pipeline(centerface), show_raw=True)
    out = _wait_processed(live, face_frame)
    h, w = face_frame.shape[:2]
    assert out.shape == (h, 2 * w, 3)
    np.testing.assert_array_equal(out[60:, :w], face_frame[60:])  # raw, below its "RAW" label
    assert not np.array_equal(out[:30, :w], face_frame[:30])  # the label is drawn on the panel
    assert len(checker(out[:, w:])) == 0
    blurred = out[:, w:]
    live.show_raw = False
    live.set_pipeline(_pipeline(centerface, method="fill"))  # new settings: the next outputs use them
    out = _wait_processed(live, face_frame, n=live.frames_out + 2)
    assert out.shape == face_frame.shape and len(checker(out)) == 0
    assert not np.array_equal(out, blurred)


def test_instances_share_no_state(centerface, face_frame):
    a, b = LiveAnonymizer(_pipeline(centerface)), LiveAnonymizer(_pipeline(centerface))
    _wait_processed(a, face_frame)
    assert b.frames_out == 0 and b.results.empty() and b.submit(face_frame) is not a.submit(face_frame)
    del a, b
    gc.collect()


@pytest.fixture(scope="module")
def webcam_sample():
    from anon_core.media import VideoReader
    from anon_core.synth import ensure_sample, load_faces

    sample = ensure_sample("webcam", seed=0, seconds=4.0)  # one head moving sideways, 15 fps
    with VideoReader(sample.video) as reader:
        frames = list(reader.frames())
    truth = load_faces(sample.faces)
    return frames, [len(truth.at(i + 1, min_visibility=0.3)) for i in range(len(frames))]


def _dropping_run(centerface, frames, faces, step: int, count_dropped: bool) -> float:
    """The live worker's situation: only every `step`-th camera frame gets processed. Share of processed
    frames whose count of faces in view (the page's metric) is the number of faces there."""
    pipe = _pipeline(centerface, detect_every="auto")
    hits = total = 0
    for i in range(0, len(frames), step):
        if i and count_dropped:
            advance(pipe, step - 1)
        hits += faces_in_view(pipe.process(frames[i]).regions) == faces[i]
        total += 1
    return hits / total


def test_dropped_frames_leave_no_ghost_regions(centerface, webcam_sample):
    frames, faces = webcam_sample
    assert min(faces) >= 1
    for step in (3, 6):  # ~10 and ~5 processed frames/s from a 30 fps camera
        assert _dropping_run(centerface, frames, faces, step, count_dropped=True) >= 0.9
    # the old live behaviour (tracker stepping once per processed frame) is what made the ghosts
    assert _dropping_run(centerface, frames, faces, 6, count_dropped=False) < 0.5


def test_live_stream_region_counts_match_faces(centerface, webcam_sample):
    """The real worker thread at the product defaults, fed at camera pace: the faces-in-view count matches the
    faces there (+-1) in >= 90 % of processed frames, and every counted face is among the anonymized regions."""
    frames, faces = webcam_sample
    live = LiveAnonymizer(_pipeline(centerface, detect_every="auto"))
    for frame in frames:
        live.submit(frame)
        time.sleep(1 / 15)
    deadline = time.monotonic() + 30
    while live._thread is not None and live._thread.is_alive() and live._pending is not None:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    records = [r for r in live.drain() if r["error"] is None]
    assert len(records) >= 5
    ok = [abs(r["faces"] - faces[r["camera_frame"] - 1]) <= 1 for r in records]
    assert sum(ok) / len(ok) >= 0.9, [(r["camera_frame"], r["faces"], r["regions"]) for r in records]
    assert all(r["regions"] >= r["faces"] for r in records)
    exact = [sum(r[k] == faces[r["camera_frame"] - 1] for r in records) / len(records) for k in ("faces", "regions")]
    print(f"live worker, {len(records)} of {len(frames)} frames processed: faces in view exact {exact[0]:.0%}, "
          f"+-1 {sum(ok) / len(ok):.0%}; regions anonymized exact {exact[1]:.0%}")


def test_faces_in_view_counts_tracks_and_confident_detections_only():
    """Low-score candidates that match no track are anonymized (they are regions) but are not faces in view."""
    regions = Detections(np.array([[0, 0, 10, 10], [20, 0, 30, 10], [40, 0, 50, 10], [60, 0, 70, 10]], np.float32),
                         np.array([0.9, 0.15, 0.3, 0.6], np.float32), "face",
                         data={"hits": np.array([5, 0, 2, 0])})  # a track, a candidate, a weak match, a new face
    assert faces_in_view(regions) == 3
    assert faces_in_view(regions.with_(data={})) == 2  # without tracker data: the confident ones
    assert faces_in_view(Detections.empty()) == 0


def test_live_counting_is_the_plain_pipeline_with_the_count_analyzer(webcam_sample, model_dir):
    """The counting page's live path: LiveAnonymizer runs a plain Pipeline built with the count analyzer and
    the session's overlay after it; the records carry both counts, the frames the drawn count."""
    from showcases.counting.counts import PersonCounter
    from showcases.counting.session import ANALYZER, CountOptions, CountSession, build_pipeline

    counter = PersonCounter(create_detector("yolox-nano"))
    session = CountSession(counter, CountOptions(overlay=True))
    pipe = build_pipeline(PipelineConfig(targets=("person",), method="fill", person_detector="yolox-nano"), counter,
                          analyzers=session.analyzers)
    live = LiveAnonymizer(pipe, overlay=session.overlay)
    frames, _ = webcam_sample
    out = _wait_processed(live, frames[0])
    record = live.results.get(timeout=10)
    counts = record["analytics"][ANALYZER]
    assert counts["count"] == counter.count(frames[0]) and counts["anonymized"] is not None
    assert out[10:30, 10:60].mean() < 120  # the count panel drawn by the overlay
    assert session.last is not None and session.last.raw == counts["count"]
