"""`anon count` end to end on a 12-frame cut of TUD-Campus (whole-person fill, so only YOLOX runs)."""

import hashlib
import json
from importlib.metadata import entry_points

import numpy as np
import pytest
from conftest import TUD_SHORT_FRAMES as FRAMES

from anon_core.cli.main import main
from anon_core.groundtruth import load_mot
from anon_core.media import VideoReader, probe, read_image


def test_count_is_registered_through_the_entry_point():
    assert "showcases.counting.cli" in [ep.value for ep in entry_points(group="anon.commands")]


def test_anon_count_writes_counts_metrics_and_video(tud_short, tmp_path, model_dir, capsys):
    out_json, out_mp4, out_report = tmp_path / "counts.json", tmp_path / "anon.mp4", tmp_path / "r.json"
    rc = main(["count", str(tud_short), "--gt", "auto", "--targets", "person", "--method", "fill",
               "--line", "320,0,320,480", "--smooth", "median", "--overlay", "--json", str(out_json),
               "-o", str(out_mp4), "--report", str(out_report), "--no-progress"])
    assert rc == 0
    assert "utility retained" in capsys.readouterr().out
    d = json.loads(out_json.read_text())
    rows = d["per_frame"]
    assert [r["frame"] for r in rows] == list(range(1, FRAMES + 1))
    gt = load_mot(tud_short).counts(FRAMES)
    assert [r["gt"] for r in rows] == gt.tolist()
    raw = np.array([r["raw"] for r in rows])
    anon = np.array([r["anonymized"] for r in rows])
    assert d["metrics"]["raw"]["rmse"] == pytest.approx(np.sqrt(np.mean((raw - gt) ** 2)), abs=1e-4)
    assert d["per_frame_error"]["raw"] == (raw - gt).tolist()
    assert anon.mean() < 0.5 * raw.mean()  # whole persons filled: the counter loses them
    assert d["metrics"]["utility_retained"] > 1
    assert set(d["line"]) == {"raw", "anonymized", "gt"}
    assert d["metrics_smoothed"]["method"] == "median"
    assert d["counter"]["name"] == "yolox-nano-hd"
    assert probe(out_mp4).frame_count == FRAMES
    with VideoReader(out_mp4) as reader:
        first = next(iter(reader.frames()))
    raw_first = read_image(tud_short / "img1" / "000001.jpg")
    # the count panel darkens the top-left corner of the building's bright windows
    assert first[5:40, 5:120].mean() < raw_first[5:40, 5:120].mean() - 40
    # the video carries the same audit report as `anon video`, with the counts under analytics
    audit = json.loads(out_report.read_text())
    assert audit["schema"] == "anonymize-first/report/v1" and audit["summary"]["frames"] == FRAMES
    assert audit["output"]["sha256"] == hashlib.sha256(out_mp4.read_bytes()).hexdigest()
    assert audit["output"]["path"] == str(out_mp4)
    assert audit["pipeline"]["config"]["method"] == "fill"
    counted = audit["analytics"]["person_count"]
    assert [r["raw"] for r in counted["per_frame"]] == raw.tolist()
    assert [r["anonymized"] for r in counted["per_frame"]] == anon.tolist()
    assert counted["line_in"] == d["line"]["raw"]["in"]
    assert sum(len(f["regions"]) for f in audit["frames"]) > 0


def test_anon_count_report_needs_the_video(tud_short, tmp_path, capsys):
    rc = main(["count", str(tud_short), "--json", str(tmp_path / "c.json"), "--report", str(tmp_path / "r.json")])
    assert rc == 2 and "add -o OUT.mp4" in capsys.readouterr().err
    assert not (tmp_path / "c.json").exists() and not (tmp_path / "r.json").exists()


def test_anon_count_rejects_ground_truth_of_another_video(tud_short, tud_campus, tmp_path, model_dir, capsys):
    rc = main(["count", str(tud_short), "--gt", str(tud_campus / "gt" / "gt.txt"), "--targets", "person",
               "--json", str(tmp_path / "x.json"), "--no-progress"])
    assert rc == 2
    assert "annotates 71 frames but the video has 12" in capsys.readouterr().err
    assert not (tmp_path / "x.json").exists()


def test_anon_count_rejects_a_bad_line(tud_short, capsys):
    with pytest.raises(SystemExit):
        main(["count", str(tud_short), "--line", "1,2,3"])
    assert "x1,y1,x2,y2" in capsys.readouterr().err


@pytest.mark.parametrize("option", ["--min-visibility=5", "--count-threshold=1.5", "--min-visibility=-0.1"])
def test_anon_count_refuses_a_fraction_outside_0_1(tmp_path, capsys, option):
    """--min-visibility 5 used to run and compare against an empty ground truth (exit 0)."""
    with pytest.raises(SystemExit) as exc:
        main(["count", str(tmp_path / "clip.mp4"), "--json", str(tmp_path / "x.json"), option])
    assert exc.value.code == 2 and "from 0 to 1" in capsys.readouterr().err
    assert not (tmp_path / "x.json").exists()
