"""anonymize-first — upload a photo or clip (or pick a generated sample) and compare raw vs anonymized.

Run with `streamlit run Home.py`. Thin page: widgets -> PipelineConfig -> cached detectors -> Pipeline.
"""

import streamlit as st

from ui import inputs, layout, models, review, sidebar, video

layout.page_setup(
    "Anonymize first",
    intro="Faces and people are removed **before** anything is stored or analysed. Upload a photo or a clip, "
          "pick a generated sample, or open the live webcam, and compare the raw input with what leaves "
          "the pipeline. Settings in the sidebar apply to every page.",
)
layout.privacy_note()
config = sidebar.pipeline_settings()

choice = inputs.choose_media(kinds=("upload", "sample", "webcam"), sample_kind="walkway", key="home")
if choice is not None:
    pipeline = models.make_pipeline(config)
    if pipeline is not None:
        result = video.show_media(choice, pipeline, key="home")
        if isinstance(result, video.VideoResult):
            review.show_review(choice, result, pipeline, key="home")
else:
    st.info("Choose an input above: upload a photo (jpg, png, webp, bmp, tiff) or a clip (mp4, mov, avi, mkv, "
            "webm), or pick one of the synthetic samples.", icon=":material/arrow_upward:")

with st.expander("How it works", icon=":material/schema:"):
    st.markdown(
        "1. **Detect** faces and/or persons with the detector chosen in the sidebar (every N frames).\n"
        "2. **Track** them between detections (Kalman + Hungarian) and **hold** regions a few frames after the "
        "last detection, so a missed frame does not leak a face.\n"
        "3. **Anonymize** each region (blur, pixelate, fill, or per-target rules from a policy file).\n"
        "4. **Fail closed**: a frame whose processing fails leaves fully obscured, never raw.\n"
        "5. The **JSON report** records input/output checksums, models, thresholds, policy and every region."
    )
