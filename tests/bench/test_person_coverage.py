"""`anon bench --target person` on MOT17 ground truth: coverage of the visible pedestrians, collateral,
visible count (one 1080p MOT17-02 frame)."""

import json

import pytest

from anon_core.cli.main import main


def test_bench_reports_coverage_collateral_and_visible_count(mot17_02, model_dir, tmp_path):
    out = tmp_path / "b.json"
    rc = main(["bench", "--gt-dir", str(mot17_02), "--max-frames", "1", "--models", "yolox-nano",
               "--track-every", "--min-visibility", "0.5", "--json", str(out)])  # default person box, 0.2
    assert rc == 0
    d = json.loads(out.read_text())
    assert d["dataset"]["min_visibility"] == 0.5 and d["dataset"]["visible_boxes"] == 11
    rows = {r["name"]: r for r in d["rows"]}
    null, perfect = rows["Null (anonymizes nothing)"], rows["Perfect (GT boxes, blurred)"]
    assert (null["coverage"], null["collateral"], null["count_rmse_visible"]) == (0, 0, 11)
    # ground-truth boxes cover every visible pedestrian and nothing outside the annotated persons;
    # they count all 22 scored pedestrians, 11 more than the visible ones
    assert (perfect["coverage"], perfect["collateral"]) == (1, 0)
    assert perfect["count_rmse_visible"] == pytest.approx(11)
    nano = rows["yolox-nano"]
    assert 0.3 <= nano["coverage"] <= 0.7 and 0 < nano["collateral"] < 0.1  # measured 6/11, 5.2 %
    assert nano["visible_boxes"] == 11 and nano["visible_covered"] == round(11 * nano["coverage"])


def test_min_visibility_filters_the_coverage_set(mot17_02):
    from anon_core.bench.data import load_sequence

    all_scored = load_sequence(mot17_02, "person", max_frames=1, min_visibility=0.0)
    visible = load_sequence(mot17_02, "person", max_frames=1, min_visibility=0.5)
    assert len(all_scored.visible[0]) == 22 and len(visible.visible[0]) == 11


def test_speed_mode_person_coverage_counts_only_the_visible(tmp_path):
    from anon_core.bench.speed import person_coverage
    from anon_core.detections import Detections
    from anon_core.groundtruth import write_mot

    gt = tmp_path / "gt.txt"
    # frame 1: a visible person and one 30 % visible; frame 2: the visible one only
    write_mot(gt, [(1, 1, 10, 10, 20, 60, 1, 1, 1.0), (1, 2, 100, 10, 20, 60, 1, 1, 0.3),
                   (2, 1, 12, 10, 20, 60, 1, 1, 0.9)])
    hit = Detections([[10, 10, 30, 70]], [0.9], "person")
    miss = Detections.empty()
    out = person_coverage([hit, miss], gt, (200, 100), "box", 0.0)
    assert out == {"recall90": 0.5, "persons": 2, "min_visibility": 0.5}
    assert person_coverage([hit, hit], gt, (200, 100), "box", 0.2)["recall90"] == 1.0  # padding covers the shift
