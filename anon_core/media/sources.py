"""Frame sources: a video file, a folder of frames (MOT layout img1/000001.jpg ...), one image, or a webcam."""

from __future__ import annotations

import configparser
import re
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from anon_core.media.errors import MediaError
from anon_core.media.images import IMAGE_SUFFIXES, read_image
from anon_core.media.video import VideoInfo, VideoReader

DEFAULT_FOLDER_FPS = 25.0


class FrameFolder:
    """Frames from a folder (or its img1/ sub-folder), in natural file-name order."""

    def __init__(self, path: str | Path, fps: float | None = None):
        root = Path(path)
        folder = root / "img1" if (root / "img1").is_dir() else root
        if not folder.is_dir():
            raise MediaError(f"{root}: is a file, not a folder of frames (a video: `anon video`)" if root.is_file()
                             else f"{root}: no such folder")
        self.files = sorted((p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES), key=_natural)
        if not self.files:
            raise MediaError(f"{folder}: no image frames found ({', '.join(sorted(IMAGE_SUFFIXES))})")
        first = read_image(self.files[0])
        fps = fps or _seqinfo_fps(root) or DEFAULT_FOLDER_FPS
        h, w = first.shape[:2]
        self.info = VideoInfo(w, h, fps, len(self.files), len(self.files) / fps, 0, "images", False)
        self.path = root
        # With tolerate_errors an unreadable frame is skipped and listed in `skipped` (index, reason)
        # instead of ending the iteration; `yielded` holds the file index of every frame yielded, in order.
        self.tolerate_errors = False
        self.skipped: list[tuple[int, str]] = []
        self.yielded: list[int] = []

    def __len__(self) -> int:
        return len(self.files)

    def timed_frames(self) -> Iterator[tuple[float, np.ndarray]]:
        for i, f in enumerate(self.files):
            try:
                img = read_image(f)
                if img.shape[:2] != (self.info.height, self.info.width):
                    raise MediaError(f"{f}: frame size {img.shape[1]}x{img.shape[0]} differs from the first "
                                     f"frame's {self.info.width}x{self.info.height}")
            except MediaError as exc:
                if not self.tolerate_errors:
                    raise
                self.skipped.append((i, str(exc)))
                continue
            self.yielded.append(i)
            yield i / self.info.fps, img

    def close(self) -> None:
        pass


class SingleImage:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.image = read_image(self.path)
        h, w = self.image.shape[:2]
        self.info = VideoInfo(w, h, 1.0, 1, None, 0, "image", False)

    def __len__(self) -> int:
        return 1

    def timed_frames(self) -> Iterator[tuple[float, np.ndarray]]:
        yield 0.0, self.image

    def close(self) -> None:
        pass


class Webcam:
    """A local camera through OpenCV (CLI use; the browser webcam goes through streamlit-webrtc)."""

    def __init__(self, index: int = 0):
        self.cap = cv2.VideoCapture(index)
        if not self.cap.isOpened():
            raise MediaError(f"cannot open camera {index}; check that it exists and is not in use")
        ok, frame = self.cap.read()
        if not ok:
            raise MediaError(f"camera {index} delivers no frames")
        self._first = frame
        fps = self.cap.get(cv2.CAP_PROP_FPS) or 30.0
        self.info = VideoInfo(frame.shape[1], frame.shape[0], fps, None, None, 0, "camera", False)

    def timed_frames(self) -> Iterator[tuple[float | None, np.ndarray]]:
        yield None, self._first
        while True:
            ok, frame = self.cap.read()
            if not ok:
                return
            yield None, frame

    def close(self) -> None:
        self.cap.release()


def open_source(spec: str | Path | int):
    """VideoReader, FrameFolder, SingleImage or Webcam for a path or camera index."""
    if isinstance(spec, int) or (isinstance(spec, str) and spec.isdigit()):
        return Webcam(int(spec))
    path = Path(spec)
    if path.is_dir():
        return FrameFolder(path)
    if not path.exists():
        raise MediaError(f"{path}: no such file or folder")
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return SingleImage(path)
    return VideoReader(path)


def _natural(p: Path):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", p.name)]


def _seqinfo_fps(root: Path) -> float | None:
    ini = root / "seqinfo.ini"
    if not ini.is_file():
        return None
    cp = configparser.ConfigParser()
    try:
        cp.read(ini)
        return float(cp["Sequence"]["frameRate"])
    except (KeyError, ValueError, configparser.Error):
        return None
