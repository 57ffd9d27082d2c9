"""End to end in a real browser: upload a synthetic clip, download the anonymized result and check with
CenterFace that no face is left; open the webcam page with chromium's fake camera and check that
anonymized frames (not raw ones) arrive."""

from __future__ import annotations

import re

import cv2
import pytest
from e2e.helpers import download, start_camera, stop_camera, video_frame

from anon_core.media import VideoReader, probe

pytestmark = pytest.mark.e2e
TIMEOUT_MS = 150_000


@pytest.fixture(scope="module")
def faces_clip():
    from anon_core.synth import ensure_sample

    return ensure_sample("faces", seed=0, seconds=1.5, fps=8, size=(480, 360)).video


def _frames(path):
    with VideoReader(path) as reader:
        return list(reader.frames())


def test_upload_clip_download_is_anonymized(browser, streamlit_url, faces_clip, centerface, tmp_path, app_tmp,
                                            screenshot_dir):
    raw_faces = [len(centerface(f)) for f in _frames(faces_clip)]
    assert min(raw_faces) >= 1, "the synthetic input must show faces for this test to mean anything"

    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    other = browser.new_context()
    try:
        page = context.new_page()
        page.goto(streamlit_url, wait_until="networkidle")
        page.get_by_text("Anonymize first").first.wait_for(timeout=60_000)
        page.locator('[data-testid="stMain"] input[type="file"]').set_input_files(str(faces_clip))
        page.get_by_text("Anonymized · frame").first.wait_for(timeout=TIMEOUT_MS)
        out = download(page, re.compile("Anonymized file"), tmp_path / "downloaded.mp4",
                       screenshot_dir / "home_result.png" if screenshot_dir else None, timeout_ms=30_000)

        # The upload's temporary copy is gone once processing ended; only the result folder is left.
        sessions = list((app_tmp / "anonymize-first-app").glob("session-*"))
        assert sessions and not any(d.name.startswith("in-") for s in sessions for d in s.iterdir())

        # A second browser session sees none of this session's media.
        page2 = other.new_page()
        page2.goto(streamlit_url, wait_until="networkidle")
        page2.get_by_text("Choose an input above").wait_for(timeout=60_000)
        assert page2.get_by_role("button", name=re.compile("Anonymized file")).count() == 0
    finally:
        context.close()
        other.close()

    info_in, info_out = probe(faces_clip), probe(out)
    assert (info_out.width, info_out.height) == (info_in.width, info_in.height)
    out_frames = _frames(out)
    assert len(out_frames) == len(raw_faces)
    assert [len(centerface(f)) for f in out_frames] == [0] * len(out_frames)


def test_webcam_streams_anonymized_frames(browser, streamlit_url, camera_clip, centerface, screenshot_dir):
    _, cam_frames = camera_clip
    assert min(len(centerface(f)) for f in cam_frames) >= 1, "the fake camera must show a face"
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        page.goto(f"{streamlit_url}/Webcam", wait_until="networkidle")
        webrtc = start_camera(page)
        metric = page.locator('[data-testid="stMetric"]').filter(has_text="Frames anonymized")
        metric.wait_for(timeout=TIMEOUT_MS)
        page.wait_for_function(
            "() => [...document.querySelectorAll('[data-testid=stMetric]')].some("
            "m => m.innerText.includes('Frames anonymized') && parseInt(m.innerText.split('\\n').pop()) >= 3)",
            timeout=TIMEOUT_MS)
        shot = video_frame(webrtc)
        if screenshot_dir:
            page.screenshot(path=str(screenshot_dir / "webcam.png"), full_page=True)
        stop_camera(webrtc)
    finally:
        context.close()
    gray = cv2.cvtColor(shot, cv2.COLOR_BGR2GRAY)
    assert gray.std() > 20, "the stream shows image content (not only the 'not ready' mask)"
    assert len(centerface(shot)) == 0, "a face reached the browser"
