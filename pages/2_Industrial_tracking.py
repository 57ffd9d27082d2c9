"""Industrial tracking: workers anonymized, objects and positions still tracked; raw vs anonymized."""

import json
import tempfile
from pathlib import Path

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from anon_core.detectors.catalog import DEFAULT_PERSON_DETECTOR
from anon_core.groundtruth import load_mot
from anon_core.tracking.tracker import TrackerConfig
from showcases.tracking.analysis import TRACK_THRESHOLD, TrackingConfig, default_tracker
from showcases.tracking.detect import GT_DETECTOR, GtDetector, ModelDetector, check_classes, tracking_detectors
from showcases.tracking.session import TrackJob, run_job
from showcases.tracking.zones import parse_zone
from ui import inputs, layout, models, sidebar

KEY = "track"
CLASSES = ["person", "car", "truck", "bus", "bicycle", "motorcycle", "forklift", "box", "pallet", "cart",
           "suitcase", "backpack", "handbag", "chair"]
GT_NOTE = ("**gt** is not a model: it feeds the tracker the sample's ground-truth boxes with noise, misses and "
           "occlusion drop-outs. It evaluates the *tracker* on cartons, pallets and carts, which no COCO detector "
           "knows, and gives identical raw and anonymized results because it never looks at the pixels.")

layout.page_setup(
    "Industrial tracking", icon=":material/conveyor_belt:",
    intro="Workers are anonymized while vehicles, carts, boxes and the workers' positions stay trackable. Every "
          "clip is tracked twice with the same detector and tracker: on the raw frames (inside the server, only "
          "boxes and ids leave) and on the anonymized frames. Does tracking on anonymized frames match raw?")
config = sidebar.pipeline_settings(default_targets=["face"])

with st.sidebar:
    st.header("Tracking")
    detectors = [*tracking_detectors(), GT_DETECTOR]
    det_name = st.selectbox("Tracking detector", detectors, index=detectors.index(DEFAULT_PERSON_DETECTOR),
                            key=f"{KEY}_det")
    if det_name == GT_DETECTOR:
        st.caption(GT_NOTE)
    else:
        st.markdown(layout.detector_badge(det_name))
    classes = st.multiselect("Classes (each tracked separately)", CLASSES, default=["person"], key=f"{KEY}_cls",
                             accept_new_options=True)
    d = default_tracker()
    threshold = st.slider("Detector score threshold", 0.05, 0.9, TRACK_THRESHOLD, 0.05, key=f"{KEY}_thr",
                          help="Low: weak boxes feed the tracker's second (ByteTrack) stage.")
    high = st.slider("Start tracks at score", 0.3, 0.95, d.high_score, 0.05, key=f"{KEY}_high")
    max_age = st.slider("Max age (frames a lost track waits)", 1, 120, d.max_age, key=f"{KEY}_age")
    min_hits = st.slider("Min hits before an id", 1, 10, d.min_hits, key=f"{KEY}_hits")
    trail = st.slider("Trail length (frames)", 0, 120, 30, key=f"{KEY}_trail")
    draw = st.radio("Tracks drawn on the video", ["anonymized", "raw"], horizontal=True, key=f"{KEY}_draw",
                    help="anonymized: tracked on the anonymized frames. raw: tracked on the raw frames inside the "
                         "server (analyze-then-anonymize), drawn on the anonymized frames.")
    zone_text = st.text_area("Zones (one per line, pixels)", "dock=0,300,400,540", key=f"{KEY}_zones",
                             help="Rectangle `name=x1,y1,x2,y2` or polygon `name=x,y;x,y;x,y`. Dwell time, entries "
                                  "and exits use the foot point (bottom centre) of each box.")

zones, zone_errors = [], []
for line in zone_text.splitlines():
    if line.strip():
        try:
            zones.append(parse_zone(line.strip(), default_name=f"zone {len(zones) + 1}"))
        except ValueError as exc:
            zone_errors.append(str(exc))
for err in zone_errors:
    st.warning(err)

choice = inputs.choose_media(("upload", "sample", "webcam"), sample_kind="industrial", key=KEY, media=("video",))
if choice is None:
    st.info("Upload a clip or pick the **industrial** sample (synthetic workers, cartons, pallets and carts with "
            "exact ground truth). Live webcam anonymization is on the Webcam page.")
    layout.privacy_note()
    st.stop()
if not classes:
    st.warning("Pick at least one class to track.")
    st.stop()

gt = load_mot(choice.sample.gt) if choice.sample is not None else None
if det_name == GT_DETECTOR and gt is None:
    st.error("The **gt** detector needs ground truth: pick the sample, or a real detector for uploads.")
    st.stop()
if det_name == GT_DETECTOR:
    detect = GtDetector(gt, classes)
else:
    try:
        check_classes(det_name, classes)
    except ValueError as exc:
        st.error(str(exc))
        st.stop()
    detect = ModelDetector(models.load_detector(det_name, threshold), classes)
