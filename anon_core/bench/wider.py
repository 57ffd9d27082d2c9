"""WIDER FACE ground truth (`wider_face_val_bbx_gt.txt` layout) for a folder of photos.

Layout per image: a line `event/file.jpg`, a line with the number of faces N, then N lines
`x y w h blur expression illumination invalid occlusion pose` (pixels, top-left corner).  An image
with no face has N = 0 followed by one all-zero line, which is skipped.  A folder holds
`images/<event>/<file>.jpg` and `gt/wider_face_val_bbx_gt.txt` (or the txt file directly).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

GT_NAME = "wider_face_val_bbx_gt.txt"
ATTRIBUTES = ("blur", "expression", "illumination", "invalid", "occlusion", "pose")


class WiderFormatError(ValueError):
    pass


@dataclass
class WiderImage:
    path: Path
    xyxy: np.ndarray  # (N, 4) float64
    attrs: np.ndarray  # (N, 6) int: blur, expression, illumination, invalid, occlusion, pose

    @property
    def valid(self) -> np.ndarray:
        return self.attrs[:, ATTRIBUTES.index("invalid")] == 0

    @property
    def widths(self) -> np.ndarray:
        return self.xyxy[:, 2] - self.xyxy[:, 0]


def gt_file(root: str | Path) -> Path | None:
    """The WIDER ground-truth file of a folder (gt/ or top level), or None."""
    root = Path(root)
    if root.is_file() and root.name.endswith(".txt"):
        return root
    return next((p for p in (root / "gt" / GT_NAME, root / GT_NAME) if p.is_file()), None)


def _int_rows(lines: list[str], start: int, n: int, where: str) -> np.ndarray:
    rows = []
    for k in range(start, start + n):
        if k >= len(lines):
            raise WiderFormatError(f"{where}: file ends inside a face list")
        vals = lines[k].split()
        if len(vals) < 10:
            raise WiderFormatError(f"{where}, line {k + 1}: expected 10 numbers, got {lines[k]!r}")
        try:
            rows.append([int(float(v)) for v in vals[:10]])
        except ValueError:
            raise WiderFormatError(f"{where}, line {k + 1}: not numbers: {lines[k]!r}") from None
    return np.asarray(rows, np.int64).reshape(-1, 10)


def parse_wider(text: str, images_dir: Path, where: str = "wider gt") -> list[WiderImage]:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    out, i = [], 0
    while i < len(lines):
        name = lines[i]
        try:
            n = int(lines[i + 1])
        except (IndexError, ValueError):
            raise WiderFormatError(f"{where}, line {i + 2}: expected the face count after {name!r}") from None
        rows = _int_rows(lines, i + 2, max(n, 1), where)
        i += 2 + max(n, 1)
        rows = rows[:n]  # N = 0 is followed by one placeholder row
        xyxy = rows[:, :4].astype(np.float64)
        xyxy[:, 2:] += xyxy[:, :2]
        out.append(WiderImage(images_dir / name, xyxy, rows[:, 4:10]))
    return out


def load_wider(root: str | Path) -> list[WiderImage]:
    """Images with their boxes (xyxy) and attributes from a WIDER-layout folder (see module doc)."""
    path = gt_file(root)
    if path is None:
        raise WiderFormatError(f"{root}: no gt/{GT_NAME}")
    root = path.parent.parent if path.parent.name == "gt" else path.parent
    images = parse_wider(path.read_text(encoding="utf-8"), root / "images", str(path))
    missing = [im.path for im in images if not im.path.is_file()]
    if missing:
        raise WiderFormatError(f"{len(missing)} image(s) listed in {path} are missing, e.g. {missing[0]}")
    return images
