"""Residual check of an anonymized output: where might a face still be visible?

`audit_media(original, anonymized, report=None)` reads both in lockstep and flags frames to look at:

- **face visible**: second face detectors run on the anonymized frame find a face whose fine detail is
  still the original's (model-free detail NCC > 0.5 against the original, anon_core/metrics/leak.py).
  Default: `dlib-hog` (HOG features + a linear SVM, trained on other data than CenterFace's CNN, so the
  two rarely miss a face for the same reason; embedded weights, deterministic) together with CenterFace
  at threshold 0.3 on a 1280 px input (catches faces a too high threshold or a small detect width
  missed; dlib-hog cannot see faces under ~40 px, CenterFace can).
  A detection on a properly blurred region has NCC ~0 and is not flagged; a face the report says was
  kept on purpose (consent list, never-zone) is listed as kept, not flagged.
- **uncertain** (from the job's report, when given): detected regions with a low score (< LOW_SCORE),
  and tracks that appear late or vanish early, i.e. whose first (last) box lies away from the frame
  border (a face does not materialise in the middle of the frame: the detector probably missed it on
  the frames before), flagged on the EDGE_FRAMES frames before (after) the track.

dlib-hog finds frontal faces down to ~40 px at upsample 1; smaller or profile faces escape it, so the
check complements the review, it does not replace it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from anon_core.detections import Detections, box_iou
from anon_core.detectors import create_detector, detector_info
from anon_core.media import MediaError, open_source
from anon_core.metrics.leak import LEAK_NCC, detail_nccs
from anon_core.models.checksums import sha256_file

DEFAULT_DETECTOR = "dlib-hog,centerface"
AUDIT_CENTERFACE_THRESHOLD = 0.3  # below the pipeline's 0.4: catches faces missed by a (too) high threshold
LOW_SCORE = 0.5
EDGE_FRAMES = 5  # frames before a late track / after an early-vanishing one that are flagged
BORDER = 0.05  # share of the frame size that counts as "at the border"


@dataclass
class AuditResult:
    frames: int = 0
    checked: int = 0
    visible: dict = field(default_factory=dict)  # frame -> [{"box", "score", "ncc"}]
    kept: dict = field(default_factory=dict)  # frame -> [{"box", "reason"}] found but kept on purpose
    uncertain: dict = field(default_factory=dict)  # frame -> [reasons]
    detector: dict = field(default_factory=dict)

    @property
    def flagged(self) -> list[int]:
        return sorted(set(self.visible) | set(self.uncertain))

    def timeline(self) -> list[dict]:
        """One row per flagged frame: frame, kind ("face visible" | "uncertain"), reasons."""
        rows = []
        for f in self.flagged:
            reasons = [f"face visible (NCC {v['ncc']:.2f})" for v in self.visible.get(f, [])]
            rows.append({"frame": f, "kind": "face visible" if f in self.visible else "uncertain",
                         "reasons": reasons + self.uncertain.get(f, [])})
        return rows

    def to_dict(self) -> dict:
        return {"frames": self.frames, "checked": self.checked, "flagged": self.flagged,
                "visible": {str(k): v for k, v in self.visible.items()},
                "kept": {str(k): v for k, v in self.kept.items()},
                "uncertain": {str(k): v for k, v in self.uncertain.items()},
                "timeline": self.timeline(), "detector": self.detector,
                "settings": {"leak_ncc": LEAK_NCC, "low_score": LOW_SCORE, "edge_frames": EDGE_FRAMES}}


class _Union:
    """Several face detectors as one: `union(frame) -> Detections` (their rows concatenated)."""

    def __init__(self, detectors: list):
        self.detectors = detectors

    def __call__(self, frame):
        return Detections.concat([d(frame) for d in self.detectors])

    def describe(self) -> dict:
        return {"detectors": [d.describe() for d in self.detectors]}


def make_detector(names: str = DEFAULT_DETECTOR):
    """The audit's face detectors (comma-separated registered names) as one callable."""
    out = []
    for name in (n.strip() for n in names.split(",") if n.strip()):
        if not detector_info(name).finds_faces:
            raise ValueError(f"{name} does not find faces; use face detectors such as dlib-hog or centerface")
        options = {"threshold": AUDIT_CENTERFACE_THRESHOLD, "input_width": 1280} if name == "centerface" else {}
        out.append(create_detector(name, **options))
    if not out:
        raise ValueError("name at least one face detector, e.g. --detector dlib-hog")
    return _Union(out)


