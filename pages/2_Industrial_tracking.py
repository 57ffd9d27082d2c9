"""Industrial tracking: workers anonymized, objects and positions still tracked; raw vs anonymized."""

import json
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from anon_core.detectors.catalog import DEFAULT_PERSON_DETECTOR
from anon_core.groundtruth import load_mot
from anon_core.tracking.tracker import TrackerConfig
from showcases.tracking.analysis import TrackingConfig, default_tracker, track_threshold
from showcases.tracking.detect import GT_DETECTOR, GtDetector, ModelDetector, check_classes, tracking_detectors
from showcases.tracking.session import TrackJob, run_job
from showcases.tracking.zones import parse_zone
from ui import charts, compare, feedback, inputs, layout, models, results, sidebar, tracking_view

KEY = "track"
SAMPLE_ZONE = "dock=0,300,400,540"  # the industrial sample's loading dock (960x540 frame)
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
    d = default_tracker(det_name)  # per-detector defaults (the -hd detectors start tracks higher)
    threshold = st.slider("Detector score threshold", 0.05, 0.9, track_threshold(det_name), 0.05, key=f"{KEY}_thr",
                          help="Low: weak boxes feed the tracker's second (ByteTrack) stage.")
    high = st.slider("Start tracks at score", 0.3, 0.95, d.high_score, 0.05, key=f"{KEY}_high")
    max_age = st.slider("Max age (frames a lost track waits)", 1, 120, d.max_age, key=f"{KEY}_age")
    min_hits = st.slider("Min hits before an id", 1, 10, d.min_hits, key=f"{KEY}_hits")
    trail = st.slider("Trail length (frames)", 0, 120, 30, key=f"{KEY}_trail")
    draw = st.radio("Tracks drawn on the video", ["anonymized", "raw"], horizontal=True, key=f"{KEY}_draw",
                    help="anonymized: tracked on the anonymized frames. raw: tracked on the raw frames inside the "
                         "server (analyze-then-anonymize), drawn on the anonymized frames.")
    zone_text = st.text_area("Zones (one per line, pixels)", "", key=f"{KEY}_zones", placeholder=SAMPLE_ZONE,
                             help="Rectangle `name=x1,y1,x2,y2` or polygon `name=x,y;x,y;x,y`. Dwell time, entries "
                                  "and exits use the foot point (bottom centre) of each box. Empty: the industrial "
                                  "sample uses its loading dock, uploads use no zone.")

# the user's zones are read (and a typo reported) before any media is chosen
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

if not zone_text.strip() and choice.sample_kind == "industrial":
    zones = [parse_zone(SAMPLE_ZONE, default_name="zone 1")]
if zones and not zone_text.strip():
    st.caption(f"The sample's zone `{SAMPLE_ZONE}` is used (set your own zones in the sidebar).")

with feedback.guard(choice.name):
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
    try:
        detect = ModelDetector(models.load_detector(det_name, threshold), classes)
    except Exception as exc:  # missing weights / broken install: say how to fix it, keep the page alive
        st.error(f"Tracking detector **{det_name}** not usable: {feedback.user_message(exc)}. "
                 f"{layout.missing_model_help(det_name)}", icon=":material/extension_off:")
        st.stop()
pipeline = models.make_pipeline(config)
if pipeline is None:
    st.stop()

tracking = TrackingConfig(classes=tuple(classes),
                          tracker=TrackerConfig(max_age=max_age, min_hits=min_hits, high_score=high))
sig = results.signature(choice.token, det_name, threshold, tracking.to_dict(), [z.to_dict() for z in zones], draw,
                        trail, models.config_signature(pipeline))
state, stale = results.lookup(KEY, sig, choice.token)
if (state is None or stale) and st.button("Track clip", type="primary", key=f"{KEY}_go", icon=":material/play_arrow:"):
    out_dir = Path(tempfile.mkdtemp(prefix="track-", dir=inputs.session_tempdir()))
    job = TrackJob(zones=zones, output=out_dir / "tracked.mp4", draw=draw, trail=trail)
    with feedback.guard(choice.name, cleanup=out_dir), choice.local_path() as path:
        with feedback.Progress(f"Tracking {choice.name}") as bar:
            outcome = run_job(path, detect, pipeline, tracking, job, gt=gt,
                              progress=lambda i, total: bar.update(i + 1, total))
        outcome.audit.write(out_dir / "tracked-report.json")  # the audit report of `anon video`, for the clip
        raw, anon = compare.frame_pair(path, job.output)
    state = results.put(KEY, sig, {"video": job.output, "report": outcome.report, "tables": outcome.result.tables,
                                   "audit": out_dir / "tracked-report.json", "raw": raw, "anon": anon},
                        folder=out_dir, source=choice.token)
    stale = False
if state is None:
    st.info("Press **Track clip** to track the clip on the raw and on the anonymized frames.")
    st.stop()
if stale:
    results.stale_note("Track clip")

report, tables = state["report"], state["tables"]
metrics = tracking_view.metrics_table(report)
tracking_view.verdict(report, metrics)
compare.side_by_side(state["raw"], state["anon"], "Raw (middle frame; stays on the server)",
                     f"Anonymized with tracks ({draw} run) · middle frame")
left, right = st.columns([3, 2], gap="large")
with left:
    st.video(str(state["video"]))
    st.download_button("Download tracked anonymized clip", Path(state["video"]).read_bytes(), "tracked.mp4",
                       "video/mp4", key=f"{KEY}_dl_video")
    st.download_button("JSON audit report", state["audit"].read_bytes(), "tracked-report.json", "application/json",
                       key=f"{KEY}_dl_audit", icon=":material/receipt_long:",
                       help="Input and output checksums, models, settings and the anonymized regions per frame: "
                            "the same report as the video page's")
with right:
    st.subheader("Tracks per class")
    st.dataframe(tracking_view.tracks_per_class(report), width="stretch")
    if metrics is not None:
        st.subheader("Against ground truth")
        tracking_view.show_metrics(metrics, report.get("metrics_classes", classes))
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
st.plotly_chart(charts.trajectories(traj, zones, w, h), width="stretch", key=f"{KEY}_traj")
spans = table.spans()
spans["track"] = spans["label"] + " " + spans["track_id"].astype(str)
st.plotly_chart(charts.timeline(spans), width="stretch", key=f"{KEY}_timeline")

zone_rows = tracking_view.zone_table(report, side)
if not zone_rows.empty:
    st.subheader("Zones: dwell time, entries and exits")
    st.dataframe(zone_rows, hide_index=True, width="stretch")

st.subheader("Export")
c1, c2 = st.columns(2)
c1.download_button("Tracks (CSV)", pd.concat([t.df.assign(input=n) for n, t in tables.items()]).to_csv(index=False),
                   "tracks.csv", "text/csv", key=f"{KEY}_dl_csv")
c2.download_button("Report with tracks (JSON)", json.dumps(report, indent=1, default=str), "tracks.json",
                   "application/json", key=f"{KEY}_dl_json")
layout.privacy_note()