pipeline = models.make_pipeline(config)
if pipeline is None:
    st.stop()

tracking = TrackingConfig(classes=tuple(classes),
                          tracker=TrackerConfig(max_age=max_age, min_hits=min_hits, high_score=high))
signature = json.dumps([choice.token, det_name, threshold, tracking.to_dict(), [z.to_dict() for z in zones], draw,
                        trail, models.config_signature(pipeline)], sort_keys=True, default=str)
state = st.session_state.get(f"_{KEY}_result")
if state is not None and state["signature"] != signature:
    state = None
if state is None and st.button("Track clip", type="primary", key=f"{KEY}_go"):
    out_dir = Path(tempfile.mkdtemp(prefix="track-", dir=inputs.session_tempdir()))
    bar = st.progress(0.0, text="Tracking …")

    def progress(i, total):
        if total:
            bar.progress(min(1.0, (i + 1) / total), text=f"frame {i + 1} of {total}")

    job = TrackJob(zones=zones, output=out_dir / "tracked.mp4", draw=draw, trail=trail)
    try:
        with choice.local_path() as path:
            outcome = run_job(path, detect, pipeline, tracking, job, gt=gt, progress=progress)
    except Exception as exc:  # bad media, codec problems: say what happened, keep the page alive
        st.error(f"Could not track this clip: {exc}")
        st.stop()
    bar.empty()
    state = {"signature": signature, "video": job.output, "report": outcome.report, "tables": outcome.result.tables}
    st.session_state[f"_{KEY}_result"] = state
if state is None:
    st.stop()

report, tables = state["report"], state["tables"]
left, right = st.columns([3, 2], gap="large")
with left:
    st.video(str(state["video"]))
    st.download_button("Download tracked anonymized clip", Path(state["video"]).read_bytes(), "tracked.mp4",
                       "video/mp4", key=f"{KEY}_dl_video")
with right:
    st.subheader("Tracks per class")
    st.dataframe(pd.DataFrame({side: s["tracks_per_class"] for side, s in report["sides"].items()}).fillna(0)
                 .astype(int), use_container_width=True)
    if "metrics" in report:
        st.subheader("Against ground truth")
        st.caption(f"Classes evaluated: {', '.join(report['metrics_classes'])}; IoU >= 0.5 (motmetrics). "
                   "The last row is anonymized minus raw, in points.")
        st.dataframe(pd.DataFrame(report["metrics"])[["input", "mota", "idf1", "id_switches", "precision",
                                                       "recall"]], hide_index=True, use_container_width=True)
    elif "metrics_note" in report:
        st.caption(report["metrics_note"])
    if det_name == GT_DETECTOR:
        st.info(GT_NOTE)

side = st.segmented_control("Show tracks of", list(tables), default=draw if draw in tables else list(tables)[0],
                            key=f"{KEY}_side") or list(tables)[0]
table = tables[side]
traj = table.trajectories(tracking.anchor)
if traj.empty:
    st.warning("No confirmed tracks on this side.")
    st.stop()
traj["track"] = traj["label"] + " " + traj["track_id"].astype(str)
w, h = report["size"]
fig = px.line(traj, x="x", y="y", color="track", line_group="track_id", hover_data=["frame", "time"],
              title="Trajectories (foot points, image coordinates)")
for z in zones:
    xs, ys = zip(*(z.points + z.points[:1]))
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name=f"zone {z.name}", line={"dash": "dot", "width": 2}))
fig.update_yaxes(range=[h, 0], scaleanchor="x")
fig.update_xaxes(range=[0, w])
st.plotly_chart(fig, use_container_width=True)

spans = table.spans()
spans["track"] = spans["label"] + " " + spans["track_id"].astype(str)
timeline = go.Figure(go.Bar(y=spans["track"], x=spans["end"] - spans["start"], base=spans["start"],
                            orientation="h", marker_color=px.colors.qualitative.Plotly[0],
                            hovertext=spans["frames"].astype(str) + " frames seen"))
timeline.update_layout(title="Timeline of tracks", xaxis_title="seconds", height=max(250, 28 * len(spans)))
st.plotly_chart(timeline, use_container_width=True)

zone_rows = [{"zone": z["name"], "class": c, **v} for z in report["sides"][side].get("zones", [])
             for c, v in z["per_class"].items()]
if zone_rows:
    st.subheader("Zones: dwell time, entries and exits")
    st.dataframe(pd.DataFrame(zone_rows), hide_index=True, use_container_width=True)

st.subheader("Export")
c1, c2 = st.columns(2)
c1.download_button("Tracks (CSV)", pd.concat([t.df.assign(input=n) for n, t in tables.items()]).to_csv(index=False),
                   "tracks.csv", "text/csv", key=f"{KEY}_dl_csv")
c2.download_button("Report with tracks (JSON)", json.dumps(report, indent=1, default=str), "tracks.json",
                   "application/json", key=f"{KEY}_dl_json")
layout.privacy_note()
