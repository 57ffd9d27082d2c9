"""`anon audit`: flags frames where a face remains visible, not frames where faces were anonymized."""

import json

import pytest
from conftest import isolated_sample

from anon_core.audit import frame_ranges
from anon_core.cli.main import main
from anon_core.media import open_source


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


def test_json_never_replaces_an_input_or_a_file_it_did_not_write(webcam, tmp_path, capsys):
    out = tmp_path / "anon.mp4"
    assert main(["video", str(webcam.video), "-o", str(out), "--no-progress"]) == 0
    before = out.read_bytes()
    # `--json` naming the anonymized video used to write the findings over it
    assert main(["audit", str(webcam.video), str(out), "--json", str(out), "--no-progress"]) == 2
    assert "would overwrite an input" in capsys.readouterr().err
    assert out.read_bytes() == before
    mine = tmp_path / "notes.json"
    mine.write_text("mine")
    assert main(["audit", str(webcam.video), str(out), "--json", str(mine), "--no-progress"]) == 2
    assert mine.read_text() == "mine"
    assert main(["audit", str(webcam.video), str(out), "--json", str(mine), "--overwrite", "--no-progress"]) == 0
    assert json.loads(mine.read_text())["checked"] == json.loads(mine.read_text())["frames"] > 0


def test_progress_bar_has_the_frame_total(webcam, tmp_path, capsys):
    out = tmp_path / "anon.mp4"
    assert main(["video", str(webcam.video), "-o", str(out), "--no-progress"]) == 0
    capsys.readouterr()
    main(["audit", str(webcam.video), str(out)])
    frames = sum(1 for _ in open_source(str(out)).frames())
    assert f"{frames}/{frames}" in capsys.readouterr().err


def test_the_report_of_another_input_is_refused(webcam, tmp_path, capsys):
    """Another clip's report was read silently: its low scores and track gaps became this clip's
    'uncertain' frames.  The report names its input by sha256; a different one is exit 2."""
    out, rep = tmp_path / "anon.mp4", tmp_path / "r.json"
    assert main(["video", str(webcam.video), "-o", str(out), "--report", str(rep), "--no-progress"]) == 0
    other = json.loads(rep.read_text())
    other["input"]["sha256"] = "0" * 64
    other_rep = tmp_path / "other.json"
    other_rep.write_text(json.dumps(other))
    capsys.readouterr()
    assert main(["audit", str(webcam.video), str(out), "--report", str(other_rep), "--no-progress"]) == 2
    assert "this report is of another input" in capsys.readouterr().err
    assert main(["audit", str(webcam.video), str(out), "--report", str(rep), "--no-progress"]) in (0, 1)
