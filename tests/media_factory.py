"""Small test clips written with PyAV (no media files are stored in the repo)."""

from __future__ import annotations

import subprocess
from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def marker_frame(i: int, size=(160, 120)) -> np.ndarray:
    """Frame i: dark background, a bright block whose x position encodes i, red marker top-left."""
    w, h = size
    f = np.full((h, w, 3), 30, np.uint8)
    x = (i * 7) % (w - 20)
    f[h // 2 - 10 : h // 2 + 10, x : x + 20] = 220
    f[:20, :30] = (0, 0, 255)  # red in BGR, shows where "top-left" ends up after rotation
    return f


def make_clip(path: Path, frames: int = 30, size=(160, 120), fps=25, times: list[float] | None = None,
              audio: bool = False) -> Path:
    """H.264 MP4; `times` gives per-frame seconds for variable frame rate; `audio` adds a 440 Hz AAC track."""
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=fps)
        s.width, s.height, s.pix_fmt = size[0], size[1], "yuv420p"
        s.time_base = s.codec_context.time_base = Fraction(1, 1000)
        a = c.add_stream("aac", rate=48000) if audio else None
        for i in range(frames):
            vf = av.VideoFrame.from_ndarray(marker_frame(i, size), format="bgr24")
            vf.pts = round((times[i] if times else i / fps) * 1000)
            vf.time_base = Fraction(1, 1000)
            for p in s.encode(vf):
                c.mux(p)
        for p in s.encode(None):
            c.mux(p)
        if a is not None:
            n = int(48000 * frames / fps)
            t = np.arange(n) / 48000
            samples = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None, :]
            for k in range(0, n, 1024):
                af = av.AudioFrame.from_ndarray(samples[:, k : k + 1024].copy(), format="fltp", layout="mono")
                af.sample_rate = 48000
                af.pts = k
                for p in a.encode(af):
                    c.mux(p)
            for p in a.encode(None):
                c.mux(p)
    return path


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def with_rotation(src: Path, dst: Path, degrees: int) -> Path:
    """Copy a clip adding display-matrix rotation metadata (as phones record portrait video)."""
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-display_rotation", str(degrees), "-i", str(src),
                    "-c", "copy", str(dst)], check=True)
    return dst
