"""Every page with Streamlit's AppTest: a bad file gives the one shared message (no crash page, no server
path, no progress bar left), results survive sidebar changes, verdicts and raw | anonymized are shown."""

from __future__ import annotations

import hashlib
import json
import re

import numpy as np
import pytest

from ui.feedback import BAD_FILE_HELP

FAKE = b"this is a text file, not a video\n" * 40
# (page, uploader key, button to press after the upload or None, name)
UPLOAD_PAGES = [
    ("Home.py", "home_upload", None),
    ("pages/2_Industrial_tracking.py", "track_upload", "track_go"),
    ("pages/3_Age_sex_emotion.py", "attributes_upload", "attributes_go"),
    ("pages/4_Person_counting.py", "count_upload", "count_go"),
]
SERVER_PATH = re.compile(r"/(tmp|root|home|work|usr|var)/|session-|anonymize-first-app")


def _run(at):
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def _all_text(at) -> str:
    return "\n".join(_texts(at.get(kind)) for kind in ("markdown", "error", "warning", "info", "caption", "success"))


def _audit_matches(video, report_name: str) -> None:
    """The showcase clip's audit report (offered for download next to it) describes exactly that file."""
    audit = json.loads(video.with_name(report_name).read_text())
    assert audit["output"]["sha256"] == hashlib.sha256(video.read_bytes()).hexdigest()
    assert audit["summary"]["frames"] == len(audit["frames"]) > 0


def _sample_result(at, mode_key: str, go_key: str, *setup):
    """Pick the page's sample, apply `setup` ((widget kind, key, value), ...), press its run button."""
    at.segmented_control(key=mode_key).set_value("sample")
    at = _run(at)
    for kind, key, value in setup:
        getattr(at, kind)(key=key).set_value(value)
    if setup:
        at = _run(at)
    at.button(key=go_key).click()
    return _run(at)


def _raw_and_anonymized_shown(at) -> None:
    assert 'class="anon-raw"' in _texts(at.markdown)  # raw still embedded (no media URL)
    assert any("Anonymized" in c for el in at.get("image") for c in el.captions)
    assert not SERVER_PATH.search(_all_text(at))


def _survives_sidebar_change(at, result_key: str, kind: str, key: str, value):
    """A sidebar change keeps the result on screen (the same stored object), marked stale."""
    stored = at.session_state[f"_anon_page_result_{result_key}"]
    getattr(at, kind)(key=key).set_value(value)
    at = _run(at)
    assert at.session_state[f"_anon_page_result_{result_key}"] is stored
    assert "Settings changed since this result" in _texts(at.info)
    return at


@pytest.mark.parametrize(("page", "uploader", "button"), UPLOAD_PAGES)
def test_bad_file_gives_the_shared_message(page, uploader, button, new_app, app_tmp, model_dir):
    at = _run(new_app(page))
    at.file_uploader(key=uploader).set_value(("fake.mp4", FAKE, "video/mp4"))
    at = _run(at)
    if button is not None:
        at.button(key=button).click()
        at = _run(at)
    errors = _texts(at.error)
    assert "**fake.mp4** could not be processed" in errors and BAD_FILE_HELP in errors, errors
    assert not SERVER_PATH.search(_all_text(at)), _all_text(at)
    assert str(app_tmp) not in _all_text(at)
    assert not at.get("progress"), "a progress bar was left under the error"
    prefixes = ("track-", "count-", "attr-", "in-")
    left = [d.name for d in app_tmp.rglob("*") if d.is_dir() and d.name.startswith(prefixes)]
    assert not left, f"half-written output folders kept: {left}"


def test_bad_json_on_the_benchmark_page(new_app):
    at = _run(new_app("pages/9_Benchmark.py"))
    at.segmented_control(key="bench_source").set_value("json")
    at = _run(at)
    at.file_uploader(key="bench_json").set_value(("result.json", b"{not json", "application/json"))
    at = _run(at)
    assert "**result.json** could not be processed" in _texts(at.error)
    assert not SERVER_PATH.search(_all_text(at))


def test_benchmark_opens_with_the_stored_table(new_app):
    at = _run(new_app("pages/9_Benchmark.py"))
    assert "TUD-Campus (stored result)" in _texts(at.subheader)
    assert "Verdict:" in _texts(at.success) + _texts(at.warning)
    table = at.dataframe[0].value
    assert {"name", "fps", "recall90", "count_rmse"} <= set(table.columns) and len(table) >= 4
    assert not SERVER_PATH.search(_all_text(at))


def test_benchmark_sample_shows_raw_and_anonymized_frame(new_app, model_dir):
    """A benchmark run on the walkway sample: the table, and raw (with its ground truth) | anonymized of the
    middle scored frame; the anonymized still covers the ground-truth people the raw one shows."""
    at = _sample_result(_run(new_app("pages/9_Benchmark.py")), "bench_source", "bench_go",
                        ("number_input", "bench_max", 4))
    assert "walkway sample: 4 frames" in _texts(at.subheader)
    assert "Verdict:" in _texts(at.success) + _texts(at.warning)
    _raw_and_anonymized_shown(at)
    assert "ground-truth boxes in green" in _texts(at.markdown)
    assert any("Anonymized by yolox-nano" in c for el in at.get("image") for c in el.captions)
    stills = at.session_state["_anon_page_result_bench"].value["preview"]
    assert stills["frame"] == 2 and stills["boxes"] >= 1 and stills["raw"].shape == stills["anon"].shape
    changed = np.abs(stills["raw"].astype(int) - stills["anon"]).max(axis=2) > 30
    assert 0.002 < changed.mean() < 0.6, changed.mean()  # the people anonymized, not the whole frame


