"""The live count drawn onto the anonymized frame (a new frame; the input is not modified)."""

from __future__ import annotations

import cv2
import numpy as np

PANEL = (24, 24, 24)
TEXT = (255, 255, 255)
LINE = (40, 210, 240)


def draw_counts(frame: np.ndarray, lines: list[str], line=None) -> np.ndarray:
    """Text lines in a dark panel at the top left, and the counting line if given."""
    out = frame.copy()
    h, w = out.shape[:2]
    scale = max(0.45, min(1.2, w / 1100))
    thick = max(1, round(scale * 2))
    if line is not None:
        x1, y1, x2, y2 = (int(round(v)) for v in line)
        cv2.line(out, (x1, y1), (x2, y2), LINE, max(2, thick), cv2.LINE_AA)
    if not lines:
        return out
    sizes = [cv2.getTextSize(t, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)[0] for t in lines]
    step = max(s[1] for s in sizes) + int(12 * scale)
    pw = max(s[0] for s in sizes) + int(20 * scale)
    ph = step * len(lines) + int(8 * scale)
    roi = out[0:min(ph, h), 0:min(pw, w)]
    roi[:] = (0.35 * roi + 0.65 * np.array(PANEL)).astype(np.uint8)
    for i, t in enumerate(lines):
        y = int(8 * scale) + step * (i + 1) - int(6 * scale)
        cv2.putText(out, t, (int(10 * scale), y), cv2.FONT_HERSHEY_SIMPLEX, scale, TEXT, thick, cv2.LINE_AA)
    return out


def count_lines(raw: float | None, anonymized: int | None = None, line_in: int | None = None,
                line_out: int | None = None) -> list[str]:
    """The overlay text of one frame."""
    out = [f"persons: {'-' if raw is None else round(raw)}"]
    if anonymized is not None:
        out.append(f"on anonymized: {anonymized}")
    if line_in is not None:
        out.append(f"in {line_in}  out {line_out}")
    return out
