"""Live webcam: the browser receives only the anonymized stream; raw is shown on explicit request only."""

import time

import streamlit as st

from ui import layout, models, sidebar, webcam

layout.page_setup(
    "Live webcam", icon=":material/videocam:",
    intro="Camera frames are anonymized on the server and only the anonymized stream comes back to the browser. "
          "Nothing is recorded. Press **START** and allow camera access.",
)
COUNT_NOTE = ("**Faces in view** counts confident detections (score >= 0.5, then tracked); the anonymization is "
              "more generous: weaker candidates (down to the detector's threshold, 0.1 for CenterFace) are "
              "anonymized too, so **regions anonymized** can be higher.")
config = sidebar.pipeline_settings(default_every="auto")  # best sustainable speed unless the user picks N
show_raw = st.toggle("Show raw next to anonymized", value=False, key="webcam_raw",
                     help="For comparison only: the raw frames are shown (labelled RAW), never recorded.")
left, right = st.columns([3, 2], gap="large")
with right:
    stats = st.container()
with left:
    # always one caption here (only its text changes), so toggling raw does not remount the stream
    st.caption(("Left: **raw** camera (not recorded) · right: **anonymized**, what leaves the pipeline. " if show_raw
                else "**Anonymized** stream: what leaves the pipeline. ") + COUNT_NOTE)
    ctx, live = webcam.webcam_streamer("webcam", lambda: models.make_pipeline(config), repr(config.to_dict()),
                                       show_raw=show_raw)

with right:
    layout.privacy_note()
if ctx is not None and ctx.state.playing:
    with stats:
        c1, c2 = st.columns(2)
        boxes = [c1.empty(), c2.empty(), c1.empty(), c2.empty(), c1.empty()]
    withheld = 0
    while ctx.state.playing:
        items = live.drain()
        if items:
            withheld += sum(1 for i in items if i["error"])
            last = items[-1]
            boxes[0].metric("Faces in view", last["faces"], help="Faces/persons in the newest frame: confident "
                            "detections (score >= 0.5) and the tracks they started")
            boxes[1].metric("Regions anonymized", last["regions"], help="Regions anonymized in the newest frame: the "
                            "faces in view plus weaker candidates, which are anonymized as well (fail safe)")
            boxes[2].metric("Speed", f"{last['fps']:.1f} fps", help="Frames anonymized per second (the newest 30)")
            boxes[3].metric("Frames anonymized", live.frames_out, help="Since START; nothing is recorded")
            boxes[4].metric("Withheld frames", withheld, help="Failed frames leave fully obscured.")
        time.sleep(0.5)
elif ctx is not None:
    stats.info("Press **START** below the video to stream. Until the first frame is processed the stream "
               "shows a masked placeholder, never the raw camera.", icon=":material/info:")
