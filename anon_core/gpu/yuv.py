"""I420 (planar YUV 4:2:0) batches on the device: split, join, rotate, and convert to BGR for a detector.

Video stays in YUV from decoder to encoder: frames travel at 1.5 bytes per pixel, pixels outside the
anonymized regions come out bit-identical, and no colour conversion runs on the CPU.  The BGR view
for the detector uses the same BT.601 limited-range maths as OpenCV's COLOR_YUV2BGR_I420 (what the
CPU path feeds its detectors).
"""

from __future__ import annotations

import torch

#: fill values of the planes for the `fill` method: black in limited-range YUV
Y_BLACK, UV_NEUTRAL = 16.0, 128.0


def yuv_fill(colour: tuple[int, int, int]) -> tuple[float, float, float]:
    """A BGR fill colour (RegionStyle.colour) as limited-range BT.601 Y, U, V (the inverse of i420_to_bgr)."""
    b, g, r = (c / 255.0 for c in colour)
    return (16 + 65.481 * r + 128.553 * g + 24.966 * b, 128 - 37.797 * r - 74.203 * g + 112.0 * b,
            128 + 112.0 * r - 93.786 * g - 18.214 * b)


def split_i420(batch: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, H*3/2, W) uint8 -> Y (B, 1, H, W) and UV (B, 2, H/2, W/2) (views where possible)."""
    b, rows, w = batch.shape
    h = rows * 2 // 3
    return batch[:, :h].unsqueeze(1), batch[:, h:].reshape(b, 2, h // 2, w // 2)


def join_i420(y: torch.Tensor, uv: torch.Tensor) -> torch.Tensor:
    """Inverse of split_i420."""
    b, _, h, w = y.shape
    return torch.cat([y.reshape(b, h, w), uv.reshape(b, h // 2, w)], 1)


def rotate_planes(y: torch.Tensor, uv: torch.Tensor, clockwise: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Turn both planes `clockwise` degrees (a multiple of 90)."""
    k = -(clockwise // 90) % 4
    if not k:
        return y, uv
    return torch.rot90(y, k, dims=(2, 3)).contiguous(), torch.rot90(uv, k, dims=(2, 3)).contiguous()


def i420_to_bgr(y: torch.Tensor, uv: torch.Tensor) -> torch.Tensor:
    """Y (B, 1, H, W), UV (B, 2, H/2, W/2) uint8 -> (B, H, W, 3) BGR uint8 (nearest chroma upsampling)."""
    luma = (y[:, 0].float() - 16.0) * 1.164
    chroma = uv.float().repeat_interleave(2, dim=2).repeat_interleave(2, dim=3) - 128.0
    u, v = chroma[:, 0], chroma[:, 1]
    bgr = torch.stack([luma + 2.018 * u, luma - 0.391 * u - 0.813 * v, luma + 1.596 * v], -1)
    return bgr.round_().clamp_(0, 255).to(torch.uint8)
