"""The Person counting page's live webcam mode in a real browser (chromium's fake camera plays a synthetic
face clip): the stream that comes back is anonymized and carries the live count, the counts panel fills
with numbers and the page says its verdict.  The stream runs the plain Pipeline with the counting analyzer
plugged in (issue #15), so this is that path end to end, WebRTC included."""

from __future__ import annotations

import cv2
import pytest
from e2e.helpers import start_camera, stop_camera, video_frame

pytestmark = pytest.mark.e2e
TIMEOUT_MS = 180_000  # first frames need both models loaded, under 2-core contention


@pytest.fixture(scope="module")
def counting_url(serve_app, tmp_path_factory, yolox_nano_path):
    models = tmp_path_factory.mktemp("models")
    (models / "yolox_nano.onnx").symlink_to(yolox_nano_path)
    with serve_app(tmp_path_factory.mktemp("count-app-tmp"), log_name="streamlit-count-live.log",
                   env={"ANON_MODEL_DIR": str(models)}) as (url, _):
        yield url


def test_live_counting_streams_anonymized_frames_with_counts(browser, counting_url, camera_clip, centerface,
                                                             screenshot_dir):
    _, cam_frames = camera_clip
    assert min(len(centerface(f)) for f in cam_frames) >= 1, "the fake camera must show a face"
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        page.goto(f"{counting_url}/Person_counting", wait_until="networkidle")
        page.get_by_text("Live webcam").first.click()
        page.get_by_text("Anonymized (what leaves the camera)").wait_for(timeout=60_000)
        webrtc = start_camera(page)
        page.locator('[data-testid="stMetric"]').filter(has_text="Persons now, anonymized").wait_for(
            timeout=TIMEOUT_MS)
        verdict = page.locator('[data-testid="stAlert"]').filter(has_text="counting on anonymized stream")
        verdict.wait_for(timeout=30_000)
        shot = video_frame(webrtc)
        if screenshot_dir:
            page.screenshot(path=str(screenshot_dir / "counting_live.png"), full_page=True)
        stop_camera(webrtc)
    finally:
        context.close()
    assert cv2.cvtColor(shot, cv2.COLOR_BGR2GRAY).std() > 20, "the stream shows image content, not the mask"
    assert len(centerface(shot)) == 0, "a face reached the browser"
