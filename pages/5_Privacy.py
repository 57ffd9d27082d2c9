"""What happens to the data: a plain-language page for stakeholders."""

import streamlit as st

from ui import inputs, layout, sidebar

layout.page_setup("Privacy", icon=":material/shield:",
                  intro="How this app treats photos, clips and camera frames. In short: anonymize first, keep "
                        "nothing raw, and be able to prove it.")
sidebar.pipeline_settings()

c1, c2, c3 = st.columns(3)
with c1.container(border=True):
    st.markdown("#### :material/upload: Uploads")
    st.markdown("Copied into a private temporary folder of **your browser session** only while they are processed, "
                "then deleted. Other sessions cannot see them. Results are deleted when the session ends.")
with c2.container(border=True):
    st.markdown("#### :material/videocam: Webcam")
    st.markdown("Frames go to this server, are anonymized and only the anonymized stream comes back. "
                "Nothing is recorded; raw frames are shown only if you switch that on.")
with c3.container(border=True):
    st.markdown("#### :material/receipt_long: Audit report")
    st.markdown("Each download comes with a JSON report: input and output checksums, models and their "
                "checksums, thresholds, policy, and every anonymized region per frame.")

st.subheader("What this server sends to your browser")
st.markdown(
    "- **Anonymized** photos, frames and videos: as media files of *your* session at a random address, "
    "dropped when you pick another input or the session ends.\n"
    "- **Raw** previews (the *Raw* side of each comparison): embedded in the page itself, inside your session's "
    "own connection. They have **no address** on the server, so no link to a raw image exists that another "
    "browser could open.\n"
    "- **Raw video is never sent**: players and downloads carry only anonymized video. The live webcam sends "
    "back the anonymized stream; raw frames come back only while *Show raw* is on, over your own WebRTC "
    "connection, and are never recorded.\n"
    "- **Downloads**: the anonymized file (metadata stripped) and the JSON audit report.")
st.subheader("Guarantees")
st.markdown(
    "- **Fail closed** — if detection or anonymization fails on a frame, that frame leaves fully obscured.\n"
    "- **Temporal hold** — a region stays anonymized for a few frames after its last detection, so a single "
    "missed detection does not leak a face.\n"
    "- **No metadata** — downloaded images and videos are re-encoded without EXIF, GPS or container tags.\n"
    "- **No raw caching** — raw media never enter a cache shared between sessions; only the synthetic samples "
    "are cached.\n"
    "- **Offline** — models run on this server; nothing is sent to third parties.")
st.subheader("Limits")
st.markdown(f"- Uploads up to **{inputs.upload_limit_mb()} MB** (`server.maxUploadSize` in `.streamlit/config.toml`).\n"
            "- Detectors miss things: small, blurred or heavily occluded faces can be missed. Use *persons* as a "
            "target, a lower threshold, or a policy with generous padding when in doubt.")
