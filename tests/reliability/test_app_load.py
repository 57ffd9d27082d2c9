"""The app under load (issue #12): 8 browser sessions at once on one `streamlit run` server, each
uploading a different short clip.  All finish, none sees another's media, the sessions' temp folders
are removed, and the server's memory returns near its baseline afterwards.

Each clip has its own frame count (6..13) and its own colour mark, so a download that belongs to
another session is caught.  Figures (sessions, wall time, server RSS baseline/peak/after) are printed
and recorded in the README (section App, "Under load")."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import av
import numpy as np
import pytest
from conftest import load_person_image
from e2e.conftest import CHROMIUM, CHROMIUM_ARGS, ensure_chromium, free_port

from anon_core.media import VideoReader

pytestmark = pytest.mark.e2e
SESSIONS = 8
ROOT = Path(__file__).resolve().parents[2]
COLOURS = [(0, 0, 255), (0, 255, 0), (255, 0, 0), (0, 255, 255), (255, 0, 255), (255, 255, 0), (255, 255, 255),
           (0, 128, 255)]


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _clip(path: Path, face: np.ndarray, frames: int, colour) -> Path:
    """A 320x240 clip of a real (synthetic-person) face with a colour mark top-left."""
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=8)
        s.width, s.height, s.pix_fmt = 320, 240, "yuv420p"
        for i in range(frames):
            f = np.full((240, 320, 3), 70, np.uint8)
            f[40:200, 90 + i * 4 : 250 + i * 4] = face
            f[:24, :24] = colour
            for p in s.encode(av.VideoFrame.from_ndarray(f, format="bgr24")):
                c.mux(p)
        for p in s.encode(None):
            c.mux(p)
    return path


@pytest.fixture(scope="module")
def clips(tmp_path_factory, people):
    d = tmp_path_factory.mktemp("load-clips")
    face = load_person_image(people[1], "studio_portrait", max_side=160)[:160, :160]
    face = np.ascontiguousarray(np.pad(face, ((0, 160 - face.shape[0]), (0, 160 - face.shape[1]), (0, 0))))
    return [_clip(d / f"clip{i}.mp4", face, 6 + i, COLOURS[i]) for i in range(SESSIONS)]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    ensure_chromium()
    app_tmp = tmp_path_factory.mktemp("load-app-tmp")
    port = free_port()
    env = dict(os.environ, ANON_APP_TMP=str(app_tmp), PYTHONUNBUFFERED="1", PYTHONPATH=str(ROOT))
    log = open(app_tmp.parent / "streamlit-load.log", "w")
    # disconnected sessions are dropped after 2 s (default 120 s) so that their memory can be seen to return
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "Home.py", "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         "--server.disconnectedSessionTTL", "2"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("streamlit did not start: " + (app_tmp.parent / "streamlit-load.log").read_text())
            time.sleep(0.3)
        yield url, proc.pid, app_tmp
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _session(browser, url, clip):
    ctx = browser.new_context(viewport={"width": 1200, "height": 900}, accept_downloads=True)
    page = ctx.new_page()
    page.goto(url, wait_until="networkidle")
    page.get_by_text("Anonymize first").first.wait_for(timeout=120_000)
    page.locator('[data-testid="stMain"] input[type="file"]').set_input_files(str(clip))
    return ctx, page


def _finish(page, out: Path) -> None:
    page.get_by_text("Anonymized · frame").first.wait_for(timeout=600_000)
    button = page.get_by_role("button", name=re.compile("Anonymized file"))
    button.wait_for(timeout=60_000)
    with page.expect_download(timeout=120_000) as dl:
        button.click()
    dl.value.save_as(out)


def _wait_sessions_gone(browser, url: str, app_tmp: Path, timeout: float = 60) -> list[Path]:
    """Until no session folder is left.  Streamlit keeps a disconnected session for
    disconnectedSessionTTL (2 s here) and evicts it lazily, when the session store is next used: a
    short visit by a new browser session after the TTL does that."""
    root = app_tmp / "anonymize-first-app"
    time.sleep(2.5)
    ctx = browser.new_context()
    ctx.new_page().goto(url, wait_until="networkidle")
    ctx.close()
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        left = list(root.glob("session-*")) if root.exists() else []
        if not left:
            return []
        time.sleep(0.5)
    return left


def test_eight_sessions_at_once(server, clips, tmp_path):
    from playwright.sync_api import sync_playwright

    url, pid, app_tmp = server
    peak = {"mb": 0.0}
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak["mb"] = max(peak["mb"], _rss_mb(pid))
            time.sleep(0.1)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            # warm-up: one session loads the models and the page code; its state is dropped afterwards
            ctx, page = _session(browser, url, clips[0])
            _finish(page, tmp_path / "warm.mp4")
            ctx.close()
            assert _wait_sessions_gone(browser, url, app_tmp) == []
            time.sleep(3)
            baseline = _rss_mb(pid)

            threading.Thread(target=sample, daemon=True).start()
            start = time.monotonic()
            opened = [_session(browser, url, clip) for i, clip in enumerate(clips)]
            outs = []
            for i, (_, page) in enumerate(opened):
                outs.append(tmp_path / f"out{i}.mp4")
                _finish(page, outs[-1])
            wall = time.monotonic() - start
            for ctx, _ in opened:
                ctx.close()
            left = _wait_sessions_gone(browser, url, app_tmp)
        finally:
            browser.close()
    time.sleep(3)
    after = _rss_mb(pid)
    stop.set()
    print(f"\napp load: {SESSIONS} sessions, {wall:.1f} s wall, server RSS baseline {baseline:.0f} MB, "
          f"peak {peak['mb']:.0f} MB, after {after:.0f} MB")
    assert left == [], "every session's temp folder is removed once the session ends"

    # every session got its own media back: its frame count and its colour mark
    for i, out in enumerate(outs):
        with VideoReader(out) as r:
            frames = list(r.frames())
        assert len(frames) == 6 + i, f"session {i} received another session's video"
        mark = frames[0][4:20, 4:20].reshape(-1, 3).mean(axis=0)
        assert np.abs(mark - np.array(COLOURS[i])).max() < 40, f"session {i}: mark {mark} is not its own"
    # memory returns near the warm baseline: within a quarter of what the 8 sessions added at their peak
    grown = peak["mb"] - baseline
    assert after <= baseline + max(60.0, 0.25 * grown), (baseline, peak["mb"], after)
