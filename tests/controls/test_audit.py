"""`anon audit`: flags frames where a face remains visible, not frames where faces were anonymized."""

import json

import pytest
from conftest import isolated_sample

from anon_core.audit import frame_ranges
from anon_core.cli.main import main


@pytest.fixture(scope="module")
def webcam(tmp_path_factory):
    return isolated_sample(tmp_path_factory, "webcam", seed=0, seconds=1.0)


def test_faces_deliberately_missed_are_all_flagged(webcam, tmp_path, capsys):
    """Threshold 0.99: the pipeline misses every face; the audit flags every frame as face visible."""
    out, audit = tmp_path / "missed.mp4", tmp_path / "audit.json"
    assert main(["video", str(webcam.video), "-o", str(out), "--threshold", "0.99", "--no-progress"]) == 0
    rc = main(["audit", str(webcam.video), str(out), "--json", str(audit), "--no-progress"])
    assert rc == 1
    data = json.loads(audit.read_text())
    assert data["frames"] == data["checked"] > 0
    assert len(data["visible"]) == data["frames"], "every frame shows the missed face"
    assert "face may be visible: frames 0-" in capsys.readouterr().out


def test_properly_anonymized_output_has_no_visible_face(webcam, tmp_path, capsys):
    out, rep, audit = tmp_path / "anon.mp4", tmp_path / "r.json", tmp_path / "audit.json"
    assert main(["video", str(webcam.video), "-o", str(out), "--report", str(rep), "--no-progress"]) == 0
    rc = main(["audit", str(webcam.video), str(out), "--report", str(rep), "--json", str(audit), "--no-progress"])
    data = json.loads(audit.read_text())
    assert data["visible"] == {}
    assert rc == (1 if data["uncertain"] else 0)


def test_bad_input_is_exit_2(webcam, tmp_path, capsys):
    other = tmp_path / "not.txt"
    other.write_text("hello")
    assert main(["audit", str(webcam.video), str(other), "--no-progress"]) == 2
    assert main(["audit", str(webcam.video), str(webcam.video), "--detector", "hog", "--no-progress"]) == 2


def test_frame_ranges():
    assert frame_ranges([9, 3, 4, 5, 11]) == "3-5, 9, 11" and frame_ranges([]) == ""
