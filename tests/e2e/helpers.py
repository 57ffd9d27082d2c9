"""Browser steps shared by the e2e tests (fixtures live in conftest.py)."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np

WEBRTC = "iframe[title*='streamlit_webrtc']"


def start_camera(page, timeout_ms: int = 60_000):
    """Press the webcam component's START; returns its frame locator (for video_frame / stop_camera)."""
    webrtc = page.frame_locator(WEBRTC)
    webrtc.get_by_role("button", name=re.compile("start", re.I)).click(timeout=timeout_ms)
    return webrtc


def stop_camera(webrtc) -> None:
    webrtc.get_by_role("button", name=re.compile("stop", re.I)).click(timeout=30_000)


def video_frame(webrtc) -> np.ndarray:
    """The frame the browser shows in the component's <video> (what left the server), as BGR."""
    png = webrtc.locator("video").screenshot(timeout=30_000)
    img = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    assert img is not None
    return img


def download(page, button_name, dest: Path, screenshot: Path | None = None, timeout_ms: int = 150_000) -> Path:
    """Wait for the download button `button_name` (str or regex), optionally screenshot the full page,
    press it and save the file to `dest`."""
    button = page.get_by_role("button", name=button_name)
    button.wait_for(timeout=timeout_ms)
    if screenshot is not None:
        page.screenshot(path=str(screenshot), full_page=True)
    with page.expect_download(timeout=60_000) as dl:
        button.click()
    dl.value.save_as(dest)
    return dest
