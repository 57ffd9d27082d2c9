"""Live webcam through streamlit-webrtc: the browser only ever receives pipeline output.

The webrtc callback is `LiveAnonymizer.__call__`: it hands the newest camera frame to a worker thread
and returns the newest *processed* frame, or a fully masked frame while none exists yet. Streamlit-
webrtc's async mode would return the raw frame until the first processed one; this class is used with
async_processing=False and never returns a raw frame (errors -> fully obscured frame). Per-frame
results leave through the `results` queue. Nothing is recorded.
"""

from __future__ import annotations

import collections
import queue
import threading
import time
from collections.abc import Callable

import av
import cv2
import numpy as np

from anon_core.anonymize import obscure_frame
from anon_core.pipeline import FrameResult, Pipeline

WAITING = "anonymizing ... first frame not ready"
IDLE_STOP_SECONDS = 10.0
MAX_ADVANCE = 90  # tracker steps for one gap (3 s at 30 fps); tracks are long expired after that
# As anon_core.jobs.JobOptions.overlay: the step after anonymization (e.g. the counting page draws its live
# count); it gets the FrameResult, whose frame is already anonymized, and returns the frame to show.
Overlay = Callable[[FrameResult], np.ndarray]
CONFIDENT = 0.5  # TrackerConfig.high_score: only a detection this sure starts a track


def faces_in_view(regions) -> int:
    """The regions that are faces/persons in view: those on a track, which only a confident detection
    (score >= 0.5) starts. Every region is anonymized; low-score candidates that match no track are not
    counted.

    Why: at the product default threshold (CenterFace 0.1, mirrored view) the detector adds candidates
    at 0.10-0.24 next to a face at ~0.9 (in 20 % of frames of the synthetic webcam clip, up to 3 at once):
    anonymizing them costs little, but counting them said "4 regions" for 1 face. Counted this way the
    clip gives the face count in 100 % of frames (tests/app/test_webcam_live.py)."""
    hits = regions.data.get("hits")
    on_track = np.zeros(len(regions), bool) if hits is None else np.asarray(hits) >= 1
    return int((on_track | (regions.scores >= CONFIDENT)).sum())


def advance(pipeline: Pipeline, dropped: int) -> None:
    """Camera frames dropped while the previous one was being processed pass for the tracker and the
    frame clock as if they had been seen (Kalman prediction only, no detection, nothing drawn).

    Why: the live path processes only the newest frame. At 4.5 processed frames/s from a 30 fps camera a
    moving face jumps 100-150 px between processed frames; the tracker, stepping once per processed frame,
    no longer matched it (IoU < 0.3), started a new track and held the old one for hold_frames *processed*
    frames (~2 s): one or two ghost ovals next to the face (3 regions for 1 face). Offline, where every
    frame is processed, the same clip gives 1 region per frame. With the dropped frames counted, motion,
    hold and the detection schedule run in camera frames as offline: on the synthetic webcam clip with
    every 2nd/4th/8th frame processed, regions = faces in 100 % of frames (44/23/12) instead of 17 % and 8 %
    (tests/app/test_webcam_live.py)."""
    if dropped <= 0:
        return
    for _ in range(min(dropped, MAX_ADVANCE)):
        pipeline.tracker.update(None)
    pipeline.index += dropped


def label_panels(raw: np.ndarray, anon: np.ndarray) -> np.ndarray:
    """Raw | anonymized side by side, each with a label in its top-left corner."""
    out = np.hstack([raw, anon])
    w = raw.shape[1]
    scale = max(0.5, raw.shape[0] / 720)
    for x, text, colour in ((0, "RAW (not recorded)", (40, 40, 220)), (w, "ANONYMIZED (what leaves)", (40, 160, 40))):
        (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 0.7 * scale, 2)
        cv2.rectangle(out, (x, 0), (x + tw + 16, th + 16), colour, -1)
        cv2.putText(out, text, (x + 8, th + 8), cv2.FONT_HERSHEY_SIMPLEX, 0.7 * scale, (255, 255, 255), 2, cv2.LINE_AA)
    return out


