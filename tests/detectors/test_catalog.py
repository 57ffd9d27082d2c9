"""Detector catalog and `anon models list|pull`."""

import json

import pytest

from anon_core.cli.main import main
from anon_core.detectors import DETECTORS, DetectorInfo, availability, create_detector, detector_info
from anon_core.registry import UnknownPartError

STATES = {"embedded", "downloaded", "missing"}


def test_every_name_has_info_and_a_state():
    names = DETECTORS.names()
    assert {"centerface", "dlib-hog", "dlib-cnn", "hog", "yolox-nano", "fasterrcnn-v2", "keypointrcnn"} <= set(names)
    for name in names:
        info = detector_info(name)
        assert isinstance(info, DetectorInfo) and info.name == name
        assert info.targets and info.source in {"embedded", "download", "torchvision"} and info.licence
        assert 0 <= info.default_threshold <= 1
        state = availability(name)
        assert state in STATES
        assert (state == "embedded") == (info.source == "embedded" and state != "missing")


def test_embedded_detectors_are_available_here():
    for name in ("centerface", "dlib-hog", "dlib-cnn", "hog"):
        assert availability(name) == "embedded"


def test_downloaded_state_follows_the_model_dir(model_dir):
    assert availability("yolox-nano") == "downloaded"
    assert availability("yolox-m") == "missing"


def test_unknown_name_is_a_clear_error():
    with pytest.raises(UnknownPartError, match="unknown detector 'facefinder'; choose one of: centerface"):
        create_detector("facefinder")
    with pytest.raises(UnknownPartError, match="choose one of"):
        availability("facefinder")


def test_models_list_json(model_dir, capsys):
    assert main(["models", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == DETECTORS.names()
    by_name = {r["name"]: r for r in rows}
    assert by_name["yolox-nano"]["status"] == "downloaded" and by_name["yolox-s"]["status"] == "missing"
    assert by_name["centerface"]["status"] == "embedded" and by_name["centerface"]["finds"] == "face"
    assert by_name["hog"]["weak"] and by_name["maskrcnn-v2"]["extras"] == ["masks"]


def test_models_list_table(capsys):
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split()[:4] == ["NAME", "FINDS", "SOURCE", "STATUS"]
    assert "dlib-hog" in out and "weak:" in out


def test_models_pull(model_dir, capsys):
    assert main(["models", "pull", "centerface", "yolox-nano"]) == 0
    out = capsys.readouterr().out
    assert "centerface: already embedded" in out and f"yolox-nano: already in {model_dir}" in out
    assert main(["models", "pull", "no-such-model"]) == 2
    assert "unknown model 'no-such-model'" in capsys.readouterr().err
