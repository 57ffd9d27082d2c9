"""User-drawn zones (rectangles or polygons, in pixels) and per-track dwell time, entries and exits.

    zones = [parse_zone("dock=100,200,400,460"), parse_zone("aisle=500,200;700,220;650,460;480,440")]
    zone_report(table.trajectories("foot"), zones, fps)

A track is in a zone when its anchor point (the foot point, bottom centre of the box, by default)
lies inside the polygon.  Entry = an observation inside right after one outside; exit = the reverse.
A track first seen inside the zone is "present at start" (no entry), one last seen inside has no
exit.  Dwell time = frames observed inside / fps.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Zone:
    name: str
    points: tuple[tuple[float, float], ...]  # polygon vertices in pixels, >= 3

    def __post_init__(self):
        if len(self.points) < 3:
            raise ValueError(f"zone {self.name!r} needs at least 3 points (or a rectangle x1,y1,x2,y2)")

    @classmethod
    def rect(cls, name: str, x1: float, y1: float, x2: float, y2: float) -> Zone:
        x1, x2 = sorted((float(x1), float(x2)))
        y1, y2 = sorted((float(y1), float(y2)))
        if x2 - x1 <= 0 or y2 - y1 <= 0:
            raise ValueError(f"zone {name!r}: rectangle {x1},{y1},{x2},{y2} has no area")
        return cls(name, ((x1, y1), (x2, y1), (x2, y2), (x1, y2)))

    def contains(self, xy: np.ndarray) -> np.ndarray:
        """Boolean per (x, y) point: inside or on the border."""
        poly = np.asarray(self.points, np.float32).reshape(-1, 1, 2)
        xy = np.asarray(xy, np.float64).reshape(-1, 2)
        return np.array([cv2.pointPolygonTest(poly, (float(x), float(y)), False) >= 0 for x, y in xy], bool)

    def to_dict(self) -> dict:
        return {"name": self.name, "points": [list(p) for p in self.points]}


def parse_zone(text: str, default_name: str = "zone") -> Zone:
    """`[name=]x1,y1,x2,y2` (rectangle) or `[name=]x,y;x,y;x,y[;...]` (polygon)."""
    name, _, spec = text.rpartition("=")
    name = name.strip() or default_name
    try:
        if ";" in spec:
            pts = tuple(tuple(float(v) for v in p.split(",")) for p in spec.split(";") if p.strip())
            if any(len(p) != 2 for p in pts):
                raise ValueError
            return Zone(name, pts)
        vals = [float(v) for v in spec.split(",")]
        if len(vals) != 4:
            raise ValueError
        return Zone.rect(name, *vals)
    except ValueError as exc:
        if "zone" in str(exc):
            raise
        raise ValueError(f"cannot read zone {text!r}: use name=x1,y1,x2,y2 for a rectangle or "
                         "name=x,y;x,y;x,y for a polygon (pixels)") from None


def zones_from_dicts(items: list[dict]) -> list[Zone]:
    """Zones from JSON-like dicts {"name", "points": [[x, y], ...]} or {"name", "rect": [x1, y1, x2, y2]}."""
    out = []
    for k, item in enumerate(items):
        name = str(item.get("name") or f"zone {k + 1}")
        if "rect" in item:
            out.append(Zone.rect(name, *item["rect"]))
        else:
            out.append(Zone(name, tuple((float(x), float(y)) for x, y in item["points"])))
    return out


def _track_events(frames: np.ndarray, inside: np.ndarray, fps: float) -> dict:
    change = np.diff(inside.astype(np.int8))
    return {"entries": int((change == 1).sum()), "exits": int((change == -1).sum()),
            "frames_inside": int(inside.sum()), "dwell_s": round(float(inside.sum()) / fps, 3),
            "present_at_start": bool(inside[0]),
            "first_inside": int(frames[inside][0]) if inside.any() else None,
            "last_inside": int(frames[inside][-1]) if inside.any() else None}


def zone_report(trajectories: pd.DataFrame, zones: list[Zone], fps: float) -> list[dict]:
    """Per zone: totals, per-class numbers and one row per track that was ever inside."""
    report = []
    traj = trajectories.sort_values(["track_id", "frame"], kind="stable")
    xy = traj[["x", "y"]].to_numpy(np.float64)
    for zone in zones:
        inside_all = zone.contains(xy) if len(traj) else np.zeros(0, bool)
        tracks = []
        for (tid, label), idx in traj.groupby(["track_id", "label"], sort=True).indices.items():
            inside = inside_all[idx]
            if inside.any():
                ev = _track_events(traj["frame"].to_numpy()[idx], inside, fps)
                tracks.append({"track_id": int(tid), "label": str(label), **ev})
        per_class: dict[str, dict] = {}
        for t in tracks:
            c = per_class.setdefault(t["label"], {"tracks": 0, "entries": 0, "exits": 0, "dwell_s": 0.0})
            c["tracks"] += 1
            c["entries"] += t["entries"]
            c["exits"] += t["exits"]
            c["dwell_s"] = round(c["dwell_s"] + t["dwell_s"], 3)
        report.append({**zone.to_dict(), "tracks": len(tracks), "entries": sum(t["entries"] for t in tracks),
                       "exits": sum(t["exits"] for t in tracks),
                       "dwell_s": round(sum(t["dwell_s"] for t in tracks), 3),
                       "mean_dwell_s": round(float(np.mean([t["dwell_s"] for t in tracks])), 3) if tracks else 0.0,
                       "per_class": per_class, "per_track": tracks})
    return report
