"""Live webcam: the browser receives only the anonymized stream; raw is shown on explicit request only."""

import time

import streamlit as st

from ui import layout, models, sidebar, webcam

layout.page_setup(
    "Live webcam", icon="📷",
    intro="Your camera frames are anonymized on the server and only the anonymized stream comes back. "
          "Nothing is recorded. Press **START** and allow camera access.",
)
config = sidebar.pipeline_settings()
show_raw = st.toggle("Show raw next to anonymized (for comparison; not recorded)", value=False, key="webcam_raw")
pipeline_sig = repr(config.to_dict())
ctx, live = webcam.webcam_streamer("webcam", lambda: models.make_pipeline(config), pipeline_sig, show_raw=show_raw)

stats = st.empty()
if ctx is not None and ctx.state.playing:
    cols = stats.columns(4)
    boxes = [c.empty() for c in cols]
    withheld = 0
    while ctx.state.playing:
        items = live.drain()
        if items:
            withheld += sum(1 for i in items if i["error"])
            last = items[-1]
            boxes[0].metric("Frames anonymized", live.frames_out)
            boxes[1].metric("Regions now", last["regions"])
            boxes[2].metric("Speed", f"{last['fps']:.1f} fps")
            boxes[3].metric("Withheld frames", withheld)
        time.sleep(0.5)
elif ctx is not None:
    stats.caption("Stopped. Press START to stream.")
layout.privacy_note()
