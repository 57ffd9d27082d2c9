"""Video files with PyAV: streaming decode (rotation metadata applied, variable frame rate kept as
timestamps) and H.264 MP4 encode that is written to a temp file and moved into place only on success.

Memory stays bounded: frames are decoded and encoded one at a time.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from anon_core.atomic import publish, temp_beside
from anon_core.media.errors import MediaError, pixel_limit

log = logging.getLogger(__name__)
VIDEO_SUFFIXES = {".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".ts", ".y4m", ".gif"}
MAX_PIXELS = pixel_limit("ANON_MAX_VIDEO_PIXELS", 8192 * 4320)
PTS_HZ = 90_000  # output time base 1/90000: exact for 24, 25, 30, 30000/1001, 50, 60 fps


@dataclass(frozen=True)
class VideoInfo:
    width: int  # as displayed, i.e. after rotation
    height: int
    fps: float
    frame_count: int | None
    duration: float | None
    rotation: int = 0  # degrees the stored picture is turned to display it
    codec: str = ""
    has_audio: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


def _open(path: str | Path):
    path = Path(path)
    if not path.is_file():
        raise MediaError(f"{path}: is a folder, not a video (a folder of frames: `anon frames`)" if path.is_dir()
                         else f"{path}: no such file")
    if path.stat().st_size == 0:
        raise MediaError(f"{path}: empty file")
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except av.error.FFmpegError as exc:
        raise MediaError(f"{path}: not a readable video ({exc.strerror or exc}); "
                         f"supported containers include {', '.join(sorted(VIDEO_SUFFIXES))}") from None
    if not container.streams.video:
        container.close()
        raise MediaError(f"{path}: contains no video stream")
    stream = container.streams.video[0]
    if stream.codec_context is None or stream.codec_context.name is None:
        container.close()
        raise MediaError(f"{path}: video codec is not supported by this FFmpeg build; re-encode to H.264")
    return container, stream


def _rotation(frame: av.VideoFrame) -> int:
    """Clockwise degrees needed to display the frame upright (from the display matrix)."""
    try:
        ccw = int(round(getattr(frame, "rotation", 0) or 0))
    except Exception:
        ccw = 0
    return (-ccw) % 360


def _to_bgr(frame: av.VideoFrame) -> np.ndarray:
    """Decoded frame -> BGR; 8-bit limited-range 4:2:0 (most H.264) through OpenCV's faster converter."""
    if frame.format.name == "yuv420p" and frame.width % 2 == 0 and frame.height % 2 == 0:
        return cv2.cvtColor(frame.to_ndarray(format="yuv420p"), cv2.COLOR_YUV2BGR_I420)
    return frame.to_ndarray(format="bgr24")


def _to_i420(frame: av.VideoFrame) -> np.ndarray:
    """Decoded frame -> I420 planes (H*3/2, W) uint8, even sizes (odd ones get a replicated row/column)."""
    if frame.format.name == "yuv420p" and frame.width % 2 == 0 and frame.height % 2 == 0:
        return frame.to_ndarray(format="yuv420p")
    return cv2.cvtColor(_pad_even(_to_bgr(frame)), cv2.COLOR_BGR2YUV_I420)


