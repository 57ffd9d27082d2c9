"""Review of an anonymized video: what was anonymized, and the reviewer's fixes.

    edits = ReviewEdits()
    edits.add_region(raw_video, frame=40, box=(x1, y1, x2, y2))   # a face the detector missed
    edits.mark_false_positive(report, frame=12, box=(...))        # a poster the detector took for a face
    anonymize_video(raw_video, out, Pipeline(config, controls=[edits.control()]), ...)

`add_region` carries the box forward and back through the raw frames (`propagate`: template matching
by normalised cross-correlation in a window around the last position, on frames shrunk to at most
TRACK_SIDE px, until the match drops below MIN_MATCH (the person left or turned away) or MAX_SPAN frames
each way; a box that reaches the frame's edge keeps its last velocity until it is out of the frame, at
most COAST frames), so one click covers the person for as long as they are there.
`mark_false_positive` follows the marked region's track through the job's report.  The control adds
the manual boxes as regions (origin "manual", labelled like the policy's first target, so they get the
same anonymizer) and leaves regions that overlap a false-positive box (IoU >= FP_IOU) visible; an
always-zone still wins (zones cover after every select).  The report's `pipeline.controls.review` lists
every change: who ("reviewer"), what, when (UTC), the frame and box clicked and the frames covered.

`track_summary(report)` and `region_thumbnails(...)` serve the review view: per track its time span,
frame count and scores, and crops of the anonymized output only (never the raw frames).
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np

from anon_core.detections import Detections, box_iou
from anon_core.media import VideoReader

TRACK_SIDE = 640  # frames are shrunk to this longest side for propagation (speed; boxes are >= ~20 px)
SEARCH = 1.0  # search window: the box grown by this on every side (a face moves < 1 box per frame)
MIN_MATCH = 0.5  # normalised cross-correlation below this: the face is gone
MAX_SPAN = 150  # frames followed each way (10 s at 15 fps); memory <= 2 x 150 x 640 x 360 gray bytes (69 MB)
COAST = 15  # frames a box partly outside the frame keeps its last velocity (it is leaving)
FP_IOU = 0.5
WHO = "reviewer"


@dataclass
class Change:
    what: str  # "add-region" | "false-positive"
    frame: int
    box: list[float]
    frames: list[int]  # frames the change covers
    who: str = WHO
    when: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))


@dataclass
class ReviewEdits:
    changes: list[Change] = field(default_factory=list)
    manual: dict[int, list[list[float]]] = field(default_factory=dict)  # frame -> boxes to anonymize
    false_positives: dict[int, list[list[float]]] = field(default_factory=dict)  # frame -> boxes to leave

    def add_region(self, video: str | Path, frame: int, box, max_span: int = MAX_SPAN) -> Change:
        """Anonymize `box` on `frame` and wherever propagation carries it (forward and back)."""
        boxes = propagate(video, frame, box, max_span)
        for f, b in boxes.items():
            self.manual.setdefault(f, []).append([round(float(v), 1) for v in b])
        change = Change("add-region", int(frame), [round(float(v), 1) for v in box], sorted(boxes))
        self.changes.append(change)
        return change

    def mark_false_positive(self, report: dict | str | Path, frame: int, box) -> Change:
        """Leave the region at `box` on `frame` visible, along its whole track in the job's report."""
        frames = _report_frames(report)
        covered = {}
        regions = frames.get(int(frame), [])
        ious = box_iou(np.array([box], np.float32), np.array([r["box"] for r in regions], np.float32).reshape(-1, 4))
        hit = int(np.argmax(ious[0])) if len(regions) else -1
        track = regions[hit].get("track_id", -1) if hit >= 0 and ious[0, hit] >= FP_IOU else -1
        if track >= 0:
            for f, rows in frames.items():
                for r in rows:
                    if r.get("track_id") == track:
                        covered[f] = r["box"]
        else:
            covered[int(frame)] = list(box)
        for f, b in covered.items():
            self.false_positives.setdefault(f, []).append([round(float(v), 1) for v in b])
        change = Change("false-positive", int(frame), [round(float(v), 1) for v in box], sorted(covered))
        self.changes.append(change)
        return change

    def control(self, label: str = "face") -> ReviewControl:
        return ReviewControl(self, label)

    def to_dict(self) -> dict:
        return {"changes": [asdict(c) for c in self.changes]}