class LiveAnonymizer:
    """Frame-in / anonymized-frame-out for one browser session; state on the instance only."""

    def __init__(self, pipeline: Pipeline, show_raw: bool = False, results_size: int = 256,
                 overlay: Overlay | None = None):
        self.show_raw = show_raw  # side-by-side raw | anonymized (explicit user toggle only)
        self.results: queue.Queue[dict] = queue.Queue(maxsize=results_size)
        self.frames_out = 0
        self._pipeline = pipeline
        self._overlay = overlay
        self._cond = threading.Condition()
        self._pending: np.ndarray | None = None
        self._latest: np.ndarray | None = None
        self._thread: threading.Thread | None = None
        self._times: collections.deque[float] = collections.deque(maxlen=30)
        self._received = 0  # camera frames submitted
        self._pending_no = 0  # camera frame number of _pending
        self._last_no: int | None = None  # camera frame number processed last (by the current pipeline)

    def set_pipeline(self, pipeline: Pipeline, overlay: Overlay | None = None) -> None:
        """New settings take effect on the next frame; the previous output is dropped."""
        with self._cond:
            self._pipeline, self._overlay = pipeline, overlay
            self._latest = None
            self._last_no = None

    # -- webrtc side (event loop thread): cheap, never blocks on the model -----------------
    def __call__(self, frame: av.VideoFrame) -> av.VideoFrame:
        try:
            img = frame.to_ndarray(format="bgr24")
            return av.VideoFrame.from_ndarray(self.submit(img), format="bgr24")
        except Exception:  # fail closed
            return av.VideoFrame.from_ndarray(obscure_frame(np.zeros((frame.height, frame.width, 3), np.uint8)),
                                              format="bgr24")

    def submit(self, img: np.ndarray) -> np.ndarray:
        """Queue `img` for anonymization; return the newest anonymized output (never `img` itself)."""
        with self._cond:
            self._received += 1
            self._pending, self._pending_no = img, self._received
            self._cond.notify()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name="anon-webcam", daemon=True)
                self._thread.start()
            out = self._latest
        if out is None:
            out = obscure_frame(np.zeros(img.shape, np.uint8), WAITING)
            return label_panels(out, out) if self.show_raw else out
        return out

    # -- worker thread --------------------------------------------------------------------
    def _work(self) -> None:
        while True:
            with self._cond:
                if self._pending is None:
                    self._cond.wait(timeout=IDLE_STOP_SECONDS)
                if self._pending is None:  # idle: let the thread end; the next frame restarts it
                    self._thread = None
                    return
                img, self._pending = self._pending, None
                number, last, self._last_no = self._pending_no, self._last_no, self._pending_no
                pipeline, overlay, show_raw = self._pipeline, self._overlay, self.show_raw
            if last is not None:
                try:
                    advance(pipeline, number - last - 1)
                except Exception:  # the worker must live on; the next detection corrects the tracker
                    pass
            out, record = self._process(pipeline, img, overlay)
            record["camera_frame"] = number
            if show_raw:
                out = label_panels(img, out)
            with self._cond:
                if pipeline is self._pipeline:
                    self._latest = out
                    self.frames_out += 1
            self._times.append(time.perf_counter())
            span = self._times[-1] - self._times[0]
            record["fps"] = (len(self._times) - 1) / span if span > 0 else 0.0
            try:
                self.results.put_nowait(record)
            except queue.Full:
                pass

    @staticmethod
    def _process(pipeline: Pipeline, img: np.ndarray, overlay: Overlay | None = None) -> tuple[np.ndarray, dict]:
        try:
            res = pipeline.process(img)
            out = overlay(res) if overlay is not None else res.frame
            return out, {"frame": res.index, "regions": len(res.regions), "faces": faces_in_view(res.regions),
                         "detected": res.detected, "ms": res.seconds * 1000, "error": res.error,
                         "analytics": res.analytics}
        except Exception as exc:  # Pipeline already fails closed; this guards anything around it
            return obscure_frame(np.zeros(img.shape, np.uint8)), {"frame": -1, "regions": 0, "faces": 0,
                                                                  "detected": False, "ms": 0.0, "error": str(exc),
                                                                  "analytics": {}}

    def drain(self) -> list[dict]:
        """All results queued so far (non-blocking)."""
        items = []
        while True:
            try:
                items.append(self.results.get_nowait())
            except queue.Empty:
                return items


def webcam_streamer(key: str, pipeline_factory: Callable[[], Pipeline | tuple[Pipeline, Overlay] | None],
                    signature: str, show_raw: bool = False):
    """Render the webrtc widget. Returns (ctx, LiveAnonymizer); (None, None) when no pipeline could be built,
    (None, LiveAnonymizer) when WebRTC itself is unavailable (error shown).

    `signature` identifies the settings; a change swaps in a new pipeline from `pipeline_factory`, which
    may also return an Overlay to run after the pipeline: (pipeline, overlay)."""
    import streamlit as st
    from streamlit_webrtc import WebRtcMode, webrtc_streamer

    state_key = f"_anon_live_{key}"
    live, old_sig = st.session_state.get(state_key, (None, None))
    if live is None or old_sig != signature:
        made = pipeline_factory()
        if made is None:
            return None, None
        pipeline, overlay = made if isinstance(made, tuple) else (made, None)
        if live is None:
            live = LiveAnonymizer(pipeline, overlay=overlay)
        else:
            live.set_pipeline(pipeline, overlay)
        st.session_state[state_key] = (live, signature)
    live.show_raw = show_raw
    try:
        ctx = webrtc_streamer(
            key=key, mode=WebRtcMode.SENDRECV, rtc_configuration={"iceServers": []},
            media_stream_constraints={"video": {"width": {"ideal": 640}, "height": {"ideal": 480}}, "audio": False},
            video_frame_callback=live, async_processing=False,
            video_html_attrs={"autoPlay": True, "controls": False, "muted": True, "style": {"width": "100%"}},
        )
    except Exception as exc:  # no Streamlit server runtime (e.g. AppTest) or a broken WebRTC install
        st.error(f"The live webcam could not start here: {type(exc).__name__}: {exc}. "
                 "Run the app with `streamlit run Home.py` and open it in a browser.", icon=":material/videocam_off:")
        return None, live
    return ctx, live
