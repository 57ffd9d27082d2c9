"""The tracks of one run as a table: one row per (frame, track), with export and simple summaries.

Columns: frame (0-based video frame), time (seconds), track_id, label, x1, y1, x2, y2, score, origin
("detected" or "predicted").  Only confirmed tracks (id >= 0) are stored.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from anon_core.detections import Detections

COLUMNS = ["frame", "time", "track_id", "label", "x1", "y1", "x2", "y2", "score", "origin"]
ANCHORS = ("foot", "center")


class TrackTable:
    """Accumulates tracker output frame by frame (`add`) and answers questions about it."""

    def __init__(self, fps: float = 25.0, rows: pd.DataFrame | None = None):
        self.fps = float(fps) if fps and fps > 0 else 25.0
        self._parts: list[pd.DataFrame] = [] if rows is None else [rows[COLUMNS]]
        self._df: pd.DataFrame | None = None

    # ------------------------------------------------------------------ building
    def add(self, frame: int, tracked: Detections, max_predicted_age: int = 0) -> Detections:
        """Store the confirmed rows of one frame; predicted rows only up to `max_predicted_age` frames
        after their last detection.  Returns the rows stored."""
        keep = tracked.track_ids >= 0
        if tracked.origin is not None and "age" in tracked.data:
            keep &= (tracked.origin == "detected") | (tracked.data["age"] <= max_predicted_age)
        rows = tracked[keep]
        if len(rows):
            self._parts.append(pd.DataFrame({
                "frame": np.full(len(rows), frame, np.int64), "time": np.full(len(rows), frame / self.fps),
                "track_id": rows.track_ids, "label": rows.labels,
                "x1": rows.xyxy[:, 0], "y1": rows.xyxy[:, 1], "x2": rows.xyxy[:, 2], "y2": rows.xyxy[:, 3],
                "score": rows.scores,
                "origin": rows.origin if rows.origin is not None else np.full(len(rows), "detected")}))
            self._df = None
        return rows

    def set_fps(self, fps: float) -> None:
        """Re-time the rows for the source's frame rate (known to the job loop only once it opened the input)."""
        self.fps = float(fps) if fps and fps > 0 else 25.0
        df = self.df
        if len(df):
            df["time"] = df["frame"] / self.fps

    @property
    def df(self) -> pd.DataFrame:
        if self._df is None:
            parts = [p for p in self._parts if len(p)]
            self._df = (pd.concat(parts, ignore_index=True) if parts
                        else pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(
                            COLUMNS, ["int64", "float64", "int64", "str", "float32", "float32", "float32",
                                      "float32", "float32", "str"])}))
            self._parts = [self._df]
        return self._df

    def __len__(self) -> int:
        return len(self.df)

    # ------------------------------------------------------------------ queries
    def frame_arrays(self) -> dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """frame -> (track ids, labels, xyxy boxes) for metric computation."""
        df = self.df
        out = {}
        for f, g in df.groupby("frame", sort=True):
            out[int(f)] = (g["track_id"].to_numpy(np.int64), g["label"].to_numpy(str),
                           g[["x1", "y1", "x2", "y2"]].to_numpy(np.float32))
        return out

    def trajectories(self, anchor: str = "foot") -> pd.DataFrame:
        """frame, time, track_id, label, x, y of the anchor point (foot = bottom centre), sorted."""
        if anchor not in ANCHORS:
            raise ValueError(f"anchor must be one of {ANCHORS}, got {anchor!r}")
        df = self.df
        y = df["y2"] if anchor == "foot" else (df["y1"] + df["y2"]) / 2
        out = pd.DataFrame({"frame": df["frame"], "time": df["time"], "track_id": df["track_id"],
                            "label": df["label"], "x": (df["x1"] + df["x2"]) / 2, "y": y})
        return out.sort_values(["track_id", "frame"], kind="stable").reset_index(drop=True)

    def counts(self) -> dict[str, int]:
        """Distinct tracks per class."""
        df = self.df
        return {str(k): int(v) for k, v in df.groupby("label")["track_id"].nunique().items()}

    def per_frame_counts(self, num_frames: int) -> dict[str, list[int]]:
        """Tracks present on each frame, per class."""
        out = {}
        for label, g in self.df.groupby("label"):
            out[str(label)] = np.bincount(g["frame"].to_numpy(np.int64), minlength=num_frames)[:num_frames].tolist()
        return out

    def spans(self) -> pd.DataFrame:
        """One row per track: track_id, label, first/last frame, frames seen, start/end time (the timeline)."""
        df = self.df
        g = df.groupby(["track_id", "label"], sort=True)
        out = g["frame"].agg(first="min", last="max", frames="count").reset_index()
        out["start"] = out["first"] / self.fps
        out["end"] = (out["last"] + 1) / self.fps
        return out

    # ------------------------------------------------------------------ export
    def to_csv(self, path: str | Path | None = None) -> str:
        text = self.df.to_csv(index=False, float_format="%.2f")
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    def to_records(self) -> list[dict]:
        df = self.df.copy()
        for c in ("x1", "y1", "x2", "y2"):
            df[c] = df[c].astype(float).round(1)
        df["score"] = df["score"].astype(float).round(3)
        df["time"] = df["time"].astype(float).round(3)
        return df.to_dict(orient="records")

    def to_mot(self, path: str | Path) -> None:
        """MOTChallenge result file: frame (1-based), id, x, y, w, h, score, -1, -1, -1."""
        df = self.df
        lines = [f"{int(r.frame) + 1},{int(r.track_id)},{r.x1:.2f},{r.y1:.2f},{r.x2 - r.x1:.2f},{r.y2 - r.y1:.2f},"
                 f"{r.score:.3f},-1,-1,-1" for r in df.itertuples()]
        Path(path).write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")
