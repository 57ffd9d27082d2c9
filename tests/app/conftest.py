"""AppTest fixtures: each test gets a private app temp root (ANON_APP_TMP) and small media."""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest
from conftest import load_person_image

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def app_tmp(tmp_path, monkeypatch) -> Path:
    d = tmp_path / "app-tmp"
    monkeypatch.setenv("ANON_APP_TMP", str(d))
    monkeypatch.setenv("ANON_APP_SAMPLE_SECONDS", "2")  # short generated samples keep page tests quick
    return d


@pytest.fixture()
def new_app(app_tmp):
    from streamlit.testing.v1 import AppTest

    def make(page: str = "Home.py") -> AppTest:
        at = AppTest.from_file(str(ROOT / page), default_timeout=120)
        return at

    return make


@pytest.fixture(scope="session")
def face_jpeg(people) -> bytes:
    """A photo of one person (openpeople), JPEG bytes as a browser would upload them."""
    img = load_person_image(people[1], "studio_portrait", max_side=480)
    ok, buf = cv2.imencode(".jpg", img)
    assert ok
    return buf.tobytes()


@pytest.fixture(scope="session")
def small_clip() -> Path:
    from anon_core.synth import ensure_sample

    return ensure_sample("faces", seed=0, seconds=1.0, fps=6, size=(320, 240)).video
