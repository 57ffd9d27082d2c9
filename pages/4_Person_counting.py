"""Person counting on raw versus anonymized video: does counting still work after anonymization?"""

import collections
import json
import tempfile
import time
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from anon_core.detectors.catalog import DEFAULT_PERSON_DETECTOR
from anon_core.jobs import JobOptions
from anon_core.media import probe
from showcases.counting.counts import COUNT_THRESHOLDS, SMOOTHING, PersonCounter
from showcases.counting.session import ANALYZER, CountOptions, CountSession, gt_counts, json_safe, run_counting
from showcases.counting.study import DEFAULT_SETTINGS, run_study
from ui import compare, counting_view, feedback, inputs, layout, models, results, sidebar, webcam

layout.page_setup(
    "Person counting", icon=":material/groups:",
    intro="A regression check for anonymization. The counter runs **inside** the pipeline on the raw frames "
          "(analyze-then-anonymize: only the numbers leave) and again on the anonymized frames. With ground "
          "truth (the generated samples have exact ground truth; uploads can add a MOTChallenge `gt.txt`) "
          "the page shows the count error on both and how much anonymization changes it.")
KEY = "count"
config = sidebar.pipeline_settings()
persons = sidebar.detectors_for("person")
with st.sidebar:
    st.header("Counting")
    det_name = st.selectbox("Counting detector", persons, index=persons.index(DEFAULT_PERSON_DETECTOR)
                            if DEFAULT_PERSON_DETECTOR in persons else 0, key="count_detector")
    st.markdown(layout.detector_badge(det_name))
    threshold = st.slider("Count threshold", 0.1, 0.9, COUNT_THRESHOLDS.get(det_name, 0.35), 0.05,
                          key="count_threshold", help="Score a person box needs to be counted (YOLOX default "
                          "0.35; 0.55 for the 1920 px -hd detectors, whose partly hidden people score low).")
    smoothing = st.selectbox("Smoothing", SMOOTHING, key="count_smoothing",
                             help="median / EMA over a window of frames (the overlay uses the causal version)")
    window = st.slider("Window (frames)", 3, 25, 5, 2, key="count_window", disabled=smoothing == "none")
    use_line = st.toggle("Counting line", value=True, key="count_use_line")
    line_pct = st.text_input("Line x1,y1,x2,y2 in % of the frame", "50,20,50,100", key="count_line",
                             disabled=not use_line, help="'in' = crossing from the line's left to its right "
                                                         "side, looking from (x1,y1) to (x2,y2)")


def _counter() -> PersonCounter | None:
    try:
        return PersonCounter(models.load_detector(det_name, threshold))
    except Exception as exc:
        st.error(f"Counting detector **{det_name}** not usable: {exc}. {layout.missing_model_help(det_name)}")
        return None


def _line(width: int, height: int):
    if not use_line:
        return None
    try:
        x1, y1, x2, y2 = (float(v) / 100 for v in line_pct.split(","))
    except ValueError:
        st.warning("Counting line ignored: give four percentages, e.g. `50,20,50,100`.")
        return None
    return (x1 * width, y1 * height, x2 * width, y2 * height)


def _options(line, relative: bool = False) -> CountOptions:
    return CountOptions(line=line, relative_line=relative, smoothing=smoothing, window=window, overlay=True)


