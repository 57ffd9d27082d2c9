"""Model-free face leak rate of an anonymized video (issue #13, the video side of `anon bench speed`).

The photo metric (anon_core.metrics.leak) applied to every frame: the decoded input clip and the
decoded output clip are read in lockstep, and every ground-truth face box of faces.jsonl (synthetic
samples, 1-based frames) at least 16 px wide is a scored "face-frame": detail NCC of the inner 60 %
of the box (high-pass, sigma 1.5) between input and output > 0.5 = leaked.  Size buckets 16-31,
32-63, 64+ px by box width.

Two rules are reported side by side:

* ``all``: every face-frame >= 16 px, however much of the face is hidden (strict);
* ``visible``: only face-frames with visibility >= 0.5 (faces.jsonl "visibility" = unoccluded
  share): a mostly hidden face has little detail that could leak, and its NCC mixes in the
  occluder's pixels.

Both sides are decoded from H.264, so an untouched face scores ~1.0 after x264 (it IS a leak), and
the input against itself scores exactly 1.0 (`leak_sanity`).
"""

from __future__ import annotations

from collections import defaultdict
from itertools import zip_longest
from pathlib import Path

import numpy as np

from anon_core.media.video import VideoReader
from anon_core.metrics.leak import LEAK_NCC, MIN_FACE_WIDTH, SIZE_BUCKETS, LeakCounts, detail_nccs
from anon_core.synth import load_faces

MIN_VISIBILITY = 0.5
MAX_LISTED = 200  # leaked face-frames listed in the JSON for diagnosis (frame, track, width, visibility, NCC)


def video_leaks(raw_clip: Path, out_clip: Path, faces_path: Path, min_visibility: float = MIN_VISIBILITY) -> dict:
    """Leak counts of `out_clip` against `raw_clip` over the GT faces of faces.jsonl.

    Returns {"all": rule, "visible": rule, "min_visibility", "unscored_small", "frames",
    "leaked": [{"frame", "track_id", "width", "visibility", "ncc"}, ...] (first MAX_LISTED)},
    rule = {"faces", "leaks", "leak_rate", "buckets": {name: {"faces", "leaks", "leak_rate"}}}.
    """
    by_frame: dict[int, list[dict]] = defaultdict(list)
    for row in load_faces(faces_path).rows:
        by_frame[int(row["frame"])].append(row)
    rules = {"all": LeakCounts(), "visible": LeakCounts()}
    listed: list[dict] = []
    small = frames = 0
    with VideoReader(raw_clip) as raw_reader, VideoReader(out_clip) as out_reader:
        for i, (raw, out) in enumerate(zip_longest(raw_reader.frames(), out_reader.frames())):
            if raw is None or out is None:  # a dropped or added frame puts every later GT box on the wrong frame
                raise ValueError(
                    f"{out_clip} and {raw_clip} differ in frame count (from frame {i + 1}): leaks not scored"
                )
            frames += 1
            rows = [r for r in by_frame.get(i + 1, ()) if r["box"][2] >= MIN_FACE_WIDTH]
            small += len(by_frame.get(i + 1, ())) - len(rows)
            if not rows:
                continue
            xywh = np.array([r["box"] for r in rows], np.float64)
            nccs = detail_nccs(raw, out, np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], axis=1))
            for r, ncc in zip(rows, nccs):
                leaked = bool(ncc > LEAK_NCC)
                rules["all"].add(r["box"][2], leaked)
                if r["visibility"] >= min_visibility:
                    rules["visible"].add(r["box"][2], leaked)
                if leaked and len(listed) < MAX_LISTED:
                    listed.append(
                        {
                            "frame": i + 1,
                            "track_id": r["track_id"],
                            "width": round(r["box"][2], 1),
                            "visibility": r["visibility"],
                            "ncc": round(float(ncc), 3),
                        }
                    )
    return {
        "all": rules["all"].to_dict(bucket_rates=True),
        "visible": rules["visible"].to_dict(bucket_rates=True),
        "min_visibility": min_visibility,
        "unscored_small": small,
        "frames": frames,
        "leaked": listed,
    }


def leak_columns(leak: dict | None) -> str:
    """Markdown cells: leaks/face-frames and rate for both rules, then per bucket (visible rule)."""
    if not leak:
        return " – | – | – |"
    cells = []
    for key in ("all", "visible"):
        rule = leak[key]
        rate = "–" if rule["leak_rate"] is None else f"{100 * rule['leak_rate']:.2f} %"
        cells.append(f"{rule['leaks']}/{rule['faces']} ({rate})")
    per = []
    for name, _, _ in SIZE_BUCKETS:
        b = leak["visible"]["buckets"][name]
        per.append(f"{name}: {b['leaks']}/{b['faces']}")
    return f" {cells[0]} | {cells[1]} | {', '.join(per)} |"


LEAK_HEADER = "leaks / face-frames >= 16 px (rate) | same, visibility >= 0.5 | per bucket (visibility >= 0.5)"
