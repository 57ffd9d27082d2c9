"""Home page logic with Streamlit's AppTest: sidebar, uploads (image, video, corrupt), missing models,
settings kept across pages, session isolation, policy upload."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from anon_core.detectors import create_detector

RESULT = "_anon_result_home"


@pytest.fixture(scope="module")
def centerface():
    return create_detector("centerface")


def _run(at):
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _upload(at, name: str, data: bytes, mime: str):
    at.file_uploader(key="home_upload").set_value((name, data, mime))
    return _run(at)


def _texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def test_home_renders_with_badges_and_no_media(new_app):
    at = _run(new_app())
    assert "embedded" in _texts(at.sidebar.markdown)  # CenterFace badge
    assert at.sidebar.selectbox(key="anon_w_face_detector").value == "centerface"
    assert "Choose an input above" in _texts(at.info)
    assert not at.error


def test_image_upload_side_by_side_is_anonymized(new_app, face_jpeg, centerface, app_tmp):
    raw = cv2.imdecode(np.frombuffer(face_jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert len(centerface(raw)) >= 1
    at = _upload(_run(new_app()), "me.jpg", face_jpeg, "image/jpeg")
    assert not at.error, _texts(at.error)
    res = at.session_state[RESULT]
    assert len(at.get("image")) == 1  # anonymized: st.image; raw: embedded in the page, no media URL
    assert 'class="anon-raw"' in _texts(at.markdown) and "data:image/jpeg;base64," in _texts(at.markdown)
    assert [b.label for b in at.get("download_button")] == ["Anonymized file", "JSON audit report"]
    out = cv2.imread(str(res.output))
    assert out.shape == raw.shape and len(centerface(out)) == 0
    assert res.regions >= 1
    report = json.loads(res.report_path.read_text())
    assert report["summary"]["regions"] == res.regions
    # the upload's copy is deleted right after processing; the result lives in the session folder
    sessions = list((app_tmp / "anonymize-first-app").glob("session-*"))
    assert len(sessions) == 1 and not list(sessions[0].glob("in-*"))
    assert res.output.is_relative_to(sessions[0])


def test_corrupt_upload_shows_error_and_app_keeps_working(new_app, face_jpeg, app_tmp):
    at = _upload(_run(new_app()), "broken.mp4", b"this is not a video" * 50, "video/mp4")
    assert "**broken.mp4** could not be processed: broken.mp4: not a readable video" in _texts(at.error)
    assert str(app_tmp) not in _texts(at.error)  # no server paths shown
    assert RESULT not in at.session_state
    at = _upload(at, "junk.png", b"\x89PNG but not really", "image/png")
    assert "**junk.png** could not be processed" in _texts(at.error)
    at = _upload(at, "fine.jpg", face_jpeg, "image/jpeg")
    assert not at.error and at.session_state[RESULT].regions >= 1


def test_video_upload_progress_previews_and_report(new_app, small_clip, centerface):
    data = small_clip.read_bytes()
    at = _upload(_run(new_app()), "clip.mp4", data, "video/mp4")
    assert not at.error, _texts(at.error)
    res = at.session_state[RESULT]
    frames = res.summary["frames"]
    assert frames == 6 and len(res.per_frame) == frames
    assert [m.value for m in at.metric][0] == str(frames)
    indices = [p[0] for p in res.previews]
    assert indices == list(range(frames))  # short clip: every frame previewed
    for _, raw, anon in res.previews:
        assert raw.shape == anon.shape and (raw != anon).any()
        assert len(centerface(cv2.cvtColor(anon, cv2.COLOR_RGB2BGR))) == 0
    slider = at.select_slider(key="home_frame")
    slider.set_value(indices[-1])
    at = _run(at)
    captions = [c for el in at.get("image") for c in el.captions]
    assert f"Anonymized · frame {indices[-1]}" in captions
    assert f"Raw · frame {indices[-1]}</figcaption>" in _texts(at.markdown)
    assert at.session_state[RESULT] is res  # the slider does not reprocess


def test_missing_model_shows_badge_and_error(new_app, tmp_path, monkeypatch, face_jpeg):
    monkeypatch.setenv("ANON_MODEL_DIR", str(tmp_path / "empty-models"))
    at = _run(new_app())
    at.multiselect(key="anon_w_targets").set_value(["person"])
    at = _run(at)
    assert at.sidebar.selectbox(key="anon_w_person_detector").value == "yolox-nano-hd"  # the default person path
    assert "missing" in _texts(at.sidebar.markdown)
    at = _upload(at, "me.jpg", face_jpeg, "image/jpeg")
    assert "Model missing" in _texts(at.error) and "anon models pull yolox-nano" in _texts(at.error)
    at.sidebar.selectbox(key="anon_w_person_detector").set_value("hog")
    at = _run(at)
    assert not at.error
    assert "weak" in _texts(at.sidebar.markdown)


def test_settings_persist_across_pages(new_app):
    at = _run(new_app())
    at.selectbox(key="anon_w_method").set_value("pixelate")
    at.select_slider(key="anon_w_detect_every").set_value(3)
    at = _run(at)
    at.switch_page("pages/5_Privacy.py")
    at = _run(at)
    at.switch_page("Home.py")
    at = _run(at)
    assert at.selectbox(key="anon_w_method").value == "pixelate"
    assert at.select_slider(key="anon_w_detect_every").value == 3


def test_policy_upload(new_app):
    at = _run(new_app())
    at.sidebar.file_uploader(key="anon_policy_upload").set_value(
        ("p.yaml", b"face: {method: fill}\nperson: {method: pixelate}\n", "application/x-yaml"))
    at = _run(at)
    assert "Policy **p.yaml** active" in _texts(at.sidebar.success)
    from ui.sidebar import config_from

    cfg = config_from(at.session_state["anon_settings"])
    assert cfg.targets == ("person", "face") or set(cfg.targets) == {"face", "person"}
    assert cfg.build_policy().rules["face"].method == "fill"
    at.sidebar.file_uploader(key="anon_policy_upload").set_value(("bad.yaml", b"face: {method: nope}", "text/yaml"))
    at = _run(at)
    assert "unknown method 'nope'" in _texts(at.sidebar.error)


def test_two_sessions_do_not_share_media(new_app, face_jpeg, small_clip):
    a, b = _run(new_app()), _run(new_app())
    a = _upload(a, "a.jpg", face_jpeg, "image/jpeg")
    b = _upload(b, "b.mp4", small_clip.read_bytes(), "video/mp4")
    ra, rb = a.session_state[RESULT], b.session_state[RESULT]
    assert ra.output.parent.parent != rb.output.parent.parent  # different private session folders
    assert ra.name == "a.jpg" and rb.name == "b.mp4"
    a = _run(a)
    assert a.session_state[RESULT] is ra


def test_webcam_page_builds_pipeline_from_shared_settings(new_app):
    at = _run(new_app())
    at.selectbox(key="anon_w_method").set_value("fill")
    at = _run(at)
    at.switch_page("pages/1_Webcam.py")
    at = _run(at)
    assert at.selectbox(key="anon_w_method").value == "fill"
    assert not at.toggle(key="webcam_raw").value  # raw is off unless asked for
    # AppTest has no server runtime for WebRTC (the browser test covers streaming): a clear message, no crash
    assert "streamlit run Home.py" in _texts(at.error)
    live, _ = at.session_state["_anon_live_webcam"]
    assert live.show_raw is False and live._pipeline.config.method == "fill"


def test_upload_over_the_size_limit_is_refused_with_the_setting_named(new_app, face_jpeg, monkeypatch):
    import ui.inputs

    at = _run(new_app())
    monkeypatch.setattr(ui.inputs, "upload_limit_mb", lambda: 0)
    at = _upload(at, "big.jpg", face_jpeg, "image/jpeg")
    assert "the limit is 0 MB" in _texts(at.error) and "server.maxUploadSize" in _texts(at.error)
    assert RESULT not in at.session_state