def audit_media(original: str | Path, anonymized: str | Path, report: str | Path | dict | None = None,
                detector=None, every: int = 1, progress=None) -> AuditResult:
    """Flag frames of `anonymized` where a face may remain (see module doc)."""
    detector = detector or make_detector()
    data = _load_report(report)
    _check_report_input(data, original, report)
    kept_boxes = {int(f["frame"]): f["kept"] for f in data.get("frames", []) if f.get("kept")} if data else {}
    result = AuditResult(detector=detector.describe())
    a, b = open_source(original), open_source(anonymized)
    try:
        if a.info.frame_count and b.info.frame_count and a.info.frame_count != b.info.frame_count:
            raise MediaError(f"{original} has {a.info.frame_count} frames, {anonymized} {b.info.frame_count}: "
                             "not the original of this output")
        for i, ((_, raw), (_, out)) in enumerate(zip(a.timed_frames(), b.timed_frames())):
            result.frames = i + 1
            if raw.shape != out.shape:
                raise MediaError(f"frame {i}: original {raw.shape[1]}x{raw.shape[0]} and anonymized "
                                 f"{out.shape[1]}x{out.shape[0]} differ; not the original of this output")
            if i % every == 0:
                _check_frame(i, raw, out, detector, kept_boxes.get(i, []), result)
            if progress is not None:
                progress(i + 1, a.info.frame_count)
    finally:
        a.close()
        b.close()
    if data:
        _uncertain_from_report(data, result)
    return result


def _check_frame(i: int, raw, out, detector, kept: list[dict], result: AuditResult) -> None:
    result.checked += 1
    found = detector(out)
    found = found[found.labels == "face"]
    if not len(found):
        return
    ncc = detail_nccs(raw, out, found.xyxy)
    kept_xyxy = np.array([k["box"] for k in kept], np.float32).reshape(-1, 4)
    overlap = box_iou(found.xyxy, kept_xyxy).max(1) if len(kept_xyxy) else np.zeros(len(found))
    for j in range(len(found)):
        row = {"box": [round(float(v), 1) for v in found.xyxy[j]], "score": round(float(found.scores[j]), 3),
               "ncc": round(float(ncc[j]), 3)}
        if overlap[j] >= 0.3:
            k = kept[int(np.argmax(box_iou(found.xyxy[j:j + 1], kept_xyxy)[0]))]
            result.kept.setdefault(i, []).append(row | {"reason": k.get("reason")})
        elif ncc[j] > LEAK_NCC:
            result.visible.setdefault(i, []).append(row)


def _load_report(report) -> dict | None:
    if report is None or isinstance(report, dict):
        return report
    try:
        return json.loads(Path(report).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise MediaError(f"cannot read report {report}: {exc}") from None


def _check_report_input(data: dict | None, original, report) -> None:
    """The report must be the job's on this original (input sha256): another clip's report used to be
    read silently, and its low scores and track gaps were listed as this clip's uncertain frames."""
    want = ((data or {}).get("input") or {}).get("sha256")
    if want and Path(original).is_file() and sha256_file(original) != want:
        raise MediaError(f"{report}: this report is of another input ({data['input'].get('path')}), not of "
                         f"{original}; give the report the job wrote for it")


def _uncertain_from_report(data: dict, result: AuditResult) -> None:
    frames = data.get("frames", [])
    info = data.get("input", {}).get("info", {})
    w, h = info.get("width"), info.get("height")
    n = len(frames)
    tracks: dict[int, list] = {}
    for f in frames:
        i = int(f["frame"])
        if f.get("error"):
            continue  # fully obscured on failure
        for r in f.get("regions", []):
            if r.get("origin") == "detected" and r.get("score", 1.0) < LOW_SCORE:
                result.uncertain.setdefault(i, []).append(f"low score {r['score']:.2f}")
            tid = r.get("track_id", -1)
            if tid >= 0:
                tracks.setdefault(tid, []).append((i, r["box"]))
    for tid, seen in tracks.items():
        (first, box1), (last, box2) = seen[0], seen[-1]
        if first > 0 and not _at_border(box1, w, h):
            for k in range(max(0, first - EDGE_FRAMES), first):
                result.uncertain.setdefault(k, []).append(f"track {tid} appears at frame {first} mid-frame")
        if last < n - 1 and not _at_border(box2, w, h):
            for k in range(last + 1, min(n, last + 1 + EDGE_FRAMES)):
                result.uncertain.setdefault(k, []).append(f"track {tid} vanishes after frame {last} mid-frame")


def _at_border(box, w, h) -> bool:
    if not w or not h:
        return True  # unknown frame size: do not guess
    x1, y1, x2, y2 = box
    return x1 < BORDER * w or y1 < BORDER * h or x2 > (1 - BORDER) * w or y2 > (1 - BORDER) * h


def frame_ranges(frames: list[int]) -> str:
    """[3, 4, 5, 9] -> '3-5, 9'."""
    out, start, prev = [], None, None
    for f in sorted(frames):
        if start is None:
            start = prev = f
        elif f == prev + 1:
            prev = f
        else:
            out.append(f"{start}-{prev}" if prev > start else f"{start}")
            start = prev = f
    if start is not None:
        out.append(f"{start}-{prev}" if prev > start else f"{start}")
    return ", ".join(out)
