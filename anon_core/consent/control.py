"""The consent list as a pipeline control: a face stays visible only while it matches an enrolled person
confidently, on every frame it is shown.

Per frame, every face region of at least MIN_FACE_PX is embedded (dlib, see embedding.py) where it is
and compared with each enrolled person (nearest of that person's photos):

- confident match: distance < KEEP_DISTANCE.  0.45 is stricter than dlib's same-person 0.6 because
  the synthetic openpeople faces the tests use lie close together: measured with two enrolment photos
  each (selfie + studio portrait) against 6 emotion-sheet faces of every person, the same person
  stayed within 0.33-0.48 and the nearest other person came as close as 0.36-0.70 (0.53 for P001, the
  one the tests enrol).  Real faces lie further apart; the threshold is in the report.
- matching follows tracks: a track's first confident match binds it to that person; a later detection
  on the same track that matches another enrolled person confidently, or lies beyond SAME_PERSON (0.6)
  of the bound person, revokes the track for good (the tracker may have switched to someone else).
  Rows the tracker only predicted or held are shown only when they match the bound person confidently
  on this frame, and never revoke.
- everything else (no match, an uncertain distance, a face too small to verify, a revoked track) stays
  anonymized.

Kept faces are noted per frame (track id, person, distance); the report sums them per track.
"""

from __future__ import annotations

import numpy as np

from anon_core.consent.embedding import SAME_PERSON, FaceEmbedder
from anon_core.consent.enrol import Enrolment
from anon_core.detections import Detections

KEEP_DISTANCE = 0.45
MIN_FACE_PX = 40  # dlib's embedding is unreliable on smaller faces (its chips are 150 px)


class ConsentControl:
    name = "consent"
    needs_pixels = True  # embeds each face: a device job brings the frame to the host (Pipeline.needs_pixels)
    covers = False  # cover() leaves the frame as it is

    def __init__(self, enrolment: Enrolment, embedder: FaceEmbedder | None = None,
                 threshold: float = KEEP_DISTANCE, min_face: int = MIN_FACE_PX):
        if not 0 < threshold <= SAME_PERSON:
            raise ValueError(f"consent threshold must be in (0, {SAME_PERSON}], got {threshold}")
        self.enrolment = enrolment
        self.embedder = embedder or FaceEmbedder()
        self.threshold = float(threshold)
        self.min_face = int(min_face)
        self.reset()

    def reset(self) -> None:
        self.bound: dict[int, int] = {}  # track id -> enrolled person index
        self.revoked: set[int] = set()

    def cover(self, frame: np.ndarray, index: int) -> np.ndarray:
        return frame

    def describe(self) -> dict:
        return {"enrolled": self.enrolment.describe(), "keep_distance": self.threshold,
                "revoke_distance": SAME_PERSON, "min_face_px": self.min_face,
                "embedding": {"model": "dlib face_recognition_resnet_model_v1", "weights": self.embedder.weights.name}}

    def select(self, frame: np.ndarray, index: int, regions: Detections) -> tuple[Detections, list[dict]]:
        faces = np.flatnonzero((regions.labels == "face") & (regions.wh.min(1) >= self.min_face)) \
            if len(regions) else np.zeros(0, int)
        if not len(faces):
            return regions, []
        dist = self.enrolment.distances(self.embedder(frame, regions[faces]))
        keep = np.zeros(len(regions), bool)
        notes = []
        for row, d in zip(faces, dist):
            person = self._decide(regions, int(row), d)
            if person is not None:
                keep[row] = True
                notes.append(_note(regions, int(row), self.enrolment.names[person], float(d[person])))
        return regions[~keep], notes

    def _decide(self, regions: Detections, row: int, d: np.ndarray) -> int | None:
        """The enrolled person this row shows confidently (it then stays visible), else None."""
        best = int(np.argmin(d))
        confident = d[best] < self.threshold
        track = -1 if regions.track_ids is None else int(regions.track_ids[row])
        detected = regions.origin is None or regions.origin[row] == "detected"
        if track < 0:  # not (yet) a confirmed track: this frame's evidence only
            return best if confident else None
        if track in self.revoked:
            return None
        bound = self.bound.get(track)
        if detected and bound is not None and ((confident and best != bound) or d[bound] >= SAME_PERSON):
            self.revoked.add(track)  # the track now shows someone else
            return None
        if bound is None:
            if confident and detected:
                self.bound[track] = best
                return best
            return None
        return bound if d[bound] < self.threshold else None


def _note(regions: Detections, i: int, person: str, distance: float) -> dict:
    row = regions[i].to_records()[0]
    return {"reason": "consent", "person": person, "distance": round(distance, 4), "box": row["box"],
            "label": row["label"], "track_id": row.get("track_id", -1)}
