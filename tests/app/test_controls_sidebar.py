"""Sidebar zones and consent list (ui/controls.py) with AppTest."""

from __future__ import annotations

import cv2


def _run(at):
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_zones_typed_in_the_sidebar_reach_the_pipeline_and_never_zones_warn(new_app):
    at = _run(new_app())
    at.sidebar.text_area(key="anon_zones_text").set_value("always=0,0,0.5,0,0.5,1\nnever=0.5,0,1,0,1,1\nnope=1,2")
    _run(at)
    assert at.session_state["anon_settings"]["zones"] == ["always=0,0,0.5,0,0.5,1", "never=0.5,0,1,0,1,1"]
    assert any("NOT anonymized" in w.value for w in at.sidebar.warning)
    assert any("Zone not used" in e.value for e in at.sidebar.error)


def test_consent_photos_uploaded_in_the_sidebar_become_a_private_folder(new_app, people, app_tmp):
    from conftest import load_person_image

    img = load_person_image(people[0], "studio_portrait", max_side=400)
    ok, buf = cv2.imencode(".jpg", img)
    at = _run(new_app())
    at.sidebar.file_uploader(key="anon_consent_upload").set_value([("alice_1.jpg", buf.tobytes(), "image/jpeg")])
    _run(at)
    folder = at.session_state["anon_settings"]["keep_faces"]
    assert folder and str(app_tmp) in folder
    assert any("1 photo(s) of 1 person(s)" in i.value for i in at.sidebar.info)