class ReviewControl:
    """The reviewer's edits as a pipeline control (anon_core/controls.py)."""

    name = "review"
    needs_pixels = False  # select() reads only the regions and the frame index
    covers = False

    def __init__(self, edits: ReviewEdits, label: str = "face"):
        self.edits, self.label = edits, label

    def reset(self) -> None:
        pass

    def describe(self) -> dict:
        return self.edits.to_dict()

    def cover(self, frame: np.ndarray, index: int) -> np.ndarray:
        return frame

    def select(self, frame: np.ndarray, index: int, regions: Detections) -> tuple[Detections, list[dict]]:
        notes = []
        fps = np.array(self.edits.false_positives.get(index, []), np.float32).reshape(-1, 4)
        if len(fps) and len(regions):
            drop = box_iou(regions.xyxy, fps).max(1) >= FP_IOU
            notes = [{"reason": "false-positive", "who": WHO, "box": r["box"], "label": r["label"],
                      "track_id": r.get("track_id", -1)} for r in regions[drop].to_records()]
            regions = regions[~drop]
        manual = self.edits.manual.get(index)
        if manual:
            n = len(manual)
            added = Detections(np.array(manual, np.float32), np.ones(n, np.float32), self.label,
                               track_ids=np.full(n, -1), origin=np.full(n, "manual"))
            regions = Detections.concat([regions, added]) if len(regions) else added
        return regions, notes


def propagate(video: str | Path, frame: int, box, max_span: int = MAX_SPAN) -> dict[int, np.ndarray]:
    """{frame: xyxy box} of the region at `box` on `frame`, followed forward and back (see module doc)."""
    frames, scale = _gray_frames(video, max(0, frame - max_span), frame + max_span)
    start = frame - max(0, frame - max_span)
    if start >= len(frames):
        raise ValueError(f"frame {frame} is beyond the end of {video} ({len(frames)} frames read)")
    box = np.asarray(box, np.float64) * scale
    out = {frame: box / scale}
    h, w = frames[start].shape
    for step in (1, -1):
        template, current, velocity, coasting = _crop(frames[start], box), box, np.zeros(4), 0
        i = start + step
        while 0 <= i < len(frames) and template is not None:
            if _inside(current + velocity, w, h):
                found, score = _match(frames[i], template, current)
                if found is None or score < MIN_MATCH:
                    break
                velocity, current = found - current, found
                template = _crop(frames[i], current)
            else:  # leaving the frame: no full template to match; coast at the last velocity until gone
                coasting += 1
                current = current + velocity
                if coasting > COAST or not _overlaps(current, w, h):
                    break
            out[i + frame - start] = current / scale
            i += step
    return dict(sorted(out.items()))


def _inside(box, w: int, h: int) -> bool:
    return box[0] >= 0 and box[1] >= 0 and box[2] <= w and box[3] <= h


def _overlaps(box, w: int, h: int) -> bool:
    return box[2] > 0 and box[3] > 0 and box[0] < w and box[1] < h


