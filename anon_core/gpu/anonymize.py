"""Region anonymization on the device: blur / pixelate / fill over boxes or ellipses, for a batch.

The settings are the CPU anonymizer's own (anon_core.anonymize.regions: method and RegionStyle, so the
strength floors, padding and shape rules are checked in one place): `DeviceRegion.of(anonymizer)`.
The maths mirrors it (padding, ellipse of the unclipped box, blur: 6 cells across
smoothed by a gaussian of sigma cells/4, pixelate: 8 blocks) and is vectorized over every region of
the batch: one `roi_align` averages each region into a small grid of cells, one `grid_sample`
expands the grids back over fixed-size windows, and one indexed write puts the covered pixels in
place, so the cost in kernel launches does not grow with the number of faces.  Works on any planes
(BGR, or Y and UV of I420 with their own fill values).  `anonymize_batch(frames, boxes)` returns a
new tensor (the input is not modified).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import torch
import torch.nn.functional as F

from anon_core.anonymize.regions import RegionStyle
from anon_core.detections import grow_boxes
from anon_core.devices import DEVICE_METHODS

WINDOW_ELEMENTS = 1 << 25  # pixels of region windows handled per chunk (bounds the scratch memory)


@dataclass(frozen=True)
class DeviceRegion:
    """A region anonymizer's settings on the device: its method (blur | pixelate | fill) and RegionStyle."""

    method: str = "blur"
    style: RegionStyle = field(default_factory=RegionStyle)

    def __post_init__(self):
        if self.method not in DEVICE_METHODS:
            raise ValueError(f"the device anonymizes with {', '.join(DEVICE_METHODS)}, not {self.method!r}")

    @classmethod
    def of(cls, anonymizer) -> DeviceRegion:
        """The device version of a built region anonymizer (its strength floor was checked when it was built)."""
        style = getattr(anonymizer, "style", None)
        if not isinstance(style, RegionStyle):
            raise ValueError(f"the device anonymizes with {', '.join(DEVICE_METHODS)}, "
                             f"not {getattr(anonymizer, 'method', type(anonymizer).__name__)!r}")
        return cls(anonymizer.method, style)

    def whole_box(self) -> DeviceRegion:
        """The same method over the exact box (no padding, no ellipse): zones are obscured so."""
        return replace(self, style=replace(self.style, shape="box", padding=0.0))

    @property
    def cells(self) -> int:
        return max(2, int(round((6 if self.method == "blur" else 8) / self.style.strength)))

    def describe(self) -> dict:
        return {"method": self.method, **asdict(self.style)}


