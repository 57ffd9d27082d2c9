"""MOTChallenge ground truth (1-based frames), in every common layout (see LAYOUTS):

* 6 columns  `frame,id,x,y,w,h`                         (plain boxes, all persons)
* 7 columns  `frame,id,x,y,w,h,conf`                    (MOT15 / TUD without world coordinates)
* 9 columns  `frame,id,x,y,w,h,conf,class,visibility`   (MOT16/17/20)
* 10 columns `frame,id,x,y,w,h,conf,wx,wy,wz`           (2DMOT2015 with world coordinates, no class)

Any other width is refused with one line (an 8-column file could be either a cut MOT17 row or a
MOT15 row with 1 world coordinate: guessing would misread it, as the 10-column layout once was).
Our synthetic scenes use MOT17 class 1 for pedestrians and project classes >= 100 for objects
(see CLASS_NAMES).  Rows with conf == 0 are "ignore" regions in MOT17 and are dropped unless asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from anon_core.detections import Detections

CLASS_NAMES = {
    1: "person", 2: "person", 7: "person",  # pedestrian, person on vehicle, static person
    3: "car", 4: "bicycle", 5: "motorcycle", 6: "cart",
    100: "box", 101: "pallet", 102: "cart", 103: "forklift",
}
CLASS_IDS = {"person": 1, "car": 3, "bicycle": 4, "motorcycle": 5, "box": 100, "pallet": 101, "cart": 102,
             "forklift": 103}


LAYOUTS = {
    6: "6 columns frame,id,x,y,w,h (no class: all persons)",
    7: "MOT15 7 columns frame,id,x,y,w,h,conf (no class: all persons)",
    9: "MOT16/17/20 9 columns frame,id,x,y,w,h,conf,class,visibility",
    10: "MOT15 10 columns frame,id,x,y,w,h,conf,wx,wy,wz (world coordinates ignored; no class: all persons)",
}


class GroundTruthError(ValueError):
    pass


@dataclass(frozen=True)
class MotGroundTruth:
    """All rows of a gt.txt as arrays (N rows)."""

    frame: np.ndarray  # (N,) int, 1-based
    track_id: np.ndarray  # (N,) int
    xywh: np.ndarray  # (N, 4) float
    label: np.ndarray  # (N,) str
    visibility: np.ndarray  # (N,) float in [0, 1] (1 when the file has none)
    layout: str = LAYOUTS[9]  # which of LAYOUTS the file was read as

    @property
    def frames(self) -> np.ndarray:
        return np.unique(self.frame)

    @property
    def num_frames(self) -> int:
        return int(self.frame.max()) if len(self.frame) else 0

    def at(self, frame: int, labels: tuple[str, ...] | None = ("person",)) -> Detections:
        """Boxes of one 1-based frame as Detections (track_ids = GT ids, data['visibility'])."""
        sel = self.frame == frame
        if labels is not None:
            sel &= np.isin(self.label, labels)
        xywh = self.xywh[sel]
        xyxy = np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], axis=1)
        return Detections(xyxy, np.ones(len(xyxy), np.float32), self.label[sel], track_ids=self.track_id[sel],
                          data={"visibility": self.visibility[sel]})

    def counts(self, num_frames: int | None = None, labels: tuple[str, ...] = ("person",),
               min_visibility: float = 0.0) -> np.ndarray:
        """Objects per frame (index 0 = frame 1), optionally only those at least this visible."""
        n = num_frames or self.num_frames
        sel = np.isin(self.label, labels) & (self.visibility >= min_visibility) & (self.frame <= n)
        return np.bincount(self.frame[sel] - 1, minlength=n)[:n]


def load_mot(path: str | Path, keep_ignored: bool = False) -> MotGroundTruth:
    path = Path(path)
    if path.is_dir():
        path = path / "gt" / "gt.txt" if (path / "gt" / "gt.txt").exists() else path / "gt.txt"
    try:
        rows = np.loadtxt(path, delimiter=",", ndmin=2, dtype=np.float64)
    except OSError as exc:
        raise GroundTruthError(f"cannot read ground truth {path}: {exc}") from None
    except ValueError as exc:
        reason = str(exc).splitlines()[0] if str(exc) else "unreadable"
        raise GroundTruthError(f"{path} is not MOTChallenge CSV (frame,id,x,y,w,h,conf,...): {reason}") from None
    if rows.size == 0:
        rows = np.zeros((0, 7))
    ncols = rows.shape[1]
    if ncols not in LAYOUTS:
        raise GroundTruthError(
            f"{path} has {ncols} columns, which fits no MOTChallenge ground-truth layout: use 6 (frame,id,x,y,w,h), "
            "7 (+conf, MOT15), 9 (+conf,class,visibility, MOT16/17/20) or 10 (+conf,wx,wy,wz, MOT15)")
    if ncols >= 7 and not keep_ignored:
        rows = rows[rows[:, 6] != 0]
    has_class = ncols == 9  # the 10-column layout's 8th column is a world x coordinate, not a class
    cls = rows[:, 7].astype(int) if has_class else np.ones(len(rows), int)
    cls[cls == -1] = 1
    labels = np.array([CLASS_NAMES.get(int(c), f"class{int(c)}") for c in cls], dtype=str)
    vis = rows[:, 8].clip(0, 1) if has_class else np.ones(len(rows))
    return MotGroundTruth(rows[:, 0].astype(int), rows[:, 1].astype(int), rows[:, 2:6].astype(np.float32),
                          labels, vis.astype(np.float32), LAYOUTS[ncols])


def write_mot(path: str | Path, rows: list[tuple]) -> None:
    """Write rows (frame, id, x, y, w, h, conf, class, visibility) in MOT17 layout."""
    lines = [f"{int(f)},{int(i)},{x:.2f},{y:.2f},{w:.2f},{h:.2f},{c:g},{int(k)},{v:.4f}"
             for f, i, x, y, w, h, c, k, v in rows]
    Path(path).write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")
