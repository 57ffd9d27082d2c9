"""Zones (dwell time, entries, exits), the track table and the motmetrics wrapper on constructed tracks
whose answers are known by construction."""

import json

import numpy as np
import pandas as pd
import pytest

from anon_core.detections import Detections
from anon_core.groundtruth import MotGroundTruth
from showcases.tracking.mot_eval import EvalConfig, accumulate, compare, evaluate, id_map
from showcases.tracking.tracks import TrackTable
from showcases.tracking.zones import Zone, parse_zone, zone_report, zones_from_dicts


def row(track_id, x, y, label="person", origin="detected", age=0, w=20, h=40):
    d = Detections([[x - w / 2, y - h, x + w / 2, y]], [0.9], [label], track_ids=[track_id], origin=[origin],
                   data={"age": [age]})
    return d


def walk_table(fps=10.0) -> TrackTable:
    """Track 1 walks right along y=100 at 10 px/frame for 30 frames (x 0..290); track 2 (a cart) stands
    at (50, 200) for 10 frames."""
    t = TrackTable(fps)
    for f in range(30):
        parts = [row(1, 10 * f, 100)]
        if f < 10:
            parts.append(row(2, 50, 200, "cart"))
        t.add(f, Detections.concat(parts))
    return t


def test_parse_zone_rectangles_polygons_and_errors():
    z = parse_zone("dock=300,0,100,150")
    assert z.name == "dock" and z.points == ((100, 0), (300, 0), (300, 150), (100, 150))
    p = parse_zone("0,0;100,0;50,80")
    assert p.name == "zone" and len(p.points) == 3
    assert p.contains(np.array([[50, 10], [50, 90], [0, 0]])).tolist() == [True, False, True]
    for bad in ("a=1,2,3", "b=1,1,1,5", "c=1,2;3,4", "d=x,1,2,3"):
        with pytest.raises(ValueError, match="zone"):
            parse_zone(bad)
    zs = zones_from_dicts([{"name": "r", "rect": [0, 0, 10, 10]}, {"points": [[0, 0], [5, 0], [0, 5]]}])
    assert [z.name for z in zs] == ["r", "zone 2"]


def test_dwell_time_entries_and_exits():
    t = walk_table()
    zone = Zone.rect("middle", 95, 50, 195, 150)  # foot x in [95, 195]: frames 10..19 of track 1
    cart_zone = Zone.rect("parking", 0, 150, 100, 250)
    rep = zone_report(t.trajectories("foot"), [zone, cart_zone], fps=10.0)
    mid, park = rep
    assert mid["tracks"] == 1 and mid["entries"] == 1 and mid["exits"] == 1
    tr = mid["per_track"][0]
    assert (tr["track_id"], tr["first_inside"], tr["last_inside"], tr["frames_inside"]) == (1, 10, 19, 10)
    assert tr["dwell_s"] == pytest.approx(1.0) and not tr["present_at_start"]
    # the cart is inside from its first to its last frame: present at start, no entry, no exit
    assert park["per_class"] == {"cart": {"tracks": 1, "entries": 0, "exits": 0, "dwell_s": 1.0}}
    assert park["per_track"][0]["present_at_start"]
    json.dumps(rep)  # JSON-friendly


def test_track_table_queries_and_exports(tmp_path):
    t = walk_table()
    assert len(t) == 40
    assert t.counts() == {"cart": 1, "person": 1}
    pf = t.per_frame_counts(30)
    assert pf["person"] == [1] * 30 and pf["cart"] == [1] * 10 + [0] * 20
    spans = t.spans().set_index("track_id")
    assert (spans.loc[1, "first"], spans.loc[1, "last"], spans.loc[1, "end"]) == (0, 29, 3.0)
    traj = t.trajectories("center")
    assert traj[traj.track_id == 1]["y"].eq(80).all()
    csv = t.to_csv(tmp_path / "t.csv")
    back = pd.read_csv(tmp_path / "t.csv")
    assert csv.startswith("frame,time,track_id,label") and len(back) == 40
    t.to_mot(tmp_path / "t.txt")
    first = (tmp_path / "t.txt").read_text().splitlines()[0].split(",")
    assert first[:2] == ["1", "1"] and float(first[4]) == pytest.approx(20)
    assert json.loads(json.dumps(t.to_records()))[0]["label"] == "person"


def test_unconfirmed_and_old_predicted_rows_are_not_stored():
    t = TrackTable(25)
    d = Detections.concat([row(-1, 10, 10), row(3, 50, 50, origin="predicted", age=2),
                           row(4, 90, 90, origin="predicted", age=6), row(5, 9, 9)])
    kept = t.add(0, d, max_predicted_age=3)
    assert kept.track_ids.tolist() == [3, 5]
    assert TrackTable(25).add(0, d).track_ids.tolist() == [5]


def _gt_from(table: TrackTable) -> MotGroundTruth:
    df = table.df
    xywh = np.stack([df.x1, df.y1, df.x2 - df.x1, df.y2 - df.y1], axis=1).astype(np.float32)
    return MotGroundTruth(df.frame.to_numpy() + 1, df.track_id.to_numpy() + 100, xywh, df.label.to_numpy(str),
                          np.ones(len(df), np.float32))


def test_metrics_perfect_switched_and_class_mismatched_tracks():
    t = walk_table()
    gt = _gt_from(t)
    perfect = evaluate(gt, t)
    assert perfect["mota"] == 1.0 and perfect["idf1"] == 1.0 and perfect["id_switches"] == 0
    # Same boxes, but track 1 changes its id half way: one switch, IDF1 drops, MOTA barely.
    df = t.df.copy()
    df.loc[(df.track_id == 1) & (df.frame >= 15), "track_id"] = 9
    switched = TrackTable(10.0, df)
    m = evaluate(gt, switched)
    assert m["id_switches"] == 1 and m["idf1"] < 0.9 and m["mota"] == pytest.approx(1 - 1 / 40)
    assert id_map(accumulate(gt, switched))[101] == {1, 9}
    # A "cart" hypothesis on a person's box is no match (per-class evaluation).
    df2 = t.df.copy()
    df2.loc[df2.track_id == 1, "label"] = "cart"
    wrong = evaluate(gt, TrackTable(10.0, df2))
    assert wrong["misses"] == 30 and wrong["false_positives"] == 30
    only_person = evaluate(gt, t, EvalConfig(labels=("person",)))
    assert only_person["gt_objects"] == 1
    rows = compare({"raw": t, "anonymized": switched}, gt)
    assert [r["input"] for r in rows] == ["raw", "anonymized", "anonymized - raw (points)"]
    assert rows[2]["id_switches"] == 1 and rows[2]["mota"] == pytest.approx(-2.5)
