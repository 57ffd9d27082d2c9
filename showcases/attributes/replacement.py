"""Synthetic face replacement: each face becomes an openpeople person of the same sex and age band
showing the same emotion, so age/sex/emotion analytics keep working while the identity is gone.

Donors come from the openpeople emotion sheets (10 people x 16 expressions).  For each target face:

1. estimates (sex, age, emotion) are read from `dets.data` when the pipeline attached them (computed on
   the raw frame), otherwise estimated here;
2. donor people are ranked: never the source's own identity (known `dets.data["person_id"]`), then
   same sex, then no look-alike (reference embedding within 0.6 of the source face, when
   `identity_guard` is on), then the nearest age band, then farthest from the source in embedding space; the
   expression cell is the sheet expression for the estimated FER emotion; a tracked face keeps its
   donor for the life of its track;
3. the donor face is similarity-aligned to the target's 5 landmarks (cv2.estimateAffinePartial2D),
   colour-matched in LAB to the target face, and alpha-blended with a feathered ellipse over a blurred
   underlay (so no sharp original pixels survive at the mask's edge);
4. with `identity_guard`, the result is checked with the same dlib face recogniser: if it still lies
   within 0.6 + `guard_margin` of the source face, the next donor is tried (up to `max_tries`), and
   the farthest attempt is kept; if every attempt still matches (< 0.6), the face stays blurred.

Fail closed: a face that cannot be replaced is filled instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from anon_core.anonymize.regions import Blur, Fill
from anon_core.detections import Detections
from anon_core.detectors.catalog import create_detector
from showcases.attributes.dataset import SHEET_TO_FER, age_band, band_of_range, openpeople_faces
from showcases.attributes.faces import dlib_boxes
from showcases.attributes.reid import REID_THRESHOLD, FaceEmbedder

#: FER class -> the sheet expression used as donor cell
FER_TO_SHEET = {}
for _sheet, _fer in SHEET_TO_FER.items():
    FER_TO_SHEET.setdefault(_fer, _sheet)


@dataclass
class Donor:
    person_id: str
    sex: str
    band: int
    expression: str
    image: np.ndarray  # BGR crop
    landmarks: np.ndarray  # (5, 2) crop coordinates
    mask: np.ndarray  # float32 ellipse of the face, crop size


@dataclass
class FaceBank:
    donors: list[Donor]
    references: dict[str, np.ndarray]  # person_id -> reference (neutral) embedding, may be empty

    @classmethod
    def build(cls, detector=None, people=None, embedder=None) -> FaceBank:
        """Donor faces from the emotion sheets (CenterFace finds them and their landmarks)."""
        if detector is None:
            detector = create_detector("centerface", input_width=640)
        faces = openpeople_faces(detector, people=people, assets=("emotions_sheet",))
        donors = [Donor(f.person_id, f.sex, band_of_range(f.age_range), f.expression, f.image,
                        f.det.landmarks[0].copy(), _ellipse_mask(f.image.shape[:2], f.det.xyxy[0]))
                  for f in faces if f.expression in SHEET_TO_FER and f.det.landmarks is not None]
        if not donors:
            raise RuntimeError("no donor faces found on the openpeople emotion sheets; reinstall openpeople")
        refs = {}
        if embedder is not None:
            for f in faces:
                if f.expression == "neutral":
                    refs[f.person_id] = embedder(f.image, f.det)[0]
        return cls(donors, refs)

    @property
    def people(self) -> list[str]:
        return sorted({d.person_id for d in self.donors})

    def donor(self, person_id: str, expression: str) -> Donor:
        for d in self.donors:
            if d.person_id == person_id and d.expression == expression:
                return d
        return next(d for d in self.donors if d.person_id == person_id and d.expression == "neutral")

    def rank_people(self, sex: str, age: float, exclude: set[str], embedding: np.ndarray | None = None,
                    threshold: float = 0.6) -> list[str]:
        """Donor identities, best first: not excluded, same sex, not a look-alike of the source (reference
        embedding within `threshold`), nearest age band, then farthest from the source's embedding."""
        info = {d.person_id: (d.sex, d.band) for d in self.donors}
        dist = {}
        if embedding is not None and self.references:
            dist = {p: float(np.linalg.norm(self.references[p] - embedding)) for p in info if p in self.references}
        band = age_band(float(age))

        def key(p):
            s, b = info[p]
            return (p in exclude, s != sex, dist.get(p, np.inf) < threshold, abs(b - band), -dist.get(p, 0.0), p)

        ranked = sorted(info, key=key)
        return [p for p in ranked if p not in exclude] or ranked


