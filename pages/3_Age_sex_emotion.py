"""Age, sex and emotion: analytics that survive anonymization, and what identity is left."""

import tempfile
from pathlib import Path

import pandas as pd
import plotly.express as px
import streamlit as st

from anon_core.media import read_image
from showcases.attributes.analysis import ANALYZE_THEN_ANONYMIZE, METHODS
from showcases.attributes.media_run import RunConfig, emotion_share, image_from_bytes, run_image, run_video
from ui import inputs, layout

layout.page_setup(
    "Age, sex and emotion", icon="🎭",
    intro="Identity must go, attributes may stay. Each face is estimated (age, sex, emotion) on the raw and on "
          "the anonymized image; the chart shows, for every method, how much of the attributes survives against "
          "how often a face recogniser (dlib, distance < 0.6) still re-identifies the person.")


@st.cache_resource(show_spinner="Loading face, age/sex, emotion and recognition models …")
def _models():
    from anon_core.detectors.catalog import create_detector
    from showcases.attributes.analysis import Analyzer

    return create_detector("centerface"), Analyzer()


def _method_label(m: str) -> str:
    return {ANALYZE_THEN_ANONYMIZE: "analyze-then-anonymize (face removed, estimates attached)",
            "synthetic-face": "synthetic face (same sex, age band, emotion)"}.get(m, m)


with st.sidebar:
    st.subheader("Attributes")
    method = st.selectbox("Output method", METHODS, index=METHODS.index("synthetic-face"), format_func=_method_label)
    compared = st.multiselect("Methods compared", METHODS, default=list(METHODS))
    overlay = st.toggle("Write estimates on the output", value=True)

choice = inputs.choose_media(("upload", "sample"), sample_kind="faces", key="attributes")
with st.expander("📷 Webcam snapshot"):
    snap = st.camera_input("Take a photo (processed here, not stored)", key="attributes_cam")

config = RunConfig(method=method, methods=tuple(dict.fromkeys([*compared, method])), overlay=overlay)
detector, analyzer = _models()
result, frame_out = None, None
if snap is not None:
    image = image_from_bytes(snap.getvalue())
    with st.spinner("Estimating and anonymizing …"):
        result = run_image(image, detector, analyzer, config)
    frame_out = result.output
elif choice is not None:
    with choice.local_path() as path:
        if not choice.is_video:
            with st.spinner("Estimating and anonymizing …"):
                result = run_image(read_image(path), detector, analyzer, config)
            frame_out = result.output
        elif st.button("Analyze clip", type="primary"):
            out_dir = Path(tempfile.mkdtemp(prefix="attr-", dir=inputs.session_tempdir()))
            dst = out_dir / "anonymized.mp4"
            status = st.empty()
            with st.spinner("Running the pipeline (analyzers see raw frames; only estimates leave) …"):
                result = run_video(path, dst, detector, analyzer, config,
                                   progress=lambda i: status.caption(f"frame {i + 1}"))
            status.empty()
            st.video(str(dst))
            st.download_button("Download anonymized clip", dst.read_bytes(), "anonymized.mp4", "video/mp4")

if result is None:
    st.info("Pick a photo or a clip (the **faces** sample cycles through 16 expressions), or take a snapshot.")
    layout.privacy_note()
    st.stop()

if frame_out is not None:
    st.image(frame_out[:, :, ::-1], caption=f"Anonymized with {_method_label(method)}", use_container_width=True)

cmp = result.comparison
if cmp is None:
    st.warning("No faces found.")
    st.stop()

table = pd.DataFrame(cmp.table())
st.subheader("Privacy vs utility, per method")
table["attribute retention"] = table[["sex_agreement", "emotion_agreement"]].mean(axis=1)
fig = px.scatter(table, x="reid_rate", y="attribute retention", text="method", size_max=14,
                 range_x=[-0.05, 1.05], range_y=[-0.05, 1.05],
                 labels={"reid_rate": "re-identification rate (lower = more private)",
                         "attribute retention": "mean of sex and emotion agreement with raw"})
fig.update_traces(textposition="top center", marker={"size": 14})
st.plotly_chart(fig, use_container_width=True)
st.dataframe(table.drop(columns=["attribute retention"]), hide_index=True, use_container_width=True)

st.subheader("Faces")
records = cmp.face_records()[:12]
for row in records:
    with st.container(border=True):
        raw = row["raw"]
        st.markdown(f"**Face {row['face'] + 1}** — raw estimate: {raw['sex']}, {raw['age']:.0f} y, {raw['emotion']}")
        st.dataframe(pd.DataFrame([{"method": m, "sex": v["sex"], "age": v["age"], "emotion": v["emotion"],
                                    "embedding distance": v["distance"], "re-identified": v["reidentified"]}
                                   for m, v in row["methods"].items()]), hide_index=True, use_container_width=True)

if len(result.timeline) > 1:
    st.subheader("Deboarding passengers: emotions over time")
    shares = pd.DataFrame(emotion_share(result.timeline, window_s=1.0))
    st.plotly_chart(px.area(shares, x="t", y="share", color="emotion",
                            labels={"t": "seconds", "share": "share of faces"}), use_container_width=True)
layout.privacy_note()