def test_counting_sample_verdict_side_by_side_and_survives_sidebar(new_app, model_dir):
    at = _sample_result(_run(new_app("pages/4_Person_counting.py")), "count_mode", "count_go")
    verdicts = _texts(at.success) + _texts(at.warning)
    assert "counting on anonymized video" in verdicts and "vs raw" in verdicts, verdicts
    _raw_and_anonymized_shown(at)
    assert "utility retained" not in _all_text(at).lower()
    before = at.session_state["_anon_page_result_count"]
    audit = json.loads(before.value["audit"].read_text())  # the counted video's audit report, offered for download
    assert audit["output"]["sha256"] == hashlib.sha256(before.value["video"].read_bytes()).hexdigest()
    assert audit["analytics"]["person_count"]["frames_counted"] == audit["summary"]["frames"] > 0
    at = _survives_sidebar_change(at, "count", "toggle", "anon_w_custom_threshold", True)
    assert "counting on anonymized video" in _texts(at.success) + _texts(at.warning)


def test_attributes_deboarding_sample_end_to_end_and_survives_sidebar(new_app):
    at = _run(new_app("pages/3_Age_sex_emotion.py"))
    at.segmented_control(key="attributes_mode").set_value("sample")
    at = _run(at)
    assert "deboarding" in at.selectbox(key="attributes_sample").options[-1].lower()
    at = _sample_result(at, "attributes_mode", "attributes_go", ("selectbox", "attributes_sample", "deboarding"),
                        ("selectbox", "attributes_method", "blur"),  # the quick methods keep this test short
                        ("multiselect", "attributes_compared", ["blur", "pixelate"]))
    verdicts = _texts(at.success) + _texts(at.warning)
    assert "of faces are re-identified" in verdicts and "emotion read on anonymized passengers" in verdicts
    assert "Deboarding passengers" in _texts(at.subheader)
    _raw_and_anonymized_shown(at)
    _audit_matches(at.session_state["_anon_page_result_attributes"].value["video"], "anonymized-report.json")
    # the shared sidebar's threshold (the same setting as on every page)
    at = _survives_sidebar_change(at, "attributes", "toggle", "anon_w_custom_threshold", True)
    assert at.session_state["anon_settings"]["custom_threshold"] is True
    assert "Deboarding passengers" in _texts(at.subheader)
    assert "CenterFace's 5 landmarks" in _texts(at.sidebar.caption)


def test_deboarding_sample_only_on_the_attributes_page(new_app):
    at = _run(new_app("Home.py"))
    at.segmented_control(key="home_mode").set_value("sample")
    at = _run(at)
    assert "deboarding" not in at.selectbox(key="home_sample").options


def test_webcam_page_defaults_to_auto_without_changing_other_pages(new_app):
    at = _run(new_app("pages/1_Webcam.py"))
    assert at.select_slider(key="anon_w_detect_every").value == "auto"
    assert at.session_state["anon_settings"]["detect_every"] == 1  # the shared setting is untouched
    at.select_slider(key="anon_w_detect_every").set_value(2)  # the user's pick wins from then on
    at = _run(at)
    assert at.select_slider(key="anon_w_detect_every").value == 2
    assert at.session_state["anon_settings"]["detect_every"] == 2


def test_tracking_sample_verdict_side_by_side_no_dock_zone_on_uploads(new_app, model_dir, small_clip):
    at = _sample_result(_run(new_app("pages/2_Industrial_tracking.py")), "track_mode", "track_go")
    verdicts = _texts(at.success) + _texts(at.warning)
    assert "tracking on anonymized video" in verdicts or "tracks on anonymized video" in verdicts, verdicts
    _raw_and_anonymized_shown(at)
    assert "dock" in _texts(at.caption)  # the sample's own zone, said so
    _audit_matches(at.session_state["_anon_page_result_track"].value["video"], "tracked-report.json")
    at = _survives_sidebar_change(at, "track", "slider", "track_trail", 10)
    # an upload gets no zone unless the user writes one (the dock belongs to the sample's 960x540 floor)
    at.segmented_control(key="track_mode").set_value("upload")
    at = _run(at)
    at.file_uploader(key="track_upload").set_value(("clip.mp4", small_clip.read_bytes(), "video/mp4"))
    at = _run(at)
    assert "dock" not in _texts(at.caption)
    at.button(key="track_go").click()
    at = _run(at)
    assert not at.error, _texts(at.error)
    report = at.session_state["_anon_page_result_track"].value["report"]
    assert all(not s.get("zones") for s in report["sides"].values())