def _ellipse_mask(shape: tuple[int, int], box: np.ndarray, grow: float = 1.04) -> np.ndarray:
    x1, y1, x2, y2 = box
    mask = np.zeros(shape, np.float32)
    centre = (int(round((x1 + x2) / 2)), int(round((y1 + y2) / 2)))
    axes = (max(1, int(round((x2 - x1) / 2 * grow))), max(1, int(round((y2 - y1) / 2 * grow))))
    cv2.ellipse(mask, centre, axes, 0, 0, 360, 1.0, thickness=-1)
    return mask


def _colour_match(src_bgr: np.ndarray, ref_bgr: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """`src` with the LAB mean and spread of `ref` inside `mask`."""
    sel = mask > 0.5
    if sel.sum() < 16:
        return src_bgr
    src = cv2.cvtColor(src_bgr, cv2.COLOR_BGR2LAB).astype(np.float32)
    ref = cv2.cvtColor(ref_bgr, cv2.COLOR_BGR2LAB).astype(np.float32)
    s_mean, s_std = src[sel].mean(0), src[sel].std(0) + 1e-3
    r_mean, r_std = ref[sel].mean(0), ref[sel].std(0) + 1e-3
    gain = np.clip(r_std / s_std, 0.5, 2.0)
    out = (src - s_mean) * gain + r_mean
    return cv2.cvtColor(np.clip(out, 0, 255).astype(np.uint8), cv2.COLOR_LAB2BGR)


class SyntheticFace:
    """Anonymizer `apply(frame, dets) -> new frame` replacing faces by attribute-matched synthetic donors.

    bank: a FaceBank (built on first use if None); identity_guard: embed each source face to avoid
    look-alike donors (slower, ~0.2 s a face on CPU); feather: mask feathering as a share of face width;
    padding: share of the box that is blurred underneath the donor.
    """

    method = "synthetic-face"

    def __init__(self, bank: FaceBank | None = None, identity_guard: bool = True, feather: float = 0.08,
                 padding: float = 0.15, estimator=None, embedder=None):
        self.max_tries = 3
        self.guard_margin = 0.05
        self.bank = bank
        self.identity_guard = identity_guard
        self.feather = feather
        self.padding = padding
        self._estimator = estimator
        self._embedder = embedder
        self._underlay = Blur(padding=padding)
        self._fallback = Fill(padding=padding)
        self._track_person: dict[int, str] = {}

    def describe(self) -> dict:
        return {"method": self.method, "identity_guard": self.identity_guard, "feather": self.feather,
                "padding": self.padding, "donors": "openpeople emotion sheets"}

    # ------------------------------------------------------------------ lazy parts
    def _embedder_or_none(self):
        if not self.identity_guard:
            return None
        if self._embedder is None:
            self._embedder = FaceEmbedder()
        return self._embedder

    def _bank(self) -> FaceBank:
        if self.bank is None:
            self.bank = FaceBank.build(embedder=self._embedder_or_none())
        return self.bank

    def _attributes(self, frame: np.ndarray, dets: Detections) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if all(k in dets.data for k in ("sex", "age", "emotion")):
            return dets.data["sex"], dets.data["age"], dets.data["emotion"]
        if self._estimator is None:  # deliberately lazy: the estimators import torch (~2.3 s)
            from showcases.attributes.estimators import AttributeEstimator

            self._estimator = AttributeEstimator()
        attrs = self._estimator(frame, dets)
        return attrs.sex, attrs.age, attrs.emotion

    # ------------------------------------------------------------------ anonymizer verb
    def apply(self, frame: np.ndarray, dets: Detections) -> np.ndarray:
        if not len(dets):
            return frame.copy()
        self._bank()
        out = self._underlay.apply(frame, dets)
        try:
            sex, age, emotion = self._attributes(frame, dets)
            embedder = self._embedder_or_none()
            embeddings = embedder(frame, dets) if embedder is not None else None
        except Exception:  # estimation failed: fail closed for every face
            return self._fallback.apply(frame, dets)
        for i in range(len(dets)):
            try:
                out = self._replace_one(out, frame, dets, i, (str(sex[i]), float(age[i]), str(emotion[i])),
                                        None if embeddings is None else embeddings[i])
            except Exception:
                out = self._fallback.apply(out, dets[i])
        return out

    def _replace_one(self, out, frame, dets: Detections, i: int, attrs, embedding) -> np.ndarray:
        sex, age, emotion = attrs
        bank = self._bank()
        row = dets[i]
        track = int(dets.track_ids[i]) if dets.track_ids is not None else -1
        expression = FER_TO_SHEET.get(emotion, "neutral")
        if track >= 0 and track in self._track_person:
            return self._paste(out, frame, row, bank.donor(self._track_person[track], expression))
        exclude = {str(dets.data["person_id"][i])} if "person_id" in dets.data else set()
        ranked = bank.rank_people(sex, age, exclude, embedding)
        best, best_d, best_p = None, -1.0, ranked[0]
        for person in ranked[: self.max_tries if embedding is not None else 1]:
            candidate = self._paste(out, frame, row, bank.donor(person, expression))
            if embedding is None:
                best, best_p = candidate, person
                break
            d = float(np.linalg.norm(self._embedder.embed_at(candidate, dlib_boxes(row))[0] - embedding))
            if d > best_d:
                best, best_d, best_p = candidate, d, person
            if d >= REID_THRESHOLD + self.guard_margin:
                break
        if embedding is not None and best_d < REID_THRESHOLD:
            return out  # no donor hides this identity: the face stays under the blurred underlay
        if track >= 0:
            self._track_person[track] = best_p
        return best

    def reset(self) -> None:
        self._track_person.clear()

    def _paste(self, out: np.ndarray, raw: np.ndarray, row: Detections, donor: Donor) -> np.ndarray:
        h, w = out.shape[:2]
        box = row.padded(self.padding + 0.3).xyxy[0]
        x1, y1 = int(max(0, np.floor(box[0]))), int(max(0, np.floor(box[1])))
        x2, y2 = int(min(w, np.ceil(box[2]))), int(min(h, np.ceil(box[3])))
        if x2 - x1 < 2 or y2 - y1 < 2:
            raise ValueError("face too small to replace")
        dst = _target_landmarks(row)
        m, _ = cv2.estimateAffinePartial2D(donor.landmarks, dst, method=cv2.LMEDS)
        if m is None or not np.isfinite(m).all():
            raise ValueError("no similarity transform from donor to target landmarks")
        m = m.copy()
        m[:, 2] -= (x1, y1)
        size = (x2 - x1, y2 - y1)
        warped = cv2.warpAffine(donor.image, m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        mask = cv2.warpAffine(donor.mask, m, size, flags=cv2.INTER_LINEAR, borderValue=0)
        if mask.max() <= 0:
            raise ValueError("donor face falls outside the target region")
        face_w = float(row.wh[0, 0])
        sigma = max(1.0, self.feather * face_w)
        alpha = cv2.GaussianBlur(cv2.erode(mask, None, iterations=max(1, int(sigma))), (0, 0), sigma)[..., None]
        warped = _colour_match(warped, raw[y1:y2, x1:x2], mask)
        roi = out[y1:y2, x1:x2].astype(np.float32)
        out = out.copy()
        out[y1:y2, x1:x2] = np.clip(alpha * warped + (1 - alpha) * roi, 0, 255).astype(np.uint8)
        return out


# Mean CenterFace landmarks relative to the box (x, y as shares of width, height), for rows without landmarks.
_LANDMARK_TEMPLATE = np.array([[0.31, 0.42], [0.69, 0.42], [0.50, 0.60], [0.35, 0.76], [0.65, 0.76]], np.float32)


def _target_landmarks(row: Detections) -> np.ndarray:
    if row.landmarks is not None and np.isfinite(row.landmarks[0]).all() and row.landmarks.shape[1] == 5:
        return row.landmarks[0].astype(np.float32)
    x1, y1 = row.xyxy[0, :2]
    return (_LANDMARK_TEMPLATE * row.wh[0] + (x1, y1)).astype(np.float32)