def _gauss(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable gaussian over (K, C, g, g) cell grids, borders replicated (as cv2.BORDER_REPLICATE)."""
    r = max(1, int(np.ceil(3 * sigma)))
    k = torch.exp(-0.5 * (torch.arange(-r, r + 1, dtype=x.dtype, device=x.device) / sigma) ** 2)
    k = k / k.sum()
    c = x.shape[1]
    x = F.conv2d(F.pad(x, (r, r, 0, 0), mode="replicate"), k.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    return F.conv2d(F.pad(x, (0, 0, r, r), mode="replicate"), k.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)


def _regions(boxes: Sequence[np.ndarray], region: DeviceRegion, size: tuple[int, int]) -> np.ndarray | None:
    """(K, 9) float rows [frame, padded x1 y1 x2 y2 (unclipped), int x1 y1 x2 y2 (clipped)]."""
    h, w = size
    rows = [np.c_[np.full(len(b), i, np.float32), np.asarray(b, np.float32).reshape(-1, 4)]
            for i, b in enumerate(boxes) if len(b)]
    if not rows:
        return None
    r = np.concatenate(rows)
    padded = grow_boxes(r[:, 1:5], region.style.padding)
    ints = np.round(padded)
    ints[:, [0, 2]] = ints[:, [0, 2]].clip(0, w)
    ints[:, [1, 3]] = ints[:, [1, 3]].clip(0, h)
    out = np.concatenate([r[:, :1], padded, ints], 1)
    return out[(ints[:, 2] > ints[:, 0]) & (ints[:, 3] > ints[:, 1])]


def _chunks(regions: np.ndarray):
    """Split the regions so that count x largest window stays under WINDOW_ELEMENTS."""
    sizes = (regions[:, 7] - regions[:, 5]) * (regions[:, 8] - regions[:, 6])
    order = np.argsort(sizes)
    start, biggest = 0, 0
    for j, k in enumerate(order):
        biggest = max(biggest, sizes[k])
        if j > start and (j - start + 1) * biggest > WINDOW_ELEMENTS:
            yield regions[order[start:j]]
            start, biggest = j, sizes[k]
    yield regions[order[start:]]


def _values(src: torch.Tensor, reg: torch.Tensor, ys: torch.Tensor, xs: torch.Tensor, region: DeviceRegion):
    """Obscured values over each region's window: (K, C, Sh, Sw) float."""
    from torchvision.ops import roi_align

    if region.method == "fill":
        return None
    k, c = len(reg), src.shape[1]
    rois = torch.cat([reg[:, :1], reg[:, 5:9]], 1)  # cells average the pixels of the clipped box
    cells = roi_align(src, rois, output_size=region.cells, spatial_scale=1.0, sampling_ratio=-1, aligned=True)
    if region.method == "blur":
        cells = _gauss(cells, max(0.8, region.cells / 4))
    u = (xs + 0.5 - rois[:, 1:2]) / (rois[:, 3:4] - rois[:, 1:2]) * 2 - 1  # (K, Sw)
    v = (ys + 0.5 - rois[:, 2:3]) / (rois[:, 4:5] - rois[:, 2:3]) * 2 - 1  # (K, Sh)
    grid = torch.stack([u[:, None, :].expand(k, v.shape[1], u.shape[1]),
                        v[:, :, None].expand(k, v.shape[1], u.shape[1])], -1)
    mode = "bilinear" if region.method == "blur" else "nearest"
    return F.grid_sample(cells, grid, mode=mode, padding_mode="border", align_corners=False).reshape(
        k, c, v.shape[1], u.shape[1])


def _smallest_wins(inside: torch.Tensor, ys: torch.Tensor, xs: torch.Tensor, reg: torch.Tensor,
                   size: tuple[int, int]) -> tuple[torch.Tensor, ...]:
    """Window entries (k, y, x) to write, one per frame pixel: the region listed first (the smallest,
    since regions are sorted by size) wins, so the result does not depend on write order."""
    kk, yy, xx = inside.nonzero(as_tuple=True)
    pixel = (reg[kk, 0].long() * size[0] + ys[kk, yy].long()) * size[1] + xs[kk, xx].long()
    uniq, inverse = torch.unique(pixel, return_inverse=True)
    if len(uniq) == len(pixel):
        return kk, yy, xx
    first = torch.full((len(uniq),), len(pixel), dtype=torch.long, device=pixel.device)
    first.scatter_reduce_(0, inverse, torch.arange(len(pixel), device=pixel.device), "amin")
    return kk[first], yy[first], xx[first]


def obscure_planes(planes: torch.Tensor, boxes: Sequence[np.ndarray], region: DeviceRegion = DeviceRegion(),
                   fill: Sequence[float] = (0.0,)) -> torch.Tensor:
    """planes (B, C, H, W) uint8 on the device; boxes[i] (N_i, 4) xyxy in these planes' pixels ->
    a copy with every region obscured; `fill` is the per-channel value of the fill method."""
    out = planes.clone()
    b, c, h, w = planes.shape
    regions = _regions(boxes, region, (h, w))
    if regions is None or not len(regions):
        return out
    dev = planes.device
    src = planes.float() if region.method != "fill" else None
    for chunk in reversed(list(_chunks(regions))):  # largest first: where regions overlap, the smallest wins
        reg = torch.from_numpy(chunk).to(dev)
        ints = chunk[:, 5:9].astype(np.int64)
        sh, sw = int((ints[:, 3] - ints[:, 1]).max()), int((ints[:, 2] - ints[:, 0]).max())
        ys = reg[:, 6:7] + torch.arange(sh, device=dev, dtype=torch.float32)  # (K, Sh) pixel rows
        xs = reg[:, 5:6] + torch.arange(sw, device=dev, dtype=torch.float32)  # (K, Sw)
        inside = (ys < reg[:, 8:9])[:, :, None] & (xs < reg[:, 7:8])[:, None, :]
        if region.style.shape == "ellipse":
            cx, cy = (reg[:, 1] + reg[:, 3]) / 2, (reg[:, 2] + reg[:, 4]) / 2
            ax = ((reg[:, 3] - reg[:, 1]) / 2).clamp(min=0.5)
            ay = ((reg[:, 4] - reg[:, 2]) / 2).clamp(min=0.5)
            dx = ((xs + 0.5 - cx[:, None]) / ax[:, None]) ** 2
            dy = ((ys + 0.5 - cy[:, None]) / ay[:, None]) ** 2
            inside &= dy[:, :, None] + dx[:, None, :] <= 1
        kk, yy, xx = _smallest_wins(inside, ys, xs, reg, (h, w))
        fy, fx = ys[kk, yy].long(), xs[kk, xx].long()
        fb = reg[kk, 0].long()
        values = _values(src, reg, ys, xs, region)
        if values is None:
            fill_t = torch.tensor(list(fill) * (c // len(fill)), dtype=planes.dtype, device=dev)
            out[fb, :, fy, fx] = fill_t.expand(len(kk), c)
        else:
            out[fb, :, fy, fx] = values[kk, :, yy, xx].round().clamp(0, 255).to(planes.dtype)
    return out


def anonymize_batch(frames: torch.Tensor, boxes: Sequence[np.ndarray],
                    region: DeviceRegion = DeviceRegion()) -> torch.Tensor:
    """frames (B, H, W, 3) uint8 on the device; boxes[i] (N_i, 4) xyxy numpy -> anonymized copy."""
    out = obscure_planes(frames.permute(0, 3, 1, 2), boxes, region, fill=region.style.colour)
    return out.permute(0, 2, 3, 1).contiguous()
