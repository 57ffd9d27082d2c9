"""Write a scene to disk and read it back.

Layout of a sample directory::

    video.mp4        H.264 (anon_core.media.video.VideoWriter), exactly len(scene) frames at the scene fps
    gt/gt.txt        MOTChallenge: frame,id,x,y,w,h,conf,class,visibility (1-based frames; class 1 person,
                     100 box, 101 pallet, 102 cart; visibility = unoccluded in-frame alpha / full alpha)
    faces.jsonl      one JSON object per visible face per frame:
                     {"frame", "track_id", "box": [x, y, w, h], "identity", "sex", "age_range",
                      "emotion" (str or null), "visibility"}
    meta.json        kind, size, fps, frames, seed, people, line ([[x1, y1], [x2, y2]] or null),
                     crossings ([{"track_id", "frame", "direction"}]) and the generator version
    img1/000001.png  lossless frames (only when asked)
"""

from __future__ import annotations

import json
import os
import shutil
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from anon_core.detections import Detections
from anon_core.groundtruth import write_mot
from anon_core.media.images import write_image
from anon_core.media.video import VideoWriter
from anon_core.synth.scenes import Scene

SYNTH_VERSION = 1


@dataclass(frozen=True)
class SampleScene:
    root: Path
    video: Path
    gt: Path
    faces: Path
    meta: Path
    frames_dir: Path | None = None

    def load_meta(self) -> dict:
        return json.loads(self.meta.read_text(encoding="utf-8"))


def sample_paths(root: str | Path) -> SampleScene:
    root = Path(root)
    frames = root / "img1"
    return SampleScene(root, root / "video.mp4", root / "gt" / "gt.txt", root / "faces.jsonl", root / "meta.json",
                       frames if frames.is_dir() else None)


def write_scene(scene: Scene, out_dir: str | Path, frames: bool = False, video: bool = True,
                progress: bool = False) -> SampleScene:
    """Render every frame of `scene` into `out_dir` (see the module doc for the layout)."""
    out = Path(out_dir)
    (out / "gt").mkdir(parents=True, exist_ok=True)
    frames_dir = out / "img1"
    if frames:
        frames_dir.mkdir(exist_ok=True)
    mot_rows, face_rows = [], []
    cfg = scene.config
    indices = range(len(scene))
    if progress:
        from tqdm import tqdm

        indices = tqdm(indices, desc=f"synth {cfg.kind}", unit="frame")
    # VideoWriter publishes the file on a clean exit and removes it on an exception
    with VideoWriter(out / "video.mp4", cfg.fps) if video else nullcontext() as writer:
        for i in indices:
            frame, truths = scene.render(i)
            if writer is not None:
                writer.write(frame)
            if frames:
                write_image(frames_dir / f"{i + 1:06d}.png", frame)
            for t in truths:
                mot_rows.append((i + 1, t.track_id, *t.box, 1, t.cls, t.visibility))
                if t.face is not None:
                    face_rows.append(_face_record(i + 1, t))
    write_mot(out / "gt" / "gt.txt", mot_rows)
    (out / "faces.jsonl").write_text("".join(json.dumps(r) + "\n" for r in face_rows), encoding="utf-8")
    meta = {"version": SYNTH_VERSION, "kind": cfg.kind, "width": cfg.size[0], "height": cfg.size[1],
            "fps": cfg.fps, "frames": len(scene), "seconds": cfg.seconds, "seed": cfg.seed, "people": cfg.people,
            "config": {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(cfg).items()}, **scene.meta}
    (out / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    return sample_paths(out)


def _face_record(frame: int, t) -> dict:
    m = t.meta
    return {"frame": frame, "track_id": t.track_id, "box": [round(float(v), 2) for v in t.face],
            "identity": m.get("identity"), "sex": m.get("sex"), "age_range": m.get("age_range"),
            "emotion": m.get("emotion"), "visibility": round(float(t.face_visibility), 4)}


@dataclass(frozen=True)
class FaceTruth:
    """All rows of a faces.jsonl."""

    rows: list[dict]

    def at(self, frame: int, min_visibility: float = 0.0) -> Detections:
        """Faces of one 1-based frame as Detections (label "face", track_ids, data: identity, sex,
        age_range, emotion ("" when unknown), visibility)."""
        rows = [r for r in self.rows if r["frame"] == frame and r["visibility"] >= min_visibility]
        xywh = np.array([r["box"] for r in rows], np.float32).reshape(-1, 4)
        xyxy = np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], axis=1)
        data = {k: np.array([r[k] or "" for r in rows], dtype=str) for k in ("identity", "sex", "age_range", "emotion")}
        data["visibility"] = np.array([r["visibility"] for r in rows], np.float32)
        return Detections(xyxy, np.ones(len(rows), np.float32), np.full(len(rows), "face"),
                          track_ids=np.array([r["track_id"] for r in rows], np.int64), data=data)


def load_faces(path: str | Path) -> FaceTruth:
    path = Path(path)
    if path.is_dir():
        path = path / "faces.jsonl"
    with path.open(encoding="utf-8") as fh:
        return FaceTruth([json.loads(line) for line in fh if line.strip()])


def replace_dir(tmp: Path, final: Path) -> None:
    """Move a finished temp directory into place (replacing an older one)."""
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)
