"""The app under load (issue #12): 8 browser sessions at once on one `streamlit run` server, each
uploading a different short clip.  All finish, none sees another's media, the sessions' temp folders
are removed, and the server's memory returns near its baseline afterwards.

Each clip has its own frame count (6..13) and its own colour mark, so a download that belongs to
another session is caught.  Figures (sessions, wall time, server RSS baseline/peak/after) are printed
and recorded in the README (section App, "Under load")."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import av
import numpy as np
import pytest
from conftest import load_person_image
from e2e.conftest import CHROMIUM, CHROMIUM_ARGS, streamlit_server

from anon_core.media import VideoReader

pytestmark = pytest.mark.e2e
SESSIONS = 8
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
    app_tmp = tmp_path_factory.mktemp("load-app-tmp")
    # disconnected sessions are dropped after 2 s (default 120 s) so that their memory can be seen to return
    # glibc gives each busy thread its own malloc arena and keeps freed memory there: with 2 arenas
    # (as a deployment would set) the memory of finished sessions can be seen to go back
    with streamlit_server(app_tmp, "--server.disconnectedSessionTTL", "2", log_name="streamlit-load.log",
                          env={"MALLOC_ARENA_MAX": "2"}) as (url, p):
        yield url, p.pid, app_tmp


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


def _round(browser, url, clips, tmp_path, tag: str) -> tuple[float, list[Path]]:
    start = time.monotonic()
    opened = [_session(browser, url, clip) for clip in clips]
    outs = []
    for i, (_, page) in enumerate(opened):
        outs.append(tmp_path / f"{tag}{i}.mp4")
        _finish(page, outs[-1])
    wall = time.monotonic() - start
    for ctx, _ in opened:
        ctx.close()
    return wall, outs


def _check_own_media(outs: list[Path]) -> None:
    """Every session got its own media back: its frame count and its colour mark."""
    for i, out in enumerate(outs):
        with VideoReader(out) as r:
            frames = list(r.frames())
        assert len(frames) == 6 + i, f"session {i} received another session's video"
        mark = frames[0][4:20, 4:20].reshape(-1, 3).mean(axis=0)
        assert np.abs(mark - np.array(COLOURS[i])).max() < 40, f"session {i}: mark {mark} is not its own"


@pytest.mark.slow  # ~4 min on the shared 2 cores: two rounds of 8 browser sessions
def test_eight_sessions_at_once(server, clips, tmp_path):
    # Playwright's sync API refuses to run in a thread with a running asyncio loop, and an earlier test
    # in the same pytest process can leave one in the main thread: drive the browser from a fresh thread.
    box = {}

    def run():
        try:
            box["result"] = _load_rounds(server, clips, tmp_path)
        except BaseException as exc:  # re-raised in the test's thread below
            box["error"] = exc

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    if "error" in box:
        raise box["error"]
    baseline, after = box["result"]
    # memory returns to the warm baseline once the sessions are gone (measured +3 MB after each round of 8;
    # before the app handed freed heap back with malloc_trim it stayed ~45 MB above)
    assert after[0] <= baseline + 15, (baseline, after)
    assert after[1] <= baseline + 15, (baseline, after)


def _load_rounds(server, clips, tmp_path) -> tuple[float, list[float]]:
    """Warm-up session, then two rounds of SESSIONS sessions at once; (baseline RSS, RSS after each round)."""
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
            after = []
            for tag in ("a", "b"):  # two rounds: memory that is kept for reuse plateaus, a leak grows
                wall, outs = _round(browser, url, clips, tmp_path, tag)
                left = _wait_sessions_gone(browser, url, app_tmp)
                time.sleep(3)
                after.append(_rss_mb(pid))
                print(f"\napp load round {tag}: {SESSIONS} sessions, {wall:.1f} s wall, server RSS baseline "
                      f"{baseline:.0f} MB, peak so far {peak['mb']:.0f} MB, after {after[-1]:.0f} MB")
                assert left == [], "every session's temp folder is removed once the session ends"
                _check_own_media(outs)
        finally:
            stop.set()
            browser.close()
    return baseline, after
