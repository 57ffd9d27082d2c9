"""Benchmark: the model comparison table (FPS, IoU pB/pC, recall, count RMSE) from a stored
`anon bench --json` result, or run on an uploaded clip/frames with ground truth."""

import json
import os
import tempfile
import zipfile
from pathlib import Path

import pandas as pd
import plotly.express as px
import streamlit as st

from anon_core.bench.report import COLUMNS, load_json, to_markdown
from ui import layout

layout.page_setup(
    "Benchmark", icon=":material/leaderboard:",
    intro="Compare detectors on footage with ground truth: end-to-end speed against how well the anonymized "
          "regions match the people (IoU per box and per covered area), recall of boxes at least 90 % covered, "
          "and person-count error. Definitions: docs/benchmark.md.",
)

source = st.radio("Result", ["Load a stored JSON", "Run on an upload"], horizontal=True, key="bench_source")
result = None
if source == "Load a stored JSON":
    up = st.file_uploader("`anon bench --json` result", type=["json"], key="bench_json")
    if up is not None:
        try:
            data = json.loads(up.getvalue().decode("utf-8"))
            if "rows" not in data:
                raise ValueError("no 'rows'")
            result = data
        except (ValueError, UnicodeDecodeError) as exc:
            st.error(f"That is not an `anon bench` JSON result ({exc}). Create one with "
                     "`anon bench --gt-dir DIR --json out.json`.")
    else:
        default = Path(os.environ.get("ANON_BENCH_JSON", "assets/generated/bench.json"))
        if default.is_file():
            result = load_json(default)
else:
    st.caption("Upload a zip of a MOTChallenge folder (img1/ + gt/gt.txt), or a video together with its gt.txt.")
    files = st.file_uploader("Footage + ground truth", type=["zip", "mp4", "mov", "avi", "mkv", "txt"],
                             accept_multiple_files=True, key="bench_upload")
    c1, c2, c3 = st.columns(3)
    target = c1.selectbox("Target", ["person", "face"], key="bench_target")
    models = c2.multiselect("Models", ["hog", "yolox-nano", "yolox-tiny", "yolox-s", "centerface", "dlib-hog"],
                            default=["yolox-nano"] if target == "person" else ["centerface"], key="bench_models")
    max_frames = c3.number_input("Max frames", 1, 10000, 50, key="bench_max")
    if files and st.button("Run benchmark", type="primary"):
        from anon_core.bench.data import BenchDataError
        from anon_core.bench.runner import BenchConfig, run_bench

        with tempfile.TemporaryDirectory(prefix="anon-bench-ui-") as tmp:
            root = Path(tmp)
            for f in files:
                if f.name.lower().endswith(".zip"):
                    with zipfile.ZipFile(f) as zf:
                        zf.extractall(root)
                else:
                    (root / Path(f.name).name).write_bytes(f.getvalue())
            tops = [p for p in root.iterdir() if p.is_dir()]
            gt_dir = tops[0] if len(tops) == 1 and not (root / "img1").exists() else root
            try:
                with st.spinner("Running the benchmark…"):
                    result = run_bench(BenchConfig(gt_dir, target, tuple(models), track_every=(1, 5),
                                                   max_frames=int(max_frames)))
            except BenchDataError as exc:
                st.error(str(exc))
            except Exception as exc:  # shown to the user, the app keeps running
                st.error(f"Benchmark failed: {exc}")

if result is None:
    st.info("Load a result (e.g. from `anon bench --gt-dir ../shared/data/tud_campus --json bench.json`) "
            "or run one on an upload.")
    st.stop()

ds = result.get("dataset", {})
st.subheader(f"{ds.get('name', '?')}: {ds.get('frames', '?')} frames, {ds.get('gt_boxes', '?')} ground-truth boxes")
df = pd.DataFrame(result["rows"])
cols = [k for k, _ in COLUMNS if k in df.columns]
st.dataframe(df[cols].rename(columns=dict(COLUMNS)), hide_index=True, use_container_width=True)
left, right = st.columns(2)
with left:
    fig = px.scatter(df, x="fps", y="iou_pb", color="kind", text="name", log_x=True,
                     labels={"fps": "FPS (end to end, log)", "iou_pb": "IoU pB"}, title="Speed vs IoU per box")
    fig.update_traces(textposition="top center")
    st.plotly_chart(fig, use_container_width=True)
with right:
    fig = px.bar(df, x="name", y="count_rmse", color="kind", title="Count RMSE per model",
                 labels={"count_rmse": "RMSE (objects per frame)", "name": ""})
    st.plotly_chart(fig, use_container_width=True)
hw = result.get("hardware", {})
st.caption(f"Measured on {hw.get('cpu', '?')} ({hw.get('affinity') or hw.get('cpu_count')} cores), "
           f"device {hw.get('device', 'cpu')}{', GPU ' + hw['gpu'] if hw.get('gpu') else ''}.")
if result.get("skipped"):
    with st.expander(f"Skipped ({len(result['skipped'])})"):
        for s in result["skipped"]:
            st.write(f"- **{s['name']}**: {s['reason']}")
st.download_button("Markdown table", to_markdown(result), "bench.md", "text/markdown")
st.download_button("JSON", json.dumps(result, indent=2), "bench.json", "application/json")
