"""Issue #12 item 9: every common MOTChallenge ground-truth layout is read as what it is, the
detected layout is said, and a file that fits none is refused in one line."""

from __future__ import annotations

import json

import pytest

from anon_core.cli.main import main
from anon_core.groundtruth import GroundTruthError, load_mot

ROWS = [(1, 1, 10, 20, 30, 60), (1, 2, 50, 20, 30, 60), (2, 1, 12, 20, 30, 60)]


def _write(path, rows):
    path.write_text("".join(",".join(str(v) for v in r) + "\n" for r in rows))
    return path


@pytest.mark.parametrize("extra, layout, labels, vis", [
    ((), "6 columns", ["person"] * 3, [1, 1, 1]),
    ((1,), "MOT15 7 columns", ["person"] * 3, [1, 1, 1]),
    ((1, 1, 0.25), "MOT16/17/20", ["person"] * 3, [0.25] * 3),
    # MOT15 with world coordinates: the 8th column is a world x (here 3 = "car" if misread as a class)
    ((1, 3, 4.5, -1), "MOT15 10 columns", ["person"] * 3, [1, 1, 1]),
])
def test_each_layout_is_read_as_what_it_is(tmp_path, extra, layout, labels, vis):
    gt = load_mot(_write(tmp_path / "gt.txt", [r + extra for r in ROWS]))
    assert gt.layout.startswith(layout)
    assert gt.label.tolist() == labels
    assert gt.visibility.tolist() == pytest.approx(vis)
    assert gt.counts(2).tolist() == [2, 1]
    assert gt.at(1).data["visibility"].shape == (2,)  # the API the persons helper uses for --min-visibility


def test_mot17_classes_and_visibility_filter(tmp_path):
    rows = [(1, 1, 0, 0, 9, 9, 1, 1, 0.9), (1, 2, 0, 0, 9, 9, 1, 3, 1.0), (1, 3, 0, 0, 9, 9, 1, 1, 0.1),
            (1, 4, 0, 0, 9, 9, 0, 1, 1.0)]  # a car, a hardly visible person, an ignore region
    gt = load_mot(_write(tmp_path / "gt.txt", rows))
    assert gt.label.tolist() == ["person", "car", "person"]
    assert gt.counts(1).tolist() == [2] and gt.counts(1, min_visibility=0.5).tolist() == [1]


@pytest.mark.parametrize("ncols", [5, 8, 11])
def test_a_file_that_fits_no_layout_is_refused(tmp_path, ncols):
    rows = [tuple(range(1, ncols + 1))]
    with pytest.raises(GroundTruthError, match=f"{ncols} columns, which fits no") as info:
        load_mot(_write(tmp_path / "gt.txt", rows))
    assert "\n" not in str(info.value)


def test_ragged_rows_are_one_line(tmp_path):
    (tmp_path / "gt.txt").write_text("1,1,1,1,1,1,1\n1,1,1,1\n")
    with pytest.raises(GroundTruthError) as info:
        load_mot(tmp_path / "gt.txt")
    assert "\n" not in str(info.value)


@pytest.fixture()
def tud_mot15_world(tud_short, tmp_path):
    """The 12-frame TUD-Campus cut with its gt.txt converted to the 10-column 2DMOT2015 layout:
    conf 1 and world coordinates of the foot point in metres (x, y, z=0), as the MOT15 sequences with a
    ground plane (PETS09, ETH) carry them: the 8th column is then e.g. 4.59, not a class id."""
    gt = tud_short / "gt" / "gt.txt"
    rows = [line.split(",")[:6] for line in gt.read_text().splitlines() if line.strip()]
    path = tmp_path / "gt10.txt"
    lines = []
    for r in rows:
        x, y, w, h = (float(v) for v in r[2:6])
        lines.append(",".join([*r, "1", f"{(x + w / 2) / 100:.2f}", f"{(y + h) / 100:.2f}", "0"]) + "\n")
    path.write_text("".join(lines))
    return tud_short, path


def test_anon_count_on_a_10_column_ground_truth(tud_mot15_world, tmp_path, model_dir, capsys):
    seq, gt10 = tud_mot15_world
    out = tmp_path / "c.json"
    rc = main(["count", str(seq), "--gt", str(gt10), "--targets", "person", "--method", "fill", "--json", str(out),
               "--no-progress"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    d = json.loads(out.read_text())
    seven = load_mot(seq)  # the same boxes in the original 7-column file
    gt_counts = [r["gt"] for r in d["per_frame"]]
    assert gt_counts == seven.counts(len(gt_counts)).tolist() and min(gt_counts) > 0  # all 0 when misread
    assert d["metrics"]["raw"]["rmse"] < 2.5  # the detector's counts vs the annotation (6.79 when misread)
    assert "MOT15 10 columns" in captured.err and d["ground_truth_layout"].startswith("MOT15 10 columns")


def test_anon_track_on_a_10_column_ground_truth(tud_mot15_world, tmp_path, model_dir, capsys):
    """The same tracking scored against the 10-column file and the original 7-column file: identical
    metrics (misread, the world x became a class: 5 of 6 persons, precision 0.68 instead of 0.96)."""
    seq, gt10 = tud_mot15_world
    metrics = {}
    for name, gt in (("10", gt10), ("7", seq / "gt" / "gt.txt")):
        out = tmp_path / f"t{name}.json"
        rc = main(["track", str(seq), "--gt", str(gt), "--classes", "person", "--targets", "person",
                   "--method", "fill", "--json", str(out), "--no-progress"])
        captured = capsys.readouterr()
        assert rc == 0, captured.err
        metrics[name] = {r["input"]: r for r in json.loads(out.read_text())["metrics"]}["raw"]
        if name == "10":
            assert "MOT15 10 columns" in captured.err and "none of the tracked classes" not in captured.err
    assert metrics["10"] == metrics["7"]
    assert metrics["10"]["gt_objects"] == len(set(load_mot(seq).track_id.tolist()))
