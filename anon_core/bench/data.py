"""Benchmark inputs: a frame sequence (MOT img1/, a video, or a photo set) with per-frame ground truth.

Layouts accepted by `load_sequence(path, target)`:
  * MOTChallenge:  DIR/img1/000001.jpg ... + DIR/gt/gt.txt (persons)
  * video + gt:    DIR/<one video> + DIR/gt.txt or DIR/gt/gt.txt; a synthetic sample (video.mp4,
                   gt/gt.txt, faces.jsonl) gives faces from faces.jsonl
  * photo set:     DIR/images/*.jpg + DIR/gt/faces.csv (split,file,x,y,w,h,ignore), e.g. dlib_faces
A video file path whose folder holds the ground truth works as well.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from anon_core.groundtruth import load_mot
from anon_core.media.video import VideoReader, probe
from anon_core.synth import load_faces

VIDEO_EXT = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v")
IMAGE_EXT = (".jpg", ".jpeg", ".png", ".bmp")


class BenchDataError(ValueError):
    pass


@dataclass
class Sequence:
    """Frames in order plus ground-truth boxes per frame; `temporal` is False for unrelated photos."""

    name: str
    target: str
    gt: list[np.ndarray]  # per frame (N_i, 4) xyxy
    images: list[Path] = field(default_factory=list)
    video: Path | None = None
    temporal: bool = True
    # Persons only, from MOT ground truth with a visibility column (None otherwise):
    visible: list[np.ndarray] | None = None  # per frame: scored pedestrians at least min_visibility visible
    exclude: list[np.ndarray] | None = None  # per frame: every annotated person (any class, ignored
    #                                          rows included) and distractor: not collateral damage
    min_visibility: float | None = None

    def __len__(self) -> int:
        return len(self.gt)

    def frames(self) -> Iterator[np.ndarray]:
        """Decode the frames (decoding is part of the timed end-to-end loop)."""
        if self.video is not None:
            with VideoReader(self.video) as reader:
                for i, frame in enumerate(reader.frames()):
                    if i >= len(self):
                        break
                    yield frame
            return
        for path in self.images[: len(self)]:
            frame = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if frame is None:
                raise BenchDataError(f"cannot read {path}; is it an image?")
            yield frame

    @property
    def gt_boxes(self) -> int:
        return int(sum(len(g) for g in self.gt))


def _mot_gt(path: Path, n: int, labels) -> list[np.ndarray]:
    gt = load_mot(path)
    return [gt.at(i + 1, labels=labels).xyxy for i in range(n)]


# MOT17 classes that are people (pedestrian, person on vehicle, static person) or look like them
# (distractor, reflection): a region over them is not collateral damage.
PERSON_LIKE = ("person", "class8", "class12")


def _mot_persons(path: Path, n: int, min_visibility: float) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(visible pedestrians, boxes excluded from collateral) per frame, for the coverage metrics."""
    scored, everything = load_mot(path), load_mot(path, keep_ignored=True)
    visible, exclude = [], []
    for i in range(n):
        peds = scored.at(i + 1, labels=("person",))
        visible.append(peds.xyxy[peds.data["visibility"] >= min_visibility])
        exclude.append(everything.at(i + 1, labels=PERSON_LIKE).xyxy)
    return visible, exclude


def _faces_gt(path: Path, n: int) -> list[np.ndarray]:
    faces = load_faces(path)
    return [faces.at(i + 1).xyxy for i in range(n)]


def _video_frames(video: Path) -> int:
    info = probe(video)
    if not info.frame_count:
        raise BenchDataError(f"{video}: frame count unknown; re-encode it as MP4 (H.264)")
    return int(info.frame_count)


def _photo_set(root: Path, target: str) -> Sequence:
    files: dict[str, list] = {}
    with (root / "gt" / "faces.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            box = [float(row[k]) for k in ("x", "y", "w", "h")]
            files.setdefault(row["file"], [])
            if row.get("ignore", "0") in ("0", "", "False", "false"):
                files[row["file"]].append([box[0], box[1], box[0] + box[2], box[1] + box[3]])
    images = [root / "images" / f for f in sorted(files)]
    gt = [np.asarray(files[f], np.float64).reshape(-1, 4) for f in sorted(files)]
    return Sequence(root.name, "face", gt, images=images, temporal=False)


def load_sequence(path: str | Path, target: str = "person", max_frames: int | None = None,
                  min_visibility: float = 0.5) -> Sequence:
    """Frames + ground truth for `target` ("person" or "face") from one of the layouts above.

    For persons with MOT ground truth, also the pedestrians at least `min_visibility` visible
    (coverage, visible count) and the boxes that do not count as collateral damage."""
    path = Path(path)
    if target not in ("person", "face"):
        raise BenchDataError(f"target must be person or face, not {target!r}")
    if path.is_file() and path.suffix.lower() in VIDEO_EXT:
        video, root = path, path.parent
    elif path.is_dir():
        root = path
        videos = sorted(p for p in root.iterdir() if p.suffix.lower() in VIDEO_EXT)
        video = videos[0] if videos and not (root / "img1").is_dir() else None
    else:
        raise BenchDataError(f"{path} is neither a folder nor a video; give a MOT folder (img1/ + gt/gt.txt), "
                             "a video with gt.txt beside it, or a photo set (images/ + gt/faces.csv)")
    if (root / "gt" / "faces.csv").is_file() and video is None and not (root / "img1").is_dir():
        seq = _photo_set(root, target)
    else:
        if video is None:
            images = sorted(p for p in (root / "img1").glob("*") if p.suffix.lower() in IMAGE_EXT)
            if not images:
                raise BenchDataError(f"{root} has no img1/ frames and no video; see `anon bench --help` for layouts")
            n = len(images)
        else:
            images, n = [], _video_frames(video)
        gt_file = next((p for p in (root / "gt" / "gt.txt", root / "gt.txt") if p.is_file()), None)
        if target == "face" and (root / "faces.jsonl").is_file():
            gt = _faces_gt(root / "faces.jsonl", n)
        elif gt_file is None:
            raise BenchDataError(f"no ground truth in {root}: expected gt/gt.txt or gt.txt (MOTChallenge CSV)")
        else:
            gt = _mot_gt(gt_file, n, ("person",) if target == "person" else None)
        seq = Sequence(root.name, target, gt, images=images, video=video)
        if target == "person" and gt_file is not None:
            seq.visible, seq.exclude = _mot_persons(gt_file, n, min_visibility)
            seq.min_visibility = min_visibility
    if max_frames:
        seq.gt = seq.gt[:max_frames]
        seq.images = seq.images[:max_frames]
        if seq.visible is not None:
            seq.visible, seq.exclude = seq.visible[:max_frames], seq.exclude[:max_frames]
    return seq
