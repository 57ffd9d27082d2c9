"""Live webcam: the browser receives only the anonymized stream; raw is shown on explicit request only."""

import time

import streamlit as st

from ui import layout, models, sidebar, webcam

layout.page_setup(
    "Live webcam", icon=":material/videocam:",
    intro="Camera frames are anonymized on the server and only the anonymized stream comes back to the browser. "
          "Nothing is recorded. Press **START** and allow camera access.",
)
config = sidebar.pipeline_settings(default_every="auto")  # best sustainable speed unless the user picks N
show_raw = st.toggle("Show raw next to anonymized", value=False, key="webcam_raw",
                     help="For comparison only: the raw frames are shown (labelled RAW), never recorded.")
left, right = st.columns([3, 2], gap="large")
with right:
    stats = st.container()
with left:
    # always one caption here (only its text changes), so toggling raw does not remount the stream
    st.caption("Left: **raw** camera (not recorded) · right: **anonymized**, what leaves the pipeline." if show_raw
               else "**Anonymized** stream: what leaves the pipeline.")
    ctx, live = webcam.webcam_streamer("webcam", lambda: models.make_pipeline(config), repr(config.to_dict()),
                                       show_raw=show_raw)

with right:
    layout.privacy_note()
if ctx is not None and ctx.state.playing:
    with stats:
        c1, c2 = st.columns(2)
        boxes = [c1.empty(), c2.empty(), c1.empty(), c2.empty()]
    withheld = 0
    while ctx.state.playing:
        items = live.drain()
        if items:
            withheld += sum(1 for i in items if i["error"])
            last = items[-1]
            boxes[0].metric("Frames anonymized", live.frames_out)
            boxes[1].metric("Regions now", last["regions"], help="Faces/persons anonymized in the newest frame")
            boxes[2].metric("Speed", f"{last['fps']:.1f} fps")
            boxes[3].metric("Withheld frames", withheld, help="Failed frames leave fully obscured.")
        time.sleep(0.5)
elif ctx is not None:
    stats.info("Press **START** below the video to stream. Until the first frame is processed the stream "
               "shows a masked placeholder, never the raw camera.", icon=":material/info:")
