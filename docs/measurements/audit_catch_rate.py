"""Catch rate of `anon audit` on a synthetic clip whose faces were deliberately missed.

    PYTHONPATH=. python docs/measurements/audit_catch_rate.py walkway 4 0.7 dlib-hog,centerface

Generates the synthetic sample (KIND, SECONDS, seed 0), anonymizes it with `anon video --threshold T
--detect-width 640`, counts the ground-truth faces (>= 8 px wide) that leaked (detail NCC > 0.5 against
the raw frame) and how many of them `audit_media` flagged (a flagged face box overlapping the leaked
one), plus flagged detections that lie on no ground-truth face.  Prints one JSON line.
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from anon_core.audit import audit_media, make_detector
from anon_core.media import VideoReader
from anon_core.metrics.leak import LEAK_NCC, detail_nccs
from anon_core.synth import ensure_sample, load_faces


def overlaps(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N, M) bool: boxes of a and b intersect."""
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    return np.prod(np.clip(rb - lt, 0, None), axis=2) > 0


def main(kind: str, seconds: float, threshold: str, detectors: str) -> dict:
    sample = ensure_sample(kind, seed=0, seconds=seconds)
    out = Path(tempfile.mkdtemp()) / "missed.mp4"
    report = out.with_suffix(".json")
    subprocess.run([sys.executable, "-m", "anon_core.cli.main", "video", str(sample.video), "-o", str(out),
                    "--threshold", threshold, "--detect-width", "640", "--report", str(report), "--no-progress"],
                   check=True, stdout=subprocess.DEVNULL)
    faces, leaked, all_gt = load_faces(sample.faces), {}, {}
    with VideoReader(sample.video) as a, VideoReader(out) as b:
        for i, (raw, anon) in enumerate(zip(a.frames(), b.frames())):
            gt = faces.at(i + 1)
            gt = gt[gt.wh[:, 0] >= 8]
            all_gt[i] = gt.xyxy
            leaked[i] = gt.xyxy[detail_nccs(raw, anon, gt.xyxy) > LEAK_NCC]
    result = audit_media(sample.video, out, report, make_detector(detectors))
    caught = stray = 0
    for i, rows in result.visible.items():
        found = np.array([r["box"] for r in rows], np.float32)
        if len(leaked[i]):
            caught += int(overlaps(leaked[i], found).any(1).sum())
        stray += int((~overlaps(found, all_gt[i]).any(1)).sum()) if len(all_gt[i]) else len(found)
    n_leaked = sum(len(v) for v in leaked.values())
    return {"kind": kind, "seconds": seconds, "threshold": threshold, "detectors": detectors,
            "frames": result.frames, "faces_left_visible": n_leaked, "caught": caught,
            "catch_rate": round(caught / n_leaked, 3) if n_leaked else None,
            "flagged_detections_on_no_face": stray, "frames_flagged": len(result.flagged)}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4])))
