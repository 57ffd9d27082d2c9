"""Raw next to anonymized, the same way on every page.

Raw pixels are never given a media URL: `st.image` would register them with Streamlit's media file
manager, whose /media/<hash> address any browser holding the link can open while the file is kept.
Raw stills are embedded in the page itself (a data: URI inside this session's own websocket message),
so they exist only in the page that shows them. Anonymized media use ordinary st.image / st.video.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

import cv2
import numpy as np
import streamlit as st

from anon_core.media import VideoReader, probe

RAW_JPEG_QUALITY = 85  # stills for comparison only; ~40 KB at 640x360


def inline_image(rgb: np.ndarray, caption: str, container=None) -> None:
    """Show an RGB image embedded in the page (no URL on the server), with a caption like st.image's."""
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, RAW_JPEG_QUALITY])
    if not ok:
        raise ValueError("could not encode the preview")
    data = base64.b64encode(buf.tobytes()).decode("ascii")
    (container or st).markdown(
        f'<figure class="anon-raw" style="margin:0"><img src="data:image/jpeg;base64,{data}" '
        f'style="width:100%;border-radius:4px" alt="{html.escape(caption)}"/>'
        f'<figcaption class="anon-caption" style="margin-top:0.2rem;text-align:center">{html.escape(caption)}'
        f"</figcaption></figure>", unsafe_allow_html=True)


def side_by_side(raw_rgb: np.ndarray | None, anon_rgb: np.ndarray, raw_caption: str = "Raw",
                 anon_caption: str = "Anonymized") -> None:
    """Two labelled columns: raw (embedded, never served) | anonymized."""
    left, right = st.columns(2)
    if raw_rgb is not None:
        inline_image(raw_rgb, raw_caption, left)
    right.image(anon_rgb, caption=anon_caption, width="stretch")


def frame_pair(raw_path: Path, anon_path: Path, at: float = 0.5, side: int = 640):
    """(raw_rgb, anon_rgb) of the same frame (at this fraction of the clip), downscaled for display."""
    total = probe(anon_path).frame_count or 1
    index = int(at * (total - 1))
    pair = []
    for path in (raw_path, anon_path):
        with VideoReader(path) as reader:
            frame = None
            for i, f in enumerate(reader.frames()):
                frame = f
                if i >= index:
                    break
        f = min(1.0, side / max(frame.shape[:2]))
        pair.append(cv2.cvtColor(cv2.resize(frame, None, fx=f, fy=f, interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB))
    return pair[0], pair[1]


def verdict(text: str, good: bool | None = True) -> None:
    """The page's one-line answer, right above its details."""
    good = None if good is None else bool(good)  # numpy's bool_ is neither True nor False by identity
    icon = {True: ":material/check_circle:", False: ":material/warning:", None: ":material/info:"}[good]
    (st.success if good else st.warning if good is False else st.info)(f"**Verdict:** {text}", icon=icon)


def relative_change(raw: float, anon: float) -> float | None:
    """(anon - raw) / raw in percent; None when raw is 0 (no relative change defined)."""
    if raw == 0:
        return None
    return 100.0 * (anon - raw) / raw
