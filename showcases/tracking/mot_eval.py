"""CLEAR-MOT and identity metrics (motmetrics) of tracker output against MOTChallenge ground truth.

    acc = accumulate(gt, tracks)                # tracks: a TrackTable (frame 0-based, track_id, label, box)
    summary(acc) -> {"mota", "idf1", "id_switches", "precision", "recall", ...}
    compare({"raw": tracks_raw, "anonymized": tracks_anon}, gt) -> list of table rows

Matching is by IoU >= `iou` (0.5, the MOTChallenge default) and only between the same class: a
"cart" hypothesis never matches a "person" ground-truth box.  Ground-truth frames are 1-based, track
tables are 0-based (frame index of the video).
"""

from __future__ import annotations

from dataclasses import dataclass

import motmetrics as mm
import numpy as np

from anon_core.detections import box_iou
from anon_core.groundtruth import MotGroundTruth

METRICS = ("mota", "motp", "idf1", "num_switches", "precision", "recall", "num_false_positives", "num_misses",
           "mostly_tracked", "num_unique_objects")
NAMES = {"num_switches": "id_switches", "num_false_positives": "false_positives", "num_misses": "misses",
         "num_unique_objects": "gt_objects"}


@dataclass(frozen=True)
class EvalConfig:
    iou: float = 0.5  # a hypothesis matches a GT box at IoU >= iou
    labels: tuple[str, ...] | None = None  # evaluate only these classes (None = every GT class)
    min_visibility: float = 0.0  # GT boxes less visible than this are dropped before matching


def _iou_distance(gt_xyxy: np.ndarray, hyp_xyxy: np.ndarray, max_iou_dist: float) -> np.ndarray:
    d = 1.0 - box_iou(gt_xyxy, hyp_xyxy).astype(np.float64)
    d[d > max_iou_dist] = np.nan
    return d


def accumulate(gt: MotGroundTruth, tracks, config: EvalConfig | None = None,
               num_frames: int | None = None) -> mm.MOTAccumulator:
    """One accumulator over frames 1..num_frames (default: the longer of GT and tracks)."""
    cfg = config or EvalConfig()
    labels = cfg.labels or tuple(sorted(set(gt.label.tolist())))
    hyp = tracks.frame_arrays()  # frame (0-based) -> (ids, labels, xyxy)
    n = num_frames or max(gt.num_frames, max(hyp, default=-1) + 1)
    acc = mm.MOTAccumulator(auto_id=False)
    for f in range(1, n + 1):
        g = gt.at(f, labels=labels)
        g = g[g.data["visibility"] >= cfg.min_visibility] if len(g) else g
        ids, hlab, hbox = hyp.get(f - 1, (np.zeros(0, np.int64), np.zeros(0, str), np.zeros((0, 4), np.float32)))
        keep = np.isin(hlab, labels)
        ids, hlab, hbox = ids[keep], hlab[keep], hbox[keep]
        dist = _iou_distance(g.xyxy, hbox, 1.0 - cfg.iou)
        dist[g.labels[:, None] != hlab[None, :]] = np.nan
        acc.update(g.track_ids.tolist(), ids.tolist(), dist, frameid=f)
    return acc


def summary(acc: mm.MOTAccumulator) -> dict:
    """The metrics as plain floats/ints (MOTA, IDF1 ... in 0..1, counts as ints)."""
    mh = mm.metrics.create()
    df = mh.compute(acc, metrics=list(METRICS), name="run")
    out = {}
    for key in METRICS:
        v = df[key].iloc[0]
        out[NAMES.get(key, key)] = int(v) if key.startswith(("num_", "mostly")) else _float(v)
    out["motp_iou"] = None if out.pop("motp") is None else round(1.0 - float(df["motp"].iloc[0]), 4)
    return out


def _float(v) -> float | None:
    v = float(v)
    return round(v, 4) if np.isfinite(v) else None


def evaluate(gt: MotGroundTruth, tracks, config: EvalConfig | None = None, num_frames: int | None = None) -> dict:
    return summary(accumulate(gt, tracks, config, num_frames))


def id_map(acc: mm.MOTAccumulator) -> dict[int, set[int]]:
    """GT id -> the set of hypothesis ids it was matched to (one element = kept one id throughout)."""
    ev = acc.mot_events
    matches = ev[ev["Type"].isin(["MATCH", "SWITCH"])]
    out: dict[int, set[int]] = {}
    for oid, hid in zip(matches["OId"], matches["HId"]):
        out.setdefault(int(oid), set()).add(int(hid))
    return out


def compare(runs: dict, gt: MotGroundTruth, config: EvalConfig | None = None,
            num_frames: int | None = None) -> list[dict]:
    """One table row per run ({"raw": TrackTable, "anonymized": TrackTable}), plus the difference
    anonymized - raw in points (x100) for MOTA, IDF1, precision and recall."""
    rows = [{"input": name, **evaluate(gt, t, config, num_frames)} for name, t in runs.items()]
    by = {r["input"]: r for r in rows}
    if "raw" in by and "anonymized" in by:
        delta = {"input": "anonymized - raw (points)"}
        for key in ("mota", "idf1", "precision", "recall"):
            a, r = by["anonymized"][key], by["raw"][key]
            delta[key] = None if a is None or r is None else round(100 * (a - r), 2)
        delta["id_switches"] = by["anonymized"]["id_switches"] - by["raw"]["id_switches"]
        rows.append(delta)
    return rows