def _pad_even(bgr: np.ndarray) -> np.ndarray:
    """yuv420p needs even sizes: an odd frame gets one replicated row and/or column."""
    h, w = bgr.shape[:2]
    if h % 2 or w % 2:
        bgr = np.pad(bgr, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")
    return bgr


def _rotate(img: np.ndarray, clockwise: int) -> np.ndarray:
    if clockwise == 0:
        return img
    return np.ascontiguousarray(np.rot90(img, k=-(clockwise // 90)))


class VideoReader:
    """`with VideoReader(path) as r: for frame in r.frames(): ...` (BGR uint8, upright)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._container, self._stream = _open(self.path)
        self._stream.thread_type = "AUTO"
        self._first = None  # first decoded frame, kept to learn the rotation before iterating
        # A decode error after the first frame ends iteration and is kept here instead of raised when
        # tolerate_errors is set (jobs then report what was read; see anon_core.jobs.check_complete).
        self.tolerate_errors = False
        self.decode_error: str | None = None
        self.info = self._probe()
        # MP4/MOV state the exact frame count in their index; other containers only estimate it
        self.frame_count_exact = bool(self._stream.frames)

    def _probe(self) -> VideoInfo:
        s, c = self._stream, self._container
        rate = s.average_rate or s.guessed_rate or s.base_rate
        fps = float(rate) if rate else 0.0
        duration = float(s.duration * s.time_base) if s.duration and s.time_base else (
            c.duration / 1e6 if c.duration else None)
        frames = int(s.frames) if s.frames else (round(duration * fps) if duration and fps else None)
        self._frames = self._decode()  # one decoding pass: probing takes its first frame
        try:
            self._first = next(self._frames)
        except StopIteration:
            self.close()
            raise MediaError(f"{self.path}: the video has no decodable frames") from None
        rot = _rotation(self._first)
        w, h = self._first.width, self._first.height
        if w * h > MAX_PIXELS:
            self.close()
            raise MediaError(f"{self.path}: {w}x{h} is larger than the supported {MAX_PIXELS} pixels per frame; "
                             "downscale it first (or raise ANON_MAX_VIDEO_PIXELS)")
        if rot in (90, 270):
            w, h = h, w
        return VideoInfo(w, h, fps or 25.0, frames, duration, rot, s.codec_context.name,
                         bool(c.streams.audio))

    def _decode(self) -> Iterator[av.VideoFrame]:
        try:
            yield from self._container.decode(self._stream)
        except av.error.FFmpegError as exc:
            if self.tolerate_errors and self._first is None:
                self.decode_error = f"undecodable data ({exc.strerror or exc})"
                return
            raise MediaError(f"{self.path}: the video is corrupt or truncated ({exc.strerror or exc})") from None

    def timed_frames(self) -> Iterator[tuple[float | None, np.ndarray]]:
        """(seconds since start or None, BGR frame) pairs; decoding streams, nothing is buffered."""
        rot = self.info.rotation
        for t, frame in self._timed():
            yield t, _rotate(_to_bgr(frame), rot)

    def timed_i420(self) -> Iterator[tuple[float | None, np.ndarray]]:
        """(seconds, I420 planes (H*3/2, W) uint8) as stored: no colour conversion for 8-bit 4:2:0 input,
        odd sizes padded to even, rotation NOT applied (`info.rotation` says how to turn them)."""
        for t, frame in self._timed():
            yield t, _to_i420(frame)

    def _timed(self) -> Iterator[tuple[float | None, av.VideoFrame]]:
        if self._first is None:
            raise MediaError(f"{self.path}: frames() can be iterated only once; open a new VideoReader")
        first, self._first = self._first, None
        start = first.time
        for source in ([first], self._frames):
            for frame in source:
                yield (None if frame.time is None or start is None else frame.time - start), frame

    def frames(self) -> Iterator[np.ndarray]:
        for _, frame in self.timed_frames():
            yield frame

    def close(self) -> None:
        if self._container is not None:
            self._container.close()
            self._container = None

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def probe(path: str | Path) -> VideoInfo:
    with VideoReader(path) as r:
        return r.info


@dataclass(frozen=True)
class EncodeOptions:
    crf: int = 21
    # Anonymized footage favours throughput: ultrafast is ~13 % faster end to end than superfast on
    # 2 cores (files are larger); pass --preset veryfast/medium for archive copies.
    preset: str = "ultrafast"
    codec: str = "libx264"


class VideoWriter:
    """H.264 MP4 writer.  `write(frame, seconds)` keeps source timestamps (variable frame rate);
    without seconds, frames are spaced 1/fps.  The file appears at `path` only after a clean close;
    an exception inside `with` (or `abort()`) removes the partial output."""

    def __init__(self, path: str | Path, fps: float, audio_from: str | Path | None = None,
                 options: EncodeOptions | None = None):
        if not fps or fps <= 0:
            raise MediaError(f"invalid frame rate {fps!r} for {path}")
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fps = Fraction(fps).limit_denominator(1001)
        self.audio_from = Path(audio_from) if audio_from else None
        self.options = options or EncodeOptions()
        self._tmp = temp_beside(self.path, ".part.mp4")
        self._container = av.open(str(self._tmp), "w", format="mp4")
        self._stream = None
        self._audio = None
        self._count = 0
        self._last_pts = -1
        self._pad = (0, 0)

    def _start(self, h: int, w: int) -> None:
        self._pad = (h % 2, w % 2)  # yuv420p needs even sizes: odd frames get one replicated row/column
        s = self._container.add_stream(self.options.codec, rate=self.fps)
        s.width, s.height = w + self._pad[1], h + self._pad[0]
        s.pix_fmt = "yuv420p"
        s.time_base = Fraction(1, PTS_HZ)
        s.codec_context.time_base = Fraction(1, PTS_HZ)
        s.options = {"crf": str(self.options.crf), "preset": self.options.preset}
        s.thread_type = "AUTO"
        self._stream = s
        if self.audio_from is not None:
            self._add_audio_stream()

    def _add_audio_stream(self) -> None:
        with av.open(str(self.audio_from)) as src:
            if src.streams.audio:
                self._audio = self._container.add_stream_from_template(src.streams.audio[0])

    def write(self, frame: np.ndarray, seconds: float | None = None) -> None:
        if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
            raise MediaError(f"VideoWriter takes BGR uint8 frames, got {frame.dtype} {frame.shape}")
        if self._stream is None:
            self._start(*frame.shape[:2])
        elif frame.shape[:2] != (self._stream.height - self._pad[0], self._stream.width - self._pad[1]):
            raise MediaError("all frames of a video must have the same size")
        self._encode(cv2.cvtColor(_pad_even(frame), cv2.COLOR_BGR2YUV_I420), seconds)

    def write_i420(self, planes: np.ndarray, seconds: float | None = None) -> None:
        """Write I420 planes (H*3/2, W) uint8 with even H and W, as `timed_i420` yields them."""
        h, w = planes.shape[0] * 2 // 3 if planes.ndim == 2 else 0, planes.shape[-1]
        if planes.dtype != np.uint8 or planes.ndim != 2 or planes.shape[0] != h * 3 // 2 or h % 2 or w % 2:
            raise MediaError(f"write_i420 takes (H*3/2, W) uint8 planes with even H and W, got {planes.shape}")
        if self._stream is None:
            self._start(h, w)
        elif (h, w) != (self._stream.height, self._stream.width):
            raise MediaError("all frames of a video must have the same size")
        self._encode(planes, seconds)

    def _encode(self, i420: np.ndarray, seconds: float | None) -> None:
        vf = av.VideoFrame.from_ndarray(i420, format="yuv420p")
        pts = round(seconds * PTS_HZ) if seconds is not None else round(self._count * PTS_HZ / self.fps)
        vf.pts = max(pts, self._last_pts + 1)  # strictly increasing, even for odd source timestamps
        vf.time_base = Fraction(1, PTS_HZ)
        self._last_pts = vf.pts
        for packet in self._stream.encode(vf):
            self._container.mux(packet)
        self._count += 1

    @property
    def frames_written(self) -> int:
        return self._count

    def _copy_audio(self) -> None:
        with av.open(str(self.audio_from)) as src:
            in_audio = src.streams.audio[0]
            for packet in src.demux(in_audio):
                if packet.dts is None:
                    continue
                packet.stream = self._audio
                self._container.mux(packet)

    def close(self) -> None:
        """Flush, finalize and move the file into place."""
        if self._container is None:
            return
        try:
            if self._stream is None:
                raise MediaError(f"no frames were written to {self.path}; nothing to save")
            for packet in self._stream.encode(None):
                self._container.mux(packet)
            if self._audio is not None:
                self._copy_audio()
            self._container.close()
            self._container = None
            publish(self._tmp, self.path)
        except BaseException:
            self.abort()
            raise

    def abort(self) -> None:
        """Discard everything written so far."""
        if self._container is not None:
            try:
                self._container.close()
            except Exception:  # closing a broken container must not hide the original error
                log.debug("ignoring error while closing an aborted output", exc_info=True)
            self._container = None
        self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
