"""Zones: polygons of the frame that are always anonymized (a window, a screen, a doorway) or never
anonymized (a poster, a mannequin).

    --zone always=0.6,0,1,0,1,0.5,0.6,0.5      # fractions of the frame: every value <= 1
    --zone never=10,20,200,20,200,300,10,300    # pixels

An always-zone is obscured on every frame after the detected regions, whatever the detectors found,
so it wins over never-zones, the consent list and false-positive marks; a frame that fails leaves
fully obscured anyway (the pipeline's fail-closed path).  A never-zone drops detected regions whose
box lies at least NEVER_INSIDE inside the polygon: a face that only brushes the zone (someone walking
past the poster) stays anonymized.  Never-zones leave faces visible, so the CLI warns about them on
stderr and the report lists them under `pipeline.controls`.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from anon_core.anonymize.regions import Blur, RegionAnonymizer
from anon_core.detections import Detections

KINDS = ("always", "never")
NEVER_INSIDE = 0.9  # share of a region's box that must lie in a never-zone for it to stay visible


class ZoneError(ValueError):
    pass


@dataclass(frozen=True, eq=False)
class Zone:
    kind: str  # "always" | "never"
    points: np.ndarray  # (K, 2) float64; fractions of width/height when `relative`
    relative: bool

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ZoneError(f"zone kind must be always or never, got {self.kind!r}")
        pts = np.asarray(self.points, np.float64).reshape(-1, 2)
        if len(pts) < 3:
            raise ZoneError("a zone is a polygon: give at least 3 points (x1,y1,x2,y2,x3,y3,...)")
        if not np.isfinite(pts).all() or (pts < 0).any():
            raise ZoneError("zone coordinates must be non-negative numbers")
        object.__setattr__(self, "points", pts)

    def polygon(self, width: int, height: int) -> np.ndarray:
        """(K, 2) int32 vertices in pixels of a width x height frame."""
        pts = self.points * (width, height) if self.relative else self.points
        return np.round(pts).astype(np.int32)

    def mask(self, width: int, height: int) -> np.ndarray:
        m = np.zeros((height, width), np.uint8)
        cv2.fillPoly(m, [self.polygon(width, height)], 1)
        return m

    def spec(self) -> str:
        return f"{self.kind}=" + ",".join(f"{v:g}" for v in self.points.ravel())

    def to_dict(self) -> dict:
        return {"kind": self.kind, "points": self.points.round(4).tolist(),
                "units": "fraction of frame" if self.relative else "pixels"}


def parse_zone(spec: str) -> Zone:
    """`always=x1,y1,x2,y2,...` or `never=...`; fractions of the frame when every value <= 1."""
    kind, sep, coords = str(spec).partition("=")
    kind = kind.strip().lower()
    if not sep or kind not in KINDS:
        raise ZoneError(f"zone {spec!r}: write always=x1,y1,x2,y2,x3,y3,... or never=... (a polygon)")
    try:
        values = [float(v) for v in coords.replace(";", ",").split(",") if v.strip()]
    except ValueError:
        raise ZoneError(f"zone {spec!r}: coordinates must be numbers separated by commas") from None
    if len(values) % 2:
        raise ZoneError(f"zone {spec!r}: an odd number of coordinates; give x,y pairs")
    return zone_from_values(kind, values)


def zone_from_values(kind: str, values) -> Zone:
    values = np.asarray(values, np.float64).ravel()
    return Zone(kind, values.reshape(-1, 2), relative=bool(len(values)) and bool((values <= 1).all()))


def zones_from_policy(entries) -> list[Zone]:
    """The policy file's `zones:` list: strings like the CLI's, or {always|never: [x1, y1, ...]}."""
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise ZoneError("policy `zones:` is a list, e.g. ['always=0,0,0.3,0,0.3,1,0,1', {never: [10, 10, ...]}]")
    out = []
    for item in entries:
        if isinstance(item, str):
            out.append(parse_zone(item))
        elif isinstance(item, dict) and len(item) == 1:
            kind, values = next(iter(item.items()))
            if str(kind) not in KINDS:
                raise ZoneError(f"zone kind must be always or never, got {kind!r}")
            if isinstance(values, str):
                out.append(parse_zone(f"{kind}={values}"))
            else:
                out.append(zone_from_values(str(kind), values))
        else:
            raise ZoneError(f"cannot read zone {item!r}; use 'always=x1,y1,...' or {{always: [x1, y1, ...]}}")
    return out


class ZoneControl:
    """A pipeline control (see anon_core/controls.py): drops regions inside never-zones in `select`,
    obscures always-zones in `cover`."""

    name = "zones"
    needs_pixels = False  # select() reads only the frame's shape

    def __init__(self, zones: list[Zone], anonymizer: RegionAnonymizer | None = None):
        self.zones = list(zones)
        self.anonymizer = anonymizer or Blur(shape="box", padding=0.0)
        self._masks: dict[tuple[int, int, str], np.ndarray] = {}

    def reset(self) -> None:
        pass

    @property
    def always(self) -> list[Zone]:
        return [z for z in self.zones if z.kind == "always"]

    @property
    def never(self) -> list[Zone]:
        return [z for z in self.zones if z.kind == "never"]

    def warnings(self) -> list[str]:
        return [f"never-zone {z.spec()}: faces inside it are NOT anonymized" for z in self.never]

    def describe(self) -> dict:
        return {"zones": [z.to_dict() for z in self.zones], "never_inside": NEVER_INSIDE,
                "anonymizer": self.anonymizer.describe(), "warnings": self.warnings()}

    def _mask(self, kind: str, width: int, height: int) -> np.ndarray:
        key = (width, height, kind)
        if key not in self._masks:
            m = np.zeros((height, width), np.uint8)
            for z in self.zones:
                if z.kind == kind:
                    m |= z.mask(width, height)
            self._masks = {k: v for k, v in self._masks.items() if k[:2] == (width, height)}
            self._masks[key] = m
        return self._masks[key]

    def select(self, frame: np.ndarray, index: int, regions: Detections) -> tuple[Detections, list[dict]]:
        if not self.never or not len(regions):
            return regions, []
        h, w = frame.shape[:2]
        integral = cv2.integral(self._mask("never", w, h))
        inside = np.array([_share_inside(integral, box, w, h) for box in regions.xyxy])
        drop = inside >= NEVER_INSIDE
        notes = [_note(regions, i, "never-zone", inside=round(float(inside[i]), 3)) for i in np.flatnonzero(drop)]
        return regions[~drop], notes

    def cover(self, frame: np.ndarray, index: int) -> np.ndarray:
        if not self.always:
            return frame
        h, w = frame.shape[:2]
        mask = self._mask("always", w, h)
        ys, xs = np.nonzero(mask)
        if not len(xs):
            return frame
        x1, y1, x2, y2 = xs.min(), ys.min(), xs.max() + 1, ys.max() + 1
        out = frame.copy()
        roi = out[y1:y2, x1:x2]
        cv2.copyTo(self.anonymizer.obscure(roi), mask[y1:y2, x1:x2], roi)
        return out


def _share_inside(integral: np.ndarray, box, width: int, height: int) -> float:
    x1, y1, x2, y2 = box
    area = max((x2 - x1) * (y2 - y1), 1e-6)
    x1, x2 = (int(np.clip(round(v), 0, width)) for v in (x1, x2))
    y1, y2 = (int(np.clip(round(v), 0, height)) for v in (y1, y2))
    if x2 <= x1 or y2 <= y1:
        return 0.0
    inside = integral[y2, x2] - integral[y1, x2] - integral[y2, x1] + integral[y1, x1]
    return float(inside) / float(area)


def _note(regions: Detections, i: int, reason: str, **extra) -> dict:
    """A report entry for a region left visible on purpose."""
    row = regions[i].to_records()[0]
    return {"reason": reason, "box": row["box"], "label": row["label"], "track_id": row.get("track_id", -1), **extra}
