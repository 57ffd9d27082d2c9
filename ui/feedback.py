"""What every page says while it works and when it fails: one progress bar, one bad-file message.

    with feedback.Progress("Tracking", total=frames) as bar:   # removed on success and on error
        ... bar.update(done) ...                                # "Tracking: 40/120 frames · 8.1 fps · ~10 s left"
    with feedback.guard(choice.name):                           # any failure: the shared message, st.stop()
        ...
"""

from __future__ import annotations

import contextlib
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import streamlit as st

from anon_core.groundtruth import GroundTruthError
from anon_core.media import MediaError

# Absolute paths (server temp folders, install dirs) are replaced by their last component: the user knows
# the file by its own name and the server layout is nobody's business.
_PATH = re.compile(r"(?:[A-Za-z]:)?(?:/[^/\s'\":,)]+){2,}/?")
BAD_FILE_HELP = "Check that it is a photo or a video that plays in a media player, or pick a generated sample."


def user_message(exc: BaseException | str) -> str:
    """The error text without server paths."""
    text = str(exc).strip() or type(exc).__name__
    return _PATH.sub(lambda m: m.group(0).rstrip("/").rsplit("/", 1)[-1], text)


def bad_file(name: str, exc: BaseException | str) -> None:
    """The one message every page shows when an input cannot be processed (the media hint only when the
    file itself is the problem: anon_core's MediaError / GroundTruthError, or a plain message)."""
    text = user_message(exc).rstrip(".")
    hint = BAD_FILE_HELP if isinstance(exc, (str, MediaError, GroundTruthError)) else ""
    st.error(f"**{name}** could not be processed: {text}. {hint}".rstrip(), icon=":material/error:")


@contextlib.contextmanager
def guard(name: str, stop: bool = True, cleanup: Path | None = None) -> Iterator[None]:
    """Run a page's processing; any exception shows `bad_file` (and stops the page unless stop=False)
    instead of Streamlit's crash page, after deleting `cleanup` (the run's own output folder: nothing
    half-written is kept). st.stop()/rerun pass through untouched."""
    from streamlit.runtime.scriptrunner_utils.exceptions import RerunException, StopException

    try:
        yield
    except (StopException, RerunException):
        raise
    except Exception as exc:
        if cleanup is not None:
            shutil.rmtree(cleanup, ignore_errors=True)
        bad_file(name, exc)
        if stop:
            st.stop()


def eta_text(done: int, total: int | None, elapsed: float, unit: str = "frames") -> str:
    """'40/120 frames · 8.1 fps · ~10 s left' (no total: no time left)."""
    fps = done / elapsed if elapsed > 0 else 0.0
    text = f"{done}/{total} {unit}" if total else f"{done} {unit}"
    if unit == "frames":
        text += f" · {fps:.1f} fps"
    if total and fps > 0 and done < total:
        left = (total - done) / fps
        text += f" · ~{left:.0f} s left" if left < 120 else f" · ~{left / 60:.1f} min left"
    return text


class Progress:
    """st.progress with frames done of total, speed and time left; the bar disappears when the block
    ends, on success or on error, so no bar is left hanging under an error message."""

    def __init__(self, label: str, total: int | None = None, unit: str = "frames"):
        self.label, self.total, self.unit = label, total, unit
        self._start = time.perf_counter()
        self._last = 0.0
        self.bar = st.progress(0.0, text=f"{label} …")

    def update(self, done: int, total: int | None = None) -> None:
        total = total or self.total
        now = time.perf_counter()
        if now - self._last < 0.25 and done != total:  # a rerender per frame would slow the run itself
            return
        self._last = now
        frac = min(1.0, done / total) if total else 0.0
        self.bar.progress(frac, text=f"{self.label}: {eta_text(done, total, now - self._start, self.unit)}")

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.bar.empty()
