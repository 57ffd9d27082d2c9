"""`anon track` end to end: the synthetic industrial clip with the GT detector (all four classes, a
zone, annotated video and CSV), a 12-frame cut of TUD-Campus with YOLOX-Nano, and the user errors."""

import contextlib
import json
from importlib.metadata import entry_points

import pandas as pd
import pytest

from anon_core.cli.main import main
from anon_core.groundtruth import load_mot
from anon_core.media import VideoReader, probe
from anon_core.models.checksums import sha256_file


def test_track_is_registered_through_the_entry_point():
    assert "showcases.tracking.cli" in [ep.value for ep in entry_points(group="anon.commands")]


def test_anon_track_with_the_gt_detector_on_the_industrial_scene(industrial, tmp_path, capsys):
    out_json, out_mp4, out_csv = tmp_path / "t.json", tmp_path / "t.mp4", tmp_path / "t.csv"
    out_report = tmp_path / "r.json"
    rc = main(["track", str(industrial.video), "--gt", str(industrial.gt), "--detector", "gt",
               "--classes", "person,box,pallet,cart", "--zone", "left=0,150,320,360", "--method", "pixelate",
               "--detect-every", "3", "--json", str(out_json), "-o", str(out_mp4), "--csv", str(out_csv),
               "--report", str(out_report), "--no-progress"])
    assert rc == 0
    captured = capsys.readouterr()
    assert "equal by construction" in captured.err and "anonymized - raw" in captured.out
    d = json.loads(out_json.read_text())
    gt = load_mot(industrial.gt)
    assert d["frames"] == gt.num_frames == 90
    raw = d["sides"]["raw"]
    want = {c: len(set(gt.track_id[gt.label == c].tolist())) for c in ("person", "box", "pallet", "cart")}
    assert raw["tracks_per_class"] == want  # one track per object
    assert d["metrics_classes"] == ["person", "box", "pallet", "cart"]
    m = {r["input"]: r for r in d["metrics"]}
    assert m["raw"]["id_switches"] == 0 and m["raw"]["mota"] >= 0.8
    assert m["anonymized - raw (points)"]["mota"] == 0  # the GT detector ignores the pixels
    zone = raw["zones"][0]
    assert zone["name"] == "left" and zone["tracks"] >= 1
    assert sum(t["frames_inside"] for t in zone["per_track"]) > 0
    # tracks in the JSON and CSV agree; the video has every frame
    assert len(d["tracks"]["raw"]) == raw["rows"]
    csv = pd.read_csv(out_csv)
    assert set(csv["input"]) == {"raw", "anonymized"} and (csv["input"] == "raw").sum() == raw["rows"]
    assert d["pipeline"]["method"] == "pixelate" and d["detector"]["name"] == "gt"
    info = probe(out_mp4)
    assert (info.width, info.height) == (640, 360)
    with VideoReader(out_mp4) as r:
        assert sum(1 for _ in r.frames()) == 90
    # the annotated video carries the same audit report as `anon video`
    audit = json.loads(out_report.read_text())
    assert audit["schema"] == "anonymize-first/report/v1" and audit["kind"] == "video"
    assert audit["input"]["sha256"] == sha256_file(industrial.video)
    assert audit["output"]["sha256"] == sha256_file(out_mp4) and audit["output"]["path"] == str(out_mp4)
    assert audit["summary"]["frames"] == len(audit["frames"]) == 90
    assert audit["pipeline"]["config"]["method"] == "pixelate"
    assert audit["analytics"]["tracks_raw"]["tracks_per_class"] == want
    assert sum(len(f["regions"]) for f in audit["frames"]) > 0


def test_anon_track_report_needs_the_video(industrial, tmp_path, capsys):
    rc = main(["track", str(industrial.video), "--detector", "gt", "--json", str(tmp_path / "t.json"),
               "--report", str(tmp_path / "r.json"), "--no-progress"])
    assert rc == 2 and "add -o OUT.mp4" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())



def test_anon_track_with_yolox_on_tud_campus(tud_short, tmp_path, model_dir):
    out_json = tmp_path / "t.json"
    rc = main(["track", str(tud_short), "--gt", "auto", "--classes", "person", "--targets", "person",
               "--method", "fill", "--json", str(out_json), "--no-progress"])
    assert rc == 0
    d = json.loads(out_json.read_text())
    m = {r["input"]: r for r in d["metrics"]}
    assert m["raw"]["mota"] >= 0.5 and m["raw"]["recall"] >= 0.6
    # Whole-person fill removes what the detector looks for: tracking on that output collapses.
    assert m["anonymized"]["recall"] <= 0.2
    # the -hd detector's tracking settings (showcases.tracking.analysis.TRACK_SETTINGS)
    assert d["detector"]["name"] == "yolox-nano-hd" and d["detector"]["threshold"] == pytest.approx(0.5)
    assert '"high_score": 0.7' in json.dumps(d)


@pytest.mark.parametrize("args, message", [
    (["--detector", "gt"], "needs ground truth"),
    (["--classes", "pallet"], "cannot detect pallet"),
    (["--zone", "dock=1,2,3"], "cannot read zone"),
])
def test_anon_track_user_errors_say_how_to_fix_them(industrial, tmp_path, capsys, args, message):
    with pytest.raises(SystemExit) if args[0] == "--zone" else contextlib.nullcontext():
        rc = main(["track", str(industrial.video), "--json", str(tmp_path / "x.json"), "--no-progress", *args])
        assert rc == 2  # argparse errors (bad --zone) exit with 2 as well
    captured = capsys.readouterr()
    assert message in captured.err
    assert not (tmp_path / "x.json").exists()



def test_anon_track_bad_input_is_one_line_and_the_bar_has_a_total(industrial, tmp_path, capsys):
    """A missing input printed an empty `0frame [00:00, ?frame/s]` bar twice above the error line."""
    assert main(["track", str(tmp_path / "nope.mp4"), "--detector", "hog", "--json", str(tmp_path / "x.json")]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert main(["track", str(industrial.video), "--detector", "gt", "--gt", "auto", "--classes", "person",
                 "--json", str(tmp_path / "y.json")]) == 0
    frames = probe(industrial.video).frame_count
    assert f"{frames}/{frames}" in capsys.readouterr().err