def counts_figure(df: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    colours = {"raw": "#2563eb", "anonymized": "#dc2626", "ground truth": "#111827", "raw smoothed": "#93c5fd"}
    for col in [c for c in colours if c in df]:
        fig.add_scatter(x=df["frame"], y=df[col], name=col, mode="lines", line={"color": colours[col], "width": 2,
                        "shape": "hv", "dash": "dot" if col == "ground truth" else None})
    top = pd.to_numeric(df[[c for c in colours if c in df]].stack(), errors="coerce").max()
    # half a person of room above the highest count: a line at the maximum is not hidden under the frame
    fig.update_layout(height=320, margin={"l": 10, "r": 10, "t": 30, "b": 10}, template="plotly_white",
                      xaxis={"title": "frame"},
                      yaxis={"title": "persons", "range": [-0.2, (0 if pd.isna(top) else float(top)) + 0.5]},
                      legend={"orientation": "h", "y": 1.12, "x": 1, "xanchor": "right"})
    return fig


source = st.segmented_control("Input", ["video", "webcam"], default="video", key="count_source",
                              format_func={"video": ":material/movie: Upload or sample",
                                           "webcam": ":material/videocam: Live webcam"}.get) or "video"
counter = _counter()

# ------------------------------------------------------------------ live webcam
LIVE_HISTORY = 900  # frames kept for the live chart and verdict (~3 min at 5 processed frames/s)
if source == "webcam":
    def _factory():
        """The plain Pipeline with the counting analyzer plugged in at construction (it counts the raw frame
        inside the pipeline); session.overlay counts what left and draws the count on it."""
        if counter is None:
            return None
        session = CountSession(counter, _options(_line(1, 1), relative=True))  # placed on the camera's first frame
        pipe = models.make_pipeline(config, analyzers=session.analyzers)
        if pipe is None:
            return None
        session.reuse_detections(pipe)
        return pipe, session.overlay

    signature = json.dumps([config.to_dict(), det_name, threshold, smoothing, window, use_line, line_pct], default=str)
    if st.session_state.get("count_live_sig") != signature:  # new settings: a new count history
        st.session_state["count_live_sig"] = signature
        st.session_state["count_live_history"] = collections.deque(maxlen=LIVE_HISTORY)
    history = st.session_state["count_live_history"]
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.markdown("##### :material/visibility_off: Anonymized (what leaves the camera)")
        st.caption("The count is drawn on the anonymized stream. The raw camera frames are counted inside the "
                   "pipeline on the server and never shown or recorded.")
        ctx, live = webcam.webcam_streamer("count_live", _factory, signature)
    with right:
        st.markdown("##### :material/groups: Counts")
        verdict_box, stats, chart = st.empty(), st.empty(), st.empty()
        layout.privacy_note()
    if ctx is not None and not ctx.state.playing:
        verdict_box.info("Press **START** below the video to count. Until the first frame is processed the stream "
                         "shows a masked placeholder, never the raw camera.", icon=":material/info:")
    while ctx is not None and ctx.state.playing:
        for item in live.drain():
            c = item["analytics"].get(ANALYZER)
            if c is not None:
                history.append((item["frame"] + 1, c["count"], c.get("anonymized"), c.get("smoothed")))
        if history:
            df = pd.DataFrame(list(history), columns=["frame", "raw", "anonymized", "raw smoothed"])
            with verdict_box.container():
                counting_view.verdict(df, None, what="stream")
            with stats.container():
                counting_view.live_metrics(df)
            chart.plotly_chart(counts_figure(df.tail(300)), width="stretch", key=f"count_live_{time.time()}")
        time.sleep(1.0)
    st.stop()

# ------------------------------------------------------------------ video: upload or generated sample
choice = inputs.choose_media(("upload", "sample"), sample_kind="walkway", key="count", media=("video",))
gt_file = None
if choice is not None and choice.sample is None:
    gt_file = st.file_uploader("Ground truth (optional): MOTChallenge gt.txt", type=["txt", "csv"], key="count_gt")
if choice is None or counter is None:
    layout.privacy_note()
    st.stop()
pipe = models.make_pipeline(config)
if pipe is None:
    st.stop()

sig = results.signature(choice.token, config.to_dict(), det_name, threshold, smoothing, window, use_line, line_pct,
                        gt_file.file_id if gt_file else None)
state, stale = results.lookup(KEY, sig, choice.token)
if (state is None or stale) and st.button("Count persons", type="primary", icon=":material/play_arrow:",
                                         key=f"{KEY}_go"):
    out_dir = Path(tempfile.mkdtemp(prefix="count-", dir=inputs.session_tempdir()))
    with feedback.guard(choice.name, cleanup=out_dir), choice.local_path() as path:
        info = probe(path)
        line = _line(info.width, info.height)
        if choice.sample is not None and use_line and line_pct == "50,20,50,100":
            meta = choice.sample.load_meta()
            line = tuple(meta["line"][0] + meta["line"][1]) if meta.get("line") else line
        with feedback.Progress(f"Counting {choice.name}", info.frame_count) as bar:
            series, _ = run_counting(path, pipe, counter, _options(line), output=out_dir / "counted.mp4",
                                     on_count=lambda fc: bar.update(fc.index + 1),
                                     job=JobOptions(report_path=out_dir / "counted-report.json"))
        gt = None
        if choice.sample is not None:
            gt = gt_counts(choice.sample.gt, len(series))
        elif gt_file is not None:
            (out_dir / "gt.txt").write_bytes(gt_file.getvalue())
            gt = gt_counts(out_dir / "gt.txt", len(series))
        raw, anon = compare.frame_pair(path, out_dir / "counted.mp4")
    state = results.put(KEY, sig, {"series": series, "gt": gt, "video": out_dir / "counted.mp4", "line": line,
                                   "audit": out_dir / "counted-report.json", "raw": raw, "anon": anon},
                        folder=out_dir, source=choice.token)
    stale = False
if state is None:
    st.info("Press **Count persons** to run the counter on the raw and on the anonymized frames.")
    layout.privacy_note()
    st.stop()
if stale:
    results.stale_note("Count persons")

series, gt = state["series"], state["gt"]
df = pd.DataFrame({"frame": range(1, len(series) + 1), "raw": series.raw, "anonymized": series.anonymized})
if smoothing != "none":
    df["raw smoothed"] = series.smoothed(smoothing, window).raw
if gt is not None:
    df["ground truth"] = gt
m = series.metrics(gt) if gt is not None else None
counting_view.verdict(df, m)
compare.side_by_side(state["raw"], state["anon"], "Raw (middle frame; stays on the server)",
                     "Anonymized with counts · middle frame")
left, right = st.columns([3, 2], gap="large")
left.video(str(state["video"]))
with right:
    counting_view.metrics(df, m)
    if series.raw_line is not None:
        st.markdown(f"**Line crossings** raw: in {series.raw_line.count_in}, out {series.raw_line.count_out} · "
                    f"anonymized: in {series.anon_line.count_in}, out {series.anon_line.count_out}")
st.plotly_chart(counts_figure(df), width="stretch", key="count_chart")

with st.expander("Compare anonymization methods", icon=":material/table_chart:"):
    names = [s.name for s in DEFAULT_SETTINGS]
    picked = st.multiselect("Settings", names, default=names, key="count_study_settings")
    if st.button("Run comparison", key="count_study_run"):
        bar = st.progress(0.0, text="Comparing …")

        def progress(name, done, total):
            bar.progress(min(1.0, done / total) if total else 0.0, text=f"{name}: frame {done}")

        with feedback.guard(choice.name), choice.local_path() as path:
            study = run_study(path, counter, [s for s in DEFAULT_SETTINGS if s.name in picked], config, gt,
                              progress=progress, raw=series.raw if None not in series.raw else None)
        bar.empty()
        state["study"] = study.table()
    if state.get("study"):
        counting_view.study_table(state["study"])

export = series.to_dict(gt) | ({"study": state["study"]} if state.get("study") else {})
c1, c2, c3, c4 = st.columns(4)
c1.download_button("Counts (CSV)", df.to_csv(index=False), "counts.csv", "text/csv", icon=":material/download:")
c2.download_button("Counts and metrics (JSON)", json.dumps(json_safe(export), indent=1, default=str), "counts.json",
                   "application/json", icon=":material/data_object:")
c3.download_button("Anonymized video with counts", state["video"].read_bytes(), "counted.mp4", "video/mp4",
                   icon=":material/movie:")
c4.download_button("JSON audit report", state["audit"].read_bytes(), "counted-report.json", "application/json",
                   icon=":material/receipt_long:", help="Input and output checksums, models, settings and the "
                   "anonymized regions per frame, with the counts under analytics: the same report as the video page's")
layout.privacy_note()
