"""Close-up faces from the openpeople emotion sheets, each labelled with its expression.

Every `emotions_sheet.jpg` (2400x1792) is a 4x4 grid of white-bordered photos of one person, in the
order of the package's template (openpeople/data/templates/emotions_sheet_template.jpeg, labels printed
under each box; checked by eye on all ten sheets):

    row 1: Neutral    Happy     Sad         Angry
    row 2: Surprised  Disgusted Scared      Confused
    row 3: Smug       Flirty    Thoughtful  Pensive
    row 4: Exhausted  Shocked   Playful     Determined

The boxes move a little from sheet to sheet (some have a title line), so they are located per sheet
as the 16 large bright-bordered components, sorted into rows and columns.
"""

from __future__ import annotations

import functools

import cv2
import numpy as np

from anon_core.synth.people import Sprite, asset_image, cached_sprites, make_sprite, person_info, resize_to_height

EMOTIONS = (
    "neutral", "happy", "sad", "angry",
    "surprised", "disgusted", "scared", "confused",
    "smug", "flirty", "thoughtful", "pensive",
    "exhausted", "shocked", "playful", "determined",
)
CELL_HEIGHT = 300  # emotion cut-outs are stored at this height


def locate_cells(sheet: np.ndarray) -> list[tuple[int, int, int, int]]:
    """The 16 photo boxes (x, y, w, h) of an emotion sheet in EMOTIONS order (row-major)."""
    h, w = sheet.shape[:2]
    bright = (cv2.cvtColor(sheet, cv2.COLOR_BGR2GRAY) > 215).astype(np.uint8)
    _, _, stats, _ = cv2.connectedComponentsWithStats(bright)
    boxes = [tuple(int(v) for v in s[:4]) for s in stats[1:]
             if 0.15 * w < s[2] < 0.3 * w and 0.12 * h < s[3] < 0.3 * h]
    if len(boxes) != 16:
        raise RuntimeError(f"found {len(boxes)} of the 16 boxes of an emotion sheet; "
                           "is the openpeople package intact? (pip install --force-reinstall openpeople)")
    boxes.sort(key=lambda b: b[1])
    rows = [sorted(boxes[i:i + 4], key=lambda b: b[0]) for i in range(0, 16, 4)]
    return [b for row in rows for b in row]


def cell_image(sheet: np.ndarray, box: tuple[int, int, int, int], inset: int = 14) -> np.ndarray:
    """The photo inside a box, without its white border."""
    x, y, w, h = box
    return sheet[y + inset:y + h - inset, x + inset:x + w - inset]


@functools.cache
def emotion_sprites(identity: str) -> tuple[Sprite, ...]:
    """The 16 expressions of one person as cut-outs (EMOTIONS order), each with its face box."""
    def build():
        sheet = asset_image(identity, "emotions_sheet")
        person = person_info(identity)
        return [make_sprite(resize_to_height(cell_image(sheet, box), CELL_HEIGHT), person, "emotions_sheet",
                            full_body=False, emotion=emotion)
                for box, emotion in zip(locate_cells(sheet), EMOTIONS)]

    return tuple(cached_sprites(f"{identity}_emotions", build))
