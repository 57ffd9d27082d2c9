"""Input choice (upload / generated sample / webcam link) and the private per-session temp dir.

An upload stays in the browser session's memory (Streamlit's uploader) and is written to disk only
inside `MediaChoice.local_path()`, in a 0700 folder private to the session, and deleted right after.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import re
import shutil
import tempfile
import threading
import time
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from anon_core.media import IMAGE_SUFFIXES, VIDEO_SUFFIXES
from anon_core.synth import ensure_sample, sample_paths

UPLOAD_IMAGE_TYPES = ("jpg", "jpeg", "png", "webp", "bmp", "tif", "tiff")
UPLOAD_VIDEO_TYPES = ("mp4", "mov", "avi", "mkv", "webm", "m4v")
SAMPLE_KINDS = {
    "walkway": "Walkway — pedestrians crossing a plaza",
    "faces": "Faces — close-ups of people talking",
    "industrial": "Industrial — workers among moving pallets and carts",
    "webcam": "Webcam — one person in front of a camera",
    "deboarding": "Deboarding — passengers walking out of a gangway towards the camera",
}
PAGE_ONLY_SAMPLES = {"deboarding"}  # offered only by the page that explains them
TEMP_ROOT_NAME = "anonymize-first-app"
STALE_SECONDS = 12 * 3600
_TMP_KEY = "_anon_session_tmp"


class _SessionDir:
    """Owns one session's temp folder; the folder is removed when this object is collected
    (Streamlit drops a session's state when the session ends) or at interpreter exit."""

    def __init__(self, root: Path):
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.path = Path(tempfile.mkdtemp(prefix="session-", dir=root))  # mode 0700
        self._finalizer = weakref.finalize(self, _session_ended, str(self.path))

    def remove(self) -> None:
        self._finalizer()


def _session_ended(path: str) -> None:
    shutil.rmtree(path, ignore_errors=True)
    # The session's frames and results are freed in the same collection, but glibc keeps freed heap
    # in its arenas: after 8 sessions at once the server stayed ~45 MB above its baseline. Give the
    # pages back to the system once the rest of the session state is gone (1 s later).
    timer = threading.Timer(1.0, _return_freed_memory)
    timer.daemon = True
    timer.start()


def _return_freed_memory() -> None:
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # glibc only (not musl, macOS or Windows)
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def temp_root() -> Path:
    return Path(os.environ.get("ANON_APP_TMP") or tempfile.gettempdir()) / TEMP_ROOT_NAME


def _sweep_stale(root: Path) -> None:
    """Delete session folders left by a crashed server (untouched for STALE_SECONDS)."""
    now = time.time()
    for d in root.glob("session-*"):
        with contextlib.suppress(OSError):
            if now - d.stat().st_mtime > STALE_SECONDS:
                shutil.rmtree(d, ignore_errors=True)


def session_tempdir() -> Path:
    """This browser session's private temp folder (created on first use, removed when the session ends)."""
    holder = st.session_state.get(_TMP_KEY)
    if holder is None or not holder.path.is_dir():
        root = temp_root()
        if root.is_dir():
            _sweep_stale(root)
        holder = _SessionDir(root)
        st.session_state[_TMP_KEY] = holder
    return holder.path


def upload_limit_mb() -> int:
    return int(st.get_option("server.maxUploadSize"))


def safe_name(name: str) -> str:
    stem, suffix = os.path.splitext(os.path.basename(name))
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._") or "upload"
    return stem[:60] + suffix.lower()


@dataclass
class MediaChoice:
    name: str  # display / download name
    source: str  # "upload" | "sample"
    is_video: bool
    token: str  # identity of the media (changes when another file or sample is picked)
    sample: object | None = None  # anon_core.synth.SampleScene for samples
    sample_kind: str | None = None  # "walkway", "faces", ... for samples
    _path: Path | None = None  # samples: the cached file
    _upload: object | None = None  # uploads: Streamlit UploadedFile (bytes in session memory)

    @contextlib.contextmanager
    def local_path(self) -> Iterator[Path]:
        """A file path for the engine. Uploads are written to the session's private folder and
        deleted on exit; samples are the generated (synthetic) files and are left in place."""
        if self._path is not None:
            yield self._path
            return
        d = Path(tempfile.mkdtemp(prefix="in-", dir=session_tempdir()))
        path = d / safe_name(self.name)
        try:
            path.write_bytes(self._upload.getvalue())
            yield path
        finally:
            shutil.rmtree(d, ignore_errors=True)

    @property
    def path(self) -> Path | None:
        """The sample's file (None for uploads: use `local_path()`)."""
        return self._path


def _upload(key: str, media: tuple[str, ...]) -> MediaChoice | None:
    types = (UPLOAD_IMAGE_TYPES if "image" in media else ()) + (UPLOAD_VIDEO_TYPES if "video" in media else ())
    limit = upload_limit_mb()
    up = st.file_uploader(f"Photo or clip ({', '.join(types)}; up to {limit} MB)", type=list(types),
                          key=f"{key}_upload")
    if up is None:
        return None
    if up.size > limit * 1024 * 1024:
        st.error(f"**{up.name}** is {up.size / 2**20:.0f} MB; the limit is {limit} MB "
                 "(`server.maxUploadSize` in `.streamlit/config.toml`).")
        return None
    suffix = Path(up.name).suffix.lower()
    if suffix not in IMAGE_SUFFIXES and suffix not in VIDEO_SUFFIXES:
        st.error(f"**{up.name}** is not a supported image or video; use one of {', '.join(types)}.")
        return None
    return MediaChoice(up.name, "upload", suffix in VIDEO_SUFFIXES, f"upload:{up.file_id}:{up.size}",
                       _upload=up)


@st.cache_data(show_spinner=False, max_entries=16)
def _sample_files(kind: str, seconds: str | None = None) -> str:
    """Synthetic samples only (no user media is ever cached): generate once, reuse the file path."""
    return str(ensure_sample(kind, seed=0, **({"seconds": float(seconds)} if seconds else {})).root)


def sample_choice(kind: str) -> MediaChoice:
    # ANON_APP_SAMPLE_SECONDS: shorter samples for tests and quick demos (default: each kind's own length)
    seconds = os.environ.get("ANON_APP_SAMPLE_SECONDS") or None
    with st.spinner(f"Generating the {kind} sample (first time only) …"):
        scene = sample_paths(_sample_files(kind, seconds))
    if not scene.video.is_file():  # cache was cleared under us: regenerate
        _sample_files.clear()
        scene = sample_paths(_sample_files(kind, seconds))
    return MediaChoice(f"sample-{kind}.mp4", "sample", True, f"sample:{scene.root}", sample=scene, sample_kind=kind,
                       _path=scene.video)


def _sample(key: str, sample_kind: str, extra: tuple[str, ...] = ()) -> MediaChoice | None:
    kinds = [k for k in SAMPLE_KINDS if k not in PAGE_ONLY_SAMPLES or k == sample_kind or k in extra]
    kind = st.selectbox("Generated sample (synthetic people, exact ground truth)", kinds,
                        index=kinds.index(sample_kind) if sample_kind in kinds else 0,
                        format_func=SAMPLE_KINDS.get, key=f"{key}_sample")
    try:
        return sample_choice(kind)
    except Exception as exc:
        st.error(f"Could not generate the {kind} sample: {exc}")
        return None


LABELS = {"upload": ":material/upload: Upload", "sample": ":material/movie: Sample",
          "webcam": ":material/videocam: Webcam"}


def choose_media(kinds: tuple[str, ...] = ("upload", "sample"), sample_kind: str = "walkway",
                 key: str = "media", media: tuple[str, ...] = ("image", "video"),
                 extra_samples: tuple[str, ...] = ()) -> MediaChoice | None:
    """Source picker; returns the chosen media or None (nothing chosen yet / error shown)."""
    kinds = tuple(k for k in kinds if k in LABELS)
    mode = kinds[0]
    if len(kinds) > 1:
        mode = st.segmented_control("Input", kinds, default=kinds[0], format_func=LABELS.get,
                                    key=f"{key}_mode", label_visibility="collapsed",
                                    required=True) or kinds[0]
    if mode == "upload":
        return _upload(key, media)
    if mode == "sample":
        return _sample(key, sample_kind, extra_samples)
    st.page_link("pages/1_Webcam.py", label="Open the live webcam page", icon=":material/videocam:")
    return None
