"""Page frame: page config, header, intro, the privacy note and detector badges."""

from __future__ import annotations

import streamlit as st

from anon_core import plugins
from anon_core.detectors import availability, detector_info

_CSS = """
<style>
  .block-container {padding-top: 2.2rem; max-width: 1280px;}
  div[data-testid="stMetricValue"] {font-size: 1.5rem;}
  .anon-caption {color: #6b7280; font-size: 0.85rem; margin-top: -0.4rem;}
</style>
"""

BADGE_COLOURS = {"embedded": "green", "downloaded": "blue", "missing": "red"}

PRIVACY_TEXT = (
    "**What happens to your data.** Uploads are copied into a private temporary folder of *this* browser "
    "session, processed on this server and deleted as soon as processing ends; results are deleted when the "
    "session ends. Nothing is sent anywhere else, nothing is shared between sessions and raw media are never "
    "cached. Downloads contain only the anonymized media (metadata stripped) and a JSON audit report."
)


def page_setup(title: str, icon: str = ":material/visibility_off:", intro: str | None = None) -> None:
    """Must be the first Streamlit call of a page: page config, title and a short intro.

    `icon`: a Material icon (":material/name:", rendered with Streamlit's bundled font) or an emoji.
    Registers the plug-ins first (idempotent), so every page lists the same methods (e.g. synthetic-face)."""
    plugins.load()
    st.set_page_config(page_title=f"{title} · anonymize-first", page_icon=icon, layout="wide",
                       initial_sidebar_state="expanded")
    st.markdown(_CSS, unsafe_allow_html=True)
    st.title(f"{icon} {title}")
    if intro:
        st.markdown(intro)


def privacy_note(expanded: bool = False) -> None:
    with st.expander("What happens to your data", expanded=expanded, icon=":material/lock:"):
        st.markdown(PRIVACY_TEXT)


def detector_badge(name: str) -> str:
    """Markdown: availability badge (embedded / downloaded / missing), licence, and a weak-model note."""
    info = detector_info(name)
    state = availability(name)
    text = f":{BADGE_COLOURS[state]}-badge[{state}] {info.licence}"
    if info.weak:
        text += f"  \n:orange-badge[weak] {info.weak}"
    return text


def missing_model_help(name: str) -> str:
    """How to make a missing model available, in words a user can act on."""
    info = detector_info(name)
    if info.source == "download":
        return (f"**{name}** needs its weights in the model folder (env `ANON_MODEL_DIR`). Run "
                f"`anon models pull {name}` or copy the ONNX file there, then reload this page.")
    if info.source == "torchvision":
        return (f"**{name}** needs torchvision's COCO weights in the torch cache: run `anon models pull {name}` "
                "on a machine with internet access, then reload.")
    return f"**{name}** could not be loaded; reinstall the package that ships its weights."
