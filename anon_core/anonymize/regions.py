"""Region anonymizers: blur, pixelate, fill, each over a box, an ellipse or an instance mask.

`anonymizer.apply(frame, dets) -> new frame`; the input frame is never modified.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import cv2
import numpy as np

from anon_core.detections import Detections

SHAPES = ("box", "ellipse")


@dataclass(frozen=True)
class RegionStyle:
    """How one region is obscured.

    padding: grow each box by this fraction before obscuring (0.15 = 15 % wider and taller); never
        negative (a shrunken region leaves the rim of the face raw).
    strength: 1.0 is the privacy default (pixelate: 8 blocks across the longest side; blur: the
        region is reduced to 6 cells across and smoothed, whatever its size), larger is stronger.
        Each method refuses a strength below its floor (`MIN_STRENGTH`, see the anonymizers).
    colour: BGR fill colour for `fill`.
    """

    shape: str = "ellipse"
    padding: float = 0.15
    strength: float = 1.0
    colour: tuple[int, int, int] = (0, 0, 0)

    def __post_init__(self):
        if self.shape not in SHAPES:
            raise ValueError(f"shape must be one of {SHAPES}, got {self.shape!r}")
        if not 0 <= self.padding < 5:
            raise ValueError(f"padding must be between 0 and 5, got {self.padding} "
                             "(a negative padding would leave the rim of each face untouched)")
        if not self.strength > 0 or self.strength != self.strength:
            raise ValueError(f"strength must be positive, got {self.strength}")
        object.__setattr__(self, "colour", tuple(int(c) for c in self.colour))


class RegionAnonymizer:
    """Base: obscures each row's region; subclasses implement `obscure(roi) -> roi'`.

    MIN_STRENGTH is the method's floor: below it the anonymizer refuses to be built (a policy or CLI
    setting that would leave faces recognisable is an error, not a weaker result)."""

    method = "region"
    MIN_STRENGTH = 0.0
    FLOOR_MEANING = ""

    def __init__(self, style: RegionStyle | None = None, **style_options):
        self.style = style or RegionStyle(**style_options)
        if self.style.strength < self.MIN_STRENGTH:
            raise ValueError(f"{self.method} strength {self.style.strength:g} is below its floor "
                             f"{self.MIN_STRENGTH:g} ({self.FLOOR_MEANING}); weaker settings leave face detail "
                             "recognisable")

    def describe(self) -> dict:
        return {"method": self.method, **asdict(self.style)}

    def obscure(self, roi: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def apply(self, frame: np.ndarray, dets: Detections) -> np.ndarray:
        out = frame.copy()
        if not len(dets):
            return out
        h, w = frame.shape[:2]
        padded = dets.padded(self.style.padding)
        boxes = np.round(padded.xyxy).astype(int)
        boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, w)
        boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, h)
        for i, (x1, y1, x2, y2) in enumerate(boxes):
            if x2 <= x1 or y2 <= y1:
                continue
            region = self._region_mask(padded, i, (x1, y1, x2, y2))
            roi = out[y1:y2, x1:x2]
            obscured = self.obscure(roi)
            if region is None:
                out[y1:y2, x1:x2] = obscured
            else:
                cv2.copyTo(obscured, region.view(np.uint8), roi)
        return out

    def _region_mask(self, dets: Detections, i: int, box) -> np.ndarray | None:
        """Pixels to obscure inside the clipped box; None = the whole box."""
        x1, y1, x2, y2 = box
        if dets.masks is not None:
            mask = dets.masks[i][y1:y2, x1:x2].astype(np.uint8)
            if not mask.any():  # a row without a mask (e.g. a tracker prediction): use the box
                return None
            grow = max(1, int(self.style.padding * max(x2 - x1, y2 - y1) / 2))
            mask = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1,) * 2))
            return mask.astype(bool)
        if self.style.shape == "box":
            return None
        fx1, fy1, fx2, fy2 = dets.xyxy[i]  # the unclipped ellipse, so a face at the border stays covered
        mask = np.zeros((y2 - y1, x2 - x1), np.uint8)
        centre = (round((fx1 + fx2) / 2 - x1), round((fy1 + fy2) / 2 - y1))
        axes = (max(1, round((fx2 - fx1) / 2)), max(1, round((fy2 - fy1) / 2)))
        cv2.ellipse(mask, centre, axes, 0, 0, 360, 1, thickness=-1)
        return mask.astype(bool)


class Blur(RegionAnonymizer):
    """Strong blur: reduce to ~6 cells across, gaussian-smooth, scale back.  Fast, and the strength is
    relative to the region, so small faces are blurred as thoroughly as large ones."""

    method = "blur"
    # The Gaussian's sigma is always ~1/4 of the region's longest side (sigma small_side/4 in a
    # small_side image); strength sets the reduction.  Floor 0.1 = at most 60 cells across: the
    # leak NCC stays <= 0.10 on the 43 dlib faces even there (tests/reliability/test_strength_floors.py),
    # and lower values only cost memory (0.01 would upscale every face to 600 px).
    MIN_STRENGTH = 0.1
    FLOOR_MEANING = "at most 60 cells across the region before the blur of 1/4 of its size"

    def obscure(self, roi: np.ndarray) -> np.ndarray:
        h, w = roi.shape[:2]
        small_side = max(2, int(round(6 / self.style.strength)))
        f = small_side / max(h, w)
        sw, sh = max(1, round(w * f)), max(1, round(h * f))
        small = cv2.resize(roi, (sw, sh), interpolation=cv2.INTER_AREA)
        small = cv2.GaussianBlur(small, (0, 0), sigmaX=max(0.8, small_side / 4), borderType=cv2.BORDER_REPLICATE)
        return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


class Pixelate(RegionAnonymizer):
    """Mosaic of about 8 blocks across the longest side (fewer with higher strength)."""

    method = "pixelate"
    # Floor 0.8 = at most 10 blocks across the region's longest side (block >= 10 % of the region):
    # the leak NCC on the 43 dlib faces (padding 0) is 0.40 at 0.8, 0.48 at 0.6 and 0.80 at 0.1.
    MIN_STRENGTH = 0.8
    FLOOR_MEANING = "at most 10 blocks across the region's longest side"

    def obscure(self, roi: np.ndarray) -> np.ndarray:
        h, w = roi.shape[:2]
        blocks = max(2, int(round(8 / self.style.strength)))
        f = blocks / max(h, w)
        small = cv2.resize(roi, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)
        return cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST)


class Fill(RegionAnonymizer):
    """Solid colour (opaque: strength has no effect, nothing of the region survives)."""

    method = "fill"

    def obscure(self, roi: np.ndarray) -> np.ndarray:
        out = np.empty_like(roi)
        out[...] = self.style.colour
        return out


def obscure_frame(frame: np.ndarray, message: str = "frame withheld: anonymization failed") -> np.ndarray:
    """Fail-closed output: a frame that carries no image content, only a notice."""
    out = np.full_like(frame, 48)
    h, w = frame.shape[:2]
    scale = max(0.4, w / 1400)
    cv2.putText(out, message, (max(4, w // 40), h // 2), cv2.FONT_HERSHEY_SIMPLEX, scale, (230, 230, 230),
                max(1, int(scale * 2)), cv2.LINE_AA)
    return out