def _gray_frames(video, first: int, last: int) -> tuple[list[np.ndarray], float]:
    frames, scale = [], 1.0
    with VideoReader(video) as reader:
        for i, f in enumerate(reader.frames()):
            if i > last:
                break
            if i < first:
                continue
            scale = min(1.0, TRACK_SIDE / max(f.shape[:2]))
            g = cv2.cvtColor(f, cv2.COLOR_BGR2GRAY)
            frames.append(cv2.resize(g, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else g)
    return frames, scale


def _crop(gray: np.ndarray, box) -> np.ndarray | None:
    h, w = gray.shape
    x1, y1, x2, y2 = (int(round(v)) for v in box)
    x1, y1, x2, y2 = max(0, x1), max(0, y1), min(w, x2), min(h, y2)
    if x2 - x1 < 4 or y2 - y1 < 4:
        return None
    return gray[y1:y2, x1:x2].copy()


def _match(gray: np.ndarray, template: np.ndarray, box) -> tuple[np.ndarray | None, float]:
    h, w = gray.shape
    th, tw = template.shape
    x1, y1, x2, y2 = box
    bw, bh = x2 - x1, y2 - y1
    sx1, sy1 = max(0, int(x1 - SEARCH * bw)), max(0, int(y1 - SEARCH * bh))
    sx2, sy2 = min(w, int(x2 + SEARCH * bw) + 1), min(h, int(y2 + SEARCH * bh) + 1)
    window = gray[sy1:sy2, sx1:sx2]
    if window.shape[0] < th or window.shape[1] < tw:
        return None, 0.0  # the box is leaving the frame
    scores = cv2.matchTemplate(window, template, cv2.TM_CCOEFF_NORMED)
    _, best, _, (mx, my) = cv2.minMaxLoc(scores)
    nx, ny = sx1 + mx, sy1 + my
    return np.array([nx, ny, nx + bw, ny + bh], np.float64), float(best)


def _report_frames(report) -> dict[int, list[dict]]:
    data = report if isinstance(report, dict) else json.loads(Path(report).read_text(encoding="utf-8"))
    return {int(f["frame"]): f.get("regions", []) for f in data.get("frames", [])}


def track_summary(report: dict | str | Path, fps: float | None = None) -> list[dict]:
    """One row per anonymized track of a job's report: id, first/last frame, time span, frames, scores.
    Unconfirmed rows (track id -1) are grouped as one row."""
    data = report if isinstance(report, dict) else json.loads(Path(report).read_text(encoding="utf-8"))
    fps = fps or data.get("input", {}).get("info", {}).get("fps") or 0
    rows: dict[int, dict] = {}
    for f in data.get("frames", []):
        for r in f.get("regions", []):
            tid = int(r.get("track_id", -1))
            row = rows.setdefault(tid, {"track_id": tid, "label": r.get("label"), "first": f["frame"], "frames": 0,
                                        "detected": 0, "scores": [], "boxes": {}})
            row["last"] = f["frame"]
            row["frames"] += 1
            row["boxes"][f["frame"]] = r["box"]
            if r.get("origin", "detected") == "detected":
                row["detected"] += 1
                row["scores"].append(r.get("score", 0.0))
    out = []
    for row in sorted(rows.values(), key=lambda r: (r["first"], r["track_id"])):
        scores = row.pop("scores")
        row["mean_score"] = round(float(np.mean(scores)), 3) if scores else None
        row["min_score"] = round(float(np.min(scores)), 3) if scores else None
        row["span_s"] = (round(row["first"] / fps, 2), round(row["last"] / fps, 2)) if fps else None
        out.append(row)
    return out


def region_thumbnails(anonymized: str | Path, picks: dict[int, list], side: int = 96) -> dict[int, np.ndarray]:
    """{key: BGR thumbnail} of boxes cropped from the ANONYMIZED output; picks = {key: [frame, box]}."""
    by_frame: dict[int, list] = {}
    for key, (frame, box) in picks.items():
        by_frame.setdefault(int(frame), []).append((key, box))
    out = {}
    if not by_frame:
        return out
    last = max(by_frame)
    with VideoReader(anonymized) as reader:
        for i, img in enumerate(reader.frames()):
            for key, box in by_frame.get(i, []):
                crop = _crop_bgr(img, box)
                if crop is not None:
                    f = side / max(crop.shape[:2])
                    out[key] = cv2.resize(crop, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
            if i >= last:
                break
    return out


def _crop_bgr(img: np.ndarray, box) -> np.ndarray | None:
    h, w = img.shape[:2]
    x1, y1, x2, y2 = box
    x1, y1 = max(0, int(x1)), max(0, int(y1))
    x2, y2 = min(w, int(np.ceil(x2))), min(h, int(np.ceil(y2)))
    return img[y1:y2, x1:x2].copy() if x2 - x1 >= 2 and y2 - y1 >= 2 else None
